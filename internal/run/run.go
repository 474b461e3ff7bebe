// Package run is the one run loop: it trains an nn.Trainer and keeps its
// run folder (checkpoints, metrics.jsonl, a lock) as it goes, with one error
// policy for every mode (the UI, headless train, --resume and sweep):
//
//   - every finished epoch is appended to metrics.jsonl and saved as
//     last.safetensors (and best.safetensors when it is the best yet);
//   - a failed write of either stops the run at once, with an error that
//     says what failed, which checkpoint holds which epoch, and which
//     epochs are in none; no earlier checkpoint is lost, since every save
//     replaces its file atomically;
//   - snapshots of the network (snapshots/, package snapshot) and samples
//     of its training health (health.jsonl, package health), when asked
//     for, are written as it trains, under the same policy;
//   - a stop (ctrl+c, SIGTERM, q) saves the weights of the epoch in
//     progress as interrupted.safetensors, and last.safetensors stays the
//     state to resume from;
//   - the UI may steer the run while it trains (SetLR, StopAfter): each
//     change is a line of metrics.jsonl ({"event": "lr" or "stop", ...}),
//     and a rate change is also in every later checkpoint, so that a
//     resumed run goes on at the rate in force.
//
// Callers show progress from the events Train reports, and say where
// things are with Summary.
package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"

	"convscope/internal/checkpoint"
	"convscope/internal/dynamics"
	"convscope/internal/health"
	"convscope/internal/snapshot"
	"convscope/nn"
)

// Options is one training run.
type Options struct {
	Trainer *nn.Trainer
	Data    nn.Data
	Folder  *Folder // held by the caller, who closes it
	// From is the checkpoint a resumed run starts from ("" for a fresh run).
	From string
	// Dataset is recorded in every checkpoint (may be nil).
	Dataset *checkpoint.Dataset
	// OnEvent is called on the training goroutine for every report, after
	// an epoch's files are written. It may call SaveNow.
	OnEvent func(Event)
	// Wrap, if set, gets every byte the run writes on its way to the disk
	// (tests pass one that fails as a full disk does).
	Wrap func(io.Writer) io.Writer
	// NoDynamics turns off the recording of each image's learning dynamics
	// (dynamics.safetensors); benchmarks measure its cost with it.
	NoDynamics bool
	// Snapshots and Health turn on the snapshots of the network
	// (snapshots/, package snapshot) and the samples of its training
	// health (health.jsonl, package health); HealthEvery is the batches
	// between two health samples (0: health.DefaultEvery).
	Snapshots, Health bool
	HealthEvery       int
}

// Event is one report of the trainer, with what the run did about it.
type Event struct {
	nn.Progress
	// Best is set on an EpochDone whose test accuracy is the best so far
	// (saved as best.safetensors).
	Best bool
}

// State is how a run ended.
type State int

// The states of a run.
const (
	Running  State = iota
	Finished       // every epoch trained and saved
	Stopped        // stopped by the user; the weights at the stop are saved
	Failed         // training or a save failed
)

// Run is a run in progress.
type Run struct {
	opts Options
	keep *checkpoint.Keeper

	rec   *dynamics.Recorder // nil when not recording
	notes []string           // what Start has to say (e.g. why no dynamics)

	snapDir string              // "" when taking no snapshots
	sampler *health.Sampler     // nil when sampling no health
	samples []health.Sample     // guarded by mu
	snaps   []snapshot.Snapshot // the snapshots written, in training order; guarded by mu
	step    int                 // training batches done over the run

	mu          sync.Mutex
	cancel      context.CancelFunc
	saved       int   // the epoch last.safetensors holds
	failure     error // the first failed write; it stops the run
	state       State
	interrupted string // the file of the weights at a stop
	training    bool
	stopAfter   int // stop once this epoch is saved (StopAfter); 0: not asked
}

