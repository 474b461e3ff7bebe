package gemm

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Engine runs GEMMs and parallel loops on a fixed set of persistent worker
// goroutines. The calling goroutine is worker 0, so an Engine with T threads
// starts T-1 goroutines. After a call, workers spin for a short while
// (spinTime) before they park, so that back-to-back calls do not pay for
// waking a sleeping thread.
//
// An Engine is safe for concurrent use, but calls are not run concurrently:
// one call owns the workers at a time. A call made while another is running
// (from another goroutine, or re-entrantly from inside a Parallel callback)
// runs on its caller's goroutine alone, with scratch memory from a pool.
type Engine struct {
	threads int
	mu      sync.Mutex // held by the call that owns the workers
	closed  bool

	// Hand-off: the owner sets body, bumps seq, and wakes parked workers;
	// each worker runs body(w) once per value of seq and decrements pending.
	seq     atomic.Uint64
	pending atomic.Int32
	workers []workerState
	body    func(w int) // what the workers run for the current call; nil means exit

	scratch [][]float32 // per-worker packing buffers

	g      gemmJob   // current Sgemm call
	gemmFn func(int) // e.gemmBody, bound once
	parFn  func(int) // e.parBody, bound once
	parN   int       // current Parallel call
	parNW  int       // chunks of the current Parallel call
	parF   func(lo, hi int)

	partial   func(int) // body of a call that uses fewer than all workers
	partialNW int
	partialFn func(int) // e.partialBody, bound once
}

type workerState struct {
	parked atomic.Bool
	wake   chan struct{} // buffered; one token wakes a parked worker
	_      [48]byte      // keep workers on separate cache lines
}

// spinTime is how long an idle worker polls for the next call before it
// parks.
const spinTime = 200 * time.Microsecond

// NewEngine returns an Engine with the given number of threads; threads <= 0
// means runtime.GOMAXPROCS(0).
func NewEngine(threads int) *Engine {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	e := &Engine{threads: threads}
	e.gemmFn = e.gemmBody
	e.parFn = e.parBody
	e.partialFn = e.partialBody
	e.scratch = make([][]float32, threads)
	for w := range e.scratch {
		e.scratch[w] = newScratch()
	}
	e.workers = make([]workerState, threads)
	for w := 1; w < threads; w++ {
		e.workers[w].wake = make(chan struct{}, 1)
		go e.worker(w)
	}
	return e
}

func (e *Engine) worker(w int) {
	ws := &e.workers[w]
	var last uint64
	for {
		// Spin, then park until seq moves past last.
		if e.seq.Load() == last {
			deadline := time.Now().Add(spinTime)
			for i := 0; e.seq.Load() == last; i++ {
				if i%64 == 63 && time.Now().After(deadline) {
					ws.parked.Store(true)
					if e.seq.Load() != last && ws.parked.CompareAndSwap(true, false) {
						break // a call came in as we were parking
					}
					<-ws.wake
					break
				}
				runtime.Gosched()
			}
		}
		last++
		body := e.body
		if body == nil {
			e.pending.Add(-1)
			return
		}
		body(w)
		e.pending.Add(-1)
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
	e.handOff(e.threads, nil)
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
	e.handOff(nw, body)
	body(0)
	for e.pending.Load() != 0 {
		runtime.Gosched()
	}
	e.body = nil
}

// handOff starts body on workers 1..threads-1. Workers w >= nw run a no-op
// so that every worker sees every value of seq.
func (e *Engine) handOff(nw int, body func(w int)) {
	if body != nil && nw < e.threads {
		e.partial, e.partialNW = body, nw
		body = e.partialFn
	}
	e.body = body
	e.pending.Store(int32(e.threads - 1))
	e.seq.Add(1)
	for w := 1; w < e.threads; w++ {
		ws := &e.workers[w]
		if ws.parked.Load() && ws.parked.CompareAndSwap(true, false) {
			ws.wake <- struct{}{}
		}
	}
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

func (e *Engine) partialBody(w int) {
	if w < e.partialNW {
		e.partial(w)
	}
}
