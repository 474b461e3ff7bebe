package gemm

import (
	"sync"
	"sync/atomic"
	"unsafe"
)

// Blocking sizes. A KC×NC block of B is packed (or addressed in place) and
// swept by MC-row blocks of A, one micro-tile of mr×nr at a time.
const (
	blockK = 384 // KC: depth of one pass; a 32-column B panel of this depth is 48 KiB
	blockN = 512 // NC: columns of B packed at once
	blockM = 96  // MC: rows of A per sweep (rounded down to a multiple of mr)

	// tasksPerThread is how many tasks per thread Sgemm aims for, so that a
	// worker slowed down by another process does not hold up the call.
	tasksPerThread = 4
	// packRows is the number of rows of C that must share one packing of B
	// before Sgemm lets another task pack the same columns of B again.
	packRows = 1024
	// inPlaceLDB is the largest ldb (in elements) for which an untransposed
	// B is read in place instead of packed.
	inPlaceLDB = 64
	// pfDist is how many steps of p ahead kernels prefetch a transposed A
	// (measured: 24 to 128 are alike, no prefetch is 20-30 % slower).
	pfDist = 64
)

// serialFMA is the work (m·n·k) below which Sgemm runs on the caller alone:
// waking a worker would cost more than it saves. Tests lower it.
var serialFMA = 1 << 20

// streamBytes is the size of C from which Sgemm writes it with non-temporal
// stores (when beta == 0 and k <= blockK). Tests lower it.
var streamBytes = 16 << 20

// newScratch returns a packing buffer big enough for every kernel: a KC×NC
// block of B.
func newScratch() []float32 { return make([]float32, blockK*blockN) }

var scratchPool = sync.Pool{New: func() any { s := newScratch(); return &s }}

// gemmJob holds the arguments of one Sgemm call and its cut into tasks.
type gemmJob struct {
	transA, transB bool
	m, n, k        int
	a              []float32
	lda            int
	b              []float32
	ldb            int
	beta           float32
	c              []float32
	ldc            int

	kern     *kernel
	rsa, csa int  // A(i,p) = a[i*rsa + p*csa]
	bInPlace bool // read B panels in place (untransposed B with short rows)
	stream   bool // write full, aligned tiles of C with non-temporal stores

	// C is cut into mb×nb tasks; task boundaries fall on multiples of
	// kern.mr rows and cu columns.
	mb, nb   int
	rowUnits int
	colUnits int
	cu       int
	ntasks   int
	next     atomic.Int64
}

// Sgemm computes C = op(A)·op(B) + beta·C for row-major float32 matrices.
//
// op(A) is m×k: A is m×k with row stride lda, or k×m if transA. op(B) is
// k×n: B is k×n with row stride ldb, or n×k if transB. C is m×n with row
// stride ldc. beta may be any value; beta == 0 means C is only written, and
// its old contents (even NaN) are ignored.
//
// For an untransposed A, lda may be smaller than k: rows of A may overlap
// (as in an implicit im2col). Sgemm panics with a "gemm: ..." message when a
// slice is too short for the sizes given, or a size or stride is invalid.
//
// The work is split across the Engine's workers by tiles of C only, never by
// k, so results are bit-identical whatever the number of threads. Once the
// Engine is warm, Sgemm does not allocate.
func (e *Engine) Sgemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkArgs(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	if !e.mu.TryLock() {
		// Busy (concurrent or re-entrant call): run alone with pooled scratch.
		var g gemmJob
		g.setup(kern, 1, transA, transB, m, n, k, a, lda, b, ldb, beta, c, ldc)
		sp := scratchPool.Get().(*[]float32)
		g.work(*sp)
		scratchPool.Put(sp)
		return
	}
	defer e.mu.Unlock()
	nw := e.threads
	if e.closed || m*n*k < serialFMA {
		nw = 1
	}
	g := &e.g
	g.setup(kern, nw, transA, transB, m, n, k, a, lda, b, ldb, beta, c, ldc)
	e.run(min(nw, g.ntasks), e.gemmFn)
	*g = gemmJob{} // drop references to the caller's slices
}

