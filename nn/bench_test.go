package nn

import (
	"testing"

	"convscope/internal/gemm"
)

// BenchmarkTrainStep times one training step of the paper's network (batch
// 64, Adam) on real digits, on all cores. Compare runs with benchstat.
func BenchmarkTrainStep(b *testing.B) {
	tr, _ := realData(b)
	net, _ := NewPaper(28, 28, 10, InitRNG(1))
	eng := gemm.NewEngine(0)
	defer eng.Close()
	net.SetEngine(eng)
	t, err := NewTrainer(net, DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	const bs = 64
	for i := 0; i < 3; i++ {
		t.Step(tr, i*bs, bs)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t.Step(tr, (i%900)*bs, bs)
	}
	b.ReportMetric(float64(b.N*bs)/b.Elapsed().Seconds(), "images/s")
}

// BenchmarkInfer times inference on 1,000 test images in batches of 100.
func BenchmarkInfer(b *testing.B) {
	_, te := realData(b)
	net, _ := NewPaper(28, 28, 10, InitRNG(1))
	eng := gemm.NewEngine(0)
	defer eng.Close()
	net.SetEngine(eng)
	set := te.Subset(1000)
	Evaluate(net, set, 100)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Evaluate(net, set, 100)
	}
	b.ReportMetric(float64(b.N*set.N)/b.Elapsed().Seconds(), "images/s")
}
