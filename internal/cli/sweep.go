package cli

import (
	"bytes"
	"context"
	"encoding/csv"
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
	"convscope/internal/report"
	"convscope/internal/run"
	"convscope/nn"
	"convscope/views"
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

// sweepFlagSet returns sweep's flags: train's, except that --epochs takes a
// list and --seeds replaces --seed (and the UI, resume and single-seed flags
// are left out: a sweep is headless and starts fresh).
func sweepFlagSet(f *TrainOptions, counts *intList, seeds *seedList) *flag.FlagSet {
	all := flag.NewFlagSet("train", flag.ContinueOnError)
	f.register(all)
	fs := flag.NewFlagSet("sweep", flag.ContinueOnError)
	skip := map[string]bool{"epochs": true, "seed": true, "resume": true, "compare": true}
	all.VisitAll(func(fl *flag.Flag) {
		switch {
		case skip[fl.Name]:
		case fl.Name == "no-tui":
			fs.Var(fl.Value, fl.Name, "accepted for symmetry with train: a sweep is always headless")
		case fl.Name == "out":
			fs.Var(fl.Value, fl.Name, "sweep folder: a sub-folder per run, and the report (default runs/sweep-<time>)")
		default:
			fs.Var(fl.Value, fl.Name, fl.Usage)
		}
	})
	*counts = intList{5, 10, 15, 20}
	*seeds = seedList{1}
	fs.Var(counts, "epochs", "comma-separated `list` of epoch counts to report (each seed trains once for the largest; under the cosine schedule, once per count)")
	fs.Var(seeds, "seeds", "comma-separated `list` of seeds, one run each (e.g. 1,2,3)")
	return fs
}

// sweepMain parses sweep's arguments, runs the sweep and writes its report,
// printing progress to w (with a live progress line if tty).
func sweepMain(ctx context.Context, args []string, w io.Writer, tty bool) error {
	var (
		f      TrainOptions
		counts intList
		seeds  seedList
	)
	fs := sweepFlagSet(&f, &counts, &seeds)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg := f.Config
	if err := checkThreads(cfg.Threads); err != nil {
		return err
	}
	cfg.Epochs = counts[len(counts)-1]
	cfg.Seed = seeds[0]
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	data, err := loadData(f.Data, f.Classes)
	if err != nil {
		return err
	}
	// Build one network first, so that an unsupported image size fails
	// before any folder is made.
	if _, err := nn.NewPaper(data.Train.Rows, data.Train.Cols, len(data.Train.Classes), nn.InitRNG(cfg.Seed)); err != nil {
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
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("sweep: create folder: %w", err)
	}
	dataName := f.Data
	if dataName == "" {
		dataName = "MNIST"
	}
	plan := sweepPlan{Cfg: cfg, Counts: counts, Seeds: seeds, Out: out, Data: dataName, dataset: checkpoint.DatasetOf(f.Data, data)}
	res, err := runSweep(ctx, plan, data, w, tty)
	if errors.Is(err, context.Canceled) {
		fmt.Fprintf(w, "stopped; the finished epochs are in the %s files and checkpoints under %s (no report)\n", run.MetricsFile, out)
		return nil
	}
	if err != nil {
		return err
	}
	paths, err := writeSweepReport(res)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "sweep report: %s\n", strings.Join(paths, ", "))
	return nil
}

// sweepPlan is what a sweep trains: Cfg (whose Epochs is the largest count)
// for each seed, reporting at each count, into folders under Out.
type sweepPlan struct {
	Cfg    nn.Config
	Counts []int    // epoch counts, increasing
	Seeds  []uint64 // in the order given
	Out    string
	Data   string // the data folder, for the report

	dataset *checkpoint.Dataset // recorded in each run's checkpoints
}

// separate reports whether each count needs its own run: under the cosine
// schedule the rate depends on the total number of epochs.
func (p sweepPlan) separate() bool { return p.Cfg.Schedule == nn.ScheduleCosine && len(p.Counts) > 1 }

// sweepRun is one finished training run of a sweep.
type sweepRun struct {
	Seed    uint64
	Epochs  int    // epochs trained
	Dir     string // its folder, holding config.json and metrics.jsonl
	History []nn.EpochStats
	// Evals holds the test-set evaluation (confusion matrix and per-class
	// figures; no per-image data) after each reported epoch count.
	Evals map[int]*nn.Eval
}

