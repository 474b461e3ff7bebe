package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"convscope/nn"
)

// writeRun makes a run folder named name under dir with a metrics.jsonl of
// the given epochs, and returns it.
func writeRun(t *testing.T, dir, name string, epochs []nn.EpochStats) string {
	t.Helper()
	run := filepath.Join(dir, name)
	if err := os.MkdirAll(run, 0o755); err != nil {
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
	if err := os.WriteFile(filepath.Join(run, metricsFile), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return run
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

func TestReadMetrics(t *testing.T) {
	line := func(e int, acc float64) string {
		return fmt.Sprintf(`{"epoch":%d,"train_loss":0.1,"test_acc":%v}`, e, acc)
	}
	tests := []struct {
		name      string
		text      string
		wantEpoch []int
		wantAcc   []float64
		wantErr   []string // substrings; the file's path is always checked too
	}{
		{"two epochs", line(1, 0.9) + "\n" + line(2, 0.95) + "\n", []int{1, 2}, []float64{0.9, 0.95}, nil},
		{"no final newline", line(1, 0.9) + "\n" + line(2, 0.95), []int{1, 2}, []float64{0.9, 0.95}, nil},
		{"blank lines and CRLF", "\n" + line(1, 0.9) + "\r\n\r\n" + line(2, 0.95) + "\r\n", []int{1, 2}, []float64{0.9, 0.95}, nil},
		{"empty", "", nil, nil, nil},
		{"unknown fields kept out", `{"epoch":1,"test_acc":0.5,"new_field":[1,2]}`, []int{1}, []float64{0.5}, nil},
		{"resumed run replaces epochs", line(1, 0.9) + "\n" + line(2, 0.91) + "\n" + line(3, 0.92) + "\n" + line(2, 0.97) + "\n" + line(3, 0.98) + "\n",
			[]int{1, 2, 3}, []float64{0.9, 0.97, 0.98}, nil},
		{"truncated last line", line(1, 0.9) + "\n" + `{"epoch":2,"test_a`, nil, nil, []string{"line 2", "unexpected end of JSON"}},
		{"garbage", line(1, 0.9) + "\n\nnot json\n", nil, nil, []string{"line 3", "want a JSON object"}},
		{"null", "null\n", nil, nil, []string{"line 1", "want a JSON object"}},
		{"array", "[1,2]\n", nil, nil, []string{"line 1", "want a JSON object"}},
		{"wrong type", `{"epoch":"one"}`, nil, nil, []string{"line 1", "cannot unmarshal"}},
		{"epoch 0", `{"epoch":0,"test_acc":0.5}`, nil, nil, []string{"line 1", "epoch 0, want 1 or more"}},
		{"no epoch", `{"test_acc":0.5}`, nil, nil, []string{"line 1", "epoch 0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), metricsFile)
			if err := os.WriteFile(p, []byte(tt.text), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := readMetrics(p)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("readMetrics = %+v, want an error", got)
				}
				for _, w := range append(tt.wantErr, p) {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not mention %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.wantEpoch) {
				t.Fatalf("got %d epochs %+v, want %v", len(got), got, tt.wantEpoch)
			}
			for i := range got {
				if got[i].Epoch != tt.wantEpoch[i] || got[i].TestAcc != tt.wantAcc[i] {
					t.Errorf("entry %d: epoch %d acc %v, want epoch %d acc %v", i, got[i].Epoch, got[i].TestAcc, tt.wantEpoch[i], tt.wantAcc[i])
				}
			}
		})
	}

	missing := filepath.Join(t.TempDir(), "nope", metricsFile)
	if _, err := readMetrics(missing); err == nil || !strings.Contains(err.Error(), missing) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("readMetrics(missing) = %v, want a not-exist error naming the file", err)
	}
}

// TestReadMetricsRoundTrip checks that what metricsLog writes reads back.
func TestReadMetricsRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), metricsFile)
	want := fakeEpochs(3, 0.9)
	for _, e := range want {
		if err := (metricsLog{p}).append(e); err != nil {
			t.Fatal(err)
		}
	}
	got, err := readMetrics(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("got %d epochs, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("epoch %d: read %+v, wrote %+v", i+1, got[i], want[i])
		}
	}
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
		"adam (" + filepath.Join(a, metricsFile) + "): 4 epochs, final test acc 98.50% loss 0.1000, best 98.50% at epoch 4",
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
	runs, err := loadRuns([]string{a, b, filepath.Join(c, metricsFile)})
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
	f, err := os.OpenFile(filepath.Join(bad, metricsFile), os.O_APPEND|os.O_WRONLY, 0)
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
		{"malformed line", []string{good, bad}, []string{filepath.Join(bad, metricsFile), "line 3"}},
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
	o := chartOpts{Width: 30, Height: 5}
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
			got := plotSeries("cap", names, tt.series, 2, o)
			if !strings.Contains(got, tt.want) || !strings.Contains(got, "cap") {
				t.Errorf("chart lacks %q:\n%s", tt.want, got)
			}
		})
	}
}
