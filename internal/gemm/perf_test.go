package gemm

import (
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestPerf prints the best GFLOP/s of each benchmark shape over many calls,
// a figure that holds up better than a mean on a shared, noisy machine. It
// runs only when GEMM_PERF is set to a regexp matching shape names, e.g.
//
//	GEMM_PERF=. go test -run Perf -v ./internal/gemm/
//
// GEMM_PERF_KERN selects kernels by a regexp, GEMM_PERF_TIME sets the time
// spent per shape (default 500ms), and GEMM_PERF_SHAPES adds shapes.
func TestPerf(t *testing.T) {
	pat := os.Getenv("GEMM_PERF")
	if pat == "" {
		t.Skip("set GEMM_PERF=<regexp of shape names> to run")
	}
	re := regexp.MustCompile(pat)
	budget := 500 * time.Millisecond
	if d, err := time.ParseDuration(os.Getenv("GEMM_PERF_TIME")); err == nil {
		budget = d
	}
	rng := rand.New(rand.NewPCG(1, 1))
	engines := map[int]*Engine{1: NewEngine(1), 2: NewEngine(2)}
	defer engines[1].Close()
	defer engines[2].Close()
	var kns []*kernel
	kre := regexp.MustCompile(os.Getenv("GEMM_PERF_KERN")) // kernels to run; all by default
	for _, kn := range kernels() {
		if kre.MatchString(kn.name) {
			kns = append(kns, kn)
		}
	}
	shapes := benchShapes
	// GEMM_PERF_SHAPES adds shapes: "name:m,n,k,tA,tB;..." with tA, tB 0 or 1.
	for _, f := range strings.Split(os.Getenv("GEMM_PERF_SHAPES"), ";") {
		if f == "" {
			continue
		}
		s := benchShapes[0]
		var ta, tb int
		name, spec, _ := strings.Cut(f, ":")
		if _, err := fmt.Sscanf(spec, "%d,%d,%d,%d,%d", &s.m, &s.n, &s.k, &ta, &tb); err != nil {
			t.Fatalf("GEMM_PERF_SHAPES %q: %v", f, err)
		}
		s.name, s.transA, s.transB = name, ta != 0, tb != 0
		shapes = append(shapes, s)
	}
	var hdr strings.Builder
	fmt.Fprintf(&hdr, "%-8s %-20s", "shape", "m,n,k")
	for _, kn := range kns {
		fmt.Fprintf(&hdr, " %8s-1 %8s-2", kn.name, kn.name)
	}
	t.Log(hdr.String())
	for _, s := range shapes {
		if !re.MatchString(s.name) {
			continue
		}
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
		flop := 2 * float64(s.m) * float64(s.n) * float64(s.k)
		line := fmt.Sprintf("%-8s %-20s", s.name, fmt.Sprintf("%d,%d,%d", s.m, s.n, s.k))
		// Configurations take turns, so that they see the same noise.
		type config struct {
			kn   *kernel
			e    *Engine
			best time.Duration
		}
		var cfgs []*config
		for _, kn := range kns {
			for _, threads := range []int{1, 2} {
				cfgs = append(cfgs, &config{kn, engines[threads], 1 << 62})
			}
		}
		start := time.Now()
		for round := 0; round < 3 || (round < 100 && time.Since(start) < budget); round++ {
			for _, cf := range cfgs {
				old := kern
				kern = cf.kn
				for range 3 {
					t0 := time.Now()
					cf.e.Sgemm(s.transA, s.transB, s.m, s.n, s.k, a, lda, bm, ldb, 0, c, s.n)
					cf.best = min(cf.best, time.Since(t0))
				}
				kern = old
			}
		}
		for _, cf := range cfgs {
			line += fmt.Sprintf(" %10.1f", flop/cf.best.Seconds()/1e9)
		}
		t.Log(line)
	}
}