// sweepResult is a finished sweep.
type sweepResult struct {
	Plan     sweepPlan
	Net      string // the network's description
	Classes  []string
	TrainN   int // training images per epoch
	TestN    int
	Rows     int
	Cols     int
	Runs     []sweepRun
	Duration time.Duration
}

// runSweep trains every run of plan in turn on one engine, appending each
// epoch to its folder's metrics.jsonl and printing a line per epoch to w.
func runSweep(ctx context.Context, plan sweepPlan, data nn.Data, w io.Writer, tty bool) (*sweepResult, error) {
	eng, err := newEngine(plan.Cfg.Threads)
	if err != nil {
		return nil, err
	}
	defer eng.Close()
	start := time.Now()
	res := &sweepResult{Plan: plan, Classes: data.Train.Classes, TrainN: data.Train.Subset(plan.Cfg.TrainLimit).N,
		TestN: data.Test.N, Rows: data.Train.Rows, Cols: data.Train.Cols}
	type job struct {
		seed   uint64
		epochs int
		dir    string
	}
	var jobs []job
	for _, s := range plan.Seeds {
		dir := filepath.Join(plan.Out, fmt.Sprintf("seed-%d", s))
		if !plan.separate() {
			jobs = append(jobs, job{s, plan.Counts[len(plan.Counts)-1], dir})
			continue
		}
		for _, e := range plan.Counts {
			jobs = append(jobs, job{s, e, filepath.Join(dir, fmt.Sprintf("epochs-%d", e))})
		}
	}
	for _, j := range jobs {
		p := filepath.Join(j.dir, run.MetricsFile)
		if _, err := os.Stat(p); err == nil {
			return nil, fmt.Errorf("sweep: %s already exists; choose a new --out folder", p)
		}
	}
	fmt.Fprintf(w, "sweep: %s (seeds %s; epoch counts %s), %d train / %d test images, %d threads, kernel %s\n",
		plural(len(jobs), "run"), (*seedList)(&plan.Seeds), (*intList)(&plan.Counts), res.TrainN, res.TestN, eng.Threads(), gemm.Kernel())
	for i, j := range jobs {
		cfg := plan.Cfg
		cfg.Seed, cfg.Epochs = j.seed, j.epochs
		fmt.Fprintf(w, "run %d/%d: seed %d, %d epochs, folder %s\n", i+1, len(jobs), j.seed, j.epochs, j.dir)
		run, desc, err := trainSweepRun(ctx, cfg, data, eng, j.dir, plan, w, tty)
		if err != nil {
			return nil, err
		}
		res.Net = desc
		res.Runs = append(res.Runs, run)
	}
	res.Duration = time.Since(start)
	return res, nil
}

// trainSweepRun trains one run of the sweep in dir through the run loop
// (checkpoints and metrics.jsonl as any run has them) and returns it with
// the network's description.
func trainSweepRun(ctx context.Context, cfg nn.Config, data nn.Data, eng *gemm.Engine, dir string, plan sweepPlan,
	w io.Writer, tty bool) (r sweepRun, desc string, err error) {
	net, err := nn.NewPaper(data.Train.Rows, data.Train.Cols, len(data.Train.Classes), nn.InitRNG(cfg.Seed))
	if err != nil {
		return r, "", fmt.Errorf("sweep: %w", err)
	}
	t, err := nn.NewTrainer(net, cfg)
	if err != nil {
		return r, "", fmt.Errorf("sweep: %w", err)
	}
	folder, err := run.CreateNew(dir, false)
	if err != nil {
		return r, "", fmt.Errorf("sweep: %w", err)
	}
	defer folder.Close()
	cj, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return r, "", fmt.Errorf("sweep: %w", err)
	}
	if err := atomicfile.Write(folder.File(run.ConfigFile), append(cj, '\n')); err != nil {
		return r, "", fmt.Errorf("sweep: %w", err)
	}
	net.SetEngine(eng)
	defer net.SetEngine(nil)
	r = sweepRun{Seed: cfg.Seed, Epochs: cfg.Epochs, Dir: dir, Evals: map[int]*nn.Eval{}}
	printer := &run.Printer{W: w, TTY: tty, Prefix: fmt.Sprintf("seed %d ", cfg.Seed)}
	rl, err := run.Start(run.Options{Trainer: t, Data: data, Folder: folder, Dataset: plan.dataset,
		OnEvent: func(ev run.Event) {
			printer.Event(ev)
			s := ev.Stats
			if ev.Kind == nn.EpochDone && s != nil && slices.Contains(plan.Counts, s.Epoch) && (!plan.separate() || s.Epoch == cfg.Epochs) && s.Eval != nil {
				e := *s.Eval
				e.Labels, e.Pred, e.Probs, e.Losses = nil, nil, nil, nil
				r.Evals[s.Epoch] = &e
			}
		}})
	if err != nil {
		return r, "", fmt.Errorf("sweep: %w", err)
	}
	err = rl.Train(ctx)
	printer.Clear()
	if err != nil {
		return r, "", fmt.Errorf("sweep: %w", err)
	}
	if rl.State() == run.Stopped {
		rl.Summary(w)
		return r, "", context.Canceled
	}
	r.History = t.History
	return r, net.Describe(), nil
}

