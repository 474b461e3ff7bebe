package tui

import (
	"context"
	"sync"

	tea "charm.land/bubbletea/v2"

	"convscope/nn"
)

// trainFunc runs training synchronously, like nn.Train bound to a network and
// data: it calls report between batches and returns ctx.Err() when cancelled.
type trainFunc func(ctx context.Context, report func(nn.Progress)) error

// hooks are what the runner does with the live network, always in the
// training goroutine between batches. Any of them may be nil.
type hooks struct {
	// save writes a checkpoint and returns its path; epoch is the epoch the
	// network is in (the one just finished, after EpochDone).
	save func(epoch int) (string, error)
	// snapshot returns a copy of the network the UI may keep.
	snapshot func() *nn.Net
	// setLR changes the base learning rate from the next batch on;
	// stopAfter asks training to stop once epoch has finished (0
	// withdraws it). Nil: the run cannot be steered.
	setLR     func(lr float64, by string) (nn.LRChange, error)
	stopAfter func(epoch int, by string) error
}

// Messages from the training goroutine.
type (
	// progressMsg is a BatchProgress report.
	progressMsg nn.Progress
	// epochMsg is an EpochDone report, with a copy of the network as it was.
	epochMsg struct {
		p   nn.Progress
		net *nn.Net // nil when no snapshot hook
	}
	// snapshotMsg carries a copy of the network, taken when training paused.
	snapshotMsg struct{ net *nn.Net }
	// savedMsg says where a checkpoint went, or why it did not.
	savedMsg struct {
		path string
		err  error
	}
	// trainDoneMsg is sent once when training returns.
	trainDoneMsg struct{ err error }
	// eventsMsg carries the messages queued since the last one, in order.
	eventsMsg []tea.Msg
	// lrMsg says that by changed the learning rate, or why it did not.
	lrMsg struct {
		c   nn.LRChange
		err error
	}
	// stopAfterMsg says that by asked training to stop once epoch has
	// finished (0: withdrew the request), or why that failed.
	stopAfterMsg struct {
		epoch int
		by    string
		err   error
	}
)

// controller is what the model asks of the training goroutine. runner is the
// real one; tests use a recorder.
type controller interface {
	// Next waits for the next messages from training.
	Next() tea.Cmd
	Pause()
	Resume()
	// Save asks for a checkpoint; the answer comes as a savedMsg. It returns
	// false when saving is not available.
	Save() (tea.Cmd, bool)
	// Stop cancels training; it does not wait.
	Stop()
	// SetLR asks for a new base learning rate and StopAfterEpoch for a stop
	// once the epoch in progress has finished (on false: for that request
	// withdrawn); the answers come as an lrMsg and a stopAfterMsg. They
	// return false when the run cannot be steered (any more).
	SetLR(lr float64) bool
	StopAfterEpoch(on bool) bool
}

// steerReq is a steering request waiting for the training goroutine.
type steerReq struct {
	lr   float64 // > 0: a new rate
	stop int     // 1: stop after the epoch; -1: withdraw that
	by   string
}

// runner runs training in its own goroutine. The report callback never waits
// for the UI: it queues messages (nothing is dropped; BatchProgress comes at
// most about ten times a second) and wakes the UI through a one-slot channel.
// It blocks only while the user holds training paused.
type runner struct {
	ctx    context.Context
	cancel context.CancelFunc
	hooks  hooks
	done   chan struct{} // closed when training has returned
	err    error         // what training returned; read after done

	notify chan struct{} // one slot: messages are waiting; closed at the end
	wake   chan struct{} // one slot: a request arrived while paused

	mu       sync.Mutex
	queue    []tea.Msg
	paused   bool
	resume   chan struct{} // closed on Resume
	wantSave bool
	wantSnap bool
	steer    []steerReq
	epoch    int  // the epoch of the last report
	returned bool // training has returned: the network is no longer live

	saveMu sync.Mutex // one checkpoint at a time
}

// startRunner starts train in a new goroutine under a context derived from ctx.
func startRunner(ctx context.Context, train trainFunc, h hooks) *runner {
	ctx, cancel := context.WithCancel(ctx)
	r := &runner{
		ctx: ctx, cancel: cancel, hooks: h,
		done:   make(chan struct{}),
		notify: make(chan struct{}, 1),
		wake:   make(chan struct{}, 1),
	}
	go func() {
		defer close(r.done)
		err := train(ctx, r.report)
		r.err = err
		r.mu.Lock()
		r.returned = true
		save := r.wantSave
		r.wantSave = false
		r.mu.Unlock()
		if save { // asked for after the last report
			r.push(r.saveNow())
		}
		r.push(trainDoneMsg{err: err})
		close(r.notify)
	}()
	return r
}

