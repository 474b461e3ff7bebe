package nn

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"convscope/mnist"
)

// tinySet is n random 10x10 images of 3 classes, for miniNet.
func tinySet(n int, seed uint64) *mnist.Set {
	rng := rand.New(rand.NewPCG(seed, 1))
	s := &mnist.Set{Images: make([]uint8, n*100), Labels: make([]uint8, n), N: n, Rows: 10, Cols: 10, Classes: []string{"a", "b", "c"}}
	for i := range s.Images {
		s.Images[i] = uint8(rng.IntN(256))
	}
	for i := range s.Labels {
		s.Labels[i] = uint8(rng.IntN(3))
	}
	return s
}

// TestSetLRBetweenBatches: a change made in the report after batch 3 of
// epoch 1 takes effect at batch index 3, the schedule (cosine) goes on from
// where it was at the new height, and a change made at an epoch's end takes
// effect at the next epoch's first batch.
func TestSetLRBetweenBatches(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Epochs, cfg.Batch, cfg.LR, cfg.Threads, cfg.ProgressEvery = 2, 4, 0.01, 1, 1
	const nb = 8
	tn, err := NewTrainer(miniNet(rand.New(rand.NewPCG(1, 2))), cfg)
	if err != nil {
		t.Fatal(err)
	}
	rates := map[[2]int]float64{} // (epoch, batches done) -> rate of the last batch
	var changes []LRChange
	set := func(lr float64) {
		c, err := tn.SetLR(lr, "test")
		if err != nil {
			t.Fatalf("SetLR(%v) = %v", lr, err)
		}
		changes = append(changes, c)
	}
	err = tn.Run(context.Background(), Data{Train: tinySet(nb*cfg.Batch, 1), Test: tinySet(8, 2)}, func(p Progress) {
		switch {
		case p.Kind == BatchProgress:
			rates[[2]int{p.Epoch, p.Batch}] = p.LR
			if p.Epoch == 1 && p.Batch == 3 {
				set(cfg.LR / 2)
			}
		case p.Kind == EpochDone && p.Epoch == 1:
			set(cfg.LR * 4)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []LRChange{{Epoch: 1, Batch: 3, Step: 3, LR: cfg.LR / 2, By: "test"}, {Epoch: 2, Batch: 0, Step: nb, LR: cfg.LR * 4, By: "test"}}
	if len(changes) != 2 || changes[0] != want[0] || changes[1] != want[1] {
		t.Fatalf("changes = %+v, want %+v", changes, want)
	}
	if len(tn.Changes) != 2 || tn.Changes[1] != want[1] || tn.BaseLR() != cfg.LR*4 {
		t.Errorf("trainer records %+v, base %v; want %+v, base %v", tn.Changes, tn.BaseLR(), want, cfg.LR*4)
	}
	sched := func(base float64, epoch, b int) float64 { c := cfg; c.LR = base; return c.LRAt(epoch, b, nb) }
	for _, c := range []struct {
		epoch, done int
		want        float64
	}{
		{1, 3, sched(cfg.LR, 0, 2)},   // the batch before the change
		{1, 4, sched(cfg.LR/2, 0, 3)}, // the first batch after it: half the cosine at batch 3
		{1, 7, sched(cfg.LR/2, 0, 6)},
		{2, 1, sched(cfg.LR*4, 1, 0)}, // the change at the end of epoch 1
		{2, 7, sched(cfg.LR*4, 1, 6)},
	} {
		got, ok := rates[[2]int{c.epoch, c.done}]
		if !ok || math.Abs(got-c.want) > 1e-15 {
			t.Errorf("epoch %d after %d batches: rate %v (reported %v), want %v", c.epoch, c.done, got, ok, c.want)
		}
	}
	if got, w := tn.History[1].LR, sched(cfg.LR*4, 1, nb-1); math.Abs(got-w) > 1e-15 {
		t.Errorf("epoch 2's last rate = %v, want %v", got, w)
	}
}

// TestSetLRRefusesBadRates: zero, negative, NaN and infinite rates are
// refused with a message and change nothing.
func TestSetLRRefusesBadRates(t *testing.T) {
	tn, err := NewTrainer(miniNet(rand.New(rand.NewPCG(1, 2))), DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, lr := range []float64{0, -1, math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := tn.SetLR(lr, ""); err == nil {
			t.Errorf("SetLR(%v) = nil error, want a refusal", lr)
		}
	}
	if len(tn.Changes) != 0 || tn.BaseLR() != DefaultConfig().LR {
		t.Errorf("after refusals: changes %+v, base %v; want none and %v", tn.Changes, tn.BaseLR(), DefaultConfig().LR)
	}
}