// at returns the run whose figures stand for seed after e epochs, and those
// figures.
func (r *sweepResult) at(seed uint64, e int) (*sweepRun, nn.EpochStats) {
	for i := range r.Runs {
		run := &r.Runs[i]
		if run.Seed != seed || (r.Plan.separate() && run.Epochs != e) || len(run.History) < e {
			continue
		}
		return run, run.History[e-1]
	}
	panic(fmt.Sprintf("sweep: no run of seed %d reaches epoch %d", seed, e))
}

// countSummary is the test accuracy after one epoch count over the seeds.
type countSummary struct {
	Epochs   int
	Acc      []float64 // per seed, in plan order
	Loss     []float64 // test loss per seed
	Mean     float64
	Std      float64 // sample standard deviation (n-1); 0 for one seed
	Min, Max float64
	MeanLoss float64
}

// summarize computes the accuracy by epoch count.
func (r *sweepResult) summarize() []countSummary {
	out := make([]countSummary, len(r.Plan.Counts))
	for i, e := range r.Plan.Counts {
		c := countSummary{Epochs: e, Min: math.Inf(1), Max: math.Inf(-1)}
		for _, s := range r.Plan.Seeds {
			_, st := r.at(s, e)
			c.Acc = append(c.Acc, st.TestAcc)
			c.Loss = append(c.Loss, st.TestLoss)
			c.Min, c.Max = min(c.Min, st.TestAcc), max(c.Max, st.TestAcc)
		}
		c.Mean, c.Std = meanStd(c.Acc)
		c.MeanLoss, _ = meanStd(c.Loss)
		out[i] = c
	}
	return out
}

// meanStd returns the mean and the sample standard deviation of v (0 for
// fewer than two values).
func meanStd(v []float64) (mean, std float64) {
	if len(v) == 0 {
		return math.NaN(), math.NaN()
	}
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	if len(v) < 2 {
		return mean, 0
	}
	var ss float64
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(v)-1))
}

// best returns the run and epoch count with the highest test accuracy;
// ties go to fewer epochs, then to the earlier seed.
func (r *sweepResult) best() (*sweepRun, int, nn.EpochStats) {
	var (
		br *sweepRun
		be int
		bs nn.EpochStats
	)
	for _, e := range r.Plan.Counts {
		if run, st := r.bestAt(e); br == nil || st.TestAcc > bs.TestAcc {
			br, be, bs = run, e, st
		}
	}
	return br, be, bs
}

// bestAt returns the run with the highest test accuracy after e epochs;
// ties go to the earlier seed.
func (r *sweepResult) bestAt(e int) (*sweepRun, nn.EpochStats) {
	var (
		br *sweepRun
		bs nn.EpochStats
	)
	for _, s := range r.Plan.Seeds {
		run, st := r.at(s, e)
		if br == nil || st.TestAcc > bs.TestAcc {
			br, bs = run, st
		}
	}
	return br, bs
}

// classTableMD writes ev's per-class figures as a Markdown table with a macro row.
func classTableMD(b *bytes.Buffer, ev *nn.Eval, classes []string) {
	b.WriteString(report.ClassTable(ev.Classes, ev.Macro, classes, report.MD).Markdown())
	b.WriteByte('\n')
}

