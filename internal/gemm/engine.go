package gemm

import (
	"runtime"
	"sync"
)

// Engine runs GEMMs and parallel loops on a fixed set of persistent worker
// goroutines. The calling goroutine is worker 0, so an Engine with T threads
// starts T-1 goroutines.
//
// An Engine is safe for concurrent use, but calls are not run concurrently:
// one call owns the workers at a time. A call made while another is running
// (from another goroutine, or re-entrantly from inside a Parallel callback)
// runs on its caller's goroutine alone, with scratch memory from a pool.
type Engine struct {
	threads int
	mu      sync.Mutex
	closed  bool

	start []chan struct{} // start[w] wakes worker w (w >= 1)
	wg    sync.WaitGroup
	body  func(w int) // what the workers run for the current call

	scratch [][]float32 // per-worker packing buffers

	g      gemmJob   // current Sgemm call
	gemmFn func(int) // e.gemmBody, bound once
	parFn  func(int) // e.parBody, bound once
	parN   int       // current Parallel call
	parNW  int       // chunks of the current Parallel call
	parF   func(lo, hi int)
}

// NewEngine returns an Engine with the given number of threads; threads <= 0
// means runtime.GOMAXPROCS(0).
func NewEngine(threads int) *Engine {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	e := &Engine{threads: threads}
	e.gemmFn = e.gemmBody
	e.parFn = e.parBody
	e.scratch = make([][]float32, threads)
	for w := range e.scratch {
		e.scratch[w] = newScratch()
	}
	e.start = make([]chan struct{}, threads)
	for w := 1; w < threads; w++ {
		ch := make(chan struct{})
		e.start[w] = ch
		go e.worker(w, ch)
	}
	return e
}

func (e *Engine) worker(w int, start chan struct{}) {
	for range start {
		e.body(w)
		e.wg.Done()
	}
}

// Close stops the worker goroutines. Calls made after Close run on the
// caller's goroutine alone.
func (e *Engine) Close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return
	}
	e.closed = true
	for w := 1; w < e.threads; w++ {
		close(e.start[w])
	}
}

// Threads returns the number of threads (the caller plus the workers).
func (e *Engine) Threads() int { return e.threads }

// run runs body(w) for w in [0, nw) on nw workers, body(0) on the caller,
// and waits. The caller must hold e.mu and nw <= e.threads.
func (e *Engine) run(nw int, body func(w int)) {
	if nw <= 1 || e.closed {
		for w := 0; w < max(nw, 1); w++ {
			body(w)
		}
		return
	}
	e.body = body
	e.wg.Add(nw - 1)
	for w := 1; w < nw; w++ {
		e.start[w] <- struct{}{}
	}
	body(0)
	e.wg.Wait()
	e.body = nil
}

// Parallel runs fn over [0, n) cut into at most Threads() contiguous chunks,
// chunk w being [w*n/c, (w+1)*n/c) for c chunks, one chunk per worker, and
// waits for all of them. The chunking depends only on n and Threads(). fn
// must not call methods of the same Engine (such a call would run
// single-threaded).
//
// Parallel itself does not allocate, but fn is stored where the workers can
// see it, so a closure passed as fn escapes to the heap: a caller that wants
// zero allocations should build its closure once and reuse it.
func (e *Engine) Parallel(n int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	nw := min(n, e.threads)
	if nw <= 1 || !e.mu.TryLock() {
		for w := 0; w < nw; w++ {
			if lo, hi := w*n/nw, (w+1)*n/nw; lo < hi {
				fn(lo, hi)
			}
		}
		return
	}
	defer e.mu.Unlock()
	e.parN, e.parNW, e.parF = n, nw, fn
	e.run(nw, e.parFn)
	e.parF = nil
}

func (e *Engine) parBody(w int) {
	lo := w * e.parN / e.parNW
	hi := (w + 1) * e.parN / e.parNW
	if lo < hi {
		e.parF(lo, hi)
	}
}
