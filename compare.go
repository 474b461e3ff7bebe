package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"convscope/nn"

	"github.com/charmbracelet/x/term"
	"github.com/guptarohit/asciigraph"
)

// metricsFile is the per-epoch log in each run folder.
const metricsFile = "metrics.jsonl"

// maxMetricsLine bounds one line of metrics.jsonl (a line is about 250 bytes).
const maxMetricsLine = 1 << 20

// readMetrics reads a metrics.jsonl file: one nn.EpochStats JSON object a
// line, as train and sweep write it. Blank lines are skipped. When an epoch
// number does not go up (a run resumed from an earlier checkpoint appends
// again from there), the later lines replace the epochs from that number on,
// so the result is the history of the run as it went on, epochs increasing.
// An empty file gives no epochs and no error (a run that has just started).
// Errors name the file and, for a bad entry, the line.
func readMetrics(path string) ([]nn.EpochStats, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read metrics: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4096), maxMetricsLine)
	var out []nn.EpochStats
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		if b[0] != '{' {
			return nil, fmt.Errorf("read metrics %s line %d: got %.20q, want a JSON object", path, line, b)
		}
		var st nn.EpochStats
		if err := json.Unmarshal(b, &st); err != nil {
			return nil, fmt.Errorf("read metrics %s line %d: %w", path, line, err)
		}
		if st.Epoch < 1 {
			return nil, fmt.Errorf("read metrics %s line %d: epoch %d, want 1 or more", path, line, st.Epoch)
		}
		for len(out) > 0 && out[len(out)-1].Epoch >= st.Epoch {
			out = out[:len(out)-1]
		}
		out = append(out, st)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read metrics %s after line %d: %w", path, line, err)
	}
	return out, nil
}

