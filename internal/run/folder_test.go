package run

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"convscope/nn"
)

// TestCreateNewRefusesARun: a fresh run never writes into a folder that
// holds a run, and says how to resume it or where else to go.
func TestCreateNewRefusesARun(t *testing.T) {
	for _, name := range runFiles {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := CreateNew(dir, false)
			if err == nil || !strings.Contains(err.Error(), "already holds a run ("+name+")") || !strings.Contains(err.Error(), "--resume") || !strings.Contains(err.Error(), "--out") {
				t.Errorf("CreateNew = %v", err)
			}
			if b, _ := os.ReadFile(filepath.Join(dir, name)); string(b) != "x" {
				t.Errorf("%s was changed", name)
			}
		})
	}
	// An empty folder, or one holding other files, is used.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644)
	f, err := CreateNew(dir, false)
	if err != nil {
		t.Fatalf("CreateNew of a folder without a run: %v", err)
	}
	f.Close()
	if _, err := CreateNew(filepath.Join(dir, "notes.txt"), false); err == nil || !strings.Contains(err.Error(), "is a file") {
		t.Errorf("CreateNew over a file = %v", err)
	}
}

// TestDefaultNamesUnique: two runs that start in the same second with the
// default name get two folders.
func TestDefaultNamesUnique(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runs", "20260101-120000")
	seen := map[string]bool{}
	for range 3 {
		f, err := CreateNew(path, true)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if seen[f.Path] {
			t.Fatalf("folder %s handed out twice", f.Path)
		}
		seen[f.Path] = true
	}
	for _, want := range []string{path, path + "-2", path + "-3"} {
		if !seen[want] {
			t.Errorf("no folder %s among %v", want, seen)
		}
	}
}

// TestLockNamesHolder: a second writer of a folder is refused with the
// first one's PID, and may take it once the first lets go.
func TestLockNamesHolder(t *testing.T) {
	dir := t.TempDir()
	f, err := OpenExisting(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = OpenExisting(dir)
	if err == nil || !strings.Contains(err.Error(), "in use by another convscope process (PID "+strconv.Itoa(os.Getpid())+")") {
		t.Errorf("second OpenExisting = %v, want one naming PID %d", err, os.Getpid())
	}
	if _, err := CreateNew(dir, false); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("CreateNew of a locked folder = %v", err)
	}
	f.Close()
	g, err := OpenExisting(dir)
	if err != nil {
		t.Fatalf("OpenExisting after Close: %v", err)
	}
	g.Close()
}

// TestStaleTempsRemoved: the temporary files of a crashed save are removed
// when a run takes its folder, and nothing else is.
func TestStaleTempsRemoved(t *testing.T) {
	dir := t.TempDir()
	stale := []string{".last.safetensors.123456.tmp", ".best.safetensors.9.tmp", ".metrics.jsonl.tmp42", ".report.md.tmp7", ".interrupted.safetensors.77.tmp"}
	keep := []string{"last.safetensors.123.tmp", ".mine.txt.tmp1", ".last.safetensors.tmp", "notes.tmp", ".bashrc", "data.123.tmp"}
	for _, n := range append(append([]string{}, stale...), keep...) {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Mkdir(filepath.Join(dir, ".best.safetensors.5.tmp"), 0o755) // not a regular file: kept
	f, err := OpenExisting(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, n := range stale {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			t.Errorf("stale %s was kept", n)
		}
	}
	for _, n := range append(keep, ".best.safetensors.5.tmp") {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("%s was removed: %v", n, err)
		}
	}
}

// TestReadMetrics reads well-formed and broken metrics files.
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
		{"huge epoch", line(1, 0.9) + "\n" + line(100000000, 0.9), nil, nil, []string{"line 2", "epoch 100000000, want at most 2"}},
		{"epoch past int", `{"epoch":999999999999}`, nil, nil, []string{"line 1", "want at most 1"}},
		{"gap", line(1, 0.9) + "\n" + line(3, 0.9), nil, nil, []string{"line 2", "epoch 3, want at most 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), MetricsFile)
			if err := os.WriteFile(p, []byte(tt.text), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := ReadMetrics(p)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("ReadMetrics = %v, want an error", got)
				}
				for _, w := range append(tt.wantErr, p) {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.wantEpoch) {
				t.Fatalf("got %d epochs, want %d", len(got), len(tt.wantEpoch))
			}
			for i := range got {
				if got[i].Epoch != tt.wantEpoch[i] || got[i].TestAcc != tt.wantAcc[i] {
					t.Errorf("entry %d = epoch %d acc %v, want %d %v", i, got[i].Epoch, got[i].TestAcc, tt.wantEpoch[i], tt.wantAcc[i])
				}
			}
		})
	}
}

// TestReadMetricsRoundTrip checks that what a run appends reads back.
func TestReadMetricsRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), MetricsFile)
	var want []nn.EpochStats
	for i := range 3 {
		e := nn.EpochStats{Epoch: i + 1, TrainLoss: 0.5 / float64(i+1), TestAcc: 0.9 + 0.01*float64(i), LR: 1e-3}
		want = append(want, e)
		if err := appendMetrics(p, e, nil); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ReadMetrics(p)
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
