package cli

import (
	"context"
	"errors"
	"flag"
	"io"
	"io/fs"
	"path/filepath"

	tea "charm.land/bubbletea/v2"

	"convscope/internal/dynamics"
	"convscope/internal/health"
	"convscope/internal/snapshot"
	"convscope/nn"
	"convscope/tui"
	"convscope/views"
)

// ExploreOptions is "explore --load FILE": the UI on a saved model, without
// training. When stdout is not a terminal (or with --no-tui) it prints what
// eval prints.
type ExploreOptions struct {
	EvalOptions
	NoTUI   bool
	Compare string
	Serve   ServeOptions
}

func cmdExplore(args []string, e env) error {
	var o ExploreOptions
	fs := flag.NewFlagSet("explore", flag.ContinueOnError)
	o.register(fs, "explore")
	fs.BoolVar(&o.NoTUI, "no-tui", false, "print the evaluation instead of opening the UI")
	fs.StringVar(&o.Compare, "compare", "", "comma-separated run folders whose curves the UI compares (key r in Train)")
	o.Serve.register(fs)
	if err := parseFlags(fs, serveArgs(args)); err != nil {
		return err
	}
	if err := o.Serve.check(); err != nil {
		return err
	}
	headless := o.NoTUI || !e.tty
	if headless && !o.Serve.on() {
		return runEval(o.EvalOptions, e.stdout)
	}
	ctx, stop := signalContext()
	defer stop()
	return runExplore(ctx, o, headless, e.stdout)
}

// runExplore opens the UI on a saved network: it evaluates the network on
// the test set once and shows that evaluation in every tab, with the file's
// history in the Train tab and its own settings in the header.
//
// With --serve the UI is served over SSH too; headless, only there, until
// ctrl+c.
func runExplore(ctx context.Context, o ExploreOptions, headless bool, stdout io.Writer) error {
	m, err := loadModel("explore", o.EvalOptions)
	if err != nil {
		return err
	}
	others, err := compareRuns(o.Compare)
	if err != nil {
		return err
	}
	eng, err := newEngine(o.Threads)
	if err != nil {
		return err
	}
	defer eng.Close()
	net := m.ck.Net
	net.SetEngine(eng)
	defer net.SetEngine(nil)
	opts := exploreOptions(m, filepath.Dir(o.Load), others, nil)
	if o.Serve.on() {
		o.Serve.hold = true
		terr, perr := serveRun(ctx, o.Serve, opts, headless, stdout, stdout)
		err = tui.Result(ctx, terr, perr)
	} else {
		err = tui.Run(ctx, opts)
	}
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// exploreOptions are the UI's options for a loaded model: its own settings
// (none for a model without its run's details), its history, and a
// "training" that is one evaluation.
func exploreOptions(m *model, dir string, others []views.RunCurves, prog []tea.ProgramOption) tui.Options {
	ck := m.ck
	var cfg nn.Config // a model without its run's details shows none
	if ck.HasRun {
		cfg = ck.Config
	}
	history := ck.History
	cfg.Epochs = max(cfg.Epochs, len(history), 1)
	var last nn.EpochStats
	if n := len(history); n > 0 {
		last, history = history[n-1], history[:n-1]
	}
	net := ck.Net
	var dyn func() *dynamics.Data
	if d, _ := readDynamics(dir, m.data.Train.Subset(cfg.TrainLimit), m.data.Test, ck.Epoch); d != nil {
		dyn = func() *dynamics.Data { return d.Clone() }
	}
	// The run folder's health samples and snapshots, read when the UI asks
	// (a folder without them has none; a bad file is one note).
	samples, herr := health.Read(filepath.Join(dir, health.File))
	if errors.Is(herr, fs.ErrNotExist) {
		herr = nil
	}
	snapDir := filepath.Join(dir, snapshot.Dir)
	return tui.Options{
		Dynamics:  dyn,
		Health:    func() []health.Sample { return samples },
		HealthErr: herr,
		Snapshots: (&snapshot.Lister{Dir: snapDir}).List,
		Net:       net, Data: m.data, Config: cfg, OutDir: dir, History: history, Runs: others, Explore: true, ProgramOptions: prog,
		Train: func(ctx context.Context, report func(nn.Progress)) error {
			ev := nn.Evaluate(net, m.data.Test, 0)
			st := last
			st.TestLoss, st.TestAcc, st.Eval = ev.Loss, ev.Acc, ev
			report(nn.Progress{Kind: nn.EpochDone, Epoch: st.Epoch, Epochs: cfg.Epochs, Stats: &st})
			return ctx.Err()
		},
	}
}
