package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"convscope/internal/checkpoint"
	"convscope/internal/dynamics"
	"convscope/internal/health"
	"convscope/internal/run"
	"convscope/internal/snapshot"
	"convscope/nn"
	"convscope/tui"
	"convscope/views"
)

// WatchOptions is "watch RUN_DIR": the UI on a run that another process
// writes (a headless run, a run on another machine through a shared file
// system), following its folder as it grows. Headless (--no-tui, or stdout
// not a terminal) it prints one line per epoch as it appears and ends when
// the run has finished. It never writes into the folder.
type WatchOptions struct {
	Dir        string
	Data       string // folder of IDX files; "" = the one the run's checkpoint names
	Classes    string
	Threads    int
	NoTUI      bool
	Poll       time.Duration // between two looks at the folder
	StaleAfter time.Duration // no change for this long: stale

	// For tests: the clock liveness is measured by, the time an epoch's
	// metrics line waits for its checkpoint, and the UI's program options
	// (the UI runs with them even without a terminal).
	now   func() time.Time
	grace time.Duration
	ui    []tea.ProgramOption
}

// Watch's defaults.
const (
	watchPoll  = 500 * time.Millisecond
	watchStale = 2 * time.Minute
	// watchGrace is how long an epoch's metrics line waits for its
	// checkpoint (written just after it) before it is shown without the
	// per-image results.
	watchGrace = 10 * time.Second
)

func cmdWatch(args []string, e env) error {
	o, err := parseWatch(args)
	if err != nil {
		return err
	}
	ctx, stop := signalContext()
	defer stop()
	err = runWatch(ctx, o, e)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// parseWatch parses watch's arguments: one run folder, flags before or
// after it.
func parseWatch(args []string) (WatchOptions, error) {
	o := WatchOptions{Poll: watchPoll, StaleAfter: watchStale}
	fs := flag.NewFlagSet("watch", flag.ContinueOnError)
	fs.StringVar(&o.Data, "data", "", "folder of IDX files (default: the folder the run trains on)")
	registerDataset(fs, &o.Data, true)
	fs.StringVar(&o.Classes, "classes", "", "comma-separated class names (default: those the run recorded)")
	fs.IntVar(&o.Threads, "threads", 0, "worker threads for the test-set evaluations (0 = all cores)")
	fs.BoolVar(&o.NoTUI, "no-tui", false, "print one line per epoch as it appears, and end when the run has finished")
	fs.DurationVar(&o.Poll, "poll", watchPoll, "how often to look at the folder")
	fs.DurationVar(&o.StaleAfter, "stale-after", watchStale, "call the run stale when none of its files changed for this long")
	fs.SetOutput(io.Discard)
	var dirs []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				printFlags(fs)
				return o, errHelp
			}
			return o, fmt.Errorf("watch: %v (see convscope watch -h)", err)
		}
		if fs.NArg() == 0 {
			break
		}
		dirs = append(dirs, fs.Arg(0))
		args = fs.Args()[1:]
	}
	switch {
	case len(dirs) != 1:
		return o, fmt.Errorf("watch: want one run folder, got %d (convscope watch RUN_DIR; see convscope watch -h)", len(dirs))
	case o.Poll <= 0 || o.StaleAfter <= 0:
		return o, fmt.Errorf("watch: --poll and --stale-after must be more than 0")
	}
	o.Dir = dirs[0]
	return o, checkThreads(o.Threads)
}

// runWatch waits for the run's first checkpoint, then follows the run in
// the UI or headless.
func runWatch(ctx context.Context, o WatchOptions, e env) error {
	w, done, err := openWatch(ctx, o, e.stdout)
	if err != nil {
		return err
	}
	defer done()
	if (o.NoTUI || !e.tty) && o.ui == nil {
		return w.headless(ctx, e.tty)
	}
	w.inUI = true
	return tui.Run(ctx, w.options())
}

// openWatch checks the folder, waits for the run's first checkpoint and
// loads its data set; done releases the engine.
func openWatch(ctx context.Context, o WatchOptions, out io.Writer) (w *watcher, done func(), err error) {
	if err := checkWatchDir(ctx, o.Dir); err != nil {
		return nil, nil, fmt.Errorf("watch: %w", err)
	}
	f := run.NewFollower(o.Dir)
	f.Now = o.now
	w = &watcher{o: o, f: f, out: out, grace: o.grace}
	if w.grace <= 0 {
		w.grace = watchGrace
	}
	if err := w.start(ctx); err != nil {
		return nil, nil, err
	}
	eng, err := newEngine(o.Threads)
	if err != nil {
		return nil, nil, err
	}
	w.net.SetEngine(eng)
	return w, func() { w.net.SetEngine(nil); eng.Close() }, nil
}