// metricsPath returns the metrics file of arg: arg itself if it is a file,
// else arg/metrics.jsonl.
func metricsPath(arg string) string {
	if fi, err := os.Stat(arg); err == nil && !fi.IsDir() {
		return arg
	}
	return filepath.Join(arg, metricsFile)
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
		p := metricsPath(a)
		st, err := readMetrics(p)
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
		if filepath.Base(p) != metricsFile {
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

// chartOpts sizes and colours the ASCII charts.
type chartOpts struct {
	Width, Height int
	Color         bool // ANSI colours and asciigraph's legend; plain text with a distinct line character per series otherwise
}

// seriesColors and plainChars tell the series of a chart apart, in turn.
var (
	seriesColors = []asciigraph.AnsiColor{asciigraph.Blue, asciigraph.Orange, asciigraph.Green, asciigraph.Magenta,
		asciigraph.Cyan, asciigraph.Red, asciigraph.Goldenrod, asciigraph.Gray}
	plainChars = []string{"", "•", "*", "+", "x", "o", "#", "@"}
)

// plotSeries draws one ASCII chart of series (one value per epoch, epoch 1
// first) named by names, under caption, with the epochs on the x axis.
// Non-finite values are left out; a chart with no finite value is one line
// saying so.
func plotSeries(caption string, names []string, series [][]float64, precision uint, o chartOpts) string {
	data := make([][]float64, len(series))
	finite, n := false, 1
	for i, s := range series {
		d := make([]float64, max(len(s), 1))
		d[0] = math.NaN()
		for j, v := range s {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				v = math.NaN()
			} else {
				finite = true
			}
			d[j] = v
		}
		data[i] = d
		n = max(n, len(s))
	}
	if !finite {
		return caption + ": no finite values\n"
	}
	if o.Width > 0 {
		for i := range data {
			data[i] = resample(data[i], n, o.Width)
		}
	}
	opts := []asciigraph.Option{asciigraph.Height(o.Height), asciigraph.Caption(caption), asciigraph.Precision(precision)}
	if n > 1 {
		// Ticks on whole epochs: the most (up to 6) that divide the range evenly.
		ticks := 2
		for t := 6; t > 2; t-- {
			if (n-1)%(t-1) == 0 && t <= n {
				ticks = t
				break
			}
		}
		opts = append(opts, asciigraph.XAxisRange(1, float64(n)), asciigraph.XAxisTickCount(ticks),
			asciigraph.XAxisValueFormatter(func(v float64) string { return strconv.Itoa(int(math.Round(v))) }))
	}
	var legend string
	if o.Color {
		cols := make([]asciigraph.AnsiColor, len(series))
		for i := range cols {
			cols[i] = seriesColors[i%len(seriesColors)]
		}
		opts = append(opts, asciigraph.SeriesColors(cols...), asciigraph.SeriesLegends(names...))
	} else {
		sets := make([]asciigraph.CharSet, len(series))
		items := make([]string, len(series))
		for i := range sets {
			c := plainChars[i%len(plainChars)]
			sets[i] = asciigraph.CreateCharSet(c)
			if c == "" {
				sets[i], c = asciigraph.DefaultCharSet, asciigraph.DefaultCharSet.Horizontal
			}
			items[i] = strings.Repeat(c, 2) + " " + names[i]
		}
		opts = append(opts, asciigraph.SeriesChars(sets...))
		legend = "\n\n    " + strings.Join(items, "   ")
	}
	return asciigraph.PlotMany(data, opts...) + legend + "\n"
}

// resample stretches s, one value per epoch of n, over w columns with
// linear interpolation. Unlike asciigraph's Width it keeps a point next to a
// gap (NaN) or past the end of s: a column between a value and a gap takes
// the nearer of the two.
func resample(s []float64, n, w int) []float64 {
	at := func(i int) float64 {
		if i < len(s) {
			return s[i]
		}
		return math.NaN()
	}
	out := make([]float64, w)
	for j := range out {
		x := 0.0
		if w > 1 {
			x = float64(j) * float64(n-1) / float64(w-1)
		}
		i := int(x)
		f := x - float64(i)
		v0, v1 := at(i), at(i+1)
		switch {
		case f == 0:
			out[j] = v0
		case !math.IsNaN(v0) && !math.IsNaN(v1):
			out[j] = v0 + f*(v1-v0)
		case f < 0.5:
			out[j] = v0
		default:
			out[j] = v1
		}
	}
	return out
}

func cmdCompare(args []string) error {
	tty := term.IsTerminal(os.Stdout.Fd())
	return compareMain(args, os.Stdout, tty)
}

// compareMain parses compare's arguments (flags may come between the run
// folders) and prints the comparison to w, in colour if color is set.
func compareMain(args []string, w io.Writer, color bool) error {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o := chartOpts{Color: color}
	fs.IntVar(&o.Width, "width", 60, "chart width in columns")
	fs.IntVar(&o.Height, "height", 12, "chart height in rows")
	colorFlag := fs.String("color", "auto", "colour the charts: auto (on a terminal), always or never")
	var dirs []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(os.Stdout)
				fmt.Println("Usage of convscope compare: convscope compare [flags] RUN_FOLDER...")
				fs.PrintDefaults()
				return errUsage
			}
			return fmt.Errorf("compare: %v (see convscope compare -h)", err)
		}
		if fs.NArg() == 0 {
			break
		}
		dirs = append(dirs, fs.Arg(0))
		args = fs.Args()[1:]
	}
	switch *colorFlag {
	case "auto":
	case "always":
		o.Color = true
	case "never":
		o.Color = false
	default:
		return fmt.Errorf("compare: --color must be auto, always or never, got %q", *colorFlag)
	}
	if len(dirs) == 0 {
		return errors.New("compare: name at least one run folder (see convscope compare -h)")
	}
	if o.Width < 10 || o.Width > 1000 || o.Height < 2 || o.Height > 200 {
		return fmt.Errorf("compare: want 10 <= width <= 1000 and 2 <= height <= 200, got %d and %d", o.Width, o.Height)
	}
	runs, err := loadRuns(dirs)
	if err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	return writeComparison(w, runs, o)
}

// writeComparison prints a summary line per run, a table of test accuracy
// and loss per epoch side by side, and charts of both with one series per run.
func writeComparison(w io.Writer, runs []runCurves, o chartOpts) error {
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
	for i := range runs {
		acc[i] = nanSlice(last)
		loss[i] = nanSlice(last)
		for _, e := range runs[i].Epochs {
			acc[i][e.Epoch-1], loss[i][e.Epoch-1] = 100*e.TestAcc, e.TestLoss
		}
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
	b.WriteString(plotSeries("test accuracy (%) by epoch", names, acc, 2, o))
	b.WriteByte('\n')
	b.WriteString(plotSeries("test loss by epoch", names, loss, 3, o))
	_, err := w.Write(b.Bytes())
	return err
}

// nanSlice returns n NaNs (gaps in a series).
func nanSlice(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = math.NaN()
	}
	return s
}