func (e *Engine) gemmBody(w int) { e.g.work(e.scratch[w]) }

func checkArgs(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic("gemm: negative size")
	}
	if ldc < max(n, 1) {
		panic("gemm: ldc < n")
	}
	if m > 0 && n > 0 && len(c) < (m-1)*ldc+n {
		panic("gemm: c too short")
	}
	if m == 0 || n == 0 || k == 0 {
		return
	}
	if transA {
		if lda < m {
			panic("gemm: lda < m for transposed A")
		}
		if len(a) < (k-1)*lda+m {
			panic("gemm: a too short")
		}
	} else {
		if lda < 1 {
			panic("gemm: lda < 1")
		}
		if len(a) < (m-1)*lda+k {
			panic("gemm: a too short")
		}
	}
	if transB {
		if ldb < k {
			panic("gemm: ldb < k for transposed B")
		}
		if len(b) < (n-1)*ldb+k {
			panic("gemm: b too short")
		}
	} else {
		if ldb < n {
			panic("gemm: ldb < n")
		}
		if len(b) < (k-1)*ldb+n {
			panic("gemm: b too short")
		}
	}
}

// scaleC sets C = beta·C, or C = 0 when beta == 0.
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// setup stores the arguments and cuts C into tasks for nw workers.
func (g *gemmJob) setup(kn *kernel, nw int, transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	g.transA, g.transB = transA, transB
	g.m, g.n, g.k = m, n, k
	g.a, g.lda, g.b, g.ldb = a, lda, b, ldb
	g.beta, g.c, g.ldc = beta, c, ldc
	g.kern = kn
	if transA {
		g.rsa, g.csa = 1, lda
	} else {
		g.rsa, g.csa = lda, 1
	}
	g.bInPlace = !transB && ldb <= inPlaceLDB
	// C is written once (beta == 0, one pass over k) and is too big to stay
	// in the caches: stream it to memory.
	g.stream = kn.align > 0 && beta == 0 && k <= blockK && m*n*4 >= streamBytes &&
		(ldc*4)%kn.align == 0
	g.next.Store(0)

	// Tasks never split a panel: a half-width panel runs at half speed.
	g.cu = kn.nr
	g.rowUnits = (m + kn.mr - 1) / kn.mr
	g.colUnits = (n + g.cu - 1) / g.cu
	g.mb, g.nb = 1, 1
	if nw > 1 {
		target := tasksPerThread * nw
		mb := min(g.rowUnits, target)
		if !g.bInPlace {
			// Each row block packs its own copy of B: keep them few.
			mb = min(mb, max(1, m/packRows))
		}
		nb := min(g.colUnits, (target+mb-1)/mb)
		if mb*nb < nw {
			mb = min(g.rowUnits, (nw+nb-1)/nb)
		}
		g.mb, g.nb = mb, nb
	}
	g.ntasks = g.mb * g.nb
}

// work runs tasks until none is left, packing into scratch.
func (g *gemmJob) work(scratch []float32) {
	for {
		t := int(g.next.Add(1)) - 1
		if t >= g.ntasks {
			return
		}
		ti, tj := t/g.nb, t%g.nb
		i0 := ti * g.rowUnits / g.mb * g.kern.mr
		i1 := min(g.m, (ti+1)*g.rowUnits/g.mb*g.kern.mr)
		j0 := tj * g.colUnits / g.nb * g.cu
		j1 := min(g.n, (tj+1)*g.colUnits/g.nb*g.cu)
		g.block(scratch, i0, i1, j0, j1)
		if g.stream {
			g.kern.fence()
		}
	}
}

