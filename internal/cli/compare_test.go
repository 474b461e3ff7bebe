package cli

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"convscope/internal/report"
	"convscope/internal/run"
	"convscope/nn"
)

// writeRun makes a run folder named name under dir with a metrics.jsonl of
// the given epochs, and returns it.
func writeRun(t *testing.T, dir, name string, epochs []nn.EpochStats) string {
	t.Helper()
	folder := filepath.Join(dir, name)
	if err := os.MkdirAll(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for _, e := range epochs {
		j, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(append(j, '\n'))
	}
	if err := os.WriteFile(filepath.Join(folder, run.MetricsFile), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return folder
}

// fakeEpochs returns n epochs whose accuracy climbs from base.
func fakeEpochs(n int, base float64) []nn.EpochStats {
	out := make([]nn.EpochStats, n)
	for i := range out {
		out[i] = nn.EpochStats{Epoch: i + 1, TrainLoss: 0.5 / float64(i+1), TrainAcc: base + 0.01*float64(i),
			TestLoss: 0.4 / float64(i+1), TestAcc: base + 0.005*float64(i), LR: 1e-3}
	}
	return out
}

func TestCompare(t *testing.T) {
	dir := t.TempDir()
	a := writeRun(t, dir, "adam", fakeEpochs(4, 0.97))
	b := writeRun(t, dir, "cosine", fakeEpochs(3, 0.98))
	var out bytes.Buffer
	if err := compareMain([]string{a, "--width", "40", b, "--height", "6"}, &out, false); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{
		"adam (" + filepath.Join(a, run.MetricsFile) + "): 4 epochs, final test acc 98.50% loss 0.1000, best 98.50% at epoch 4",
		"cosine (", "epoch", "adam acc", "adam loss", "cosine acc", "cosine loss",
		"97.00%", "0.4000", "98.00%", "99.00%",
		"test accuracy (%) by epoch", "test loss by epoch", "── adam", "•• cosine",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	// Epoch 4 exists only for adam: the other run's cells are dashes.
	var row4 string
	for _, l := range strings.Split(s, "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == "4" {
			row4 = l
		}
	}
	if f := strings.Fields(row4); len(f) != 5 || f[3] != "-" || f[4] != "-" {
		t.Errorf("epoch 4 row = %q, want adam's figures and two dashes", row4)
	}
	if strings.Contains(s, "\x1b[") {
		t.Errorf("plain output holds escape codes")
	}

	out.Reset()
	if err := compareMain([]string{"--color", "always", a, b}, &out, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "\x1b[") {
		t.Errorf("--color always gave no colours")
	}
}

func TestCompareNames(t *testing.T) {
	d1, d2 := t.TempDir(), t.TempDir()
	a := writeRun(t, d1, "seed-1", fakeEpochs(2, 0.9))
	b := writeRun(t, d2, "seed-1", fakeEpochs(2, 0.9))
	c := writeRun(t, d2, "other", fakeEpochs(2, 0.9))
	runs, err := loadRuns([]string{a, b, filepath.Join(c, run.MetricsFile)})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{a, b, "other"} {
		if runs[i].Name != want {
			t.Errorf("run %d named %q, want %q", i, runs[i].Name, want)
		}
	}
}

func TestCompareErrors(t *testing.T) {
	dir := t.TempDir()
	good := writeRun(t, dir, "good", fakeEpochs(2, 0.9))
	empty := writeRun(t, dir, "empty", nil)
	bad := writeRun(t, dir, "bad", fakeEpochs(2, 0.9))
	f, err := os.OpenFile(filepath.Join(bad, run.MetricsFile), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("{oops\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"no runs", nil, []string{"at least one run folder"}},
		{"missing folder", []string{good, filepath.Join(dir, "nope")}, []string{filepath.Join(dir, "nope"), "not a run folder", "metrics.jsonl"}},
		{"malformed line", []string{good, bad}, []string{filepath.Join(bad, run.MetricsFile), "line 3"}},
		{"no epochs", []string{empty}, []string{"no epochs yet"}},
		{"bad width", []string{"--width", "3", good}, []string{"width"}},
		{"bad colour", []string{"--color", "blue", good}, []string{"--color", "blue"}},
		{"unknown flag", []string{"--nope", good}, []string{"nope"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := compareMain(tt.args, &out, false)
			if err == nil {
				t.Fatalf("compare %v succeeded, want an error", tt.args)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestPlotSeriesEdges checks the charts of awkward data: one point, gaps,
// non-finite values, no finite value at all, an empty series.
func TestPlotSeriesEdges(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	o := report.ChartOptions{Width: 30, Height: 5}
	tests := []struct {
		name   string
		series [][]float64
		want   string
	}{
		{"one point", [][]float64{{0.5}}, "0.50"},
		{"flat", [][]float64{{1, 1, 1}}, "1.00"},
		{"gap and inf", [][]float64{{0.1, nan, 0.3, inf}}, "0.30"},
		{"all NaN", [][]float64{{nan, nan}, {inf}}, "no finite values"},
		{"empty and full", [][]float64{{}, {0.2, 0.4}}, "0.40"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			names := make([]string, len(tt.series))
			for i := range names {
				names[i] = "s" + string(rune('a'+i))
			}
			got := report.Curves("cap", names, tt.series, 2, o)
			if !strings.Contains(got, tt.want) || !strings.Contains(got, "cap") {
				t.Errorf("chart lacks %q:\n%s", tt.want, got)
			}
		})
	}
}