// checkWatchDir refuses a folder that holds no run. An empty folder gets a
// moment first: a run creates its folder, then its lock.
func checkWatchDir(ctx context.Context, dir string) error {
	err := run.CheckRun(dir)
	if ents, rerr := os.ReadDir(dir); errors.Is(err, run.ErrNotRun) && rerr == nil && len(ents) == 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
		err = run.CheckRun(dir)
	}
	return err
}

// watcher follows one run folder: it reads what the follower finds and
// reports it as training would, epochs in order, each once.
type watcher struct {
	o     WatchOptions
	f     *run.Follower
	out   io.Writer
	grace time.Duration

	end *run.EndLine // the run's end line, once read

	net  *nn.Net // the UI's network: each new checkpoint's weights are copied in
	data nn.Data
	cfg  nn.Config
	ck   *checkpoint.Checkpoint // the latest checkpoint, not yet copied into net

	pending  []pendingEpoch // metrics lines not yet reported
	reported int            // the last epoch reported
	evalEp   int            // the epoch whose weights net holds
	last     nn.EpochStats  // the last epoch reported
	sample   *health.Sample // the latest sample of the epoch in progress, not yet reported
	sampled  struct {
		epoch, step, n int
		loss, acc      float64
	}

	inUI bool // notes go to the header, not to stdout

	mu      sync.Mutex // guards what the UI asks from another goroutine
	changed time.Time
	writer  run.Writer
	note    string
	noteAt  time.Time
}

// pendingEpoch is a metrics line waiting for its checkpoint.
type pendingEpoch struct {
	st   nn.EpochStats
	seen time.Time
}

func (w *watcher) now() time.Time {
	if w.o.now != nil {
		return w.o.now()
	}
	return time.Now()
}

// start polls until the run's first checkpoint loads (a run writes one as
// it starts), and loads the data set it names.
func (w *watcher) start(ctx context.Context) error {
	said := false
	for {
		w.poll()
		if w.ck != nil {
			break
		}
		if !said {
			fmt.Fprintf(w.out, "waiting for the run's first checkpoint (%s)…\n", filepath.Join(w.o.Dir, checkpoint.LastFile))
			said = true
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(w.o.Poll):
		}
	}
	ck := w.ck
	dir := w.o.Data
	var saved []string
	if ck.Dataset != nil {
		if dir == "" {
			dir = ck.Dataset.Dir
		}
		saved = ck.Dataset.Classes
	}
	d, err := loadData(dir, w.o.Classes)
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	if err := checkData(ck.Net, d.Test, "test"); err != nil {
		return fmt.Errorf("watch: %s: %w", w.o.Dir, err)
	}
	names := namesFor(ck.Net.Classes(), w.o.Classes, saved, d)
	d.Train.Classes, d.Test.Classes = names, names
	w.data, w.cfg, w.net = d, ck.Config, ck.Net
	w.evalEp = ck.Epoch
	return nil
}

// poll takes in what the follower finds.
func (w *watcher) poll() {
	p := w.f.Poll()
	now := w.now()
	for _, st := range p.Epochs {
		w.pending = append(w.pending, pendingEpoch{st: st, seen: now})
	}
	if p.End != nil {
		w.end = p.End
	}
	if c := p.Checkpoint; c != nil && (w.ck == nil || c.Epoch >= w.ck.Epoch) {
		w.ck = c
		if c.Config.Epochs > 0 {
			w.cfg.Epochs = c.Config.Epochs
		}
	}
	if n := len(p.Health); n > 0 {
		w.sample = &p.Health[n-1]
		for _, s := range p.Health {
			w.addSample(s)
		}
	}
	writer := w.f.Writer()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.changed, w.writer = now.Add(-w.f.Since()), writer
	for _, n := range p.Notes {
		w.note, w.noteAt = n, now
		if !w.inUI {
			fmt.Fprintln(w.out, "note:", n)
		}
	}
}

// addSample adds s to the running figures of its epoch.
func (w *watcher) addSample(s health.Sample) {
	sm := &w.sampled
	if s.Epoch != sm.epoch {
		sm.epoch, sm.n, sm.loss, sm.acc = s.Epoch, 0, 0, 0
	}
	if s.Step <= sm.step && sm.n > 0 {
		return
	}
	sm.step, sm.n = s.Step, sm.n+1
	sm.loss += float64(s.Loss)
	sm.acc += s.Acc
}

// finished reports whether every epoch of the run has been reported, or
// the run ended (its end line) and every epoch it wrote has been.
func (w *watcher) finished() bool {
	if w.end != nil && len(w.pending) == 0 && w.reported >= w.end.Epoch {
		return true
	}
	return w.cfg.Epochs > 0 && w.reported >= w.cfg.Epochs
}

