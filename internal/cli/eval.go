package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"convscope/internal/atomicfile"
	"convscope/internal/checkpoint"
	"convscope/internal/fsx"
	"convscope/internal/report"
	"convscope/nn"
	"convscope/views"
)

// EvalOptions is "eval --load FILE": evaluate a saved model on the test
// set and print accuracy, loss and the per-class table (or JSON).
type EvalOptions struct {
	Load    string // checkpoint or model file
	Data    string // folder of IDX files; "" = the one the checkpoint names, else MNIST
	Classes string // comma-separated class names; "" = the checkpoint's
	Threads int
	JSON    bool
	// Predictions, if set, is a CSV file to write one row per test image
	// to: index, label, prediction, the probability of every class, loss.
	Predictions string
}

// register adds the flags eval and explore share.
func (o *EvalOptions) register(fs *flag.FlagSet, what string) {
	fs.StringVar(&o.Load, "load", "", "checkpoint or model file to "+what+" (required)")
	fs.StringVar(&o.Data, "data", "", "folder of IDX files (default: the folder the checkpoint trained on, else the MNIST copy in the Go module cache)")
	registerDataset(fs, &o.Data, true)
	fs.StringVar(&o.Classes, "classes", "", "comma-separated class names (default: those the checkpoint recorded)")
	fs.IntVar(&o.Threads, "threads", 0, "worker threads (0 = all cores)")
}

func cmdEval(args []string, e env) error {
	var o EvalOptions
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	o.register(fs, "evaluate")
	fs.BoolVar(&o.JSON, "json", false, "print one JSON object")
	fs.StringVar(&o.Predictions, "predictions", "", "also write one CSV row per test image to this file: index, label, prediction, every class's probability, loss")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return runEval(o, e.stdout)
}

// runEval evaluates and prints.
func runEval(o EvalOptions, w io.Writer) error {
	m, err := loadAndEvaluate("eval", o)
	if err != nil {
		return err
	}
	bad := nonFinite(m.eval)
	if o.Predictions != "" && bad == nil {
		if err := atomicfile.Write(o.Predictions, []byte(predictionsCSV(m))); err != nil {
			return fmt.Errorf("eval: --predictions: %w", err)
		}
	}
	if o.JSON {
		obj := evalJSON(o.Load, m)
		if bad != nil {
			obj["loss"], obj["error"] = nil, bad.Error()
		}
		if err := json.NewEncoder(w).Encode(obj); err != nil {
			return err
		}
		return bad
	}
	if bad != nil {
		return bad
	}
	printEval(w, o.Load, m)
	return nil
}

// nonFinite reports a loss that is NaN or infinite: a model whose outputs
// are not numbers.
func nonFinite(ev *nn.Eval) error {
	if math.IsNaN(ev.Loss) || math.IsInf(ev.Loss, 0) {
		return fmt.Errorf("the model's test loss is %v: its outputs are not finite numbers (a diverged run?); evaluate an earlier checkpoint", ev.Loss)
	}
	return nil
}

// model is a loaded checkpoint with the data set it runs on and the names
// of its classes.
type model struct {
	ck      *checkpoint.Checkpoint
	data    nn.Data
	classes []string
	eval    *nn.Eval // nil until evaluated
}

// loadModel loads the checkpoint o.Load and the data set it runs on, and
// checks that they fit each other.
func loadModel(cmd string, o EvalOptions) (*model, error) {
	if o.Load == "" {
		return nil, fmt.Errorf("%s: --load FILE is required (see convscope %s -h)", cmd, cmd)
	}
	if err := checkThreads(o.Threads); err != nil {
		return nil, err
	}
	if err := fsx.CheckRegular(o.Load); err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	ck, err := checkpoint.Load(o.Load)
	if err != nil {
		return nil, err
	}
	dir := o.Data
	var saved []string
	if ck.Dataset != nil {
		if dir == "" {
			dir = ck.Dataset.Dir
		}
		saved = ck.Dataset.Classes
	}
	d, err := loadData(dir, o.Classes)
	if err != nil {
		return nil, err
	}
	if err := checkData(ck.Net, d.Test, "test"); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", cmd, o.Load, err)
	}
	names := namesFor(ck.Net.Classes(), o.Classes, saved, d)
	d.Train.Classes, d.Test.Classes = names, names
	return &model{ck: ck, data: d, classes: names}, nil
}

