package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkTile times Tile on the shapes the implicit convolutions use.
func BenchmarkTile(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, s := range []struct {
		name                        string
		m, n, k, rsa, csa, ldb, ldc int
	}{
		{"conv2fwd", 24, 32, 96, 32, 1, 32, 32},
		{"conv2dx", 26, 32, 96, 32, 1, 32, 32},
		{"conv2dw", 96, 32, 622, 1, 32, 32, 32},
		{"conv4fwd", 8, 64, 192, 64, 1, 64, 64},
		{"conv3fwd", 118, 64, 96, 32, 1, 64, 64},
	} {
		for _, kn := range kernels() {
			b.Run(fmt.Sprintf("shape=%s/kern=%s", s.name, kn.name), func(b *testing.B) {
				old := kern
				kern = kn
				defer func() { kern = old }()
				a := randSlice(rng, (s.m-1)*s.rsa+(s.k-1)*s.csa+1)
				bb := randSlice(rng, (s.k-1)*s.ldb+s.n)
				c := randSlice(rng, (s.m-1)*s.ldc+s.n)
				for b.Loop() {
					Tile(s.m, s.n, s.k, a, s.rsa, s.csa, bb, s.ldb, c, s.ldc, true)
				}
				b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
