package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchShapes are the GEMMs of the convscope CNN at batch 64 (im2col
// convolutions, NHWC) plus one batch-1000 inference call.
var benchShapes = []struct {
	name           string
	transA, transB bool
	m, n, k        int
}{
	// Forward: Y = Col·W.
	{"fwd1", false, false, 43264, 32, 9},
	{"fwd2", false, false, 36864, 32, 288},
	{"fwd3", false, false, 6400, 64, 288},
	{"fwd4", false, false, 4096, 64, 576},
	{"fwd5", false, false, 256, 128, 576},
	{"fwd6", false, false, 256, 256, 128},
	{"fc1fwd", false, false, 64, 128, 256},
	{"fc2fwd", false, false, 64, 64, 128},
	{"fc3fwd", false, false, 64, 10, 64},
	{"inf1", false, false, 676000, 32, 9},
	// Weight gradient: dW = Colᵀ·dY.
	{"dw1", true, false, 9, 32, 43264},
	{"dw2", true, false, 288, 32, 36864},
	{"dw3", true, false, 288, 64, 6400},
	{"dw4", true, false, 576, 64, 4096},
	{"dw5", true, false, 576, 128, 256},
	{"dw6", true, false, 128, 256, 256},
	{"fc1dw", true, false, 256, 128, 64},
	// Input gradient: dCol = dY·Wᵀ.
	{"dx2", false, true, 36864, 288, 32},
	{"dx3", false, true, 6400, 288, 64},
	{"dx4", false, true, 4096, 576, 64},
	{"dx5", false, true, 256, 576, 128},
	{"dx6", false, true, 256, 128, 256},
	{"fc1dx", false, true, 64, 256, 128},
}

// BenchmarkSgemm reports GFLOP/s per shape, kernel and thread count, named
// so that benchstat can pivot on them, e.g. benchstat -col /kern.
func BenchmarkSgemm(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	engines := map[int]*Engine{1: NewEngine(1), 2: NewEngine(2)}
	defer engines[1].Close()
	defer engines[2].Close()
	for _, s := range benchShapes {
		lda, ldb := s.k, s.n
		if s.transA {
			lda = s.m
		}
		if s.transB {
			ldb = s.k
		}
		a := randSlice(rng, s.m*s.k)
		bm := randSlice(rng, s.k*s.n)
		c := randSlice(rng, s.m*s.n)
		for _, kn := range kernels() {
			for _, threads := range []int{1, 2} {
				name := fmt.Sprintf("shape=%s/kern=%s/threads=%d", s.name, kn.name, threads)
				b.Run(name, func(b *testing.B) {
					old := kern
					kern = kn
					defer func() { kern = old }()
					e := engines[threads]
					e.Sgemm(s.transA, s.transB, s.m, s.n, s.k, a, lda, bm, ldb, 0, c, s.n)
					b.ResetTimer()
					for range b.N {
						e.Sgemm(s.transA, s.transB, s.m, s.n, s.k, a, lda, bm, ldb, 0, c, s.n)
					}
					flop := 2 * float64(s.m) * float64(s.n) * float64(s.k) * float64(b.N)
					b.ReportMetric(flop/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}
