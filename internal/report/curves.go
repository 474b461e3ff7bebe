package report

import (
	"math"
	"strconv"
	"strings"

	"github.com/guptarohit/asciigraph"

	"convscope/nn"
	"convscope/views"
)

// ChartOptions sizes and colours the ASCII charts.
type ChartOptions struct {
	Width, Height int
	Color         bool // ANSI colours and asciigraph's legend; plain text with a distinct line character per series otherwise
}

// seriesColors and plainChars tell the series of a chart apart, in turn.
var (
	seriesColors = []asciigraph.AnsiColor{asciigraph.Blue, asciigraph.Orange, asciigraph.Green, asciigraph.Magenta,
		asciigraph.Cyan, asciigraph.Red, asciigraph.Goldenrod, asciigraph.Gray}
	plainChars = []string{"", "•", "*", "+", "x", "o", "#", "@"}
)

// Curves draws one ASCII chart of series (one value per epoch, epoch 1
// first) named by names, under caption, with the epochs on the x axis,
// resampled to the width with views.Resample (as the UI's Runs view is).
// Non-finite values are left out; a chart with no finite value is one line
// saying so.
func Curves(caption string, names []string, series [][]float64, precision uint, o ChartOptions) string {
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
			data[i] = views.Resample(data[i], n, o.Width)
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

// ByEpoch lays out f of each epoch of hist by epoch number over epochs
// 1..n, NaN where a run has no such epoch (a gap or a shorter run).
func ByEpoch(hist []nn.EpochStats, n int, f func(nn.EpochStats) float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = math.NaN()
	}
	for _, e := range hist {
		if e.Epoch >= 1 && e.Epoch <= n {
			out[e.Epoch-1] = f(e)
		}
	}
	return out
}

// ClassRow is one row of the per-class table in JSON.
type ClassRow struct {
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

// ClassRows is the per-class table for JSON.
func ClassRows(stats []nn.ClassStats, classes []string) []ClassRow {
	rows := make([]ClassRow, len(stats))
	for i, c := range stats {
		rows[i] = ClassRow{views.ClassName(classes, i), c.TP, c.FP, c.FN, c.TN, c.Precision, c.Recall, c.F1, c.Accuracy}
	}
	return rows
}

// MacroJSON is the macro row for JSON.
func MacroJSON(m nn.ClassStats) map[string]float64 {
	return map[string]float64{"precision": m.Precision, "recall": m.Recall, "f1": m.F1, "accuracy": m.Accuracy}
}
