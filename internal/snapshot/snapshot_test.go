package snapshot

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"convscope/internal/checkpoint"
	"convscope/nn"
)

func trainer(t *testing.T) *nn.Trainer {
	t.Helper()
	net, err := nn.NewPaper(28, 28, 10, nn.InitRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	cfg := nn.DefaultConfig()
	cfg.Epochs = 3
	tr, err := nn.NewTrainer(net, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestRoundTrip: snapshots saved out of order are listed in training
// order with their epoch, batch and accuracy, and load back as the network
// that was saved (weights and batch-norm statistics).
func TestRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), Dir)
	tr := trainer(t)
	bn := tr.Net.Layers[1].(*nn.BatchNorm2D)
	bn.RunningMean[3], bn.Updates = 0.25, 7
	tr.Net.Layers[0].Params()[0].W[5] = 0.125
	infos := []Info{
		{Epoch: 2, End: true, Batch: 937, Batches: 938, Step: 1876, TestAcc: 0.99, HasAcc: true},
		{Epoch: 1, Batch: 10, Batches: 938, Step: 11},
		{Epoch: 0, Batch: Init},
		{Epoch: 1, End: true, Batch: 937, Batches: 938, Step: 938, TestAcc: 0.98, HasAcc: true},
		{Epoch: 1, Batch: 300, Batches: 938, Step: 301},
		{Epoch: 1, Batch: 0, Batches: 938, Step: 1},
	}
	ds := &checkpoint.Dataset{Dir: "/data/fashion", Train: 60000, Test: 10000, Rows: 28, Cols: 28, Labels: "ab",
		Classes: []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}}
	for _, in := range infos {
		tr.Epoch = in.Epoch
		if !in.End && in.Epoch > 0 {
			tr.Epoch = in.Epoch - 1
		}
		tr.History = nil
		for e := 1; e <= tr.Epoch; e++ {
			tr.History = append(tr.History, nn.EpochStats{Epoch: e, TestAcc: 0.97 + 0.01*float64(e)})
		}
		if _, err := Save(dir, tr, in, ds, nil); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644)
	list, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range list {
		names = append(names, filepath.Base(s.Path))
		t.Logf("%s: %d bytes", filepath.Base(s.Path), s.Size)
		if s.Size <= 0 {
			t.Errorf("%s: size %d", s.Path, s.Size)
		}
	}
	want := []string{"e000-init.safetensors", "e001-b00000.safetensors", "e001-b00010.safetensors", "e001-b00300.safetensors", "e001-end.safetensors", "e002-end.safetensors"}
	if !slices.Equal(names, want) {
		t.Fatalf("List = %v, want %v", names, want)
	}
	sorted := slices.Clone(names)
	slices.Sort(sorted)
	if !slices.Equal(sorted, names) {
		t.Errorf("names do not sort in training order: %v", names)
	}
	if s := list[4]; !s.End || s.Epoch != 1 || !s.HasAcc || s.TestAcc != 0.98 || s.Label() != "end of epoch 1 (98.00%)" {
		t.Errorf("e001-end: %+v (%s)", s.Info, s.Label())
	}
	if s := list[2]; s.Batch != 10 || s.Step != 11 || s.HasAcc || s.Label() != "epoch 1, batch 10" {
		t.Errorf("e001-b00010: %+v", s.Info)
	}
	net, info, err := Load(list[2].Path)
	if err != nil {
		t.Fatal(err)
	}
	if info != list[2].Info {
		t.Errorf("Load info %+v, List %+v", info, list[2].Info)
	}
	lb := net.Layers[1].(*nn.BatchNorm2D)
	if lb.RunningMean[3] != 0.25 || lb.Updates != 7 || net.Layers[0].Params()[0].W[5] != 0.125 {
		t.Errorf("loaded running mean %v, updates %d, weight %v", lb.RunningMean[3], lb.Updates, net.Layers[0].Params()[0].W[5])
	}
	// A snapshot is a model file other commands read: within an epoch it
	// says so, and it holds its run's history.
	c, err := checkpoint.Load(list[2].Path)
	if err != nil || c.Kind != checkpoint.KindModel || c.MidEpoch != 1 || c.Epoch != 0 {
		t.Errorf("checkpoint.Load: %v, kind %q, mid-epoch %d, epoch %d", err, c.Kind, c.MidEpoch, c.Epoch)
	}
	if c, err := checkpoint.Load(list[5].Path); err != nil || c.Epoch != 2 || len(c.History) != 2 || c.MidEpoch != 0 ||
		c.Dataset == nil || c.Dataset.Dir != ds.Dir || c.Dataset.Classes[9] != "j" {
		t.Errorf("e002-end: %v", err)
	}
	// A resume from epoch 1 moves epoch 2's aside, and a stale temp file goes.
	os.WriteFile(filepath.Join(dir, ".e001-b00100.safetensors.123.tmp"), []byte("x"), 0o644)
	moved, to, err := Prepare(dir, 1)
	if err != nil || moved != 1 || filepath.Base(to) != "replaced-1" {
		t.Fatalf("Prepare(1) = %d, %q, %v", moved, to, err)
	}
	if _, err := os.Stat(filepath.Join(to, "e002-end.safetensors")); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".e001-b00100.safetensors.123.tmp")); !os.IsNotExist(err) {
		t.Errorf("stale temporary file: %v", err)
	}
	if list, _ := List(dir); len(list) != 5 {
		t.Errorf("after Prepare: %d snapshots, want 5", len(list))
	}
	moved, to, err = Prepare(dir, 0)
	if err != nil || moved != 4 || filepath.Base(to) != "replaced-2" {
		t.Errorf("Prepare(0) = %d, %q, %v", moved, to, err)
	}
	if list, err := List(filepath.Join(t.TempDir(), "none")); err != nil || list != nil {
		t.Errorf("List of a missing folder = %v, %v", list, err)
	}
}

// TestLister: a Lister lists a folder that grows as List does: nothing
// before it exists, each snapshot once it is saved; an old folder's list
// is kept between calls and handed out as a copy.
func TestLister(t *testing.T) {
	dir := filepath.Join(t.TempDir(), Dir)
	l := &Lister{Dir: dir}
	if got, err := l.List(); err != nil || len(got) != 0 {
		t.Fatalf("before the folder exists: %v, %v", got, err)
	}
	tr := trainer(t)
	for i, in := range []Info{{Epoch: 0, Batch: Init}, {Epoch: 1, Batch: 0, Step: 1}} {
		if _, err := Save(dir, tr, in, nil, nil); err != nil {
			t.Fatal(err)
		}
		got, err := l.List()
		want, _ := List(dir)
		if err != nil || len(got) != i+1 || !slices.Equal(got, want) {
			t.Fatalf("after saving %s: %v (%v), want %v", in.Name(), got, err, want)
		}
	}
	// An unchanged old folder is not read again: its cached list stands
	// even when a file's header is spoiled behind the Lister's back.
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(dir, old, old); err != nil {
		t.Fatal(err)
	}
	first, _ := l.List()
	first[0].Path = "changed by the caller"
	os.WriteFile(filepath.Join(dir, Info{Epoch: 1, Batch: 0}.Name()), []byte("spoiled"), 0o644)
	os.Chtimes(dir, old, old)
	got, err := l.List()
	if err != nil || len(got) != 2 || got[0].Path == "changed by the caller" {
		t.Errorf("an unchanged folder: %v, %v; want the cached two, unchanged by the caller", got, err)
	}
	if _, err := List(dir); err == nil {
		t.Error("List of the spoiled folder succeeded: the test proves nothing")
	}
}
