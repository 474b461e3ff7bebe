package nn

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"convscope/internal/gemm"
	"convscope/mnist"
)

var (
	realOnce       sync.Once
	realTr, realTe *mnist.Set
	realErr        error
)

// realData loads the real MNIST set once (it ships in the GoMNIST module).
func realData(t testing.TB) (*mnist.Set, *mnist.Set) {
	t.Helper()
	realOnce.Do(func() { realTr, realTe, realErr = mnist.Load("") })
	if realErr != nil {
		t.Skipf("real MNIST not found: %v", realErr)
	}
	return realTr, realTe
}

// TestTrainLearns trains the paper's network on 2,000 real images and checks
// that the loss falls and both training and test accuracy are far above chance.
func TestTrainLearns(t *testing.T) {
	tr, te := realData(t)
	net, err := NewPaper(28, 28, 10, InitRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	eng := gemm.NewEngine(0)
	defer eng.Close()
	net.SetEngine(eng)
	// Running statistics with the paper's momentum (0.99) need ~500 steps to
	// forget their initial values; this short run uses 0.9 so evaluation is meaningful.
	for _, l := range net.Layers {
		if b, ok := l.(*BatchNorm2D); ok {
			b.Momentum = 0.9
		}
	}
	cfg := DefaultConfig()
	cfg.Epochs = 2
	cfg.TrainLimit = 2000
	var epochs []EpochStats
	batches := 0
	err = Train(context.Background(), net, Data{Train: tr, Test: te.Subset(1000)}, cfg, func(p Progress) {
		switch p.Kind {
		case EpochDone:
			epochs = append(epochs, *p.Stats)
		case BatchProgress:
			batches++
			if p.Seen > p.Total || p.Batch > p.Batches {
				t.Errorf("progress past the end: %+v", p)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(epochs) != 2 {
		t.Fatalf("got %d epoch reports, want 2", len(epochs))
	}
	e1, e2 := epochs[0], epochs[1]
	t.Logf("epoch 1: %+v", e1)
	t.Logf("epoch 2: %+v", e2)
	if !(e2.TrainLoss < e1.TrainLoss) {
		t.Errorf("train loss did not fall: %.4f then %.4f", e1.TrainLoss, e2.TrainLoss)
	}
	if e2.TrainAcc < 0.8 {
		t.Errorf("train accuracy after 2 epochs = %.3f, want > 0.8", e2.TrainAcc)
	}
	if e2.TestAcc < 0.7 {
		t.Errorf("test accuracy after 2 epochs = %.3f, want > 0.7 (chance is 0.1)", e2.TestAcc)
	}
	ev := e2.Eval
	if ev == nil || ev.N != 1000 || len(ev.Pred) != 1000 || len(ev.Probs) != 10000 {
		t.Fatalf("epoch evaluation incomplete: %+v", ev)
	}
	correct := 0
	for c := range 10 {
		correct += ev.Confusion[c][c]
	}
	if got := float64(correct) / 1000; got != ev.Acc {
		t.Errorf("confusion diagonal gives accuracy %v, Eval.Acc = %v", got, ev.Acc)
	}
}

// TestTrainDeterministic: the same seed gives bit-identical figures, whatever the thread count.
func TestTrainDeterministic(t *testing.T) {
	tr, te := realData(t)
	run := func(threads int) []EpochStats {
		net, _ := NewPaper(28, 28, 10, InitRNG(3))
		cfg := DefaultConfig()
		cfg.Epochs = 2
		cfg.TrainLimit = 200
		cfg.Batch = 32
		cfg.Threads = threads
		eng := gemm.NewEngine(threads)
		defer eng.Close()
		net.SetEngine(eng)
		if got := net.Engine().Threads(); got != threads {
			t.Fatalf("engine has %d threads, want %d", got, threads)
		}
		trn, err := NewTrainer(net, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := trn.Run(context.Background(), Data{Train: tr, Test: te.Subset(200)}, nil); err != nil {
			t.Fatal(err)
		}
		return trn.History
	}
	a, b, c := run(1), run(2), run(1)
	for i := range a {
		a[i].Seconds, a[i].ImagesPerSec, a[i].EvalSeconds = 0, 0, 0
		b[i].Seconds, b[i].ImagesPerSec, b[i].EvalSeconds = 0, 0, 0
		c[i].Seconds, c[i].ImagesPerSec, c[i].EvalSeconds = 0, 0, 0
		if a[i] != c[i] {
			t.Errorf("epoch %d differs between two runs: %+v vs %+v", i+1, a[i], c[i])
		}
		if a[i] != b[i] {
			t.Errorf("epoch %d differs between 1 and 2 threads: %+v vs %+v", i+1, a[i], b[i])
		}
	}
}

func TestTrainCancel(t *testing.T) {
	tr, te := realData(t)
	net, _ := NewPaper(28, 28, 10, InitRNG(1))
	ctx, cancel := context.WithCancel(context.Background())
	cfg := DefaultConfig()
	cfg.ProgressEvery = 1
	calls := 0
	err := Train(ctx, net, Data{Train: tr, Test: te}, cfg, func(p Progress) {
		calls++
		if calls == 3 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Train after cancel = %v, want context.Canceled", err)
	}
	if calls != 3 {
		t.Errorf("got %d reports, want training to stop right after the 3rd", calls)
	}
}

// TestTrainStopsOnNaN checks that a diverging run stops at the batch whose
// loss is not finite, without finishing the epoch or adding it to the history.
func TestTrainStopsOnNaN(t *testing.T) {
	tr, te := realData(t)
	cfg := DefaultConfig()
	cfg.Optimizer, cfg.LR, cfg.Epochs, cfg.TrainLimit, cfg.Batch, cfg.Threads = "adam", 1e38, 1, 640, 32, 1
	net, _ := NewPaper(28, 28, 10, InitRNG(1))
	tn, err := NewTrainer(net, cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = tn.Run(context.Background(), Data{Train: tr, Test: te}, nil)
	if err == nil || !strings.Contains(err.Error(), "in epoch 1 at batch ") || !strings.Contains(err.Error(), "of 20; lower the learning rate") {
		t.Fatalf("diverging run = %v, want an error naming epoch 1 and the batch", err)
	}
	var batch int
	if _, serr := fmt.Sscanf(err.Error()[strings.Index(err.Error(), "at batch "):], "at batch %d", &batch); serr != nil || batch < 1 || batch >= 20 {
		t.Errorf("stopped at batch %d (%v), want before the epoch's last of 20", batch, serr)
	}
	if tn.Epoch != 0 || len(tn.History) != 0 {
		t.Errorf("after divergence: epoch %d, %d history entries, want 0 and 0", tn.Epoch, len(tn.History))
	}
}

func TestConfigValidate(t *testing.T) {
	bad := []func(*Config){
		func(c *Config) { c.Epochs = 0 },
		func(c *Config) { c.Batch = 0 },
		func(c *Config) { c.LR = -1 },
		func(c *Config) { c.Optimizer = "rmsprop" },
		func(c *Config) { c.TrainLimit = -5 },
		func(c *Config) { c.Momentum = 1 },
	}
	for i, f := range bad {
		c := DefaultConfig()
		f(&c)
		if c.Validate() == nil {
			t.Errorf("case %d: %+v validated, want an error", i, c)
		}
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Errorf("default config: %v", err)
	}
}

// TestTrainStopsOnDivergence: Adam at lr 1e3 keeps a finite but huge loss
// (about 1e15 in a full run); training stops within the first epoch with
// the same advice as for NaN, instead of finishing at chance.
func TestTrainStopsOnDivergence(t *testing.T) {
	tr, te := realData(t)
	cfg := DefaultConfig()
	cfg.LR, cfg.Epochs, cfg.TrainLimit, cfg.Batch, cfg.Threads = 1e3, 2, 1280, 32, 1
	net, _ := NewPaper(28, 28, 10, InitRNG(1))
	tn, err := NewTrainer(net, cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = tn.Run(context.Background(), Data{Train: tr, Test: te.Subset(100)}, nil)
	if err == nil || !strings.Contains(err.Error(), "diverged") || !strings.Contains(err.Error(), "lower the learning rate") || !strings.Contains(err.Error(), "in epoch 1 at batch") {
		t.Fatalf("Adam at lr 1e3 = %v, want a stop in epoch 1 that says to lower the learning rate", err)
	}
	if d := DivergeLoss(10); d < 230 || d > 231 {
		t.Errorf("DivergeLoss(10) = %v, want 100 ln 10", d)
	}
}
