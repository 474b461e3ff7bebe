package checkpoint

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"convscope/mnist"
	"convscope/nn"
)

// trained returns a trainer after a few Adam (or SGD) steps on synthetic
// images, so that weights, batch-norm statistics and optimizer state all
// differ from their initial values.
func trained(t testing.TB, optimizer nn.OptimizerKind, steps int) (*nn.Trainer, nn.Data) {
	t.Helper()
	cfg := testConfig(3)
	cfg.Optimizer = optimizer
	tr := newTrainer(t, cfg)
	d := synthData(steps*4, 4)
	for i := range steps {
		tr.Step(d.Train, i*4, 4)
	}
	tr.Epoch = 1
	tr.History = []nn.EpochStats{{Epoch: 1, TrainLoss: 2.25, TrainAcc: 0.125, TestLoss: 2.5, TestAcc: 0.0625, Seconds: 1.5, LR: cfg.LR}}
	return tr, d
}

// TestRoundTrip saves a trainer, loads it, and checks that the network, its
// predictions, the optimizer and shuffling state and the run's figures are
// the same bit for bit.
func TestRoundTrip(t *testing.T) {
	for _, opt := range []nn.OptimizerKind{"adam", "sgd"} {
		t.Run(opt.String(), func(t *testing.T) {
			t.Parallel()
			tr, d := trained(t, opt, 2)
			path := filepath.Join(t.TempDir(), "run.safetensors")
			if err := Save(path, tr); err != nil {
				t.Fatal(err)
			}
			c, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if c.Kind != KindTrainer || !c.HasRun || c.Epoch != 1 || c.MidEpoch != 0 {
				t.Errorf("Load: kind %q, has run %v, epoch %d, mid-epoch %d; want trainer, true, 1, 0", c.Kind, c.HasRun, c.Epoch, c.MidEpoch)
			}
			if c.Config != tr.Cfg {
				t.Errorf("Config = %+v, want %+v", c.Config, tr.Cfg)
			}
			if !reflect.DeepEqual(c.History, tr.History) {
				t.Errorf("History = %+v, want %+v", c.History, tr.History)
			}
			checkSameNet(t, c.Net, tr.Net)
			checkSamePredictions(t, c.Net, tr.Net, d)

			got, err := c.Trainer()
			if err != nil {
				t.Fatal(err)
			}
			gs, gstep := got.Opt.State()
			ws, wstep := tr.Opt.State()
			if gstep != wstep || len(gs) != len(ws) {
				t.Fatalf("optimizer state: step %d, %d tensors; want %d, %d", gstep, len(gs), wstep, len(ws))
			}
			for i := range ws {
				if j := sameBits(gs[i], ws[i]); j >= 0 {
					t.Errorf("optimizer tensor %d differs at index %d", i, j)
				}
			}
			grng, err := got.RNGState()
			if err != nil {
				t.Fatal(err)
			}
			wrng, err := tr.RNGState()
			if err != nil {
				t.Fatal(err)
			}
			if string(grng) != string(wrng) {
				t.Errorf("RNG state = %x, want %x", grng, wrng)
			}
			if got.Epoch != tr.Epoch {
				t.Errorf("trainer epoch = %d, want %d", got.Epoch, tr.Epoch)
			}
		})
	}
}

// checkSamePredictions fails unless both networks give bit-identical
// probabilities on the test images.
func checkSamePredictions(t *testing.T, got, want *nn.Net, d nn.Data) {
	t.Helper()
	ge := nn.Evaluate(got, d.Test, 0)
	we := nn.Evaluate(want, d.Test, 0)
	if j := sameBits(ge.Probs, we.Probs); j >= 0 {
		t.Errorf("probabilities differ at index %d: %v, want %v", j, ge.Probs[j], we.Probs[j])
	}
	if ge.Loss != we.Loss || ge.Acc != we.Acc {
		t.Errorf("Evaluate loss %v acc %v, want %v %v", ge.Loss, ge.Acc, we.Loss, we.Acc)
	}
}