// Start prepares a run: it writes last.safetensors at once (so that a stop
// in the first epoch can resume), unless the run resumes from that very
// file, and for a resumed run rewrites metrics.jsonl to match the
// checkpoint's history.
func Start(opts Options) (*Run, error) {
	t := opts.Trainer
	if t == nil || opts.Folder == nil {
		return nil, errors.New("run: no trainer or no run folder")
	}
	k := checkpoint.NewKeeper(opts.Folder.Path, t)
	k.Dataset, k.Wrap = opts.Dataset, opts.Wrap
	r := &Run{opts: opts, keep: k, saved: t.Epoch}
	if !opts.NoDynamics {
		r.startDynamics()
	}
	if err := r.startWatch(); err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	if r.rec != nil || r.snapDir != "" || r.sampler != nil {
		t.Observe = r.observe
	}
	if opts.From != "" || len(t.History) > 0 {
		path := opts.Folder.File(MetricsFile)
		// The stop requests are in no checkpoint: keep the file's, up to it.
		var stops []StopRequest
		if old, err := ReadLog(path); err == nil {
			for _, s := range old.Stops {
				if s.Epoch <= t.Epoch {
					stops = append(stops, s)
				}
			}
		}
		if err := writeMetrics(path, Log{Epochs: t.History, LR: t.Changes, Stops: stops}, opts.Wrap); err != nil {
			return nil, fmt.Errorf("run: %w", err)
		}
	}
	if !sameFile(opts.From, k.Path(checkpoint.LastFile)) {
		if err := k.Start(t); err != nil {
			return nil, fmt.Errorf("run: %w", err)
		}
	}
	return r, nil
}

// startDynamics sets up the recording of every image's dynamics: fresh for
// a fresh run; for a resumed run, the folder's file cut to the checkpoint's
// epochs, or none (with a note) when the file cannot continue the run.
func (r *Run) startDynamics() {
	t, data := r.opts.Trainer, r.opts.Data
	train := data.Train.Subset(t.Cfg.TrainLimit)
	trainL, testL := train.Labels[:train.N], data.Test.Labels[:data.Test.N]
	if t.Epoch == 0 {
		r.rec = dynamics.NewRecorder(dynamics.New(trainL, testL, t.Net.Classes()))
	} else {
		path := r.opts.Folder.File(dynamics.File)
		d, err := dynamics.Read(path)
		switch {
		case err != nil:
			r.notes = append(r.notes, fmt.Sprintf("no learning dynamics for this run: %v", err))
			return
		case d.Epochs < t.Epoch:
			r.notes = append(r.notes, fmt.Sprintf("no learning dynamics for this run: %s holds %d epochs, the checkpoint %d", path, d.Epochs, t.Epoch))
			return
		}
		if err := d.Check(trainL, testL); err != nil {
			r.notes = append(r.notes, fmt.Sprintf("no learning dynamics for this run: %v", err))
			return
		}
		d.Truncate(t.Epoch)
		r.rec = dynamics.NewRecorder(d)
	}
	t.Observe = r.rec.Observe
}

// Notes are what Start noticed that the user should know (one line each).
func (r *Run) Notes() []string { return r.notes }

// Dynamics returns a copy of the learning dynamics recorded so far, or nil
// when the run records none.
func (r *Run) Dynamics() *dynamics.Data {
	if r.rec == nil {
		return nil
	}
	return r.rec.Snapshot()
}

