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
				ColSums(dy, c, s2)
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

// TestMaxPoolRow: the AVX2 max-pooling row equals the plain-Go one, ties
// and NaN included.
func TestMaxPoolRow(t *testing.T) {
	if !bnAsm {
		t.Skip("no AVX2 kernels in this build")
	}
	rng := rand.New(rand.NewPCG(8, 8))
	for _, c := range []int{8, 32, 64} {
		const ow, w = 5, 11
		wc := w * c
		x := randSlice(rng, 2*wc)
		for i := range x {
			if rng.IntN(4) == 0 {
				x[i] = float32(rng.IntN(3)) // ties
			}
		}
		x[c+1] = float32(math.NaN())
		x[wc+3] = float32(math.NaN())
		run := func(asm bool) ([]float32, []int32) {
			bnAsm = asm
			defer func() { bnAsm = true }()
			y, arg := make([]float32, ow*c), make([]int32, ow*c)
			MaxPoolRow(y, arg, x, ow, c, wc, 1000)
			return y, arg
		}
		y0, a0 := run(false)
		y1, a1 := run(true)
		if !slices.Equal(a0, a1) {
			t.Errorf("c=%d: arg differs:\n%v\n%v", c, a0, a1)
		}
		for i := range y0 {
			if math.Float32bits(y0[i]) != math.Float32bits(y1[i]) {
				t.Errorf("c=%d: y[%d] = %v, want %v", c, i, y1[i], y0[i])
			}
		}
	}
}

// TestReluSlice: the AVX2 ReLU equals the plain-Go one bit for bit.
func TestReluSlice(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	src := randSlice(rng, 45)
	src[2], src[9] = float32(math.Copysign(0, -1)), float32(math.NaN())
	src[17] = -float32(math.NaN())
	got := make([]float32, len(src))
	ReluSlice(got, src)
	for i, v := range src {
		if math.Float32bits(got[i]) != math.Float32bits(Relu(v)) {
			t.Errorf("ReluSlice[%d] = %v, want %v", i, got[i], Relu(v))
		}
	}
}