// curve is the mean over seeds of one epoch of the longest runs.
type curve struct {
	Epoch                                      int
	LR, TrainLoss, TrainAcc, TestLoss, TestAcc float64
	SeedAcc                                    []float64 // test accuracy per seed
}

// curves returns the per-epoch figures of the runs of the largest count,
// averaged over seeds.
func (r *sweepResult) curves() []curve {
	last := r.Plan.Counts[len(r.Plan.Counts)-1]
	out := make([]curve, last)
	for e := 1; e <= last; e++ {
		c := curve{Epoch: e}
		n := float64(len(r.Plan.Seeds))
		for _, s := range r.Plan.Seeds {
			run, _ := r.at(s, last)
			st := run.History[e-1]
			c.LR += st.LR / n
			c.TrainLoss += st.TrainLoss / n
			c.TrainAcc += st.TrainAcc / n
			c.TestLoss += st.TestLoss / n
			c.TestAcc += st.TestAcc / n
			c.SeedAcc = append(c.SeedAcc, st.TestAcc)
		}
		out[e-1] = c
	}
	return out
}

// Report file names, in the sweep's folder.
const (
	sweepMD         = "sweep.md"
	sweepCSV        = "sweep.csv"
	sweepClassesCSV = "sweep-classes.csv"
	sweepCurvesCSV  = "sweep-curves.csv"
)

