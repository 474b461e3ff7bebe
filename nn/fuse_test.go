package nn

import (
	"math/rand/v2"
	"slices"
	"testing"

	"convscope/internal/gemm"
)

// TestFuseBNReLU: a batch norm that applies the following ReLU gives
// bit-identical outputs and gradients to the two layers run apart, and the
// fused pair still evaluates unfused.
func TestFuseBNReLU(t *testing.T) {
	eng := gemm.NewEngine(2)
	defer eng.Close()
	s := Shape{5, 7, 16}
	const n = 9
	rng := rand.New(rand.NewPCG(11, 12))
	mk := func() []Layer {
		b := NewBatchNorm2D(s, BNEps, BNMomentum)
		for i := range b.Gamma.W {
			b.Gamma.W[i] = float32(0.5 + rng.Float64())
			b.Beta.W[i] = float32(rng.Float64() - 0.5)
		}
		ls := []Layer{b, NewReLU(s)}
		for _, l := range ls {
			l.setEngine(eng)
		}
		return ls
	}
	sep := mk()
	fus := mk()
	copy(fus[0].(*BatchNorm2D).Gamma.W, sep[0].(*BatchNorm2D).Gamma.W)
	copy(fus[0].(*BatchNorm2D).Beta.W, sep[0].(*BatchNorm2D).Beta.W)
	fuseBNReLU(fus)
	x := randSlice(rng, n*s.Size(), -2, 2)
	dy := randSlice(rng, n*s.Size(), -1, 1)
	run := func(ls []Layer, train bool) (y, dx []float32) {
		h := x
		for _, l := range ls {
			h = l.Forward(h, n, train)
		}
		y = slices.Clone(h)
		if train {
			d := dy
			for i := len(ls) - 1; i >= 0; i-- {
				d = ls[i].Backward(d)
			}
			dx = slices.Clone(d)
		}
		return y, dx
	}
	for step := 0; step < 2; step++ {
		y0, dx0 := run(sep, true)
		y1, dx1 := run(fus, true)
		if !slices.Equal(y0, y1) || !slices.Equal(dx0, dx1) {
			t.Fatalf("step %d: fused batch norm + ReLU differs from the separate layers", step)
		}
		b0, b1 := sep[0].(*BatchNorm2D), fus[0].(*BatchNorm2D)
		if !slices.Equal(b0.Gamma.G, b1.Gamma.G) || !slices.Equal(b0.Beta.G, b1.Beta.G) {
			t.Fatalf("step %d: fused parameter gradients differ", step)
		}
	}
	e0, _ := run(sep, false)
	e1, _ := run(fus, false)
	if !slices.Equal(e0, e1) {
		t.Fatalf("evaluation output of the fused pair differs")
	}
	// The batch norm's own output in evaluation is not rectified.
	neg := false
	for _, v := range fus[0].Forward(x, n, false) {
		neg = neg || v < 0
	}
	if !neg {
		t.Errorf("evaluation Forward of a fused batch norm is rectified, want its own output")
	}
}
