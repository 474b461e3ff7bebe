package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"

	"convscope/internal/checkpoint"
	"convscope/internal/gemm"
	"convscope/internal/run"
	"convscope/nn"
	"convscope/tui"
	"convscope/views"
)

// TrainOptions is "train": a fresh run, or with Resume a resumed one.
type TrainOptions struct {
	Config  nn.Config
	Data    string // folder of IDX files; "" = the MNIST copy (or, resuming, the run's own)
	Classes string // comma-separated class names; "" keeps those the data set (or checkpoint) has
	Out     string // run folder; "" = runs/<time> (resuming: the checkpoint's folder)
	NoTUI   bool
	Resume  string // checkpoint to continue from
	Compare string // comma-separated run folders for the UI's Runs view
	Serve   ServeOptions

	given map[string]bool // the flags set on the command line
	// For tests: every byte the run writes goes through wrap (a full disk),
	// and the UI runs with these program options even without a terminal.
	wrap func(io.Writer) io.Writer
	ui   []tea.ProgramOption
}

// diskLimitEnv, when set to a number of bytes, makes a run behave as if
// its disk filled after that many bytes: a way to see the error policy.
const diskLimitEnv = "CONVSCOPE_DISK_LIMIT"

// register adds train's flags to fs, filling o.
func (o *TrainOptions) register(fs *flag.FlagSet) {
	d := nn.DefaultConfig()
	c := &o.Config
	c.Optimizer, c.Schedule = d.Optimizer, d.Schedule
	fs.IntVar(&c.Epochs, "epochs", d.Epochs, "number of epochs")
	fs.IntVar(&c.Batch, "batch", d.Batch, "batch size")
	fs.Float64Var(&c.LR, "lr", d.LR, "learning rate")
	fs.Var(&c.Optimizer, "optimizer", "optimizer: adam or sgd")
	fs.Float64Var(&c.Momentum, "momentum", d.Momentum, "momentum for sgd")
	fs.Uint64Var(&c.Seed, "seed", d.Seed, "random seed for initialisation and shuffling")
	fs.IntVar(&c.TrainLimit, "train-limit", 0, "train on the first N training images (0 = all)")
	fs.IntVar(&c.Threads, "threads", 0, "worker threads (0 = all cores; at most 4 per core)")
	fs.Var(&c.Schedule, "schedule", "learning-rate schedule: constant, step or cosine")
	fs.IntVar(&c.StepEvery, "step-every", d.StepEvery, "step schedule: epochs between decays")
	fs.Float64Var(&c.StepGamma, "step-gamma", d.StepGamma, "step schedule: factor applied at each decay")
	fs.Float64Var(&c.WeightDecay, "weight-decay", 0, "decoupled weight decay of conv and dense weights, scaled by the learning rate (e.g. 0.01)")
	fs.BoolVar(&c.Augment, "augment", false, "random shifts and small rotations of training images")
	fs.IntVar(&c.MaxShift, "max-shift", d.MaxShift, "augment: largest shift in pixels")
	fs.Float64Var(&c.MaxRotate, "max-rotate", d.MaxRotate, "augment: largest rotation in degrees")
	fs.StringVar(&o.Data, "data", "", "folder of IDX files (default: the MNIST copy in the Go module cache)")
	registerDataset(fs, &o.Data, false)
	fs.StringVar(&o.Classes, "classes", "", "comma-separated class names, overriding the folder's classes.txt (e.g. cat,dog,bird)")
	fs.StringVar(&o.Out, "out", "", "run folder for metrics and checkpoints (default runs/<time>); it must not hold a run")
	fs.BoolVar(&o.NoTUI, "no-tui", false, "print one line per epoch instead of the live UI")
	fs.StringVar(&o.Compare, "compare", "", "comma-separated run folders whose curves the UI compares with this run (key r in Train)")
	fs.StringVar(&o.Resume, "resume", "", "continue the run saved in this checkpoint, e.g. runs/<time>/last.safetensors")
	o.Serve.register(fs)
}

func cmdTrain(args []string, e env) error {
	var o TrainOptions
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	o.register(fs)
	if err := parseFlags(fs, serveArgs(args)); err != nil {
		return err
	}
	o.given = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { o.given[f.Name] = true })
	o.given["data"] = o.given["data"] || o.given["dataset"] // --dataset sets --data
	if s := os.Getenv(diskLimitEnv); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("%s=%q: want a number of bytes", diskLimitEnv, s)
		}
		o.wrap = run.NewDiskLimit(n).Wrap
	}
	ctx, stop := signalContext()
	defer stop()
	return runTrain(ctx, o, e)
}

// runTrain trains a fresh run, or resumes one (o.Resume).
func runTrain(ctx context.Context, o TrainOptions, e env) error {
	if err := checkThreads(o.Config.Threads); err != nil {
		return err
	}
	if err := o.Serve.check(); err != nil {
		return err
	}
	if o.Resume != "" {
		return runResume(ctx, o, e)
	}
	cfg := o.Config
	if err := cfg.Validate(); err != nil {
		return err
	}
	// Everything that can be refused is checked before the folder is made.
	data, err := loadData(o.Data, o.Classes)
	if err != nil {
		return err
	}
	net, err := nn.NewPaper(data.Train.Rows, data.Train.Cols, len(data.Train.Classes), nn.InitRNG(cfg.Seed))
	if err != nil {
		return err
	}
	others, err := compareRuns(o.Compare)
	if err != nil {
		return err
	}
	t, err := nn.NewTrainer(net, cfg)
	if err != nil {
		return err
	}
	out, unique := o.Out, false
	if out == "" {
		out, unique = run.DefaultPath("runs", ""), true
	}
	folder, err := run.CreateNew(out, unique)
	if err != nil {
		return err
	}
	defer folder.Close()
	return execute(ctx, session{trainer: t, data: data, folder: folder, dataset: checkpoint.DatasetOf(o.Data, data), others: others, opts: o}, e)
}

