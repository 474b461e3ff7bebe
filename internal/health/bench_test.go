package health

import (
	"math/rand/v2"
	"testing"

	"convscope/mnist"
	"convscope/nn"
)

// BenchmarkSample is one health sample of the paper network on a batch of
// 64 images (the forward pass, the norms, the histograms, the dead units),
// on the default engine.
func BenchmarkSample(b *testing.B) {
	net, err := nn.NewPaper(28, 28, 10, nn.InitRNG(1))
	if err != nil {
		b.Fatal(err)
	}
	cfg := nn.DefaultConfig()
	tr, err := nn.NewTrainer(net, cfg)
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	const n = 256
	set := &mnist.Set{Images: make([]uint8, n*28*28), Labels: make([]uint8, n), N: n, Rows: 28, Cols: 28}
	for i := range set.Images {
		set.Images[i] = uint8(r.IntN(256))
	}
	for i := range set.Labels {
		set.Labels[i] = uint8(r.IntN(10))
	}
	s := NewSampler(tr, set, 1)
	var bt nn.Batch
	tr.Observe = func(x nn.Batch) {
		bt = x
		bt.Images = append([]int(nil), x.Images...)
		bt.Probs = append([]float32(nil), x.Probs...)
	}
	tr.Step(set, 0, 64)
	tr.Observe = nil
	b.ResetTimer()
	for b.Loop() {
		s.measure(bt, true)
	}
}
