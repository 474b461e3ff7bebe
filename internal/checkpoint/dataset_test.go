package checkpoint

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestDatasetSurvives checks that the data set's folder, fingerprint and
// class names survive a save and a load, in trainer files and in the model
// file of a stop mid-epoch, and that control characters in a name never
// come back out.
func TestDatasetSurvives(t *testing.T) {
	d := synthData(40, 20)
	names := []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle\x1b]0;pwned\x07 boot"}
	d.Train.Classes, d.Test.Classes = names, names
	tr := newTrainer(t, testConfig(1))
	dir := t.TempDir()
	ds := DatasetOf("some/folder", d)
	if !filepath.IsAbs(ds.Dir) || !strings.HasSuffix(ds.Dir, filepath.Join("some", "folder")) {
		t.Errorf("Dir = %q, want an absolute path ending in some/folder", ds.Dir)
	}
	k := NewKeeper(dir, tr)
	k.Dataset = ds
	if err := k.Start(tr); err != nil {
		t.Fatal(err)
	}
	tr.Step(d.Train, 0, 8) // one batch: the stop below is mid-epoch
	ipath, err := k.Interrupted(tr)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{k.Path(LastFile), ipath} {
		ck, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		got := ck.Dataset
		if got == nil {
			t.Fatalf("%s: no dataset", p)
		}
		if err := ds.Same(got); err != nil {
			t.Errorf("%s: fingerprint changed: %v", p, err)
		}
		if got.Dir != ds.Dir || len(got.Classes) != 10 || got.Classes[0] != "T-shirt/top" || got.Classes[8] != "Bag" {
			t.Errorf("%s: dataset = %+v", p, got)
		}
		if c := got.Classes[9]; strings.ContainsAny(c, "\x1b\x07") || !strings.HasPrefix(c, "Ankle") {
			t.Errorf("%s: class 9 = %q, want it without control characters", p, c)
		}
	}

	// Another data set of the same size is told apart by its labels.
	other := synthData(40, 20)
	other.Train.Labels[3] = (other.Train.Labels[3] + 1) % 10
	if err := ds.Same(DatasetOf("some/folder", other)); err == nil || !strings.Contains(err.Error(), "labels differ") {
		t.Errorf("Same of another label sequence = %v", err)
	}
	if err := ds.Same(DatasetOf("", synthData(41, 20))); err == nil || !strings.Contains(err.Error(), "41") {
		t.Errorf("Same of another count = %v", err)
	}
}
