package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"convscope/internal/checkpoint"
	"convscope/internal/dynamics"
	"convscope/internal/report"
	"convscope/internal/run"
	"convscope/mnist"
	"convscope/nn"
)

// ReportOptions is "report RUN_DIR": headless, the files the UI's export
// (key e) writes, for the run's last checkpoint, with its learning dynamics.
type ReportOptions struct {
	Dir     string // the run folder
	Out     string // where the files go; "" = Dir
	Data    string // the data folder; "" = the one the checkpoint names
	Top     int    // suspects listed per set in report.md
	Threads int
}

func cmdReport(args []string, e env) error {
	var o ReportOptions
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.StringVar(&o.Out, "out", "", "folder for the report's files (default: the run folder)")
	fs.StringVar(&o.Data, "data", "", "folder of IDX files (default: the one the run trained on)")
	fs.IntVar(&o.Top, "top", 20, "suspected label errors listed per set in report.md")
	fs.IntVar(&o.Threads, "threads", 0, "worker threads (0 = all cores)")
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(e.stdout, "Usage of convscope report: convscope report [flags] RUN_FOLDER")
			printFlags(fs)
			return errHelp
		}
		return fmt.Errorf("report: %v (see convscope report -h)", err)
	}
	if fs.NArg() != 1 {
		return errors.New("report: name one run folder, e.g. convscope report runs/<time> (see convscope report -h)")
	}
	o.Dir = fs.Arg(0)
	return runReport(o, e.stdout, os.Stderr)
}

// runReport writes the report and says where it went; a problem with the
// dynamics is one line on warn, and the rest is still written.
func runReport(o ReportOptions, w, warn io.Writer) error {
	last := filepath.Join(o.Dir, checkpoint.LastFile)
	if fi, err := os.Stat(o.Dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("report: %s is not a folder; name a run folder, e.g. runs/<time>", o.Dir)
	}
	if _, err := os.Stat(last); err != nil {
		return fmt.Errorf("report: %s is not a run folder: it has no %s", o.Dir, checkpoint.LastFile)
	}
	m, err := loadAndEvaluate("report", EvalOptions{Load: last, Data: o.Data, Threads: o.Threads})
	if err != nil {
		return err
	}
	if err := nonFinite(m.eval); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	ev, ck := m.eval, m.ck
	cfg := ck.Config
	d := report.Data{
		Title: "convscope report",
		Notes: []string{"run folder: " + o.Dir, fmt.Sprintf("training: %s, lr %g, %s schedule, batch %d, %d epochs, seed %d",
			cfg.Optimizer, cfg.LR, cfg.Schedule, cfg.Batch, cfg.Epochs, cfg.Seed), "model: " + last + ", " + runLine(ck)},
		Epoch: ck.Epoch, Loss: ev.Loss, Acc: ev.Acc, Epochs: ck.History, Classes: m.classes,
		Stats: ev.Classes, Macro: ev.Macro, Confusion: ev.Confusion,
	}
	if hist, err := run.ReadMetrics(filepath.Join(o.Dir, run.MetricsFile)); err == nil && len(hist) >= len(ck.History) {
		d.Epochs = hist[:len(ck.History)]
	}
	r := report.Run{Data: d, Labels: ev.Labels, Pred: ev.Pred, Probs: ev.Probs, Top: o.Top}
	train := m.data.Train.Subset(cfg.TrainLimit)
	r.Dynamics, r.DynamicsNote = readDynamics(o.Dir, train, m.data.Test, ck.Epoch)
	if r.DynamicsNote != "" {
		fmt.Fprintf(warn, "convscope: report: %s; the dynamics sections, examples.csv and label-issues.csv are left out\n", r.DynamicsNote)
	}
	r.Suggest = func(idx []int) []int { return nn.PredictImages(ck.Net, train, idx) }
	out := o.Out
	if out == "" {
		out = o.Dir
	} else if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	paths, err := report.Write(out, r)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	for _, p := range paths {
		fmt.Fprintln(w, "wrote", p)
	}
	return nil
}

// readDynamics reads the run's dynamics for the given sets, cut to epochs,
// or says in one line why there are none to use.
func readDynamics(dir string, train, test *mnist.Set, epochs int) (*dynamics.Data, string) {
	path := filepath.Join(dir, dynamics.File)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Sprintf("%s has no %s (a run from before convscope recorded learning dynamics)", dir, dynamics.File)
	}
	d, err := dynamics.Read(path)
	if err != nil {
		return nil, err.Error()
	}
	if err := d.Check(train.Labels[:train.N], test.Labels[:test.N]); err != nil {
		return nil, fmt.Sprintf("%s does not fit the data set: %v", path, err)
	}
	if d.Epochs < epochs {
		return nil, fmt.Sprintf("%s holds %d epochs, the checkpoint %d", path, d.Epochs, epochs)
	}
	d.Truncate(epochs)
	return d, ""
}