// report is the callback handed to training.
func (r *runner) report(p nn.Progress) {
	r.mu.Lock()
	r.epoch = p.Epoch
	r.mu.Unlock()
	if p.Kind == nn.EpochDone {
		m := epochMsg{p: p}
		if r.hooks.snapshot != nil {
			m.net = r.hooks.snapshot()
		}
		r.push(m)
	} else {
		r.push(progressMsg(p))
	}
	r.serve()
}

// serve answers save and snapshot requests, and holds training while paused.
func (r *runner) serve() {
	for {
		r.mu.Lock()
		save, snap, paused, resume, steer, epoch := r.wantSave, r.wantSnap, r.paused, r.resume, r.steer, r.epoch
		r.wantSave, r.wantSnap, r.steer = false, false, nil
		r.mu.Unlock()
		for _, q := range steer {
			r.push(r.steerNow(q, epoch))
		}
		if save {
			r.push(r.saveNow())
		}
		if snap && r.hooks.snapshot != nil {
			r.push(snapshotMsg{net: r.hooks.snapshot()})
		}
		if !paused {
			return
		}
		select {
		case <-resume:
			return
		case <-r.wake:
		case <-r.ctx.Done():
			return
		}
	}
}

// push queues a message for the UI without waiting.
func (r *runner) push(m tea.Msg) {
	r.mu.Lock()
	r.queue = append(r.queue, m)
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

// Next waits for queued messages and returns them as one eventsMsg; after
// training has returned and everything was read it returns nil.
func (r *runner) Next() tea.Cmd {
	return func() tea.Msg {
		for {
			_, open := <-r.notify
			r.mu.Lock()
			q := r.queue
			r.queue = nil
			r.mu.Unlock()
			if len(q) > 0 {
				return eventsMsg(q)
			}
			if !open {
				return nil
			}
		}
	}
}

// Pause holds training at its next report and takes a snapshot of the
// network for the other tabs.
func (r *runner) Pause() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.paused {
		r.paused = true
		r.resume = make(chan struct{})
		r.wantSnap = true
	}
}

// Resume lets training go on.
func (r *runner) Resume() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.paused {
		r.paused = false
		close(r.resume)
	}
}

// Save asks the training goroutine for a checkpoint at its next report; once
// training has returned it saves in a command instead.
func (r *runner) Save() (tea.Cmd, bool) {
	if r.hooks.save == nil {
		return nil, false
	}
	r.mu.Lock()
	returned := r.returned
	if !returned {
		r.wantSave = true
	}
	r.mu.Unlock()
	if returned {
		return func() tea.Msg { return r.saveNow() }, true
	}
	select {
	case r.wake <- struct{}{}:
	default:
	}
	return nil, true
}

// canSteer says whether the run takes steering requests.
func (r *runner) canSteer() bool { return r.hooks.setLR != nil && r.hooks.stopAfter != nil }

// request queues q for the training goroutine's next report (waking it
// when paused); false once training has returned or without the hooks.
func (r *runner) request(q steerReq) bool {
	if !r.canSteer() {
		return false
	}
	r.mu.Lock()
	returned := r.returned
	if !returned {
		r.steer = append(r.steer, q)
	}
	r.mu.Unlock()
	if returned {
		return false
	}
	select {
	case r.wake <- struct{}{}:
	default:
	}
	return true
}

// setLR asks for base rate lr on behalf of by.
func (r *runner) setLR(lr float64, by string) bool { return r.request(steerReq{lr: lr, by: by}) }

// stopAfter asks for (on) or withdraws a stop after the epoch in progress.
func (r *runner) stopAfter(on bool, by string) bool {
	q := steerReq{stop: -1, by: by}
	if on {
		q.stop = 1
	}
	return r.request(q)
}

// steerNow carries out q on the training goroutine, during the report of
// epoch (the epoch in progress, or the one just finished).
func (r *runner) steerNow(q steerReq, epoch int) tea.Msg {
	if q.stop != 0 {
		e := 0
		if q.stop > 0 {
			e = max(epoch, 1)
		}
		return stopAfterMsg{epoch: e, by: q.by, err: r.hooks.stopAfter(e, q.by)}
	}
	c, err := r.hooks.setLR(q.lr, q.by)
	return lrMsg{c: c, err: err}
}

// saveNow writes a checkpoint of the network as it is. It runs in the
// training goroutine, or anywhere once training has returned.
func (r *runner) saveNow() savedMsg {
	r.saveMu.Lock()
	defer r.saveMu.Unlock()
	r.mu.Lock()
	epoch := r.epoch
	r.mu.Unlock()
	path, err := r.hooks.save(epoch)
	return savedMsg{path: path, err: err}
}

// Stop cancels training.
func (r *runner) Stop() { r.cancel() }

// wait stops training and waits for it to return, and gives its error.
func (r *runner) wait() error {
	r.cancel()
	<-r.done
	return r.err
}