// sameFile reports whether a and b name one existing file.
func sameFile(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

// Trainer is the run's trainer.
func (r *Run) Trainer() *nn.Trainer { return r.opts.Trainer }

// Folder is the run's folder.
func (r *Run) Folder() *Folder { return r.opts.Folder }

// LastPath is the checkpoint to resume from.
func (r *Run) LastPath() string { return r.keep.Path(checkpoint.LastFile) }

// Train trains until the run's last epoch, a stop (ctx cancelled) or a
// failure. It returns nil when the run finished, or stopped and saved the
// weights at the stop; otherwise the error says what failed and where the
// last good checkpoint is.
func (r *Run) Train(ctx context.Context) error {
	sc := &stopCtx{Context: ctx}
	r.mu.Lock()
	r.cancel, r.training, r.state = func() { sc.stop.Store(true) }, true, Running
	r.mu.Unlock()
	t := r.opts.Trainer
	err := t.Run(sc, r.opts.Data, func(p nn.Progress) {
		ev := Event{Progress: p}
		if p.Kind == nn.EpochDone && p.Stats != nil {
			best, ferr := r.epochDone(*p.Stats)
			ev.Best = best
			if ferr != nil {
				r.fail(ferr)
			}
		}
		if r.opts.OnEvent != nil {
			r.opts.OnEvent(ev)
		}
		if p.Kind == nn.EpochDone {
			r.mu.Lock()
			if r.stopAfter > 0 && t.Epoch >= r.stopAfter {
				sc.stop.Store(true) // a stop the user asked for: the epoch is saved
			}
			r.mu.Unlock()
		}
	})
	r.mu.Lock()
	r.training = false
	r.mu.Unlock()
	err = r.ended(err)
	// The last line says how the session ended, for those who watch the
	// folder (convscope watch). It cannot be written after a failure to
	// write (the disk is full): that failure is what the run returns.
	end := EndLine{Event: EventEnd, State: "finished", Epoch: t.Epoch}
	switch r.State() {
	case Stopped:
		end.State = "stopped"
	case Failed:
		end.State, end.Error = "failed", err.Error()
	}
	if eerr := appendLine(r.opts.Folder.File(MetricsFile), end, r.opts.Wrap); eerr != nil && err == nil {
		r.setState(Failed)
		return &SaveError{Epoch: t.Epoch, What: "metrics", Err: eerr, Saved: r.savedEpoch(), Last: r.LastPath()}
	}
	return err
}

// ended sets the run's state from what training returned, and returns the
// run's error.
func (r *Run) ended(err error) error {
	t := r.opts.Trainer
	r.mu.Lock()
	failure := r.failure
	r.mu.Unlock()
	switch {
	case failure != nil:
		r.setState(Failed)
		return failure
	case errors.Is(err, context.Canceled):
		path, serr := r.keep.Interrupted(t)
		if serr != nil {
			r.setState(Failed)
			return fmt.Errorf("stopped, but saving the weights at the stop failed: %w; %s", serr, r.whereSaved())
		}
		r.mu.Lock()
		r.interrupted, r.state = path, Stopped
		r.mu.Unlock()
		return nil
	case err != nil:
		r.setState(Failed)
		return fmt.Errorf("%w; %s", err, r.whereSaved())
	}
	r.setState(Finished)
	return nil
}

func (r *Run) setState(s State) {
	r.mu.Lock()
	r.state = s
	r.mu.Unlock()
}

// State is how the run ended (Running while it trains).
func (r *Run) State() State {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state
}

// epochDone writes a finished epoch: its metrics line, then its
// checkpoints. A failed metrics line does not keep the checkpoint from
// being written (resuming rewrites metrics.jsonl from it).
func (r *Run) epochDone(st nn.EpochStats) (best bool, err error) {
	// The dynamics first: a crash after them leaves them an epoch ahead of
	// the checkpoint, and a resume cuts them back.
	if r.rec != nil {
		if err := r.rec.EndEpoch(st.Epoch, st.Eval); err != nil {
			return false, &SaveError{Epoch: st.Epoch, What: "dynamics", Err: err, Saved: r.savedEpoch(), Last: r.LastPath()}
		}
		if err := r.rec.Write(r.opts.Folder.File(dynamics.File), r.opts.Wrap); err != nil {
			return false, &SaveError{Epoch: st.Epoch, What: "dynamics", Err: err, Saved: r.savedEpoch(), Last: r.LastPath()}
		}
	}
	merr := appendMetrics(r.opts.Folder.File(MetricsFile), st, r.opts.Wrap)
	best, cerr := r.keep.Epoch(r.opts.Trainer)
	if cerr == nil {
		r.mu.Lock()
		r.saved = st.Epoch
		r.mu.Unlock()
	}
	switch {
	case cerr != nil:
		return false, &SaveError{Epoch: st.Epoch, What: "checkpoint", Err: cerr, Saved: r.savedEpoch(), Last: r.LastPath()}
	case merr != nil:
		return best, &SaveError{Epoch: st.Epoch, What: "metrics", Err: merr, Saved: r.savedEpoch(), Last: r.LastPath()}
	}
	t := r.opts.Trainer
	n := r.opts.Data.Train.Subset(t.Cfg.TrainLimit).N
	if err := r.endSnapshot(st, (n+t.Cfg.Batch-1)/max(t.Cfg.Batch, 1)); err != nil {
		return best, err
	}
	return best, nil
}

func (r *Run) savedEpoch() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.saved
}

