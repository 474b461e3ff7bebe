package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestTile checks Tile against a float64 reference for every kernel, for
// overlapping rows of A (an implicit im2col), a transposed A, ragged sizes,
// a deep k (several passes) and both acc settings.
func TestTile(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 9))
	for _, kn := range kernels() {
		old := kern
		kern = kn
		for _, tc := range []struct{ m, n, k, rsa, csa, ldb, ldc int }{
			{24, 32, 96, 32, 1, 32, 32},     // conv row: rows overlap
			{26, 32, 96, 32, 1, 32, 32},     // ragged rows
			{118, 64, 96, 32, 1, 64, 64},    // two panels
			{96, 32, 622, 1, 32, 32, 32},    // transposed A, k over two passes
			{9, 32, 900, 1, 9, 32, 40},      // conv1's weight gradient, padded ldc
			{5, 7, 3, 3, 1, 9, 7},           // tiny and ragged
			{13, 130, 41, 50, 1, 131, 133},  // several panels, ragged last
			{3, 16, 1000, 1, 3, 16, 16},     // few rows, deep
			{17, 20, 385, 400, 1, 20, 20},   // k just over one pass
			{8, 256, 128, 128, 1, 256, 256}, // conv6-like
		} {
			for _, acc := range []bool{false, true} {
				name := fmt.Sprintf("%s/%v/acc=%v", kn.name, tc, acc)
				a := randSlice(rng, (tc.m-1)*tc.rsa+(tc.k-1)*tc.csa+1)
				b := randSlice(rng, (tc.k-1)*tc.ldb+tc.n)
				c := randSlice(rng, (tc.m-1)*tc.ldc+tc.n)
				if !acc {
					for i := range c {
						c[i] = float32(math.NaN())
					}
				}
				want := make([]float64, len(c))
				for i := range tc.m {
					for j := range tc.n {
						s := 0.0
						for p := range tc.k {
							s += float64(a[i*tc.rsa+p*tc.csa]) * float64(b[p*tc.ldb+j])
						}
						if acc {
							s += float64(c[i*tc.ldc+j])
						}
						want[i*tc.ldc+j] = s
					}
				}
				Tile(tc.m, tc.n, tc.k, a, tc.rsa, tc.csa, b, tc.ldb, c, tc.ldc, acc)
				for i := range tc.m {
					for j := range tc.n {
						got, w := float64(c[i*tc.ldc+j]), want[i*tc.ldc+j]
						if math.Abs(got-w) > 1e-4*math.Sqrt(float64(tc.k)) || math.IsNaN(got) {
							t.Fatalf("%s: C[%d,%d] = %v, want %v", name, i, j, got, w)
						}
					}
				}
			}
		}
		kern = old
	}
}

// TestTileShortSlices: Tile refuses slices too short for its sizes.
func TestTileShortSlices(t *testing.T) {
	a, b, c := make([]float32, 23*32+96), make([]float32, 96*32), make([]float32, 24*32)
	Tile(24, 32, 96, a, 32, 1, b, 32, c, 32, false)
	for _, f := range []func(){
		func() { Tile(24, 32, 96, a[:len(a)-1], 32, 1, b, 32, c, 32, false) },
		func() { Tile(24, 32, 96, a, 32, 1, b[:len(b)-1], 32, c, 32, false) },
		func() { Tile(24, 32, 96, a, 32, 1, b, 32, c[:len(c)-1], 32, false) },
		func() { Tile(24, 32, 96, a, 32, 1, b, 31, c, 32, false) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Tile with a short slice or bad stride did not panic")
				}
			}()
			f()
		}()
	}
}
