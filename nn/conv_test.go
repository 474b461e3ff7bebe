package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"convscope/internal/gemm"
)

// TestConvImplicitMatchesIm2col: the implicit-GEMM convolution gives the
// output and gradients of the im2col one, to rounding, on the paper's shapes
// and on odd ones, in both forward layouts.
func TestConvImplicitMatchesIm2col(t *testing.T) {
	eng := gemm.NewEngine(2)
	defer eng.Close()
	for _, tc := range []struct {
		in   Shape
		outC int
		n    int
	}{
		{Shape{26, 26, 32}, 32, 3},
		{Shape{12, 12, 32}, 64, 9},
		{Shape{10, 10, 64}, 64, 2},
		{Shape{4, 4, 64}, 128, 2},
		{Shape{7, 13, 5}, 7, 11},
	} {
		t.Run(fmt.Sprint(tc.in, tc.outC), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, 6))
			ref := NewConv2D(tc.in, tc.outC, 3, rng)
			for i := range ref.Bias.W {
				ref.Bias.W[i] = float32(rng.Float64() - 0.5)
			}
			ref.implicit = false
			imp := ref.clone().(*Conv2D)
			imp.implicit = true
			ref.setEngine(eng)
			imp.setEngine(eng)
			x := randSlice(rng, tc.n*tc.in.Size(), -1, 1)
			y0 := append([]float32(nil), ref.Forward(x, tc.n, true)...)
			y1 := imp.Forward(x, tc.n, true)
			closeSlices(t, "y", y1, y0)
			dy := randSlice(rng, len(y0), -1, 1)
			dx0 := append([]float32(nil), ref.Backward(dy)...)
			dx1 := imp.Backward(dy)
			closeSlices(t, "dx", dx1, dx0)
			closeSlices(t, "dW", imp.Weight.G, ref.Weight.G)
			closeSlices(t, "db", imp.Bias.G, ref.Bias.G)
		})
	}
}

func closeSlices(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: length %d, want %d", what, len(got), len(want))
	}
	scale := 0.0
	for _, v := range want {
		scale = math.Max(scale, math.Abs(float64(v)))
	}
	for i := range got {
		if d := math.Abs(float64(got[i] - want[i])); d > 1e-5*scale+1e-6 || math.IsNaN(float64(got[i])) {
			t.Fatalf("%s[%d] = %v, want %v (scale %v)", what, i, got[i], want[i], scale)
		}
	}
}
