package cli

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"convscope/internal/dynamics"
	"convscope/internal/report"
)

// readCSVRows reads a CSV file whole.
func readCSVRows(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

// TestReportCommand trains a small run and writes its report headless:
// every file is there, the dynamics sections name their sources, and the
// tables have a row per image and per epoch.
func TestReportCommand(t *testing.T) {
	dir := writeData(t, 40, 20)
	out := filepath.Join(t.TempDir(), "run")
	if err := Run(trainArgs(dir, out, "--epochs", "3")); err != nil {
		t.Fatal(err)
	}
	var w, warn bytes.Buffer
	if err := runReport(ReportOptions{Dir: out, Top: 5}, &w, &warn); err != nil {
		t.Fatal(err)
	}
	if warn.Len() != 0 {
		t.Errorf("warnings on a complete run: %q", warn.String())
	}
	for _, f := range []string{report.ReportFile, report.EpochsCSVFile, report.ClassesCSVFile, report.ConfusionCSVFile,
		report.CalibrationCSVFile, report.ExamplesCSVFile, report.LabelIssuesCSVFile} {
		if !strings.Contains(w.String(), filepath.Join(out, f)) {
			t.Errorf("report did not say it wrote %s:\n%s", f, w.String())
		}
	}
	md, _ := os.ReadFile(filepath.Join(out, report.ReportFile))
	for _, s := range []string{"## Learning dynamics", "Toneva", "Swayamdipta", "Pleiss", "Northcutt", "Guo", "## Suspected label errors", "## Calibration of the test set", "Reliability diagram after epoch 3"} {
		if !strings.Contains(string(md), s) {
			t.Errorf("report.md lacks %q", s)
		}
	}
	if ex := readCSVRows(t, filepath.Join(out, report.ExamplesCSVFile)); len(ex) != 1+40+20 || ex[0][0] != "set" {
		t.Errorf("examples.csv has %d rows, want a header and 60", len(ex))
	}
	cal := readCSVRows(t, filepath.Join(out, report.CalibrationCSVFile))
	if len(cal) != 4 || cal[3][0] != "3" {
		t.Errorf("calibration.csv = %v, want a header and epochs 1-3", cal)
	}
	for _, r := range cal[1:] {
		if v, err := strconv.ParseFloat(r[2], 64); err != nil || v < 0 || v > 1 {
			t.Errorf("ECE %q is not in [0, 1]", r[2])
		}
	}
	readCSVRows(t, filepath.Join(out, report.LabelIssuesCSVFile))
}

// TestReportBadDynamics: a run without dynamics (an older version), with a
// truncated file, or with another run's, gets one clear line, and the rest
// of the report is still written.
func TestReportBadDynamics(t *testing.T) {
	dir := writeData(t, 20, 10)
	out := filepath.Join(t.TempDir(), "run")
	if err := Run(trainArgs(dir, out, "--epochs", "1")); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "other")
	if err := Run(trainArgs(writeData(t, 30, 10), other, "--epochs", "1")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(out, dynamics.File)
	good, _ := os.ReadFile(path)
	foreign, _ := os.ReadFile(filepath.Join(other, dynamics.File))
	for _, tc := range []struct {
		name string
		file []byte // nil: no file
		want string
	}{
		{"missing", nil, "has no dynamics.safetensors"},
		{"truncated", good[:len(good)/2], "dynamics"},
		{"another run's", foreign, "does not fit the data set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.Remove(path)
			if tc.file != nil {
				os.WriteFile(path, tc.file, 0o644)
			}
			os.Remove(filepath.Join(out, report.ExamplesCSVFile))
			var w, warn bytes.Buffer
			if err := runReport(ReportOptions{Dir: out}, &w, &warn); err != nil {
				t.Fatalf("report = %v, want the rest written", err)
			}
			if n := strings.Count(warn.String(), "\n"); n != 1 || !strings.Contains(warn.String(), tc.want) {
				t.Errorf("warning %q, want one line containing %q", warn.String(), tc.want)
			}
			md, err := os.ReadFile(filepath.Join(out, report.ReportFile))
			if err != nil || !strings.Contains(string(md), "## Per-class figures") || !strings.Contains(string(md), "## Calibration of the test set") {
				t.Errorf("report.md without dynamics: %v\n%s", err, md)
			}
			if _, err := os.Stat(filepath.Join(out, report.ExamplesCSVFile)); err == nil {
				t.Error("examples.csv written without dynamics")
			}
		})
	}
	var w bytes.Buffer
	if err := runReport(ReportOptions{Dir: t.TempDir()}, &w, &w); err == nil || !strings.Contains(err.Error(), "not a run folder") {
		t.Errorf("report of an empty folder = %v", err)
	}
}

// TestEvalPredictions: --predictions writes one row per test image whose
// probabilities add up to 1 and whose prediction is the likeliest class.
func TestEvalPredictions(t *testing.T) {
	dir := writeData(t, 4, 20)
	path, _ := savedRun(t)
	csvPath := filepath.Join(t.TempDir(), "pred.csv")
	var b bytes.Buffer
	if err := cmdEval([]string{"--load", path, "--data", dir, "--predictions", csvPath}, env{stdout: &b}); err != nil {
		t.Fatal(err)
	}
	rows := readCSVRows(t, csvPath)
	if len(rows) != 21 || len(rows[0]) != 3+10+1 || rows[0][3] != "p_0" || rows[0][13] != "loss" {
		t.Fatalf("predictions: %d rows, header %v", len(rows), rows[0])
	}
	for _, r := range rows[1:] {
		sum, best, arg := 0.0, -1.0, ""
		for c := 0; c < 10; c++ {
			p, _ := strconv.ParseFloat(r[3+c], 64)
			sum += p
			if p > best {
				best, arg = p, strconv.Itoa(c)
			}
		}
		if sum < 0.999 || sum > 1.001 || r[2] != arg {
			t.Errorf("row %v: probabilities sum to %v, prediction %s, likeliest %s", r[:3], sum, r[2], arg)
		}
	}
}
