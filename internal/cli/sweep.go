package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"convscope/internal/atomicfile"
	"convscope/internal/checkpoint"
	"convscope/internal/gemm"
	"convscope/internal/run"
	"convscope/mnist"
	"convscope/nn"
)

// The sweep answers the paper's first open question: how does the number of
// epochs change the test accuracy? For each seed it trains the paper's
// network once, for the largest epoch count, and reads the accuracy after
// each listed count from that run: nothing in training depends on the total
// number of epochs (shuffling, initialisation, augmentation and the constant
// and step schedules are all per epoch or per batch), so epoch 5 of a
// 20-epoch run is a 5-epoch run. The cosine schedule is the exception: its
// rate at a batch depends on the total, so under it each count is trained
// on its own, in <out>/seed-<s>/epochs-<e>/.
//
// --lr, --batch and --schedule may list several values; each combination is
// a setting, and with more than one setting each has a folder of its own,
// <out>/<setting>/seed-<s>[/epochs-<e>], named after the swept values.
//
// Every run of the sweep is a cell of its plan (sweep-plan.json in <out>).
// A cell keeps its state in its folder (sweep-cell.json, written
// atomically: finished or not, and the per-class evaluations of its
// reported epochs), so the report can be built from the folder alone
// (--collect), shards (--shard, or a SLURM array or Kubernetes Indexed Job
// index) can train disjoint cells into one --out, and a cell cut short
// resumes from its last.safetensors. The run loop locks each cell's folder,
// so two processes never train one cell.

// cmdSweep is "sweep": the paper's epoch sweep over seeds, headless.
func cmdSweep(args []string, e env) error {
	ctx, stop := signalContext()
	defer stop()
	return sweepMain(ctx, args, e.stdout, e.tty)
}

// intList is a flag of comma-separated positive integers, kept sorted and
// without repeats.
type intList []int

func (l *intList) String() string {
	s := make([]string, len(*l))
	for i, v := range *l {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, ",")
}

func (l *intList) Set(v string) error {
	var out []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return fmt.Errorf("want comma-separated whole numbers of at least 1, got %q", v)
		}
		out = append(out, n)
	}
	slices.Sort(out)
	*l = slices.Compact(out)
	return nil
}

// seedList is a flag of comma-separated seeds, in the order given, without
// repeats.
type seedList []uint64

func (l *seedList) String() string {
	s := make([]string, len(*l))
	for i, v := range *l {
		s[i] = strconv.FormatUint(v, 10)
	}
	return strings.Join(s, ",")
}