// endErr is what the UI's Train returns once the run has finished: nil,
// a cancellation for a run stopped early (the UI shows "stopped"), or the
// run's failure.
func (w *watcher) endErr() error {
	switch {
	case w.end == nil || w.end.State == "finished":
		return nil
	case w.end.State == "failed":
		return fmt.Errorf("the run failed: %s", w.end.Error)
	}
	return context.Canceled
}

// apply reports the epochs that can be: an epoch once its checkpoint has
// caught up (with an evaluation of its weights on the test set), or once
// it has waited grace for it (without); then the epoch in progress, from
// the latest health sample. It runs on the goroutine that reports, which
// owns net.
func (w *watcher) apply(report func(nn.Progress)) {
	now := w.now()
	for len(w.pending) > 0 {
		pe := w.pending[0]
		st := pe.st
		switch {
		case w.ck != nil && w.ck.Epoch == st.Epoch:
			if w.evalEp != st.Epoch {
				if err := copyWeights(w.net, w.ck.Net); err != nil {
					w.setNote(err.Error())
					break
				}
				w.evalEp = st.Epoch
			}
			st.Eval = nn.Evaluate(w.net, w.data.Test, 0)
		case w.ck != nil && w.ck.Epoch > st.Epoch, now.Sub(pe.seen) >= w.grace:
		default:
			return
		}
		w.pending = w.pending[1:]
		w.reported, w.last = st.Epoch, st
		s := st
		report(nn.Progress{Kind: nn.EpochDone, Epoch: st.Epoch, Epochs: w.cfg.Epochs, Stats: &s})
	}
	s := w.sample
	if s == nil || s.Epoch != w.reported+1 || w.finished() {
		return
	}
	w.sample = nil
	total := w.data.Train.Subset(w.cfg.TrainLimit).N
	seen := min((s.Batch+1)*max(w.cfg.Batch, 1), total)
	p := nn.Progress{Kind: nn.BatchProgress, Epoch: s.Epoch, Epochs: w.cfg.Epochs, Batch: s.Batch + 1, Batches: s.Batches,
		Seen: seen, Total: total, LR: s.LR}
	if sm := w.sampled; sm.epoch == s.Epoch && sm.n > 0 {
		p.TrainLoss, p.TrainAcc = sm.loss/float64(sm.n), sm.acc/float64(sm.n)
	}
	if ips := w.last.ImagesPerSec; ips > 0 {
		p.ImagesPerSec = ips
		p.Elapsed = time.Duration(float64(seen) / ips * float64(time.Second))
	}
	report(p)
}

// follow is the Train func of the UI: it reports the run's epochs as they
// appear and returns when the run has finished (nil) or ctx is cancelled.
func (w *watcher) follow(ctx context.Context, report func(nn.Progress)) error {
	for {
		w.apply(report)
		if w.finished() {
			return w.endErr()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(w.o.Poll):
		}
		w.poll()
	}
}

func (w *watcher) setNote(s string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.note, w.noteAt = s, w.now()
}

// watchNoteTime is how long the UI shows a note about the folder.
const watchNoteTime = 30 * time.Second

// state says whether the run is live or stale, for the header; any
// goroutine may ask.
func (w *watcher) state() views.Follow {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.now()
	return followState(now.Sub(w.changed), w.o.StaleAfter, w.writer, w.note, now.Sub(w.noteAt) < watchNoteTime)
}

// followState is a run's state when its files last changed since ago:
// stale after staleAfter, with what is known of its writer; a recent note
// about the folder comes with it.
func followState(since, staleAfter time.Duration, wr run.Writer, note string, recent bool) views.Follow {
	f := views.Follow{On: true, Since: max(0, since), Stale: since >= staleAfter}
	switch {
	case recent && note != "":
		f.Hint = note
	case f.Stale && wr.PID > 0 && wr.Running:
		f.Hint = fmt.Sprintf("writer PID %d still running", wr.PID)
	case f.Stale && wr.PID > 0:
		f.Hint = fmt.Sprintf("writer PID %d not running here", wr.PID)
	}
	return f
}

