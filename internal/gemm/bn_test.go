package gemm

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestBNKernels: the AVX2 batch-norm kernels give bit-identical results to
// the plain-Go loops, with and without the ReLU, for several channel counts.
func TestBNKernels(t *testing.T) {
	if !bnAsm {
		t.Skip("no AVX2 batch-norm kernels in this build")
	}
	rng := rand.New(rand.NewPCG(4, 4))
	for _, c := range []int{8, 32, 64, 256} {
		const rows = 37
		x, dy := randSlice(rng, rows*c), randSlice(rng, rows*c)
		x[3], x[5] = float32(math.Copysign(0, -1)), 0
		var co BNCoef
		for k := range co {
			copy(co[k][:c], randSlice(rng, c))
		}
		for _, relu := range []bool{false, true} {
			run := func(asm bool) (s1, s2, b1, b2 []float64, y, dx []float32) {
				bnAsm = asm
				defer func() { bnAsm = true }()
				s1, s2 = make([]float64, c), make([]float64, c)
				b1, b2 = make([]float64, c), make([]float64, c)
				for j := range s1 {
					s1[j], b1[j] = float64(j), -float64(j)
				}
				y, dx = make([]float32, rows*c), make([]float32, rows*c)
				BNSums(x, c, s1, s2)
				BNAffine(y, x, c, &co, relu)
				BNBackSums(dy, x, c, &co, relu, b1, b2)
				BNBackDx(dx, dy, x, c, &co, relu)
				return
			}
			g1, g2, g3, g4, gy, gdx := run(false)
			a1, a2, a3, a4, ay, adx := run(true)
			if !slices.Equal(g1, a1) || !slices.Equal(g2, a2) {
				t.Errorf("c=%d: BNSums differs", c)
			}
			if !slices.Equal(g3, a3) || !slices.Equal(g4, a4) {
				t.Errorf("c=%d relu=%v: BNBackSums differs", c, relu)
			}
			if !slices.Equal(gy, ay) {
				t.Errorf("c=%d relu=%v: BNAffine differs", c, relu)
			}
			if !slices.Equal(gdx, adx) {
				t.Errorf("c=%d relu=%v: BNBackDx differs", c, relu)
			}
		}
	}
}