func (l *seedList) Set(v string) error {
	var out []uint64
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
		if err != nil {
			return fmt.Errorf("want comma-separated seeds (whole numbers), got %q", v)
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	*l = out
	return nil
}

// floatList is a flag of comma-separated positive numbers, in the order
// given, without repeats.
type floatList []float64

func (l *floatList) String() string {
	s := make([]string, len(*l))
	for i, v := range *l {
		s[i] = strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strings.Join(s, ",")
}

func (l *floatList) Set(v string) error {
	var out []float64
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || !(n > 0) || math.IsInf(n, 0) {
			return fmt.Errorf("want comma-separated positive numbers, got %q", v)
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	*l = out
	return nil
}

// scheduleList is a flag of comma-separated schedules, in the order given,
// without repeats.
type scheduleList []nn.Schedule

func (l *scheduleList) String() string {
	s := make([]string, len(*l))
	for i, v := range *l {
		s[i] = v.String()
	}
	return strings.Join(s, ",")
}

func (l *scheduleList) Set(v string) error {
	var out []nn.Schedule
	for _, f := range strings.Split(v, ",") {
		s, err := nn.ParseSchedule(strings.TrimSpace(f))
		if err != nil || strings.TrimSpace(f) == "" {
			return fmt.Errorf("want comma-separated schedules (%s), got %q", "constant, step or cosine", v)
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	*l = out
	return nil
}

// batchList is --batch: like intList, but in the order given.
type batchList []int

func (l *batchList) String() string { return (*intList)(l).String() }

func (l *batchList) Set(v string) error {
	var out []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return fmt.Errorf("want comma-separated batch sizes of at least 1, got %q", v)
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	*l = out
	return nil
}

// sweepOptions is "sweep": train's options with lists where a sweep takes
// them, and how much of the plan to run.
type sweepOptions struct {
	Train      TrainOptions
	Counts     intList
	Seeds      seedList
	LRs        floatList
	Batches    batchList
	Schedules  scheduleList
	Shard      string // "I/N", 1 <= I <= N
	ShardCount int    // the count of a Kubernetes Indexed Job's shards
	Plan       bool   // print the cells as command lines
	Collect    string // build the report of this sweep folder
}

// sweepFlagSet returns sweep's flags: train's, except that --epochs,
// --lr, --batch and --schedule take lists and --seeds replaces --seed (and
// the UI, resume and single-seed flags are left out: a sweep is headless and
// resumes its own cells).
func sweepFlagSet(o *sweepOptions) *flag.FlagSet {
	f := &o.Train
	all := flag.NewFlagSet("train", flag.ContinueOnError)
	f.register(all)
	fs := flag.NewFlagSet("sweep", flag.ContinueOnError)
	skip := map[string]bool{"epochs": true, "seed": true, "resume": true, "compare": true, "lr": true, "batch": true, "schedule": true}
	all.VisitAll(func(fl *flag.Flag) {
		switch {
		case skip[fl.Name]:
		case fl.Name == "no-tui":
			fs.Var(fl.Value, fl.Name, "accepted for symmetry with train: a sweep is always headless")
		case fl.Name == "out":
			fs.Var(fl.Value, fl.Name, "sweep folder: a sub-folder per run, and the report (default runs/sweep-<time>; required with --shard and --plan)")
		default:
			fs.Var(fl.Value, fl.Name, fl.Usage)
		}
	})
	d := nn.DefaultConfig()
	o.Counts, o.Seeds = intList{5, 10, 15, 20}, seedList{1}
	o.LRs, o.Batches, o.Schedules = floatList{d.LR}, batchList{d.Batch}, scheduleList{d.Schedule}
	fs.Var(&o.Counts, "epochs", "comma-separated `list` of epoch counts to report (each seed trains once for the largest; under the cosine schedule, once per count)")
	fs.Var(&o.Seeds, "seeds", "comma-separated `list` of seeds, one run each (e.g. 1,2,3)")
	fs.Var(&o.LRs, "lr", "comma-separated `list` of learning rates, e.g. 1e-3,2e-3")
	fs.Var(&o.Batches, "batch", "comma-separated `list` of batch sizes, e.g. 64,128")
	fs.Var(&o.Schedules, "schedule", "comma-separated `list` of learning-rate schedules: constant, step, cosine")
	fs.StringVar(&o.Shard, "shard", "", "run share `I/N` of the cells (1 <= I <= N) into the shared --out; by default taken from SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT or JOB_COMPLETION_INDEX")
	fs.IntVar(&o.ShardCount, "shard-count", 0, "the number of shards when JOB_COMPLETION_INDEX gives the index (a Kubernetes Indexed Job's completions)")
	fs.BoolVar(&o.Plan, "plan", false, "print the cells, one command line each (for GNU parallel or any scheduler), and train nothing")
	fs.StringVar(&o.Collect, "collect", "", "build sweep.md and the CSVs from the runs in `DIR`, a sweep folder, saying which cells are missing or unfinished")
	return fs
}

// sweepMain parses sweep's arguments, runs the sweep (or its share, or
// collects one) and writes its report, printing progress to w (with a live
// progress line if tty).
func sweepMain(ctx context.Context, args []string, w io.Writer, tty bool) error {
	var o sweepOptions
	fs := sweepFlagSet(&o)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if o.Collect != "" {
		given := ""
		fs.Visit(func(fl *flag.Flag) {
			if fl.Name != "collect" && given == "" {
				given = fl.Name
			}
		})
		if given != "" {
			return fmt.Errorf("sweep --collect takes no other flags (got --%s): the plan is in the folder", given)
		}
		return collectSweep(o.Collect, w)
	}
	f := o.Train
	cfg := f.Config
	if err := checkThreads(cfg.Threads); err != nil {
		return err
	}
	cfg.Epochs = o.Counts[len(o.Counts)-1]
	cfg.Seed = o.Seeds[0]
	cfg.LR, cfg.Batch, cfg.Schedule = o.LRs[0], o.Batches[0], o.Schedules[0]
	plan := &sweepPlan{Cfg: cfg, Counts: o.Counts, Seeds: o.Seeds}
	for _, lr := range o.LRs {
		for _, b := range o.Batches {
			for _, s := range o.Schedules {
				plan.Settings = append(plan.Settings, sweepSetting{LR: lr, Batch: b, Schedule: s})
			}
		}
	}
	for i := range plan.Settings {
		if err := plan.cfgOf(i).Validate(); err != nil {
			return fmt.Errorf("sweep: %w", err)
		}
	}
	sh, from, err := pickShard(o.Shard, o.ShardCount, os.Getenv)
	if err != nil {
		return err
	}
	if (sh.n > 0 || o.Plan) && f.Out == "" {
		what := "--plan"
		if sh.n > 0 {
			what = "a shard (" + from + ")"
		}
		return fmt.Errorf("sweep: %s needs --out DIR, the one folder every shard writes into", what)
	}
	if o.Plan {
		return printPlan(w, args, plan.cells())
	}
	data, err := loadData(f.Data, f.Classes)
	if err != nil {
		return err
	}
	// Build one network first, so that an unsupported image size fails
	// before any folder is made.
	net, err := nn.NewPaper(data.Train.Rows, data.Train.Cols, len(data.Train.Classes), nn.InitRNG(cfg.Seed))
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	out := f.Out
	if out == "" {
		out = run.DefaultPath("runs", "sweep-")
		for i := 2; ; i++ { // a name no other sweep has
			if _, err := os.Stat(out); err != nil {
				break
			}
			out = fmt.Sprintf("%s-%d", run.DefaultPath("runs", "sweep-"), i)
		}
	}
	plan.Out = out
	plan.Data = mnist.Title(f.Data)
	plan.Dataset = checkpoint.DatasetOf(f.Data, data)
	plan.Net, plan.Classes = net.Describe(), data.Train.Classes
	plan.TrainN, plan.TestN, plan.Rows, plan.Cols = data.Train.Subset(cfg.TrainLimit).N, data.Test.N, data.Train.Rows, data.Train.Cols
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("sweep: create folder: %w", err)
	}
	if err := writePlan(plan); err != nil {
		return err
	}
	cells := plan.cells()
	var mine []sweepCell
	for k, c := range cells {
		if sh.has(k) {
			mine = append(mine, c)
		}
	}
	if sh.n > 0 {
		fmt.Fprintf(w, "sweep: shard %d/%d (%s): %s of %d\n", sh.i+1, sh.n, from, plural(len(mine), "cell"), len(cells))
	}
	err = runSweep(ctx, plan, mine, data, cfg.Threads, w, tty)
	if errors.Is(err, context.Canceled) {
		fmt.Fprintf(w, "stopped; the finished epochs are in the %s files and checkpoints under %s (no report); the same command resumes\n", run.MetricsFile, out)
		return nil
	}
	if err != nil {
		return err
	}
	if sh.n > 1 {
		fmt.Fprintf(w, "shard %d/%d done; when every shard is, build the report with: convscope sweep --collect %s\n", sh.i+1, sh.n, shellQuote(out))
		return nil
	}
	return collectSweep(out, w)
}

// sweepSetting is one combination of the swept hyper-parameters.
type sweepSetting struct {
	LR       float64     `json:"lr"`
	Batch    int         `json:"batch"`
	Schedule nn.Schedule `json:"schedule"`
}

// sweepPlan is what a sweep trains: each setting of Cfg (whose Epochs is
// the largest count) for each seed, reporting at each count, into folders
// under Out. It is saved as sweep-plan.json, so that shards can check they
// belong to one sweep and --collect can build the report.
type sweepPlan struct {
	Cfg      nn.Config      `json:"config"` // the common settings; Threads is not part of the plan
	Counts   []int          `json:"epoch_counts"`
	Seeds    []uint64       `json:"seeds"`
	Settings []sweepSetting `json:"settings"`
	Data     string         `json:"data"` // the data set, for the report

	Dataset *checkpoint.Dataset `json:"dataset"` // recorded in each run's checkpoints
	Net     string              `json:"net"`     // the network's description
	Classes []string            `json:"classes"`
	TrainN  int                 `json:"train_images"` // training images per epoch
	TestN   int                 `json:"test_images"`
	Rows    int                 `json:"rows"`
	Cols    int                 `json:"cols"`

	Out string `json:"-"`
}

// cfgOf is the configuration of setting i.
func (p *sweepPlan) cfgOf(i int) nn.Config {
	c := p.Cfg
	s := p.Settings[i]
	c.LR, c.Batch, c.Schedule = s.LR, s.Batch, s.Schedule
	return c
}

// separate reports whether each count needs its own run: under the cosine
// schedule the rate depends on the total number of epochs. The plan's
// Cfg is the one setting's (see sub).
func (p sweepPlan) separate() bool { return p.Cfg.Schedule == nn.ScheduleCosine && len(p.Counts) > 1 }

// settingName names setting i by the swept values: "" for a sweep of one
// setting, else e.g. "lr-0.002_batch-128".
func (p *sweepPlan) settingName(i int) string {
	if len(p.Settings) < 2 {
		return ""
	}
	s := p.Settings[i]
	var parts []string
	if p.varies(func(x sweepSetting) string { return fmtFloat(x.LR) }) {
		parts = append(parts, "lr-"+fmtFloat(s.LR))
	}
	if p.varies(func(x sweepSetting) string { return strconv.Itoa(x.Batch) }) {
		parts = append(parts, "batch-"+strconv.Itoa(s.Batch))
	}
	if p.varies(func(x sweepSetting) string { return x.Schedule.String() }) {
		parts = append(parts, s.Schedule.String())
	}
	return strings.Join(parts, "_")
}

// varies reports whether key differs between the plan's settings.
func (p *sweepPlan) varies(key func(sweepSetting) string) bool {
	for _, s := range p.Settings {
		if key(s) != key(p.Settings[0]) {
			return true
		}
	}
	return false
}

// sweepCell is one training run of the plan.
type sweepCell struct {
	Setting int    `json:"setting"` // index into the plan's Settings
	Seed    uint64 `json:"seed"`
	Epochs  int    `json:"epochs"`
	Dir     string `json:"dir"` // relative to the sweep folder, slash-separated
}

// cells lists the plan's runs in a fixed order: by setting, then seed, then
// epoch count.
func (p *sweepPlan) cells() []sweepCell {
	var out []sweepCell
	for i := range p.Settings {
		sep := p.sub(i).separate()
		for _, s := range p.Seeds {
			dir := fmt.Sprintf("seed-%d", s)
			if n := p.settingName(i); n != "" {
				dir = n + "/" + dir
			}
			if !sep {
				out = append(out, sweepCell{i, s, p.Counts[len(p.Counts)-1], dir})
				continue
			}
			for _, e := range p.Counts {
				out = append(out, sweepCell{i, s, e, dir + fmt.Sprintf("/epochs-%d", e)})
			}
		}
	}
	return out
}

// sub is the plan of setting i alone.
func (p *sweepPlan) sub(i int) sweepPlan {
	q := *p
	q.Cfg = p.cfgOf(i)
	q.Settings = []sweepSetting{p.Settings[i]}
	return q
}

// sweepRun is one finished training run of a sweep.
type sweepRun struct {
	Setting int
	Seed    uint64
	Epochs  int    // epochs trained
	Dir     string // its folder, holding config.json and metrics.jsonl
	History []nn.EpochStats
	// Evals holds the test-set evaluation (confusion matrix and per-class
	// figures; no per-image data) after each reported epoch count.
	Evals map[int]*nn.Eval
}

// sweepResult is a sweep's finished runs, read back from its folder.
type sweepResult struct {
	Plan     sweepPlan
	Net      string // the network's description
	Classes  []string
	TrainN   int // training images per epoch
	TestN    int
	Rows     int
	Cols     int
	Runs     []sweepRun // finished cells, in plan order
	Missing  []string   // cells missing or unfinished, one line each
	Duration time.Duration
}

// cellFile is a cell's state, in its folder.
const cellFile = "sweep-cell.json"

// cellState is what a cell's folder says of it.
type cellState struct {
	Cell     sweepCell        `json:"cell"`
	Finished bool             `json:"finished"`
	Evals    map[int]*nn.Eval `json:"evals"` // by reported epoch count
}

// readCell reads dir's sweep-cell.json; a missing file is (nil, nil).
func readCell(dir string) (*cellState, error) {
	b, err := os.ReadFile(filepath.Join(dir, cellFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	var st cellState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("sweep: %s: %w", filepath.Join(dir, cellFile), err)
	}
	if st.Evals == nil {
		st.Evals = map[int]*nn.Eval{}
	}
	return &st, nil
}

// writeCell replaces dir's sweep-cell.json atomically.
func writeCell(dir string, st *cellState) error {
	b, err := json.MarshalIndent(st, "", " ")
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	if err := atomicfile.Write(filepath.Join(dir, cellFile), append(b, '\n')); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	return nil
}

// runSweep trains cells of plan in turn on one engine of threads workers,
// each in its folder through the run loop, printing a line per epoch to w.
// A finished cell is skipped; one cut short resumes from its checkpoint.
func runSweep(ctx context.Context, plan *sweepPlan, cells []sweepCell, data nn.Data, threads int, w io.Writer, tty bool) error {
	eng, err := newEngine(threads)
	if err != nil {
		return err
	}
	defer eng.Close()
	fmt.Fprintf(w, "sweep: %s (seeds %s; epoch counts %s; %s), %d train / %d test images, %d threads, kernel %s\n",
		plural(len(cells), "run"), (*seedList)(&plan.Seeds), (*intList)(&plan.Counts), plural(len(plan.Settings), "setting"),
		plan.TrainN, plan.TestN, eng.Threads(), gemm.Kernel())
	for i, c := range cells {
		cfg := plan.cfgOf(c.Setting)
		cfg.Seed, cfg.Epochs, cfg.Threads = c.Seed, c.Epochs, threads
		dir := filepath.Join(plan.Out, filepath.FromSlash(c.Dir))
		fmt.Fprintf(w, "run %d/%d: seed %d, %d epochs, %s, folder %s\n", i+1, len(cells), c.Seed, c.Epochs, rateText(cfg)+fmt.Sprintf(", batch %d", cfg.Batch), dir)
		sub := plan.sub(c.Setting)
		if err := trainSweepRun(ctx, cfg, c, data, eng, dir, &sub, w, tty); err != nil {
			return err
		}
	}
	return nil
}

// trainSweepRun trains cell c of the sweep in dir through the run loop
// (checkpoints and metrics.jsonl as any run has them), resuming from dir's
// last.safetensors if an earlier attempt left one, and keeps the cell's
// state in dir/sweep-cell.json.
func trainSweepRun(ctx context.Context, cfg nn.Config, c sweepCell, data nn.Data, eng *gemm.Engine, dir string, plan *sweepPlan,
	w io.Writer, tty bool) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	folder, err := run.OpenExisting(dir) // locked: no other shard trains this cell now
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	defer folder.Close()
	st, err := readCell(dir)
	if err != nil {
		return err
	}
	if st != nil && st.Cell != c {
		return fmt.Errorf("sweep: %s holds another cell (%+v, want %+v); choose a new --out folder", dir, st.Cell, c)
	}
	if st != nil && st.Finished {
		fmt.Fprintf(w, "already finished\n")
		return nil
	}
	last := folder.File(checkpoint.LastFile)
	var (
		t    *nn.Trainer
		from string
	)
	if _, err := os.Stat(last); err == nil && st != nil {
		ck, err := checkpoint.Load(last)
		if err != nil {
			return fmt.Errorf("sweep: resume %s: %w", dir, err)
		}
		ck.Config = cfg
		if t, err = ck.Trainer(); err != nil {
			return fmt.Errorf("sweep: resume %s: %w", dir, err)
		}
		from = last
		fmt.Fprintf(w, "resuming from %s after epoch %d\n", last, t.Epoch)
	} else {
		if st == nil {
			if _, err := os.Stat(folder.File(run.MetricsFile)); err == nil {
				return fmt.Errorf("sweep: %s already exists; choose a new --out folder", folder.File(run.MetricsFile))
			}
		}
		os.Remove(folder.File(run.MetricsFile)) // of an attempt that saved no checkpoint
		net, err := nn.NewPaper(data.Train.Rows, data.Train.Cols, len(data.Train.Classes), nn.InitRNG(cfg.Seed))
		if err != nil {
			return fmt.Errorf("sweep: %w", err)
		}
		if t, err = nn.NewTrainer(net, cfg); err != nil {
			return fmt.Errorf("sweep: %w", err)
		}
		st = &cellState{Cell: c, Evals: map[int]*nn.Eval{}}
		saved := cfg
		saved.Threads = 0
		cj, err := json.MarshalIndent(saved, "", "  ")
		if err != nil {
			return fmt.Errorf("sweep: %w", err)
		}
		if err := atomicfile.Write(folder.File(run.ConfigFile), append(cj, '\n')); err != nil {
			return fmt.Errorf("sweep: %w", err)
		}
		if err := writeCell(dir, st); err != nil {
			return err
		}
	}
	net := t.Net
	net.SetEngine(eng)
	defer net.SetEngine(nil)
	reported := func(e int) bool { return slices.Contains(plan.Counts, e) && (!plan.separate() || e == cfg.Epochs) }
	// A kill between the checkpoint and sweep-cell.json loses the
	// evaluation of the checkpoint's epoch: evaluate it again.
	if e := t.Epoch; e > 0 && reported(e) && st.Evals[e] == nil {
		ev := nn.Evaluate(net, data.Test, 0)
		ev.Labels, ev.Pred, ev.Probs, ev.Losses = nil, nil, nil, nil
		st.Evals[e] = ev
	}
	var cellErr error
	if t.Epoch < cfg.Epochs {
		printer := &run.Printer{W: w, TTY: tty, Prefix: fmt.Sprintf("seed %d ", cfg.Seed)}
		rl, err := run.Start(run.Options{Trainer: t, Data: data, Folder: folder, From: from, Dataset: plan.Dataset,
			OnEvent: func(ev run.Event) {
				printer.Event(ev)
				s := ev.Stats
				if ev.Kind == nn.EpochDone && s != nil && reported(s.Epoch) && s.Eval != nil {
					e := *s.Eval
					e.Labels, e.Pred, e.Probs, e.Losses = nil, nil, nil, nil
					st.Evals[s.Epoch] = &e
					if err := writeCell(dir, st); err != nil && cellErr == nil {
						cellErr = err
					}
				}
			}})
		if err != nil {
			return fmt.Errorf("sweep: %w", err)
		}
		err = rl.Train(ctx)
		printer.Clear()
		if err != nil {
			return fmt.Errorf("sweep: %w", err)
		}
		if rl.State() == run.Stopped {
			rl.Summary(w)
			return context.Canceled
		}
	}
	if cellErr != nil {
		return cellErr
	}
	st.Finished = true
	return writeCell(dir, st)
}
