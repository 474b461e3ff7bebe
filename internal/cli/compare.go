package cli

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"text/tabwriter"

	"convscope/internal/report"
	"convscope/internal/run"
	"convscope/nn"
)

// CompareOptions is "compare RUN...": the test accuracy and loss per epoch
// of run folders, side by side, as a table and charts.
type CompareOptions struct {
	Runs  []string
	Chart report.ChartOptions
	Color string // auto, always or never
}

func cmdCompare(args []string, e env) error {
	o, err := parseCompare(args, e.tty)
	if err != nil {
		return err
	}
	return runCompare(o, e.stdout)
}

// parseCompare parses compare's arguments; flags may come between the run
// folders.
func parseCompare(args []string, tty bool) (CompareOptions, error) {
	o := CompareOptions{Chart: report.ChartOptions{Color: tty}}
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.IntVar(&o.Chart.Width, "width", 60, "chart width in columns")
	fs.IntVar(&o.Chart.Height, "height", 12, "chart height in rows")
	fs.StringVar(&o.Color, "color", "auto", "colour the charts: auto (on a terminal), always or never")
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(os.Stdout)
				fmt.Println("Usage of convscope compare: convscope compare [flags] RUN_FOLDER...")
				fs.PrintDefaults()
				return o, errHelp
			}
			return o, fmt.Errorf("compare: %v (see convscope compare -h)", err)
		}
		if fs.NArg() == 0 {
			break
		}
		o.Runs = append(o.Runs, fs.Arg(0))
		args = fs.Args()[1:]
	}
	switch o.Color {
	case "auto":
	case "always":
		o.Chart.Color = true
	case "never":
		o.Chart.Color = false
	default:
		return o, fmt.Errorf("compare: --color must be auto, always or never, got %q", o.Color)
	}
	if len(o.Runs) == 0 {
		return o, errors.New("compare: name at least one run folder (see convscope compare -h)")
	}
	if o.Chart.Width < 10 || o.Chart.Width > 1000 || o.Chart.Height < 2 || o.Chart.Height > 200 {
		return o, fmt.Errorf("compare: want 10 <= width <= 1000 and 2 <= height <= 200, got %d and %d", o.Chart.Width, o.Chart.Height)
	}
	return o, nil
}

// compareMain parses and runs compare, printing to w in colour if color.
func compareMain(args []string, w io.Writer, color bool) error {
	o, err := parseCompare(args, color)
	if err != nil {
		return err
	}
	return runCompare(o, w)
}

func runCompare(o CompareOptions, w io.Writer) error {
	runs, err := loadRuns(o.Runs)
	if err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	return writeComparison(w, runs, o.Chart)
}

// runCurves is one run's history with the name it is shown under.
type runCurves struct {
	Name   string
	Path   string // the metrics file
	Epochs []nn.EpochStats
}

// loadRuns reads the metrics of each run folder (or metrics file) in args
// and names each run by its folder's base name, or by the whole argument
// when two base names clash.
func loadRuns(args []string) ([]runCurves, error) {
	runs := make([]runCurves, len(args))
	count := map[string]int{}
	for i, a := range args {
		p := run.MetricsPath(a)
		st, err := run.ReadMetrics(p)
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s is not a run folder: %w", a, err)
		}
		if err != nil {
			return nil, err
		}
		if len(st) == 0 {
			return nil, fmt.Errorf("%s: %s has no epochs yet", a, p)
		}
		name := filepath.Base(filepath.Dir(p))
		if filepath.Base(p) != run.MetricsFile {
			name = filepath.Base(p)
		}
		runs[i] = runCurves{Name: name, Path: p, Epochs: st}
		count[name]++
	}
	for i := range runs {
		if count[runs[i].Name] > 1 {
			runs[i].Name = filepath.Clean(args[i])
		}
	}
	return runs, nil
}

// writeComparison prints a summary line per run, a table of test accuracy
// and loss per epoch side by side, and charts of both with one series per run.
func writeComparison(w io.Writer, runs []runCurves, o report.ChartOptions) error {
	var b bytes.Buffer
	last := 0
	for _, r := range runs {
		best := r.Epochs[0]
		for _, e := range r.Epochs {
			if e.TestAcc > best.TestAcc {
				best = e
			}
		}
		fin := r.Epochs[len(r.Epochs)-1]
		fmt.Fprintf(&b, "%s (%s): %d epochs, final test acc %.2f%% loss %.4f, best %.2f%% at epoch %d\n",
			r.Name, r.Path, len(r.Epochs), 100*fin.TestAcc, fin.TestLoss, 100*best.TestAcc, best.Epoch)
		last = max(last, fin.Epoch)
	}
	b.WriteByte('\n')
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "epoch\t")
	for _, r := range runs {
		fmt.Fprintf(tw, "%s acc\t%s loss\t", r.Name, r.Name)
	}
	fmt.Fprintln(tw)
	acc := make([][]float64, len(runs))
	loss := make([][]float64, len(runs))
	for i, r := range runs {
		acc[i] = report.ByEpoch(r.Epochs, last, func(e nn.EpochStats) float64 { return 100 * e.TestAcc })
		loss[i] = report.ByEpoch(r.Epochs, last, func(e nn.EpochStats) float64 { return e.TestLoss })
	}
	for e := 0; e < last; e++ {
		fmt.Fprintf(tw, "%d\t", e+1)
		for i := range runs {
			if math.IsNaN(acc[i][e]) {
				fmt.Fprint(tw, "-\t-\t")
				continue
			}
			fmt.Fprintf(tw, "%.2f%%\t%.4f\t", acc[i][e], loss[i][e])
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	names := make([]string, len(runs))
	for i, r := range runs {
		names[i] = r.Name
	}
	b.WriteByte('\n')
	b.WriteString(report.Curves("test accuracy (%) by epoch", names, acc, 2, o))
	b.WriteByte('\n')
	b.WriteString(report.Curves("test loss by epoch", names, loss, 3, o))
	_, err := w.Write(b.Bytes())
	return err
}