// session is a run ready to train.
type session struct {
	trainer *nn.Trainer
	data    nn.Data
	folder  *run.Folder
	from    string // the checkpoint a resumed run starts from
	dataset *checkpoint.Dataset
	others  []views.RunCurves
	opts    TrainOptions
}

// execute trains s through the run loop, with the UI on a terminal (unless
// --no-tui) or headless, and says where things are at the end.
func execute(ctx context.Context, s session, e env) error {
	t := s.trainer
	eng, err := newEngine(t.Cfg.Threads)
	if err != nil {
		return err
	}
	defer eng.Close()
	t.Net.SetEngine(eng)
	defer t.Net.SetEngine(nil)

	useUI := (e.tty && !s.opts.NoTUI) || s.opts.ui != nil
	printer := &run.Printer{W: e.stdout, TTY: e.tty}
	var report func(nn.Progress) // the UI's, set on the training goroutine
	r, err := run.Start(run.Options{Trainer: t, Data: s.data, Folder: s.folder, From: s.from, Dataset: s.dataset, Wrap: s.opts.wrap,
		Snapshots: true, Health: true,
		OnEvent: func(ev run.Event) {
			if !useUI {
				printer.Event(ev)
			}
			if report != nil {
				report(ev.Progress)
			}
		}})
	if err != nil {
		return err
	}
	for _, n := range r.Notes() {
		fmt.Fprintln(e.stdout, "note:", n)
	}
	served := s.opts.Serve.on()
	if !useUI && !served {
		fmt.Fprintf(e.stdout, "convscope: %s, %s, batch %d, seed %d, %d train / %d test images, %d threads, kernel %s\n",
			t.Net.Describe(), trainerRate(t), t.Cfg.Batch, t.Cfg.Seed, s.data.Train.Subset(t.Cfg.TrainLimit).N, s.data.Test.N, eng.Threads(), gemm.Kernel())
		fmt.Fprintf(e.stdout, "run folder: %s\n", s.folder.Path)
		err := r.Train(ctx)
		printer.Clear()
		if err != nil {
			return err
		}
		r.Summary(e.stdout)
		return nil
	}
	var trainErr error
	opts := tui.Options{
		Net: t.Net, Data: s.data, Config: t.Cfg, OutDir: s.folder.Path, History: t.History, Runs: s.others,
		LRChanges: slices.Clone(t.Changes),
		// Both called on the training goroutine between batches.
		SetLR:     r.SetLR,
		StopAfter: r.StopAfter,
		Train: func(ctx context.Context, rep func(nn.Progress)) error {
			report = rep
			trainErr = r.Train(ctx)
			if trainErr == nil && r.State() == run.Stopped {
				return context.Canceled // the UI shows a stop (X, after an epoch), not the end
			}
			return trainErr
		},
		// Called on the training goroutine between batches, or after training returned.
		Save:           func(*nn.Net, int) (string, error) { return r.SaveNow() },
		Dynamics:       r.Dynamics,
		Health:         r.Health,
		Snapshots:      r.Snapshots,
		ProgramOptions: s.opts.ui,
	}
	var uerr error
	if served {
		if !useUI {
			fmt.Fprintf(e.stdout, "run folder: %s\n", s.folder.Path)
		}
		terr, perr := serveRun(ctx, s.opts.Serve, opts, !useUI, e.stdout, printer.Lines())
		printer.Clear()
		uerr = tui.Result(ctx, terr, perr)
	} else {
		uerr = tui.Run(ctx, opts)
	}
	switch {
	case trainErr != nil:
		return trainErr // shown in the UI; the run stopped, and so does the program, with its message
	case r.Err() != nil:
		return r.Err() // a save asked for after training ended
	case uerr != nil && !errors.Is(uerr, context.Canceled):
		return uerr
	}
	r.Summary(e.stdout)
	return nil
}

// trainerRate is rateText with the base rate in force when it was changed
// while the run trained.
func trainerRate(t *nn.Trainer) string {
	s := rateText(t.Cfg)
	if n := len(t.Changes); n > 0 {
		c := t.Changes[n-1]
		s += fmt.Sprintf(", base rate %g since epoch %d (changed while training)", c.LR, c.Epoch)
	}
	return s
}

// rateText is the optimizer and how its learning rate changes.
func rateText(cfg nn.Config) string {
	s := fmt.Sprintf("%s lr %g", cfg.Optimizer, cfg.LR)
	switch cfg.Schedule {
	case nn.ScheduleCosine:
		return s + " (cosine decay to 0)"
	case nn.ScheduleStep:
		return s + fmt.Sprintf(" (x%g every %d epochs)", cfg.StepGamma, cfg.StepEvery)
	}
	return s + " (constant)"
}

// compareRuns reads the run folders in list (comma-separated; "" = none) for
// the Train tab's Runs view.
func compareRuns(list string) ([]views.RunCurves, error) {
	if strings.TrimSpace(list) == "" {
		return nil, nil
	}
	runs, err := loadRuns(strings.Split(list, ","))
	if err != nil {
		return nil, fmt.Errorf("--compare: %w", err)
	}
	out := make([]views.RunCurves, len(runs))
	for i, r := range runs {
		out[i] = views.RunCurves{Name: r.Name, Epochs: r.Epochs}
	}
	return out, nil
}