// loadAndEvaluate is loadModel followed by an evaluation on the test set.
func loadAndEvaluate(cmd string, o EvalOptions) (*model, error) {
	m, err := loadModel(cmd, o)
	if err != nil {
		return nil, err
	}
	eng, err := newEngine(o.Threads)
	if err != nil {
		return nil, err
	}
	defer eng.Close()
	m.ck.Net.SetEngine(eng)
	m.eval = nn.Evaluate(m.ck.Net, m.data.Test, 0)
	m.ck.Net.SetEngine(nil)
	return m, nil
}

// runLine describes where in its run a checkpoint was saved, with the
// run's own settings.
func runLine(ck *checkpoint.Checkpoint) string {
	if !ck.HasRun {
		return "a model without its run's details"
	}
	c := ck.Config
	set := fmt.Sprintf("(%s, lr %g, %s schedule, batch %d, seed %d)", c.Optimizer, c.LR, c.Schedule, c.Batch, c.Seed)
	if ck.MidEpoch > 0 {
		return fmt.Sprintf("weights taken during epoch %d of %d %s", ck.MidEpoch, c.Epochs, set)
	}
	return fmt.Sprintf("after epoch %d of %d %s", ck.Epoch, c.Epochs, set)
}

// printEval writes the evaluation as text: the model, accuracy and loss, and
// the per-class table with its macro averages.
func printEval(w io.Writer, path string, m *model) {
	ev := m.eval
	fmt.Fprintf(w, "model: %s\n", path)
	fmt.Fprintf(w, "       %s\n", m.ck.Net.Describe())
	fmt.Fprintf(w, "       %s\n", runLine(m.ck))
	fmt.Fprintf(w, "test:  %d images, accuracy %.2f%%, loss %.4f\n\n", ev.N, 100*ev.Acc, ev.Loss)
	fmt.Fprint(w, report.ClassTable(ev.Classes, ev.Macro, m.classes, report.MD).Text())
}

// evalJSON is the object eval --json prints.
func evalJSON(path string, m *model) map[string]any {
	ev, ck := m.eval, m.ck
	out := map[string]any{
		"file":      path,
		"kind":      ck.Kind,
		"network":   ck.Net.Describe(),
		"images":    ev.N,
		"accuracy":  ev.Acc,
		"loss":      ev.Loss,
		"classes":   report.ClassRows(ev.Classes, m.classes),
		"macro":     report.MacroJSON(ev.Macro),
		"confusion": ev.Confusion,
	}
	if ck.HasRun {
		out["epoch"] = ck.Epoch
		out["config"] = ck.Config
	}
	if ck.MidEpoch > 0 {
		out["mid_epoch"] = ck.MidEpoch
	}
	return out
}

// predictionsCSV is one row per test image: its index, label and
// prediction (class names), the probability of every class, and its loss.
func predictionsCSV(m *model) string {
	ev := m.eval
	t := report.Table{Head: []string{"index", "label", "prediction"}}
	for c := range ev.K {
		t.Head = append(t.Head, "p_"+views.ClassName(m.classes, c))
	}
	t.Head = append(t.Head, "loss")
	t.Align = []byte(strings.Repeat("l", len(t.Head)))
	for i := range ev.N {
		row := []string{strconv.Itoa(i), views.ClassName(m.classes, int(ev.Labels[i])), views.ClassName(m.classes, int(ev.Pred[i]))}
		for _, p := range ev.Probs[i*ev.K : (i+1)*ev.K] {
			row = append(row, strconv.FormatFloat(float64(p), 'g', -1, 32))
		}
		t.Rows = append(t.Rows, append(row, strconv.FormatFloat(float64(ev.Losses[i]), 'g', -1, 32)))
	}
	return t.CSV()
}
