package run

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"convscope/internal/checkpoint"
	"convscope/internal/health"
	"convscope/internal/snapshot"
)

func snapNames(t *testing.T, dir string) []string {
	t.Helper()
	list, err := snapshot.List(filepath.Join(dir, snapshot.Dir))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range list {
		names = append(names, strings.TrimSuffix(filepath.Base(s.Path), ".safetensors"))
	}
	return names
}

// TestWatchRecorded: a small run writes its snapshots (the initial weights,
// the early batches its epoch 1 has, the end of every epoch, with test
// accuracy) and a health sample per due batch; a resume from an earlier
// checkpoint moves the later snapshots aside, cuts health.jsonl back to it,
// and appends.
func TestWatchRecorded(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	f, err := CreateNew(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	data := testData()
	opts := Options{Trainer: testTrainer(t, 2), Data: data, Folder: f, Snapshots: true, Health: true, HealthEvery: 1}
	r, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if got, want := snapNames(t, dir), []string{"e000-init", "e001-b00000", "e001-end", "e002-end"}; !slices.Equal(got, want) {
		t.Errorf("snapshots %v, want %v", got, want)
	}
	list, _ := r.Snapshots()
	// The run's list (kept in memory) is the folder's.
	disk, err := snapshot.List(filepath.Join(dir, snapshot.Dir))
	if err != nil || !slices.Equal(list, disk) {
		t.Fatalf("Snapshots() = %v, the folder lists %v (%v)", list, disk, err)
	}
	if end := list[3]; !end.HasAcc || end.TestAcc != r.Trainer().History[1].TestAcc || end.Step != 4 || end.Batches != 2 {
		t.Errorf("e002-end: %+v, want epoch 2's test accuracy %v after 4 steps", end.Info, r.Trainer().History[1].TestAcc)
	}
	if net, info, err := snapshot.Load(list[1].Path); err != nil || info.Step != 1 || net.NumParams() != r.Trainer().Net.NumParams() {
		t.Errorf("Load e001-b00000: %v, %+v", err, info)
	}
	samples, err := health.Read(filepath.Join(dir, health.File))
	if err != nil || len(samples) != 4 || len(r.Health()) != 4 {
		t.Fatalf("health.jsonl: %d samples, %v; Health() %d; want 4 (2 batches x 2 epochs)", len(samples), err, len(r.Health()))
	}
	if fi, err := os.Stat(filepath.Join(dir, health.File)); err == nil {
		t.Logf("health.jsonl: %d bytes for %d samples", fi.Size(), len(samples))
	}
	s := samples[3]
	if s.Epoch != 2 || s.Batch != 1 || !s.EpochEnd || s.Step != 4 || len(s.Layers) != len(r.Trainer().Net.Layers) {
		t.Errorf("last sample %+v", s)
	}
	for _, l := range s.Layers {
		if l.Params > 0 && (!l.HasUpdate || !(l.UpdateRatio > 0) || l.WeightHist == nil) {
			t.Errorf("%s: update %v ratio %v", l.Name, l.HasUpdate, l.UpdateRatio)
		}
		if l.ActHist.Total() != s.Images*r.Trainer().Net.Layers[l.Index].Out().Size() {
			t.Errorf("%s: histogram of %d values", l.Name, l.ActHist.Total())
		}
	}

	// Resume from epoch 1 (another run's checkpoint of the same settings).
	one := testTrainer(t, 1)
	f1, _ := CreateNew(filepath.Join(t.TempDir(), "one"), false)
	r1, _ := Start(Options{Trainer: one, Data: data, Folder: f1})
	if err := r1.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	f1.Close()
	c, err := checkpoint.Load(filepath.Join(f1.Path, checkpoint.LastFile))
	if err != nil {
		t.Fatal(err)
	}
	c.Config.Epochs = 3
	resumed, err := c.Trainer()
	if err != nil {
		t.Fatal(err)
	}
	f2, err := OpenExisting(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f2.Close()
	r2, err := Start(Options{Trainer: resumed, Data: data, Folder: f2, From: filepath.Join(f1.Path, checkpoint.LastFile),
		Snapshots: true, Health: true, HealthEvery: 1})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(r2.Health()); n != 2 {
		t.Errorf("resumed at epoch 1: %d health samples kept, want 2", n)
	}
	if notes := strings.Join(r2.Notes(), "\n"); !strings.Contains(notes, "moved 1 snapshots taken after epoch 1") {
		t.Errorf("notes %q do not say the later snapshot moved", notes)
	}
	if err := r2.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := snapNames(t, dir), []string{"e000-init", "e001-b00000", "e001-end", "e002-end", "e003-end"}; !slices.Equal(got, want) {
		t.Errorf("after the resume: snapshots %v, want %v", got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, snapshot.Dir, "replaced-1", "e002-end.safetensors")); err != nil {
		t.Errorf("the first run's epoch 2 snapshot: %v", err)
	}
	samples, err = health.Read(filepath.Join(dir, health.File))
	var at []int
	for _, s := range samples {
		at = append(at, s.Epoch*10+s.Batch)
	}
	if err != nil || !slices.Equal(at, []int{10, 11, 20, 21, 30, 31}) {
		t.Errorf("health after the resume: %v (epoch*10+batch), %v", at, err)
	}
	if samples[2].Step != 3 {
		t.Errorf("the resumed run's first sample is step %d, want 3", samples[2].Step)
	}
}

// TestWatchFailureStops: a snapshot or a health line that cannot be
// written stops the run like a checkpoint, leaving no half file or line.
func TestWatchFailureStops(t *testing.T) {
	start := checkpointSize(t, false)
	p, err := snapshot.Save(t.TempDir(), testTrainer(t, 1), snapshot.Info{Epoch: 0, Batch: snapshot.Init}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(p)
	snap := fi.Size()
	for _, c := range []struct {
		name             string
		snapshots, healt bool
		budget           int64
		what, says       string
	}{
		{"snapshot", true, false, start + snap + snap/2, "snapshot", "writing a snapshot of epoch 1 to snapshots failed"},
		{"health", false, true, start + 100, "health", "writing epoch 1 to health.jsonl failed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			f, err := CreateNew(dir, false)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			limit := NewDiskLimit(c.budget)
			r, err := Start(Options{Trainer: testTrainer(t, 3), Data: testData(), Folder: f, Wrap: limit.Wrap, NoDynamics: true,
				Snapshots: c.snapshots, Health: c.healt})
			if err != nil {
				t.Fatal(err)
			}
			err = r.Train(context.Background())
			var se *SaveError
			if !errors.As(err, &se) || se.What != c.what || se.Epoch != 1 || !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("Train = %v, want a SaveError of the %s in epoch 1", err, c.what)
			}
			if !strings.Contains(err.Error(), c.says) || !strings.Contains(err.Error(), "--resume") {
				t.Errorf("error %q does not say %q", err, c.says)
			}
			if r.State() != Failed || r.Trainer().Epoch != 0 {
				t.Errorf("state %v after %d epochs, want a stop in epoch 1", r.State(), r.Trainer().Epoch)
			}
			for _, d := range []string{dir, filepath.Join(dir, snapshot.Dir)} {
				ents, _ := os.ReadDir(d)
				for _, e := range ents {
					if strings.Contains(e.Name(), "tmp") {
						t.Errorf("temporary file %s left behind", e.Name())
					}
				}
			}
			if b, err := os.ReadFile(filepath.Join(dir, health.File)); c.healt && (err != nil || len(b) != 0) {
				t.Errorf("health.jsonl holds %d bytes (%v), want none (no half line)", len(b), err)
			}
			if list, err := snapshot.List(filepath.Join(dir, snapshot.Dir)); err != nil || c.snapshots && len(list) != 1 {
				t.Errorf("snapshots %v, %v; want the initial one, whole", list, err)
			}
		})
	}
}
