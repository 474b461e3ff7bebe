package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCompareRuns(t *testing.T) {
	if runs, err := compareRuns(" "); err != nil || runs != nil {
		t.Errorf("compareRuns(blank) = %v, %v; want nothing", runs, err)
	}
	dir := t.TempDir()
	a := filepath.Join(dir, "a")
	if err := os.MkdirAll(a, 0o755); err != nil {
		t.Fatal(err)
	}
	line := `{"epoch":1,"train_loss":0.1,"train_acc":0.9,"test_loss":0.05,"test_acc":0.98,"seconds":1,"images_per_second":1}` + "\n"
	if err := os.WriteFile(filepath.Join(a, "metrics.jsonl"), []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	runs, err := compareRuns(a)
	if err != nil || len(runs) != 1 || runs[0].Name != "a" || len(runs[0].Epochs) != 1 || runs[0].Epochs[0].TestAcc != 0.98 {
		t.Fatalf("compareRuns(%s) = %+v, %v; want run a with one epoch at 98%%", a, runs, err)
	}
	if _, err := compareRuns(a + "," + filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "--compare") {
		t.Errorf("compareRuns with a missing folder: err = %v, want one naming --compare", err)
	}
}