// TestRoundTripModel saves a network alone, including one whose input is
// larger than 28×28 so that the flattened activation is 2×2×256 and the
// dense weight's rows are permuted.
func TestRoundTripModel(t *testing.T) {
	for _, side := range []int{28, 36} {
		net, err := nn.NewPaper(side, side, 10, nn.InitRNG(3))
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range net.Layers {
			if b, ok := l.(*nn.BatchNorm2D); ok {
				for i := range b.RunningMean {
					b.RunningMean[i] = float32(i) * 0.01
					b.RunningVar[i] = 1 + float32(i)*0.02
				}
			}
		}
		path := filepath.Join(t.TempDir(), "model.safetensors")
		if err := SaveNet(path, net, map[string]string{"note": "hello"}); err != nil {
			t.Fatal(err)
		}
		c, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if c.Kind != KindModel || c.HasRun || c.Meta["note"] != "hello" {
			t.Errorf("side %d: kind %q, has run %v, note %q; want model, false, hello", side, c.Kind, c.HasRun, c.Meta["note"])
		}
		checkSameNet(t, c.Net, net)
		set := synthSet(3, 5)
		if side != 28 {
			set = bigger(set, side)
		}
		checkSamePredictions(t, c.Net, net, nn.Data{Test: set})
		if _, err := c.Trainer(); err == nil || !strings.Contains(err.Error(), "model only") {
			t.Errorf("Trainer() on a model = %v, want a model-only error", err)
		}
	}
}

// bigger pads a set's 28×28 images to side×side, with the image at the top left.
func bigger(s *mnist.Set, side int) *mnist.Set {
	b := *s
	b.Rows, b.Cols = side, side
	b.Images = make([]uint8, s.N*side*side)
	for i := range s.N {
		for r := range s.Rows {
			copy(b.Images[(i*side+r)*side:], s.Images[(i*s.Rows+r)*s.Cols:(i*s.Rows+r+1)*s.Cols])
		}
	}
	return &b
}

// TestPermutations checks the layout maps against direct index arithmetic.
func TestPermutations(t *testing.T) {
	shape, perm := convLayout(3, 2, 4)
	if !reflect.DeepEqual(shape, []int{4, 2, 3, 3}) {
		t.Errorf("conv shape = %v", shape)
	}
	// torch[o][c][kh][kw] = ours[kh][kw][c][o]
	if got, want := perm[((3*2+1)*3+2)*3+0], ((2*3+0)*2+1)*4+3; got != want {
		t.Errorf("conv perm[o3 c1 kh2 kw0] = %d, want %d", got, want)
	}
	shape, perm = denseLayout(nn.Shape{H: 2, W: 3, C: 5}, 7)
	if !reflect.DeepEqual(shape, []int{7, 30}) {
		t.Errorf("dense shape = %v", shape)
	}
	// torch input index (c, h, w) = c*6 + h*3 + w; ours (h, w, c) = (h*3+w)*5 + c.
	if got, want := perm[6*30+4*6+1*3+2], ((1*3+2)*5+4)*7+6; got != want {
		t.Errorf("dense perm = %d, want %d", got, want)
	}
	seen := make([]bool, len(perm))
	for _, i := range perm {
		seen[i] = true
	}
	for i, ok := range seen {
		if !ok {
			t.Fatalf("dense perm misses index %d", i)
		}
	}
}

