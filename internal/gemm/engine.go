package gemm

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Engine runs GEMMs and parallel loops on a fixed set of persistent worker
// goroutines. The calling goroutine takes part in every call, so an Engine
// with T threads starts T-1 goroutines. Work is handed out in pieces (tasks
// of C, or chunks of a Parallel range) that whoever is free claims, so a
// worker that is slow to start, or slowed down by another process, does not
// hold up the call; which goroutine runs a piece never changes the result.
//
// Between calls, workers spin for a short while (spinTime) before they
// park, so that back-to-back calls do not pay for waking a sleeping thread.
//
// An Engine is safe for concurrent use, but calls are not run concurrently:
// one call owns the workers at a time. A call made while another is running
// (from another goroutine, or re-entrantly from inside a Parallel callback)
// runs on its caller's goroutine alone, with scratch memory from a pool.
// Close stops the workers; an Engine that is dropped without Close leaks
// them.
type Engine struct {
	threads int
	mu      sync.Mutex // held by the call that owns the workers
	closed  bool

	// Hand-off. The owner of a call sets body and state (the call's id,
	// open, no worker in it), publishes the id in seq, and drops a wake
	// token in each worker's channel. A worker that sees the new id joins
	// the call if it is still open, runs body and leaves. When its own part
	// is done the owner closes the call and waits only for the workers that
	// joined: a worker that is late (or whose thread the OS did not run)
	// is not waited for, and the owner has claimed its share of the work.
	seq     atomic.Uint64 // id of the latest call
	state   atomic.Uint64 // id<<32 | callClosed | workers in the call
	quit    atomic.Bool
	workers []workerState
	done    chan struct{} // the last worker to leave a closed call sends one token
	body    func(w int)   // what the workers run for the current call

	scratch [][]float32 // per-worker packing buffers

	g      gemmJob   // current Sgemm call
	gemmFn func(int) // e.gemmBody, bound once

	par   parJob    // current Parallel call
	parFn func(int) // e.parBody, bound once
}

// callClosed is the bit of Engine.state that says no worker may join.
const callClosed = 1 << 31

type workerState struct {
	wake chan struct{} // buffered; a token means "look at seq"
	_    [56]byte      // keep workers on separate cache lines
}

// parJob is one Parallel call: chunk c of nc is [c*n/nc, (c+1)*n/nc).
type parJob struct {
	n, nc int
	fn    func(lo, hi int)
	next  atomic.Int64
}

// spinTime is how long an idle worker polls for the next call before it
// parks, and how long the owner of a call polls for its workers to finish
// before it blocks. It is long enough for workers to stay awake across the
// short gaps of a training step: at 100µs they parked there, and a parked
// worker is late to join the next call when other goroutines (the timers of
// SSH viewers' UIs) keep the scheduler busy. An idle engine still parks its
// workers 1ms after its last call. Figures: README, "What viewers cost a
// run".
const spinTime = time.Millisecond

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
	e.done = make(chan struct{}, 1)
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
		// Spin while no call is posted, for at most spinTime, then park.
		// The spin is a bare loop: runtime.Gosched would take the
		// scheduler's lock at every turn.
		deadline := time.Now().Add(spinTime)
		for i := 1; e.seq.Load() == last; i++ {
			if i%1024 == 0 && time.Now().After(deadline) {
				break
			}
		}
		for e.seq.Load() == last {
			<-ws.wake // a token is always there after a new call is posted
		}
		if e.quit.Load() {
			return
		}
		last = e.seq.Load()
		if e.join(last) {
			e.body(w)
			e.leave()
		}
	}
}

// join enters call id if it is still open.
func (e *Engine) join(id uint64) bool {
	for {
		s := e.state.Load()
		if s>>32 != id&(1<<32-1) || s&callClosed != 0 {
			return false
		}
		if e.state.CompareAndSwap(s, s+1) {
			return true
		}
	}
}

// leave exits the current call, telling its owner if it was the last out
// of a closed call.
func (e *Engine) leave() {
	if s := e.state.Add(^uint64(0)); s&callClosed != 0 && s&(callClosed-1) == 0 {
		e.done <- struct{}{}
	}
}

// post publishes a new call and wakes the workers.
func (e *Engine) post() {
	id := e.seq.Load() + 1
	e.state.Store(id << 32)
	e.seq.Store(id)
	for w := 1; w < e.threads; w++ {
		select {
		case e.workers[w].wake <- struct{}{}:
		default: // a token is there already
		}
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
	e.quit.Store(true)
	e.post()
}

// Threads returns the number of threads (the caller plus the workers).
func (e *Engine) Threads() int { return e.threads }

// run runs body(0) on the caller and body(w) on each worker w that joins in
// time, and waits for those. The caller must hold e.mu. body must hand out
// its work piece by piece to whoever is free, as it does not know how many
// workers will come.
func (e *Engine) run(nw int, body func(w int)) {
	if nw <= 1 || e.closed {
		body(0)
		return
	}
	e.body = body
	e.post()
	body(0)
	// Close the call; if workers are still in it, wait for the last one.
	if s := e.state.Add(callClosed); s&(callClosed-1) != 0 {
		deadline := time.Now().Add(spinTime)
		for i := 1; len(e.done) == 0; i++ {
			if i%1024 == 0 && time.Now().After(deadline) {
				break
			}
		}
		<-e.done
	}
	e.body = nil
}

// Parallel runs fn over [0, n) cut into min(n, Threads()) contiguous chunks,
// chunk c of nc being [c*n/nc, (c+1)*n/nc), and waits for all of them. The
// chunks depend only on n and Threads(); free workers (the caller among
// them) claim them in turn. fn must not call methods of the same Engine
// (such a call would run single-threaded).
//
// Parallel itself does not allocate, but fn is stored where the workers can
// see it, so a closure passed as fn escapes to the heap: a caller that wants
// zero allocations should build its closure once and reuse it.
func (e *Engine) Parallel(n int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	nc := min(n, e.threads)
	if nc <= 1 || !e.mu.TryLock() {
		for c := range nc {
			if lo, hi := c*n/nc, (c+1)*n/nc; lo < hi {
				fn(lo, hi)
			}
		}
		return
	}
	defer e.mu.Unlock()
	p := &e.par
	p.n, p.nc, p.fn = n, nc, fn
	p.next.Store(0)
	e.run(nc, e.parFn)
	p.fn = nil
}

func (e *Engine) parBody(int) {
	p := &e.par
	for {
		c := int(p.next.Add(1)) - 1
		if c >= p.nc {
			return
		}
		if lo, hi := c*p.n/p.nc, (c+1)*p.n/p.nc; lo < hi {
			p.fn(lo, hi)
		}
	}
}