// fail records the first failure and stops training at its next check.
func (r *Run) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failure == nil {
		r.failure = err
	}
	if r.cancel != nil {
		r.cancel()
	}
}

// Err is the run's first failed write, if any, including one of SaveNow
// after training returned.
func (r *Run) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failure
}

// SaveNow saves the network as it is (the UI's "save" key): the weights
// mid-epoch go to interrupted.safetensors, and last.safetensors stays the
// state to resume from. Call it on the training goroutine (from OnEvent) or
// after Train returned. A failure stops the run like any failed save.
func (r *Run) SaveNow() (string, error) {
	path, err := r.keep.Interrupted(r.opts.Trainer)
	if err != nil {
		serr := &SaveError{Epoch: r.opts.Trainer.Epoch + 1, What: "save", Err: err, Saved: r.savedEpoch(), Last: r.LastPath()}
		r.fail(serr)
		return "", serr
	}
	return path, nil
}

// SetLR makes lr the run's base learning rate from the next batch on
// (nn.Trainer.SetLR: the schedule goes on, scaled) and appends the change to
// metrics.jsonl; the next checkpoint records it. by names who asked. Call
// it on the training goroutine (from OnEvent) or before Train. A bad rate
// is refused and changes nothing; a failed write stops the run like any.
func (r *Run) SetLR(lr float64, by string) (nn.LRChange, error) {
	t := r.opts.Trainer
	c, err := t.SetLR(lr, by)
	if err != nil {
		return nn.LRChange{}, err
	}
	if err := appendLine(r.opts.Folder.File(MetricsFile), lrLine{Event: EventLR, LRChange: c}, r.opts.Wrap); err != nil {
		serr := &SaveError{Epoch: t.Epoch + 1, What: "metrics", Err: err, Saved: r.savedEpoch(), Last: r.LastPath()}
		r.fail(serr)
		return c, serr
	}
	return c, nil
}

// StopAfter asks the run to stop once epoch has finished and its files are
// written (0 withdraws the request), and appends the request to
// metrics.jsonl. The run then ends Stopped, with last.safetensors holding
// that epoch, as if stopped between epochs. epoch must be the epoch in
// progress or, in an EpochDone event, the one just finished (the run then
// stops before the next begins). Call it on the training goroutine (from
// OnEvent).
func (r *Run) StopAfter(epoch int, by string) error {
	t := r.opts.Trainer
	if epoch != 0 && (epoch < t.Epoch || epoch > t.Epoch+1) {
		return fmt.Errorf("run: cannot stop after epoch %d: the run is at epoch %d", epoch, t.Epoch+1)
	}
	req := StopRequest{Epoch: epoch, By: by}
	r.mu.Lock()
	if epoch == 0 {
		req = StopRequest{Epoch: r.stopAfter, Cancel: true, By: by}
	}
	was := r.stopAfter
	r.stopAfter = epoch
	r.mu.Unlock()
	if was == epoch {
		return nil // nothing changed: nothing to record
	}
	if err := appendLine(r.opts.Folder.File(MetricsFile), stopLine{Event: EventStop, StopRequest: req}, r.opts.Wrap); err != nil {
		serr := &SaveError{Epoch: t.Epoch + 1, What: "metrics", Err: err, Saved: r.savedEpoch(), Last: r.LastPath()}
		r.fail(serr)
		return serr
	}
	return nil
}