// TestResumeEqualsUninterrupted trains two epochs straight, and separately
// one epoch, a save, a load into fresh state and one more epoch: the
// per-epoch figures (timings aside) and the final weights must be identical.
// With a constant rate the first part is a one-epoch run; under the cosine
// schedule, whose rate depends on the run's length, it is a two-epoch run
// stopped after its first epoch.
func TestResumeEqualsUninterrupted(t *testing.T) {
	for _, opt := range []nn.OptimizerKind{"adam", "sgd"} {
		for _, sched := range []nn.Schedule{"constant", "cosine"} {
			t.Run(opt.String()+"/"+sched.String(), func(t *testing.T) {
				t.Parallel()
				d := synthData(16, 4)
				cfg := testConfig(2)
				cfg.Batch = 8
				cfg.Optimizer = opt
				cfg.Schedule = sched
				straight := newTrainer(t, cfg)
				if err := straight.Run(context.Background(), d, nil); err != nil {
					t.Fatal(err)
				}

				first := cfg
				if sched == "constant" {
					first.Epochs = 1
				}
				part := newTrainer(t, first)
				ctx, cancel := context.WithCancel(context.Background())
				err := part.Run(ctx, d, func(p nn.Progress) {
					if p.Kind == nn.EpochDone && p.Epoch == 1 {
						cancel()
					}
				})
				cancel()
				if err != nil && !errors.Is(err, context.Canceled) {
					t.Fatal(err)
				}
				if part.Epoch != 1 {
					t.Fatalf("first part ended after %d epochs, want 1", part.Epoch)
				}
				path := filepath.Join(t.TempDir(), LastFile)
				if err := Save(path, part); err != nil {
					t.Fatal(err)
				}
				part = nil

				c, err := Load(path)
				if err != nil {
					t.Fatal(err)
				}
				if c.Config.Schedule != sched {
					t.Fatalf("checkpoint schedule %q, want %q", c.Config.Schedule, sched)
				}
				c.Config.Epochs = 2
				resumed, err := c.Trainer()
				if err != nil {
					t.Fatal(err)
				}
				if err := resumed.Run(context.Background(), d, nil); err != nil {
					t.Fatal(err)
				}

				if len(resumed.History) != 2 {
					t.Fatalf("resumed history has %d epochs, want 2", len(resumed.History))
				}
				for i, w := range straight.History {
					g := resumed.History[i]
					g.Seconds, g.ImagesPerSec, g.EvalSeconds = w.Seconds, w.ImagesPerSec, w.EvalSeconds
					if g != w {
						t.Errorf("epoch %d: resumed %+v, uninterrupted %+v", i+1, resumed.History[i], w)
					}
				}
				checkSameNet(t, resumed.Net, straight.Net)
			})
		}
	}
}

// TestLRChangesRoundTrip: the learning-rate changes of a run are saved and
// come back in the resumed trainer, which goes on at the rate in force; a
// file without them (written before they were recorded) still loads, with
// none.
func TestLRChangesRoundTrip(t *testing.T) {
	tr, _ := trained(t, "adam", 2)
	dir := t.TempDir()
	old := filepath.Join(dir, "old.safetensors")
	if err := Save(old, tr); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.SetLR(tr.Cfg.LR/2, "alice"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "run.safetensors")
	if err := Save(path, tr); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []nn.LRChange{{Epoch: 2, Batch: 0, Step: 2, LR: tr.Cfg.LR / 2, By: "alice"}}
	if !reflect.DeepEqual(c.LRChanges, want) {
		t.Errorf("LRChanges = %+v, want %+v", c.LRChanges, want)
	}
	got, err := c.Trainer()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Changes, want) || got.BaseLR() != tr.Cfg.LR/2 {
		t.Errorf("resumed trainer: changes %+v, base rate %v; want %+v, %v", got.Changes, got.BaseLR(), want, tr.Cfg.LR/2)
	}
	o, err := Load(old)
	if err != nil {
		t.Fatalf("a file without lr_changes: %v", err)
	}
	if _, ok := o.Meta["lr_changes"]; ok || o.LRChanges != nil {
		t.Errorf("a run that never changed its rate wrote lr_changes %q", o.Meta["lr_changes"])
	}
	if ot, err := o.Trainer(); err != nil || ot.BaseLR() != tr.Cfg.LR || len(ot.Changes) != 0 {
		t.Errorf("old file's trainer: %v, base %v, changes %+v; want the config's rate and none", err, ot.BaseLR(), ot.Changes)
	}
}
