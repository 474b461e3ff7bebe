package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// problem is one Sgemm call with its operands.
type problem struct {
	transA, transB bool
	m, n, k        int
	lda, ldb, ldc  int
	beta           float32
	a, b, c        []float32
}

func (p *problem) String() string {
	return fmt.Sprintf("tA=%v tB=%v m=%d n=%d k=%d lda=%d ldb=%d ldc=%d beta=%v",
		p.transA, p.transB, p.m, p.n, p.k, p.lda, p.ldb, p.ldc, p.beta)
}

// newProblem fills a problem with values in (-1, 1). pad is added to the
// minimal strides; lda < 0 sets lda to -lda for an untransposed A (rows may
// overlap). With beta == 0, C is filled with NaN.
func newProblem(rng *rand.Rand, transA, transB bool, m, n, k, pad, lda int, beta float32) *problem {
	p := &problem{transA: transA, transB: transB, m: m, n: n, k: k, beta: beta}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	p.lda, p.ldb, p.ldc = ac+pad, bc+pad, n+pad
	if lda < 0 && !transA {
		p.lda = -lda
	}
	p.a = randSlice(rng, max(0, (ar-1)*p.lda+ac))
	p.b = randSlice(rng, max(0, (br-1)*p.ldb+bc))
	p.c = randSlice(rng, max(0, (m-1)*p.ldc+n))
	if beta == 0 {
		for i := range p.c {
			p.c[i] = float32(math.NaN())
		}
	}
	return p
}

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = 2*rng.Float32() - 1
	}
	return s
}

// reference returns op(A)·op(B) + beta·C in float64 and, per element, the
// sum of |terms| that bounds its rounding error.
func (p *problem) reference() (want, bound []float64) {
	want = make([]float64, p.m*p.n)
	bound = make([]float64, p.m*p.n)
	for i := range p.m {
		for j := range p.n {
			var s, sa float64
			for q := range p.k {
				var x, y float64
				if p.transA {
					x = float64(p.a[q*p.lda+i])
				} else {
					x = float64(p.a[i*p.lda+q])
				}
				if p.transB {
					y = float64(p.b[j*p.ldb+q])
				} else {
					y = float64(p.b[q*p.ldb+j])
				}
				s += x * y
				sa += math.Abs(x * y)
			}
			if p.beta != 0 {
				bc := float64(p.beta) * float64(p.c[i*p.ldc+j])
				s += bc
				sa += math.Abs(bc)
			}
			want[i*p.n+j], bound[i*p.n+j] = s, sa
		}
	}
	return want, bound
}

// check runs Sgemm on a copy of C and compares with the reference. The
// tolerance follows blocked summation: at most blockK terms are summed in one
// chain, and k/blockK chains are added up.
func (p *problem) check(t *testing.T, e *Engine) []float32 {
	t.Helper()
	want, bound := p.reference()
	return p.checkWith(t, e, want, bound)
}