// options are the UI's: the first checkpoint's network and settings, and
// the folder's other files read when the UI asks.
func (w *watcher) options() tui.Options {
	dir := w.o.Dir
	train, test := w.data.Train.Subset(w.cfg.TrainLimit), w.data.Test
	dyn := &fileCache[*dynamics.Data]{path: filepath.Join(dir, dynamics.File), read: func(p string) (*dynamics.Data, error) {
		d, err := dynamics.Read(p)
		if err == nil {
			err = d.Check(train.Labels[:train.N], test.Labels[:test.N])
		}
		return d, err
	}}
	hl := &fileCache[[]health.Sample]{path: filepath.Join(dir, health.File), read: health.Read}
	snapDir := filepath.Join(dir, snapshot.Dir)
	return tui.Options{
		Net: w.net, Data: w.data, Config: w.cfg, OutDir: dir,
		Train:  w.follow,
		Follow: w.state,
		Dynamics: func() *dynamics.Data {
			if d := dyn.get(); d != nil {
				return d.Clone()
			}
			return nil
		},
		Health:         hl.get,
		Snapshots:      (&snapshot.Lister{Dir: snapDir}).List,
		ProgramOptions: w.o.ui,
	}
}

// headless prints one line per epoch as it appears, says when the run goes
// stale or live again, and returns when the run has finished.
func (w *watcher) headless(ctx context.Context, tty bool) error {
	t := w.cfg
	fmt.Fprintf(w.out, "watching %s: %s, %s, batch %d, seed %d, %d epochs, %d train / %d test images\n",
		w.o.Dir, w.net.Describe(), rateText(t), t.Batch, t.Seed, t.Epochs, w.data.Train.Subset(t.TrainLimit).N, w.data.Test.N)
	pr := &run.Printer{W: w.out, TTY: tty}
	stale := false
	report := func(p nn.Progress) { pr.Event(run.Event{Progress: p}) }
	for {
		w.apply(report)
		if w.finished() {
			pr.Clear()
			switch err := w.endErr(); {
			case errors.Is(err, context.Canceled):
				fmt.Fprintf(w.out, "stopped after epoch %d of %d: test accuracy %.2f%%; run folder %s\n", w.reported, w.cfg.Epochs, 100*w.last.TestAcc, w.o.Dir)
				return nil
			case err != nil:
				return fmt.Errorf("watch: %s: %w", w.o.Dir, err)
			}
			fmt.Fprintf(w.out, "finished %d epochs: test accuracy %.2f%%; run folder %s\n", w.reported, 100*w.last.TestAcc, w.o.Dir)
			return nil
		}
		if f := w.state(); f.Stale != stale {
			stale = f.Stale
			pr.Clear()
			if stale {
				hint := ""
				if f.Hint != "" {
					hint = " (" + f.Hint + ")"
				}
				fmt.Fprintf(w.out, "stale: no update for %s%s; still watching\n", f.Since.Round(time.Second), hint)
			} else {
				fmt.Fprintln(w.out, "live again")
			}
		}
		select {
		case <-ctx.Done():
			pr.Clear()
			return ctx.Err()
		case <-time.After(w.o.Poll):
		}
		w.poll()
	}
}

// fileCache reads a file again only when it changed (size, time), keeping
// what it read last when a read fails (the file mid-write).
type fileCache[T any] struct {
	path string
	read func(string) (T, error)

	mu   sync.Mutex
	size int64
	mod  time.Time
	val  T
}

func (c *fileCache[T]) get() T {
	c.mu.Lock()
	defer c.mu.Unlock()
	fi, err := os.Stat(c.path)
	if err != nil || fi.Size() == c.size && fi.ModTime().Equal(c.mod) {
		return c.val
	}
	if v, err := c.read(c.path); err == nil {
		c.val, c.size, c.mod = v, fi.Size(), fi.ModTime()
	}
	return c.val
}

// copyWeights copies src's parameters and batch-norm statistics into dst,
// which must have the same layers.
func copyWeights(dst, src *nn.Net) error {
	dp, sp := dst.Params(), src.Params()
	if len(dp) != len(sp) || len(dst.Layers) != len(src.Layers) || dst.Describe() != src.Describe() {
		return fmt.Errorf("the run's checkpoint holds another network (%s) than it started with (%s)", src.Describe(), dst.Describe())
	}
	for i := range dp {
		if len(dp[i].W) != len(sp[i].W) {
			return fmt.Errorf("the run's checkpoint holds another network: %s has %d values, want %d", sp[i].Name, len(sp[i].W), len(dp[i].W))
		}
	}
	for i := range dp {
		copy(dp[i].W, sp[i].W)
	}
	for i, l := range dst.Layers {
		d, ok1 := l.(*nn.BatchNorm2D)
		s, ok2 := src.Layers[i].(*nn.BatchNorm2D)
		if ok1 && ok2 && len(d.RunningMean) == len(s.RunningMean) && len(d.RunningVar) == len(s.RunningVar) {
			copy(d.RunningMean, s.RunningMean)
			copy(d.RunningVar, s.RunningVar)
			d.Updates = s.Updates
		}
	}
	return nil
}
