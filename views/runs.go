package views

import (
	"fmt"
	"math"
	"strings"

	"github.com/charmbracelet/colorprofile"
	"github.com/guptarohit/asciigraph"

	"convscope/nn"
)

// RunCurves is one run's per-epoch figures, named for the legend.
type RunCurves struct {
	Name   string
	Epochs []nn.EpochStats
}

// runMarks draw each run's line without colour (NO_COLOR, dumb terminals):
// the first run keeps asciigraph's lines, the others are drawn with their
// mark, which the legend shows.
var runMarks = []rune{0, '•', '×', '+', '*', 'o', '#', '%'}

// runColors are the series colours of the Runs view, in legend order.
var runColors = []asciigraph.AnsiColor{asciigraph.DodgerBlue, asciigraph.Orange, asciigraph.LimeGreen,
	asciigraph.HotPink, asciigraph.Gold, asciigraph.Cyan, asciigraph.MediumPurple, asciigraph.Tomato}

// Runs draws, in exactly h lines of width w, the test accuracy and test loss
// of several runs by epoch, one series per run, with a legend. Epochs a run
// lacks, and NaN or infinite figures, are left out of its line.
func Runs(runs []RunCurves, w, h int, st Styles) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	if len(runs) == 0 {
		return FitBlock(st.Muted.Render("no runs to compare: start with --compare runs/a,runs/b"), w, h)
	}
	maxEp := 0
	for _, r := range runs {
		for _, e := range r.Epochs {
			maxEp = max(maxEp, e.Epoch)
		}
	}
	legend := runsLegend(runs, w, st)
	lh := strings.Count(legend, "\n") + 1
	ch := h - lh
	if ch < 4 || maxEp == 0 {
		return FitBlock(legend+"\n"+st.Muted.Render("no finished epochs yet"), w, h)
	}
	lw := (w - 2) / 2
	acc := runsChart("test accuracy (%)", runs, maxEp, func(e nn.EpochStats) float64 { return 100 * e.TestAcc }, lw, ch, st)
	loss := runsChart("test loss", runs, maxEp, func(e nn.EpochStats) float64 { return e.TestLoss }, w-lw-2, ch, st)
	return FitBlock(legend+"\n"+besides(acc, "  ", loss), w, h)
}

func runsLegend(runs []RunCurves, w int, st Styles) string {
	var parts []string
	for i, r := range runs {
		best, at := math.Inf(-1), 0
		for _, e := range r.Epochs {
			if !math.IsInf(e.TestAcc, 0) && e.TestAcc > best {
				best, at = e.TestAcc, e.Epoch
			}
		}
		mark := fmt.Sprintf("(%d) ──", i+1)
		if m := runMarks[i%len(runMarks)]; m != 0 {
			mark = fmt.Sprintf("(%d) %c%c", i+1, m, m)
		}
		if colourful(st) { // colour terminals: a swatch of the series colour
			mark = runColors[i%len(runColors)].String() + "━━" + asciigraph.Default.String()
		}
		s := fmt.Sprintf("%s %s", mark, r.Name)
		if at > 0 {
			s += st.Muted.Render(fmt.Sprintf(" best %.2f%% @%d", 100*best, at))
		}
		parts = append(parts, s)
	}
	return Fit(strings.Join(parts, "   "), w)
}

// runsChart plots f of every run's epochs on a shared x axis of epochs 1..maxEp.
func runsChart(title string, runs []RunCurves, maxEp int, f func(nn.EpochStats) float64, w, h int, st Styles) string {
	cols := max(w-10, 2)
	var series [][]float64
	var colors []asciigraph.AnsiColor
	var marks []rune
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, r := range runs {
		byEp := make([]float64, maxEp)
		for j := range byEp {
			byEp[j] = math.NaN()
		}
		for _, e := range r.Epochs {
			if v := f(e); e.Epoch >= 1 && e.Epoch <= maxEp && !math.IsNaN(v) && !math.IsInf(v, 0) {
				byEp[e.Epoch-1] = v
			}
		}
		pts := Resample(byEp, maxEp, cols)
		any := false
		for _, v := range pts {
			if !math.IsNaN(v) {
				any = true
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
		if any {
			series = append(series, pts)
			colors = append(colors, runColors[i%len(runColors)])
			marks = append(marks, runMarks[i%len(runMarks)])
		}
	}
	if len(series) == 0 {
		return FitBlock(st.Muted.Render(title+": no data"), w, h)
	}
	opts := []asciigraph.Option{asciigraph.Height(max(h-3, 2)), asciigraph.Width(cols), asciigraph.Precision(2),
		asciigraph.LowerBound(lo), asciigraph.UpperBound(hi)}
	var plot string
	if colourful(st) {
		plot = asciigraph.PlotMany(series, append(opts, asciigraph.SeriesColors(colors...))...)
	} else {
		plot = markedPlot(series, marks, opts)
	}
	axis := fmt.Sprintf("epochs 1..%d", maxEp)
	return FitBlock(st.Title.Render(title)+"\n"+plot+"\n"+st.Muted.Render(axis), w, h)
}

// markedPlot plots series together without colour, and then draws over the
// line of each series with a mark (0: none) its cells in its own plot, so
// that the series can be told apart. Every plot has the same bounds, so the
// same axis.
func markedPlot(series [][]float64, marks []rune, opts []asciigraph.Option) string {
	base := strings.Split(asciigraph.PlotMany(series, opts...), "\n")
	grid := make([][]rune, len(base))
	for i, l := range base {
		grid[i] = []rune(l)
	}
	for k, m := range marks {
		if m == 0 {
			continue
		}
		for i, l := range strings.Split(asciigraph.PlotMany(series[k:k+1], opts...), "\n") {
			r := []rune(l)
			axis := strings.IndexFunc(l, func(c rune) bool { return c == '┤' || c == '┼' })
			if i >= len(grid) || axis < 0 {
				continue
			}
			from := len([]rune(l[:axis])) + 1
			for j := from; j < len(r) && j < len(grid[i]); j++ {
				if r[j] != ' ' {
					grid[i][j] = m
				}
			}
		}
	}
	for i, r := range grid {
		base[i] = string(r)
	}
	return strings.Join(base, "\n")
}

// colourful reports whether the terminal shows colours (not NO_COLOR, not dumb).
func colourful(st Styles) bool {
	return st.Profile > colorprofile.Ascii
}