func (p *problem) checkWith(t *testing.T, e *Engine, want, bound []float64) []float32 {
	t.Helper()
	c := append([]float32(nil), p.c...)
	e.Sgemm(p.transA, p.transB, p.m, p.n, p.k, p.a, p.lda, p.b, p.ldb, p.beta, c, p.ldc)
	const u = 1.0 / (1 << 24)
	tol := 4 * u * float64(min(p.k, blockK)+p.k/blockK+3)
	bad := 0
	for i := range p.m {
		for j := range p.ldc {
			idx := i*p.ldc + j
			if idx >= len(c) {
				break
			}
			got := float64(c[idx])
			if j >= p.n {
				if math.Float32bits(c[idx]) != math.Float32bits(p.c[idx]) {
					t.Fatalf("%v: c[%d][%d] past n changed: %v -> %v", p, i, j, p.c[idx], c[idx])
				}
				continue
			}
			w, b := want[i*p.n+j], bound[i*p.n+j]
			if !(math.Abs(got-w) <= tol*b+1e-30) {
				if bad < 5 {
					t.Errorf("%v: c[%d][%d] = %v, want %v (err %.3g, allowed %.3g)", p, i, j, got, w, math.Abs(got-w), tol*b)
				}
				bad++
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%v: %d wrong elements", p, bad)
	}
	return c
}

// withKernels runs f once per kernel this CPU can run.
func withKernels(t *testing.T, f func(t *testing.T)) {
	for _, kn := range kernels() {
		t.Run(kn.name, func(t *testing.T) {
			old := kern
			kern = kn
			defer func() { kern = old }()
			f(t)
		})
	}
}

// lowSerial makes Sgemm use all threads even for tiny problems, and stream
// C with non-temporal stores whenever it can.
func lowSerial(t *testing.T) {
	oldSerial, oldStream := serialFMA, streamBytes
	serialFMA, streamBytes = 0, 0
	t.Cleanup(func() { serialFMA, streamBytes = oldSerial, oldStream })
}

var shapes = [][3]int{
	{1, 1, 1}, {1, 1, 5}, {2, 3, 1}, {3, 5, 7}, {8, 32, 16}, {9, 33, 17},
	{17, 16, 1}, {14, 31, 40}, {13, 47, 385}, {50, 10, 64}, {97, 65, 30},
	{30, 530, 9}, {33, 7, 800}, {200, 48, 9}, {1, 100, 3}, {100, 1, 3},
	{129, 17, 5},
}

func TestSgemm(t *testing.T) {
	lowSerial(t)
	rng := rand.New(rand.NewPCG(1, 2))
	engines := []*Engine{NewEngine(1), NewEngine(2)}
	for _, e := range engines {
		defer e.Close()
	}
	for _, s := range shapes {
		for trans := range 4 {
			for ib, beta := range []float32{0, 1, -0.7} {
				pad := (trans + ib) % 2 * 3 // minimal and padded strides
				p := newProblem(rng, trans&1 != 0, trans&2 != 0, s[0], s[1], s[2], pad, 0, beta)
				want, bound := p.reference()
				for _, kn := range kernels() {
					kern = kn
					for _, e := range engines {
						p.checkWith(t, e, want, bound)
					}
				}
				kern = chosen
			}
		}
	}
}

// TestSgemmOverlappingA reads an untransposed A whose rows overlap (lda < k),
// as an implicit im2col does.
func TestSgemmOverlappingA(t *testing.T) {
	withKernels(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 4))
		lowSerial(t)
		e := NewEngine(2)
		defer e.Close()
		for _, s := range [][4]int{{50, 32, 9, 3}, {37, 10, 28, 1}, {30, 20, 400, 7}, {100, 70, 60, 7}, {26, 33, 30, 28}} {
			for _, transB := range []bool{false, true} {
				for _, beta := range []float32{0, 0.5} {
					p := newProblem(rng, false, transB, s[0], s[1], s[2], 1, -s[3], beta)
					p.check(t, e)
				}
			}
		}
	})
}

func TestSgemmZeroSizes(t *testing.T) {
	e := NewEngine(1)
	defer e.Close()
	c := []float32{1, 2, float32(math.NaN()), 4}
	e.Sgemm(false, false, 2, 2, 0, nil, 1, nil, 2, 0, c, 2)
	for i, v := range c {
		if v != 0 {
			t.Fatalf("k=0, beta=0: c[%d] = %v, want 0", i, v)
		}
	}
	c = []float32{1, 2, 3, 4}
	e.Sgemm(true, true, 2, 2, 0, nil, 1, nil, 1, 2, c, 2)
	for i, v := range c {
		if v != float32(2*(i+1)) {
			t.Fatalf("k=0, beta=2: c[%d] = %v, want %v", i, v, 2*(i+1))
		}
	}
	e.Sgemm(false, false, 0, 5, 5, nil, 5, make([]float32, 25), 5, 0, nil, 5)
	e.Sgemm(false, false, 5, 0, 5, make([]float32, 25), 5, nil, 1, 0, nil, 1)
}

// TestSgemmThreadsBitIdentical checks that 1 and 2 threads give the same bits.
func TestSgemmThreadsBitIdentical(t *testing.T) {
	withKernels(t, func(t *testing.T) {
		sizes := [][3]int{{300, 64, 100}, {70, 290, 33}, {9, 32, 2000}, {130, 600, 50}, {2100, 40, 20}}
		if raceEnabled && kern == goKernel {
			// The plain-Go kernel is slow under the race detector.
			sizes = [][3]int{{120, 40, 50}, {9, 32, 500}, {70, 100, 20}}
		}
		e1, e2 := NewEngine(1), NewEngine(2)
		defer e1.Close()
		defer e2.Close()
		rng := rand.New(rand.NewPCG(5, 6))
		for _, low := range []bool{false, true} {
			if low {
				lowSerial(t)
			}
			for _, s := range sizes {
				for trans := range 4 {
					p := newProblem(rng, trans&1 != 0, trans&2 != 0, s[0], s[1], s[2], 1, 0, 0.5)
					c1 := append([]float32(nil), p.c...)
					c2 := append([]float32(nil), p.c...)
					e1.Sgemm(p.transA, p.transB, p.m, p.n, p.k, p.a, p.lda, p.b, p.ldb, p.beta, c1, p.ldc)
					e2.Sgemm(p.transA, p.transB, p.m, p.n, p.k, p.a, p.lda, p.b, p.ldb, p.beta, c2, p.ldc)
					for i := range c1 {
						if math.Float32bits(c1[i]) != math.Float32bits(c2[i]) {
							t.Fatalf("%v: c[%d] = %v with 1 thread, %v with 2", p, i, c1[i], c2[i])
						}
					}
				}
			}
		}
	})
}