// writeSweepReport writes the Markdown report and the CSV tables into the
// sweep's folder, each atomically, and returns their paths.
func writeSweepReport(r *sweepResult) ([]string, error) {
	files := []struct {
		name   string
		render func(*sweepResult) ([]byte, error)
	}{
		{sweepMD, func(r *sweepResult) ([]byte, error) { return sweepMarkdown(r), nil }},
		{sweepCSV, sweepSummaryCSV},
		{sweepClassesCSV, sweepClassCSV},
		{sweepCurvesCSV, sweepCurveCSV},
	}
	var paths []string
	for _, f := range files {
		data, err := f.render(r)
		if err != nil {
			return nil, err
		}
		p := filepath.Join(r.Plan.Out, f.name)
		if err := atomicfile.Write(p, data); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// pct formats a 0..1 fraction as a percentage with two decimals.
func pct(v float64) string { return views.Pct(v) }

// sweepMarkdown renders the report.
func sweepMarkdown(r *sweepResult) []byte {
	p := r.Plan
	cfg := p.Cfg
	var b bytes.Buffer
	seeds := strings.ReplaceAll((*seedList)(&p.Seeds).String(), ",", ", ")
	counts := strings.ReplaceAll((*intList)(&p.Counts).String(), ",", ", ")
	last := p.Counts[len(p.Counts)-1]

	fmt.Fprintf(&b, "# Epoch sweep\n\n")
	fmt.Fprintf(&b, "The paper's network (%s) trained on %s: %d training and %d test images of %dx%d pixels in %d classes (%s).\n\n",
		r.Net, p.Data, r.TrainN, r.TestN, r.Rows, r.Cols, len(r.Classes), strings.Join(r.Classes, ", "))
	aug := "off"
	if cfg.Augment {
		aug = fmt.Sprintf("shifts up to %d px, rotations up to %g°", cfg.MaxShift, cfg.MaxRotate)
	}
	sched := cfg.Schedule.String()
	schedText := sched
	if sched == "step" {
		schedText = fmt.Sprintf("step (x%g every %s)", cfg.StepGamma, plural(cfg.StepEvery, "epoch"))
	}
	seedWord := "Seeds"
	if len(p.Seeds) == 1 {
		seedWord = "Seed"
	}
	fmt.Fprintf(&b, "Settings: %s, lr %g, %s schedule, batch %d, weight decay %g, augmentation %s. %s %s; epoch counts %s. Took %s.\n\n",
		cfg.Optimizer, cfg.LR, schedText, cfg.Batch, cfg.WeightDecay, aug, seedWord, seeds, counts, r.Duration.Round(time.Second))
	switch {
	case p.separate():
		fmt.Fprintf(&b, "The cosine schedule depends on the total number of epochs, so each count was trained as a run of its own.\n\n")
	case len(p.Counts) == 1 && sched == "cosine":
		fmt.Fprintf(&b, "Each seed trained once for %d epochs, the learning rate falling along a cosine from %g to 0 over those epochs.\n\n", last, cfg.LR)
	case len(p.Counts) == 1:
		fmt.Fprintf(&b, "Each seed trained once for %d epochs.\n\n", last)
	default:
		fmt.Fprintf(&b, "Each seed trained once for %d epochs; the figures after fewer epochs are those of that run, which equal a shorter run's: nothing in training depends on the total number of epochs under the %s schedule.\n\n",
			last, sched)
	}

	fmt.Fprintf(&b, "## Test accuracy by number of epochs\n\n")
	b.WriteString("| epochs | mean | std | min | max | mean test loss |")
	for _, s := range p.Seeds {
		fmt.Fprintf(&b, " seed %d |", s)
	}
	b.WriteString("\n|---:|---:|---:|---:|---:|---:|" + strings.Repeat("---:|", len(p.Seeds)) + "\n")
	for _, c := range r.summarize() {
		fmt.Fprintf(&b, "| %d | %s | %.2f | %s | %s | %.4f |", c.Epochs, pct(c.Mean), 100*c.Std, pct(c.Min), pct(c.Max), c.MeanLoss)
		for _, a := range c.Acc {
			fmt.Fprintf(&b, " %s |", pct(a))
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "\nstd is the sample standard deviation over the %s, in percentage points (0 for one seed).\n\n", plural(len(p.Seeds), "seed"))

	br, be, bs := r.best()
	fmt.Fprintf(&b, "## Per-class figures of the best run: seed %d after %s (%s)\n\n", br.Seed, plural(be, "epoch"), pct(bs.TestAcc))
	if ev := br.Evals[be]; ev != nil {
		classTableMD(&b, ev, r.Classes)
	}
	if len(p.Counts) > 1 {
		fmt.Fprintf(&b, "## Per-class figures after each epoch count\n\n")
		fmt.Fprintf(&b, "For each count, the seed with the best test accuracy after that many epochs.\n\n")
		for _, e := range p.Counts {
			run, st := r.bestAt(e)
			fmt.Fprintf(&b, "### %s: seed %d (%s)\n\n", plural(e, "epoch"), run.Seed, pct(st.TestAcc))
			if ev := run.Evals[e]; ev != nil {
				classTableMD(&b, ev, r.Classes)
			}
		}
	}

	cs := r.curves()
	who := fmt.Sprintf("mean over %d seeds", len(p.Seeds))
	if len(p.Seeds) == 1 {
		who = fmt.Sprintf("seed %d", p.Seeds[0])
	}
	fmt.Fprintf(&b, "## Curves of the %d-epoch runs (%s)\n\n", last, who)
	b.WriteString("| epoch | lr | train loss | train acc | test loss | test acc |")
	if len(p.Seeds) > 1 {
		for _, s := range p.Seeds {
			fmt.Fprintf(&b, " seed %d |", s)
		}
	}
	b.WriteString("\n|---:|---:|---:|---:|---:|---:|")
	if len(p.Seeds) > 1 {
		b.WriteString(strings.Repeat("---:|", len(p.Seeds)))
	}
	b.WriteByte('\n')
	trainAcc, testAcc := make([]float64, len(cs)), make([]float64, len(cs))
	trainLoss, testLoss := make([]float64, len(cs)), make([]float64, len(cs))
	for i, c := range cs {
		fmt.Fprintf(&b, "| %d | %.3g | %.4f | %s | %.4f | %s |", c.Epoch, c.LR, c.TrainLoss, pct(c.TrainAcc), c.TestLoss, pct(c.TestAcc))
		if len(p.Seeds) > 1 {
			for _, a := range c.SeedAcc {
				fmt.Fprintf(&b, " %s |", pct(a))
			}
		}
		b.WriteByte('\n')
		trainAcc[i], testAcc[i] = 100*c.TrainAcc, 100*c.TestAcc
		trainLoss[i], testLoss[i] = c.TrainLoss, c.TestLoss
	}
	o := report.ChartOptions{Width: 60, Height: 12}
	b.WriteString("\n```text\n")
	b.WriteString(report.Curves("accuracy (%) by epoch", []string{"train", "test"}, [][]float64{trainAcc, testAcc}, 2, o))
	b.WriteString("```\n\n```text\n")
	b.WriteString(report.Curves("loss by epoch", []string{"train", "test"}, [][]float64{trainLoss, testLoss}, 3, o))
	b.WriteString("```\n\n")

	b.WriteString("## Runs\n\n| seed | epochs | folder | training time |\n|---:|---:|---|---:|\n")
	for _, run := range r.Runs {
		var sec float64
		for _, h := range run.History {
			sec += h.Seconds + h.EvalSeconds
		}
		rel, err := filepath.Rel(p.Out, run.Dir)
		if err != nil {
			rel = run.Dir
		}
		fmt.Fprintf(&b, "| %d | %d | %s | %s |\n", run.Seed, run.Epochs, filepath.ToSlash(rel),
			(time.Duration(sec * float64(time.Second))).Round(time.Second))
	}
	fmt.Fprintf(&b, "\nThe CSV files beside this one hold the same figures unrounded: %s (accuracy by epoch count), %s (the per-class table) and %s (every epoch of every run). Compare runs with `convscope compare %s/seed-*`.\n",
		sweepCSV, sweepClassesCSV, sweepCurvesCSV, filepath.ToSlash(p.Out))
	return b.Bytes()
}

// plural is n and noun, with an s unless n is 1.
func plural(n int, noun string) string { return views.Plural(n, noun) }

// mdEscape keeps a name from breaking a Markdown table.
func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// fmtFloat formats v with as many digits as it takes to read it back exactly.
func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// csvBytes renders rows as CSV.
func csvBytes(rows [][]string) ([]byte, error) {
	var b bytes.Buffer
	if err := csv.NewWriter(&b).WriteAll(rows); err != nil {
		return nil, fmt.Errorf("sweep: csv: %w", err)
	}
	return b.Bytes(), nil
}

// sweepSummaryCSV is the accuracy by epoch count, one row per count:
// fractions, unrounded, with each seed's accuracy in its own column.
func sweepSummaryCSV(r *sweepResult) ([]byte, error) {
	head := []string{"epochs", "seeds", "mean_test_acc", "std_test_acc", "min_test_acc", "max_test_acc", "mean_test_loss"}
	for _, s := range r.Plan.Seeds {
		head = append(head, fmt.Sprintf("test_acc_seed_%d", s))
	}
	rows := [][]string{head}
	for _, c := range r.summarize() {
		row := []string{strconv.Itoa(c.Epochs), strconv.Itoa(len(c.Acc)), fmtFloat(c.Mean), fmtFloat(c.Std),
			fmtFloat(c.Min), fmtFloat(c.Max), fmtFloat(c.MeanLoss)}
		for _, a := range c.Acc {
			row = append(row, fmtFloat(a))
		}
		rows = append(rows, row)
	}
	return csvBytes(rows)
}

// sweepClassCSV is the per-class table of the best run (report.ClassTable)
// with a macro row, each row led by the run's seed and epoch count and the
// class's number.
func sweepClassCSV(r *sweepResult) ([]byte, error) {
	rows := [][]string{{"seed", "epochs", "class", "name", "tp", "fp", "fn", "tn", "precision", "recall", "f1", "accuracy"}}
	br, be, _ := r.best()
	ev := br.Evals[be]
	if ev == nil {
		return csvBytes(rows)
	}
	seed, ep := strconv.FormatUint(br.Seed, 10), strconv.Itoa(be)
	t := report.ClassTable(ev.Classes, ev.Macro, r.Classes, report.CSV)
	for i, row := range t.Rows {
		id, name := strconv.Itoa(i), row[0]
		if i == len(ev.Classes) { // the macro row
			id, name = "macro", ""
		}
		rows = append(rows, append([]string{seed, ep, id, name}, row[1:]...))
	}
	return csvBytes(rows)
}

// sweepCurveCSV has every epoch of every run.
func sweepCurveCSV(r *sweepResult) ([]byte, error) {
	rows := [][]string{{"seed", "run_epochs", "epoch", "lr", "train_loss", "train_acc", "test_loss", "test_acc", "seconds"}}
	for _, run := range r.Runs {
		for _, h := range run.History {
			rows = append(rows, []string{strconv.FormatUint(run.Seed, 10), strconv.Itoa(run.Epochs), strconv.Itoa(h.Epoch),
				fmtFloat(h.LR), fmtFloat(h.TrainLoss), fmtFloat(h.TrainAcc), fmtFloat(h.TestLoss), fmtFloat(h.TestAcc), fmtFloat(h.Seconds)})
		}
	}
	return csvBytes(rows)
}
