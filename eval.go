package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"convscope/internal/checkpoint"
	"convscope/internal/gemm"
	"convscope/nn"

	"github.com/charmbracelet/x/term"
)

// cmdEval is "eval --load FILE": it evaluates a saved model on the test set
// and prints accuracy, loss and the per-class table (or JSON).
func cmdEval(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	load := fs.String("load", "", "checkpoint or model file to evaluate (required)")
	data := fs.String("data", "", "folder of IDX files (default: the MNIST copy in the Go module cache)")
	threads := fs.Int("threads", 0, "worker threads (0 = all cores)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	ck, d, ev, err := loadAndEvaluate("eval", *load, *data, *threads)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(w).Encode(evalJSON(*load, ck, d.Test.Classes, ev))
	}
	printEval(w, *load, ck, d.Test.Classes, ev)
	return nil
}

// cmdExplore is "explore --load FILE": the UI on a saved model, without
// training. When stdout is not a terminal (or with --no-tui) it prints what
// eval prints.
func cmdExplore(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("explore", flag.ContinueOnError)
	load := fs.String("load", "", "checkpoint or model file to explore (required)")
	data := fs.String("data", "", "folder of IDX files (default: the MNIST copy in the Go module cache)")
	threads := fs.Int("threads", 0, "worker threads (0 = all cores)")
	noTUI := fs.Bool("no-tui", false, "print the evaluation instead of opening the UI")
	compare := fs.String("compare", "", "comma-separated run folders whose curves the UI compares (key r in Train)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *noTUI || !term.IsTerminal(os.Stdout.Fd()) {
		ck, d, ev, err := loadAndEvaluate("explore", *load, *data, *threads)
		if err != nil {
			return err
		}
		printEval(w, *load, ck, d.Test.Classes, ev)
		return nil
	}
	ck, d, err := loadModel("explore", *load, *data)
	if err != nil {
		return err
	}
	eng := gemm.NewEngine(*threads)
	defer eng.Close()
	ck.Net.SetEngine(eng)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	others, err := compareRuns(*compare)
	if err != nil {
		return err
	}
	return runExplore(ctx, ck.Net, d, ck.History, filepath.Dir(*load), others)
}

// loadModel loads the checkpoint at path and the data set in dir, and
// checks that they fit each other.
func loadModel(cmd, path, dir string) (*checkpoint.Checkpoint, nn.Data, error) {
	if path == "" {
		return nil, nn.Data{}, fmt.Errorf("%s: --load FILE is required (see convscope %s -h)", cmd, cmd)
	}
	ck, err := checkpoint.Load(path)
	if err != nil {
		return nil, nn.Data{}, err
	}
	d, err := loadData(dir, "")
	if err != nil {
		return nil, nn.Data{}, err
	}
	if err := checkData(ck.Net, d.Test, "test"); err != nil {
		return nil, nn.Data{}, fmt.Errorf("%s: %s: %w", cmd, path, err)
	}
	return ck, d, nil
}

// loadAndEvaluate is loadModel followed by an evaluation on the test set.
func loadAndEvaluate(cmd, path, dir string, threads int) (*checkpoint.Checkpoint, nn.Data, *nn.Eval, error) {
	ck, d, err := loadModel(cmd, path, dir)
	if err != nil {
		return nil, nn.Data{}, nil, err
	}
	eng := gemm.NewEngine(threads)
	defer eng.Close()
	ck.Net.SetEngine(eng)
	ev := nn.Evaluate(ck.Net, d.Test, 0)
	ck.Net.SetEngine(nil)
	return ck, d, ev, nil
}

// runLine describes where in its run a checkpoint was saved.
func runLine(ck *checkpoint.Checkpoint) string {
	if !ck.HasRun {
		return "a model without its run's details"
	}
	c := ck.Config
	s := fmt.Sprintf("after epoch %d of %d (%s, lr %g, batch %d, seed %d)", ck.Epoch, c.Epochs, c.Optimizer, c.LR, c.Batch, c.Seed)
	if ck.MidEpoch > 0 {
		s = fmt.Sprintf("weights taken during epoch %d of %d (%s, lr %g, batch %d, seed %d)", ck.MidEpoch, c.Epochs, c.Optimizer, c.LR, c.Batch, c.Seed)
	}
	return s
}

// className is the name of class i.
func className(classes []string, i int) string {
	if i < len(classes) && classes[i] != "" {
		return classes[i]
	}
	return strconv.Itoa(i)
}

// printEval writes the evaluation as text: the model, accuracy and loss, and
// the per-class table with its macro averages.
func printEval(w io.Writer, path string, ck *checkpoint.Checkpoint, classes []string, ev *nn.Eval) {
	fmt.Fprintf(w, "model: %s\n", path)
	fmt.Fprintf(w, "       %s\n", ck.Net.Describe())
	fmt.Fprintf(w, "       %s\n", runLine(ck))
	fmt.Fprintf(w, "test:  %d images, accuracy %.2f%%, loss %.4f\n\n", ev.N, 100*ev.Acc, ev.Loss)
	nw := len("macro")
	for i := range ev.K {
		nw = max(nw, len(className(classes, i)))
	}
	fmt.Fprintf(w, "%-*s %7s %7s %7s %7s %9s %7s %7s %8s\n", nw, "class", "TP", "FP", "FN", "TN", "precision", "recall", "F1", "accuracy")
	for i, c := range ev.Classes {
		fmt.Fprintf(w, "%-*s %7d %7d %7d %7d %9.4f %7.4f %7.4f %8.4f\n", nw, className(classes, i), c.TP, c.FP, c.FN, c.TN, c.Precision, c.Recall, c.F1, c.Accuracy)
	}
	m := ev.Macro
	fmt.Fprintf(w, "%-*s %s %9.4f %7.4f %7.4f %8.4f\n", nw, "macro", strings.Repeat(" ", 31), m.Precision, m.Recall, m.F1, m.Accuracy)
}

// classJSON is one row of the per-class table in eval --json.
type classJSON struct {
	Class     string  `json:"class"`
	TP        int     `json:"tp"`
	FP        int     `json:"fp"`
	FN        int     `json:"fn"`
	TN        int     `json:"tn"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Accuracy  float64 `json:"accuracy"`
}

// evalJSON is the object eval --json prints.
func evalJSON(path string, ck *checkpoint.Checkpoint, classes []string, ev *nn.Eval) map[string]any {
	rows := make([]classJSON, len(ev.Classes))
	for i, c := range ev.Classes {
		rows[i] = classJSON{className(classes, i), c.TP, c.FP, c.FN, c.TN, c.Precision, c.Recall, c.F1, c.Accuracy}
	}
	m := ev.Macro
	out := map[string]any{
		"file":      path,
		"kind":      ck.Kind,
		"network":   ck.Net.Describe(),
		"images":    ev.N,
		"accuracy":  ev.Acc,
		"loss":      ev.Loss,
		"classes":   rows,
		"macro":     map[string]float64{"precision": m.Precision, "recall": m.Recall, "f1": m.F1, "accuracy": m.Accuracy},
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
