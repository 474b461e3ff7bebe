package checkpoint

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"convscope/nn"
)

// finishEpoch pretends t finished an epoch with the given test accuracy.
func finishEpoch(t *nn.Trainer, acc float64) {
	t.Epoch++
	t.History = append(t.History, nn.EpochStats{Epoch: t.Epoch, TestAcc: acc, LR: t.Cfg.LR})
}

// loadEpoch returns the "epoch" metadata of the checkpoint at path, reading
// its header only.
func loadEpoch(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var n uint64
	if err := binary.Read(f, binary.LittleEndian, &n); err != nil {
		t.Fatal(err)
	}
	var h struct {
		Meta map[string]string `json:"__metadata__"`
	}
	if err := json.NewDecoder(io.LimitReader(f, int64(n))).Decode(&h); err != nil {
		t.Fatal(err)
	}
	e, err := strconv.Atoi(h.Meta["epoch"])
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestKeeperBest(t *testing.T) {
	tr, _ := trained(t, "adam", 1)
	tr.Epoch, tr.History = 0, nil
	tr.Cfg.Epochs = 6
	k := NewKeeper(t.TempDir(), tr)
	if err := k.Start(tr); err != nil {
		t.Fatal(err)
	}
	if e := loadEpoch(t, k.Path(LastFile)); e != 0 {
		t.Errorf("after Start, last is at epoch %d, want 0", e)
	}
	for i, step := range []struct {
		acc      float64
		best     bool
		bestFrom int // epoch in best.safetensors afterwards
	}{{0.5, true, 1}, {0.7, true, 2}, {0.6, false, 2}, {0.7, false, 2}} {
		finishEpoch(tr, step.acc)
		best, err := k.Epoch(tr)
		if err != nil {
			t.Fatal(err)
		}
		if best != step.best {
			t.Errorf("epoch %d (acc %v): best = %v, want %v", i+1, step.acc, best, step.best)
		}
		if e := loadEpoch(t, k.Path(LastFile)); e != i+1 {
			t.Errorf("epoch %d: last is at epoch %d", i+1, e)
		}
		if e := loadEpoch(t, k.Path(BestFile)); e != step.bestFrom {
			t.Errorf("epoch %d: best is at epoch %d, want %d", i+1, e, step.bestFrom)
		}
	}

	// A keeper for a resumed run knows the best accuracy so far.
	k2 := NewKeeper(k.Dir, tr)
	finishEpoch(tr, 0.65)
	if best, err := k2.Epoch(tr); err != nil || best {
		t.Errorf("resumed keeper: Epoch = %v, %v; want no new best", best, err)
	}
}

func TestKeeperInterrupted(t *testing.T) {
	tr, d := trained(t, "adam", 1)
	k := NewKeeper(t.TempDir(), tr)
	if err := k.Start(tr); err != nil {
		t.Fatal(err)
	}
	path, err := k.Interrupted(tr)
	if err != nil || path != k.Path(LastFile) {
		t.Errorf("Interrupted at an epoch boundary = %q, %v; want %q", path, err, k.Path(LastFile))
	}
	if _, err := os.Stat(k.Path(InterruptedFile)); err == nil {
		t.Error("Interrupted at an epoch boundary wrote a file")
	}
	last, err := os.ReadFile(k.Path(LastFile))
	if err != nil {
		t.Fatal(err)
	}

	tr.Step(d.Train, 0, 4) // mid-epoch: weights moved
	path, err = k.Interrupted(tr)
	if err != nil || path != k.Path(InterruptedFile) {
		t.Fatalf("Interrupted mid-epoch = %q, %v; want %q", path, err, k.Path(InterruptedFile))
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Kind != KindModel || c.MidEpoch != 2 || !c.HasRun || c.Epoch != 1 || len(c.History) != 1 {
		t.Errorf("interrupted file: kind %q mid-epoch %d has-run %v epoch %d history %d; want model 2 true 1 1",
			c.Kind, c.MidEpoch, c.HasRun, c.Epoch, len(c.History))
	}
	checkSameNet(t, c.Net, tr.Net)
	if _, err := c.Trainer(); err == nil || !strings.Contains(err.Error(), "during epoch 2") {
		t.Errorf("Trainer() on an interrupted file = %v, want an error naming epoch 2", err)
	}
	if now, err := os.ReadFile(k.Path(LastFile)); err != nil || !bytes.Equal(now, last) {
		t.Errorf("Interrupted changed %s (%v)", LastFile, err)
	}
}

// TestKeeperRefusesNaN checks that a diverged network never replaces the
// last good checkpoint.
func TestKeeperRefusesNaN(t *testing.T) {
	tr, d := trained(t, "adam", 1)
	k := NewKeeper(t.TempDir(), tr)
	if err := k.Start(tr); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(k.Path(LastFile))
	if err != nil {
		t.Fatal(err)
	}
	tr.Step(d.Train, 0, 4)
	tr.Net.Params()[4].W[3] = float32(math.NaN())
	finishEpoch(tr, 0.9)
	if _, err := k.Epoch(tr); err == nil || !strings.Contains(err.Error(), "NaN") {
		t.Errorf("Epoch with a NaN weight = %v, want a NaN error", err)
	}
	if _, err := k.Interrupted(tr); err == nil || !strings.Contains(err.Error(), "NaN") {
		t.Errorf("Interrupted with a NaN weight = %v, want a NaN error", err)
	}
	if now, err := os.ReadFile(k.Path(LastFile)); err != nil || !bytes.Equal(now, good) {
		t.Errorf("the last good checkpoint changed (%v)", err)
	}
	checkOnlyFiles(t, k.Dir, LastFile)
}

// TestTrainerKeepsSettings refuses to resume with settings that would make
// the run differ from an uninterrupted one, and allows the others.
func TestTrainerKeepsSettings(t *testing.T) {
	tr, _ := trained(t, "adam", 1)
	path := t.TempDir() + "/run.safetensors"
	if err := Save(path, tr); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	saved := c.Config
	for _, tc := range []struct {
		name string
		edit func(*nn.Config)
		want string // "" for success
	}{
		{"lr", func(c *nn.Config) { c.LR = 0.1 }, "keeps its lr (0.001), got 0.1"},
		{"batch", func(c *nn.Config) { c.Batch = 8 }, "keeps its batch"},
		{"seed", func(c *nn.Config) { c.Seed = 1 }, "keeps its seed"},
		{"optimizer", func(c *nn.Config) { c.Optimizer = "sgd" }, "keeps its optimizer"},
		{"too few epochs", func(c *nn.Config) { c.Epochs = 0 }, "has done 1 epochs"},
		{"more epochs and threads", func(c *nn.Config) { c.Epochs, c.Threads, c.EvalBatch = 9, 2, 50 }, ""}, // last: it uses c.Net
	} {
		c.Config = saved
		tc.edit(&c.Config)
		_, err = c.Trainer()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: Trainer() = %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: Trainer() = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}