// whereSaved says which epoch the last good checkpoint holds.
func (r *Run) whereSaved() string {
	return fmt.Sprintf("the last good checkpoint is %s (after epoch %d)", r.LastPath(), r.savedEpoch())
}

// stopCtx is ctx that also reports cancellation once stop is set: the
// trainer asks Err between batches, so a failed save stops it at the next
// one. (Unlike a derived context it asks the parent's Err each time.)
type stopCtx struct {
	context.Context
	stop atomic.Bool
}

func (c *stopCtx) Err() error {
	if c.stop.Load() {
		return context.Canceled
	}
	return c.Context.Err()
}

// Summary writes the closing lines of a run that ended without error:
// what it did and where things are. It writes nothing while it runs.
func (r *Run) Summary(w io.Writer) {
	t := r.opts.Trainer
	dir := r.opts.Folder.Path
	r.mu.Lock()
	state, interrupted := r.state, r.interrupted
	r.mu.Unlock()
	switch state {
	case Finished:
		if n := len(t.History); n > 0 {
			h := t.History[n-1]
			fmt.Fprintf(w, "finished %d epochs: test accuracy %.2f%%; run folder %s\n", t.Epoch, 100*h.TestAcc, dir)
		}
	case Stopped:
		fmt.Fprintf(w, "stopped after epoch %d of %d; run folder %s\n", t.Epoch, t.Cfg.Epochs, dir)
		if interrupted != "" && interrupted != r.LastPath() {
			fmt.Fprintf(w, "weights at the stop: %s (for eval; epoch %d will restart from its beginning)\n", interrupted, t.Epoch+1)
		}
		fmt.Fprintf(w, "resume with: convscope train --resume %s\n", r.LastPath())
	}
}

// SaveError is a failed write that stopped a run.
type SaveError struct {
	Epoch int    // the epoch being saved
	What  string // "checkpoint", "metrics", "dynamics", "snapshot", "health" or "save" (a save the user asked for)
	Err   error
	Saved int    // the epoch last.safetensors holds
	Last  string // last.safetensors
}

func (e *SaveError) Error() string {
	var what string
	switch e.What {
	case "metrics":
		what = fmt.Sprintf("writing epoch %d to %s failed", e.Epoch, MetricsFile)
	case "dynamics":
		what = fmt.Sprintf("writing epoch %d to %s failed", e.Epoch, dynamics.File)
	case "snapshot":
		what = fmt.Sprintf("writing a snapshot of epoch %d to %s failed", e.Epoch, snapshot.Dir)
	case "health":
		what = fmt.Sprintf("writing epoch %d to %s failed", e.Epoch, health.File)
	case "save":
		what = "saving the weights failed"
	default:
		what = fmt.Sprintf("saving epoch %d failed", e.Epoch)
	}
	s := fmt.Sprintf("%s: %v; training stopped. %s holds epoch %d (resume with: convscope train --resume %s)",
		what, e.Err, e.Last, e.Saved, e.Last)
	switch {
	case e.Saved+1 < e.Epoch:
		s += fmt.Sprintf("; epochs %d-%d are in no checkpoint", e.Saved+1, e.Epoch)
	case e.Saved+1 == e.Epoch:
		s += fmt.Sprintf("; epoch %d is in no checkpoint", e.Epoch)
	case e.What == "metrics":
		s += "; resuming rewrites " + MetricsFile + " from it"
	}
	return s
}

func (e *SaveError) Unwrap() error { return e.Err }