func TestSgemmPanics(t *testing.T) {
	e := NewEngine(1)
	defer e.Close()
	s := make([]float32, 12)
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"short a", func() { e.Sgemm(false, false, 4, 3, 3, s[:11], 3, s, 3, 0, s, 3) }},
		{"short b", func() { e.Sgemm(false, true, 3, 4, 3, s, 3, s[:11], 3, 0, s, 4) }},
		{"short c", func() { e.Sgemm(false, false, 3, 4, 3, s, 3, s, 4, 0, s[:11], 4) }},
		{"short transposed a", func() { e.Sgemm(true, false, 3, 3, 4, s[:11], 3, s, 3, 0, s, 3) }},
		{"ldc < n", func() { e.Sgemm(false, false, 2, 3, 2, s, 2, s, 3, 0, s, 2) }},
		{"ldb < n", func() { e.Sgemm(false, false, 2, 3, 2, s, 2, s, 2, 0, s, 3) }},
		{"lda < m transposed", func() { e.Sgemm(true, false, 3, 2, 2, s, 2, s, 2, 0, s, 2) }},
		{"negative", func() { e.Sgemm(false, false, -1, 2, 2, s, 2, s, 2, 0, s, 2) }},
	} {
		func() {
			defer func() {
				r := recover()
				if msg, ok := r.(string); !ok || !strings.HasPrefix(msg, "gemm: ") {
					t.Errorf("%s: recovered %v, want a \"gemm: ...\" panic", tc.name, r)
				}
			}()
			tc.f()
		}()
	}
}

func TestParallel(t *testing.T) {
	for _, threads := range []int{1, 2, 3} {
		e := NewEngine(threads)
		for _, n := range []int{0, 1, 2, 5, 100} {
			hits := make([]int, n)
			var chunks [][2]int
			ch := make(chan [2]int, threads)
			e.Parallel(n, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					hits[i]++
				}
				ch <- [2]int{lo, hi}
			})
			close(ch)
			for c := range ch {
				chunks = append(chunks, c)
			}
			for i, h := range hits {
				if h != 1 {
					t.Fatalf("threads=%d n=%d: index %d visited %d times", threads, n, i, h)
				}
			}
			slices.SortFunc(chunks, func(x, y [2]int) int { return x[0] - y[0] })
			var want [][2]int
			for w, c := 0, min(n, threads); w < c; w++ {
				want = append(want, [2]int{w * n / c, (w + 1) * n / c})
			}
			if !slices.Equal(chunks, want) {
				t.Errorf("threads=%d n=%d: chunks %v, want %v", threads, n, chunks, want)
			}
		}
		e.Close()
	}
}

// TestReentrant calls Sgemm and Parallel from inside Parallel: they must run
// (single-threaded) instead of deadlocking.
func TestReentrant(t *testing.T) {
	e := NewEngine(2)
	defer e.Close()
	rng := rand.New(rand.NewPCG(7, 8))
	p := newProblem(rng, false, false, 40, 40, 40, 0, 0, 0)
	want, _ := p.reference()
	outs := [2][]float32{make([]float32, 1600), make([]float32, 1600)}
	e.Parallel(2, func(lo, hi int) {
		for w := lo; w < hi; w++ {
			e.Sgemm(false, false, 40, 40, 40, p.a, 40, p.b, 40, 0, outs[w], 40)
			e.Parallel(3, func(lo, hi int) {})
		}
	})
	for _, out := range outs {
		for i, v := range out {
			if math.Abs(float64(v)-want[i]) > 1e-4 {
				t.Fatalf("c[%d] = %v, want %v", i, v, want[i])
			}
		}
	}
}

func TestAllocs(t *testing.T) {
	e := NewEngine(2)
	defer e.Close()
	rng := rand.New(rand.NewPCG(9, 10))
	for _, s := range [][3]int{{64, 64, 128}, {500, 70, 300}} {
		for trans := range 4 {
			p := newProblem(rng, trans&1 != 0, trans&2 != 0, s[0], s[1], s[2], 0, 0, 1)
			f := func() {
				e.Sgemm(p.transA, p.transB, p.m, p.n, p.k, p.a, p.lda, p.b, p.ldb, p.beta, p.c, p.ldc)
			}
			f()
			if n := testing.AllocsPerRun(10, f); n != 0 {
				t.Errorf("%v: %v allocations per call, want 0", p, n)
			}
		}
	}
	sum := make([]float32, 2)
	fn := func(lo, hi int) { sum[lo%2] += float32(hi - lo) }
	if n := testing.AllocsPerRun(10, func() { e.Parallel(2, fn) }); n != 0 {
		t.Errorf("Parallel: %v allocations per call, want 0", n)
	}
}

func TestKernelName(t *testing.T) {
	switch k := Kernel(); k {
	case "avx512", "avx2", "go":
	default:
		t.Fatalf("Kernel() = %q", k)
	}
	t.Logf("Kernel() = %s; testing %d kernels", Kernel(), len(kernels()))
}
