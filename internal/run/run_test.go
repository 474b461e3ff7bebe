package run

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"convscope/internal/checkpoint"
	"convscope/internal/dynamics"
	"convscope/mnist"
	"convscope/nn"
)

// synthSet returns n 28x28 images whose label sets a bright bar's row.
func synthSet(n int, seed uint64) *mnist.Set {
	rng := rand.New(rand.NewPCG(seed, 1))
	s := &mnist.Set{Images: make([]uint8, n*784), Labels: make([]uint8, n), N: n, Rows: 28, Cols: 28,
		Classes: []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}}
	for i := range n {
		l := uint8(rng.IntN(10))
		s.Labels[i] = l
		img := s.Images[i*784 : (i+1)*784]
		for j := range img {
			img[j] = uint8(rng.IntN(64))
		}
		for c := 4; c < 24; c++ {
			img[(2+2*int(l))*28+c] = 255
		}
	}
	return s
}

func testData() nn.Data { return nn.Data{Train: synthSet(64, 1), Test: synthSet(32, 2)} }

func testTrainer(t *testing.T, epochs int) *nn.Trainer {
	t.Helper()
	cfg := nn.DefaultConfig()
	cfg.Epochs, cfg.Batch, cfg.Seed, cfg.Schedule = epochs, 32, 3, nn.ScheduleConstant
	net, err := nn.NewPaper(28, 28, 10, nn.InitRNG(cfg.Seed))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := nn.NewTrainer(net, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// checkpointSize is the size of one trainer checkpoint of the test network,
// before any step (no optimizer state) or after some.
func checkpointSize(t *testing.T, trained bool) int64 {
	t.Helper()
	p := filepath.Join(t.TempDir(), "x.safetensors")
	tr := testTrainer(t, 1)
	if trained {
		tr.Step(testData().Train, 0, 32)
	}
	if err := checkpoint.Save(p, tr); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestSaveFailureStops is the error policy: when the disk fills while
// epoch 2 is saved, the run stops at once (no epoch 3), with an error that
// names the epoch that is in no checkpoint; last.safetensors still holds
// epoch 1, whole, and no temporary file is left behind.
func TestSaveFailureStops(t *testing.T) {
	start, size := checkpointSize(t, false), checkpointSize(t, true)
	dir := filepath.Join(t.TempDir(), "run")
	f, err := CreateNew(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// The start's last, epoch 1's last and best, two metrics lines, and
	// half of epoch 2's last.
	limit := NewDiskLimit(start + 2*size + size/2)
	var epochs []int
	r, err := Start(Options{Trainer: testTrainer(t, 4), Data: testData(), Folder: f, Wrap: limit.Wrap, NoDynamics: true,
		OnEvent: func(e Event) {
			if e.Kind == nn.EpochDone {
				epochs = append(epochs, e.Stats.Epoch)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	err = r.Train(context.Background())
	var se *SaveError
	if !errors.As(err, &se) {
		t.Fatalf("Train = %v, want a SaveError", err)
	}
	if !errors.Is(err, syscall.ENOSPC) || se.Epoch != 2 || se.Saved != 1 {
		t.Errorf("error = %+v, want epoch 2 failing with ENOSPC after epoch 1 saved", se)
	}
	for _, want := range []string{"saving epoch 2 failed", "no space left", "last.safetensors holds epoch 1", "epoch 2 is in no checkpoint", "--resume"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if len(epochs) != 2 || r.State() != Failed {
		t.Errorf("epochs reported %v, state %v: want the run to stop after epoch 2, failed", epochs, r.State())
	}
	ck, err := checkpoint.Load(filepath.Join(dir, checkpoint.LastFile))
	if err != nil {
		t.Fatalf("last.safetensors after the failure: %v", err)
	}
	if ck.Epoch != 1 {
		t.Errorf("last.safetensors holds epoch %d, want 1", ck.Epoch)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), "tmp") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
	hist, err := ReadMetrics(filepath.Join(dir, MetricsFile))
	if err != nil || len(hist) != 2 {
		t.Errorf("metrics.jsonl: %d epochs, %v; want epochs 1 and 2 (each line whole)", len(hist), err)
	}
}

// TestMetricsFailureStops: a metrics line that cannot be written stops the
// run too, leaves no half line, and the epoch's checkpoint is still written.
func TestMetricsFailureStops(t *testing.T) {
	size := checkpointSize(t, false)
	dir := filepath.Join(t.TempDir(), "run")
	f, err := CreateNew(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// The start's checkpoint and a few bytes: epoch 1's metrics line fails.
	limit := NewDiskLimit(size + 10)
	r, err := Start(Options{Trainer: testTrainer(t, 3), Data: testData(), Folder: f, Wrap: limit.Wrap, NoDynamics: true})
	if err != nil {
		t.Fatal(err)
	}
	err = r.Train(context.Background())
	var se *SaveError
	if !errors.As(err, &se) || se.What != "checkpoint" && se.What != "metrics" {
		t.Fatalf("Train = %v, want a SaveError", err)
	}
	if !strings.Contains(err.Error(), "epoch 1") {
		t.Errorf("error %q does not name epoch 1", err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, MetricsFile))
	if len(b) != 0 {
		t.Errorf("metrics.jsonl holds %q, want nothing (no half line)", b)
	}
	if r.Trainer().Epoch != 1 {
		t.Errorf("trained %d epochs, want a stop after 1", r.Trainer().Epoch)
	}
}

// TestStopSavesInterrupted: a stop mid-run keeps last.safetensors as the
// state to resume from, and Summary says how to resume.
func TestStopSavesInterrupted(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	f, err := CreateNew(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithCancel(context.Background())
	r, err := Start(Options{Trainer: testTrainer(t, 3), Data: testData(), Folder: f,
		OnEvent: func(e Event) {
			if e.Kind == nn.EpochDone && e.Stats.Epoch == 1 {
				cancel()
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Train(ctx); err != nil {
		t.Fatalf("Train after a stop = %v, want nil", err)
	}
	var b bytes.Buffer
	r.Summary(&b)
	if r.State() != Stopped || !strings.Contains(b.String(), "stopped after epoch 1 of 3") ||
		!strings.Contains(b.String(), "resume with: convscope train --resume "+filepath.Join(dir, checkpoint.LastFile)) {
		t.Errorf("state %v, summary %q", r.State(), b.String())
	}
}

// TestNaNNamesLastGood: a training failure names the last good checkpoint.
func TestNaNNamesLastGood(t *testing.T) {
	f, err := CreateNew(filepath.Join(t.TempDir(), "run"), false)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := testTrainer(t, 2)
	tr.Cfg.LR = 1e38
	r, err := Start(Options{Trainer: tr, Data: testData(), Folder: f})
	if err != nil {
		t.Fatal(err)
	}
	err = r.Train(context.Background())
	if err == nil || !strings.Contains(err.Error(), "the last good checkpoint is") || r.State() != Failed {
		t.Errorf("Train = %v (state %v), want a failure naming the last good checkpoint", err, r.State())
	}
}

// TestDynamicsRecorded: a run records every image's dynamics after each
// epoch; a resume from an earlier checkpoint cuts them back to it and goes
// on; a failed write of them stops the run like a checkpoint's.
func TestDynamicsRecorded(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	f, err := CreateNew(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	data := testData()
	r, err := Start(Options{Trainer: testTrainer(t, 2), Data: data, Folder: f})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.Close()
	d, err := dynamics.Read(filepath.Join(dir, dynamics.File))
	if err != nil || d.Epochs != 2 || d.TrainN() != 64 || d.TestN() != 32 {
		t.Fatalf("dynamics after 2 epochs: %v, %+v", err, d)
	}
	// Every training image was seen once per epoch.
	for i, p := range d.TrainP {
		if p != p {
			t.Fatalf("training value %d is NaN: an image went unrecorded", i)
		}
	}
	// Resume from a copy of epoch 1 into the same folder: the file is cut
	// back to 1 epoch, then grows to 3.
	ck := filepath.Join(dir, "epoch1.safetensors")
	tr := testTrainer(t, 1)
	if err := checkpoint.Save(ck, tr); err != nil {
		t.Fatal(err)
	}
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
	r2, err := Start(Options{Trainer: resumed, Data: data, Folder: f2, From: filepath.Join(f1.Path, checkpoint.LastFile)})
	if err != nil {
		t.Fatal(err)
	}
	if got := r2.Dynamics(); got == nil || got.Epochs != 1 {
		t.Fatalf("resumed at epoch 1: dynamics %+v, want 1 epoch kept", got)
	}
	if err := r2.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d, err := dynamics.Read(filepath.Join(dir, dynamics.File)); err != nil || d.Epochs != 3 {
		t.Errorf("after the resume: %v, %d epochs; want 3", err, d.Epochs)
	}
}