// block computes rows [i0,i1) and columns [j0,j1) of C.
func (g *gemmJob) block(scratch []float32, i0, i1, j0, j1 int) {
	kn := g.kern
	mr, nr := kn.mr, kn.nr
	cbase := uintptr(unsafe.Pointer(unsafe.SliceData(g.c)))
	mc := max(mr, blockM/mr*mr)
	for jc := j0; jc < j1; jc += blockN {
		nc := min(blockN, j1-jc)
		for pc := 0; pc < g.k; pc += blockK {
			kc := min(blockK, g.k-pc)
			mode, beta := modeLoad, float32(1)
			if pc == 0 && g.beta == 0 {
				mode = modeStore
			} else if pc == 0 {
				beta = g.beta
			}
			var bp []float32
			ldbp := nr
			if g.bInPlace {
				bp, ldbp = g.b[pc*g.ldb+jc:], g.ldb
			} else {
				bp = scratch[:kc*((nc+nr-1)/nr*nr)]
				packB(bp, g.transB, g.b, g.ldb, pc, kc, jc, nc, nr, kn.transpose, kn.tsize)
			}
			// Prefetch: for an untransposed A, the next tile's rows
			// ((mr-1)·lda + kc elements), spread over the kc steps with one
			// line at most per step; for a transposed A, this tile's A
			// pfDist rows of A ahead.
			pfoff, pfstep := mr*g.lda*4, min(64, ((mr-1)*g.lda+kc)*4/kc)
			if g.transA {
				pfoff, pfstep = pfDist*g.lda*4, g.lda*4
			}
			for ic := i0; ic < i1; ic += mc {
				mcur := min(mc, i1-ic)
				for jr := 0; jr < nc; jr += nr {
					cols := min(nr, nc-jr)
					var bpan []float32
					if g.bInPlace {
						bpan = bp[jr:]
					} else {
						bpan = bp[jr*kc:]
					}
					md := mode
					if g.stream && cols == nr && (cbase+uintptr(ic*g.ldc+jc+jr)*4)%uintptr(kn.align) == 0 {
						md = modeStream // every row is aligned: ldc*4 is a multiple of align
					}
					kn.tile(mcur, cols, kc,
						g.a[ic*g.rsa+pc*g.csa:], g.rsa, g.csa,
						bpan, ldbp,
						g.c[ic*g.ldc+jc+jr:], g.ldc, beta, md,
						pfoff, pfstep)
				}
			}
		}
	}
}

// packB copies op(B)[pc:pc+kc, jc:jc+nc] into panels of nr columns: panel q
// holds columns jc+q·nr… as a kc×nr row-major block at dst[q·kc·nr:]. Columns
// past nc in the last panel are left as they were (kernels never read them).
// tr, if not nil, transposes ts×ts blocks of a transposed B.
func packB(dst []float32, transB bool, b []float32, ldb, pc, kc, jc, nc, nr int, tr func(dst []float32, ldd int, src []float32, lds int), ts int) {
	for jp := 0; jp < nc; jp += nr {
		w := min(nr, nc-jp)
		pan := dst[jp*kc : jp*kc+kc*nr]
		if !transB {
			for p := range kc {
				src := b[(pc+p)*ldb+jc+jp:]
				copy(pan[p*nr:p*nr+w], src[:w])
			}
			continue
		}
		// op(B)(pc+p, jc+jp+jj) = b[(jc+jp+jj)*ldb + pc+p]
		src := b[(jc+jp)*ldb+pc:]
		jj := 0
		if tr != nil {
			for ; jj+ts <= w; jj += ts {
				p := 0
				for ; p+ts <= kc; p += ts {
					tr(pan[p*nr+jj:], nr, src[jj*ldb+p:], ldb)
				}
				for ; p < kc; p++ {
					d := pan[p*nr+jj : p*nr+jj+ts]
					for q := range d {
						d[q] = src[(jj+q)*ldb+p]
					}
				}
			}
		}
		for ; jj < w; jj++ {
			for p, v := range src[jj*ldb : jj*ldb+kc] {
				pan[p*nr+jj] = v
			}
		}
	}
}
