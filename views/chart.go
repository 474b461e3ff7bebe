package views

import (
	"fmt"
	"math"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/guptarohit/asciigraph"
)

// Point is one sample of a series. X is in epochs: 2.5 is halfway through the
// third epoch, 3 the end of the third.
type Point struct{ X, Y float64 }

// ChartSpec is what a chart shows: a training series (running average, many
// points per epoch) and a test series (one point per finished epoch) on a
// shared x axis in epochs.
type ChartSpec struct {
	Title   string
	Train   []Point // X increasing
	Test    []Point // X increasing
	XMax    float64 // right end of the x axis in epochs; <= 0 fits the data (at least 1)
	Percent bool    // Y is a fraction in [0, 1], drawn as a percentage
	// YFrom > 0 zooms: the y axis fits only the points from this epoch on,
	// and earlier values beyond it are left out.
	YFrom float64
	// Marks are x positions (in epochs) drawn as a dotted line ┊ over the
	// empty cells of their column and a ▲ on the x axis: where the learning
	// rate was changed.
	Marks []float64
}

// The test series is drawn with heavy lines so that it stays apart from the
// training series without colour (NO_COLOR, dumb terminals).
var (
	trainChars = asciigraph.DefaultCharSet
	testChars  = asciigraph.CharSet{
		Horizontal: "━", VerticalLine: "┃",
		ArcDownRight: "┏", ArcDownLeft: "┓", ArcUpRight: "┗", ArcUpLeft: "┛",
		EndCap: "╸", StartCap: "╺",
	}
)

// Chart draws c in exactly h lines of width w: a title line with the legend,
// the plot with a labelled y axis, and an x axis in epochs. Both series are
// resampled onto one column per x step; NaN and ±Inf values are left out (and
// the title says so). Below 16x6 it draws only the title.
func Chart(c ChartSpec, w, h int, st Styles) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	train, badTrain := chartClean(c.Train, c.Percent)
	test, badTest := chartClean(c.Test, c.Percent)
	name := c.Title
	if c.YFrom > 0 {
		name += fmt.Sprintf(" (y from epoch %g)", c.YFrom)
	}
	title := chartTitle(name, train, test, c.Percent, badTrain+badTest > 0, w, st)
	if w < 16 || h < 6 {
		return fitBlockTop(title, w, h)
	}

	xmax := c.XMax
	for _, p := range append(train, test...) {
		xmax = math.Max(xmax, p.X)
	}
	if xmax <= 0 {
		xmax = 1
	}
	xmax = math.Min(xmax, 1e6)
	xmax = math.Ceil(xmax - 1e-9)

	rows := h - 4 // title, rows+1 plot lines, x axis, tick labels
	fitTrain, fitTest := from(train, c.YFrom), from(test, c.YFrom)
	if len(fitTrain)+len(fitTest) == 0 {
		fitTrain, fitTest = train, test
	}
	lo, hi, step := yRange(fitTrain, fitTest, rows, c.Percent)
	yfmt, yw := yFormatter(lo, hi, step, c.Percent)

	const offset = 2 // the label, then the axis
	leftPad := offset + yw
	suffix := " epoch"
	cols := w - leftPad - len(suffix)
	if cols < 12 {
		suffix = ""
		cols = w - leftPad
	}
	if cols < 2 {
		return fitBlockTop(title, w, h)
	}

	trainCol := chartResample(train, xmax, cols, -1)
	last := -1
	if len(train) > 0 {
		last = chartCol(train[len(train)-1].X, xmax, cols)
	}
	testCol := chartResample(test, xmax, cols, last)
	if c.YFrom > 0 {
		for _, col := range [][]float64{trainCol, testCol} {
			for i, v := range col {
				if v < lo-1e-9*step || v > hi+1e-9*step {
					col[i] = math.NaN()
				}
			}
		}
	}

	plot := asciigraph.PlotMany([][]float64{trainCol, testCol},
		asciigraph.Height(rows),
		asciigraph.Offset(offset),
		asciigraph.LowerBound(lo),
		asciigraph.UpperBound(hi),
		asciigraph.YAxisValueFormatter(yfmt),
		asciigraph.XAxisRange(0, xmax),
		asciigraph.XAxisTickCount(xTicks(xmax, cols)),
		asciigraph.XAxisValueFormatter(func(v float64) string { return fmt.Sprintf("%g", math.Round(v*100)/100) }),
		asciigraph.SeriesChars(trainChars, testChars),
	)
	lines := strings.Split(plot, "\n")
	if len(lines) < 3 {
		return fitBlockTop(title, w, h)
	}
	body, axis, ticks := lines[:len(lines)-2], lines[len(lines)-2], lines[len(lines)-1]

	out := make([]string, 0, h)
	out = append(out, title)
	// asciigraph may round to one row more or less than asked: keep the
	// block's height exact.
	for len(body) > rows+1 {
		body = body[1:]
	}
	for len(body) < rows+1 {
		body = append([]string{""}, body...)
	}
	// asciigraph's lines are plain text, one cell a rune: pad them before
	// styling rather than measuring styled strings.
	paints := paintsOf(st)
	var markCols []int
	for _, x := range c.Marks {
		if chartFinite(x) && x >= 0 && x <= xmax {
			markCols = append(markCols, leftPad+chartCol(x, xmax, cols))
		}
	}
	for i, l := range body {
		l = colorRow(markRow(Fit(l, w), markCols, ' ', markLine), leftPad, paints)
		if len(train)+len(test) == 0 && i == len(body)/2 {
			l = Fit(overlayText(l, st.Muted.Render("waiting for data"), leftPad, cols), w)
		}
		out = append(out, l)
	}
	if len(markCols) > 0 {
		out = append(out, colorAxis(markRow(Fit(axis+suffix, w), markCols, 0, markAxis), paints))
	} else {
		out = append(out, st.Muted.Render(Fit(axis+suffix, w)))
	}
	out = append(out, st.Muted.Render(Fit(ticks, w)))
	return strings.Join(out, "\n")
}

// chartTitle is the title on the left and the legend, with each series'
// latest value when there is room, on the right.
func chartTitle(title string, train, test []Point, percent, bad bool, w int, st Styles) string {
	last := func(pts []Point, short bool) string {
		if len(pts) == 0 {
			return ""
		}
		v := pts[len(pts)-1].Y
		switch {
		case percent && short:
			return fmt.Sprintf(" %.1f%%", v)
		case percent:
			return fmt.Sprintf(" %.2f%%", v)
		case short:
			return " " + fmt.Sprintf("%.3g", v)
		}
		return " " + fmtLoss(v)
	}
	left := st.Title.Render(title)
	warn := ""
	if bad {
		warn = st.Warn.Render("NaN/Inf left out") + "  "
	}
	// The legend with each series' latest value, then shorter values, then none.
	for level := range 3 {
		trainV, testV := "", ""
		if level < 2 {
			trainV, testV = last(train, level == 1), last(test, level == 1)
		}
		legend := warn + st.TrainSeries.Render("── train"+trainV) + "  " + st.TestSeries.Render("━━ test"+testV)
		if gap := w - lipgloss.Width(left) - lipgloss.Width(legend); gap >= 1 {
			return left + strings.Repeat(" ", gap) + legend
		}
	}
	legend := st.TrainSeries.Render("── train") + "  " + st.TestSeries.Render("━━ test")
	return Fit(ansi.Truncate(left+" "+legend, w, "…"), w)
}

// chartClean drops points with a non-finite (or absurd) X or Y and scales percentages. It
// returns the points kept and how many were dropped.
func chartClean(pts []Point, percent bool) ([]Point, int) {
	out := make([]Point, 0, len(pts))
	bad := 0
	for _, p := range pts {
		// Beyond ±1e100 a loss has diverged anyway, and the axis arithmetic
		// would overflow.
		if !chartFinite(p.X) || !chartFinite(p.Y) || math.Abs(p.Y) > 1e100 || math.Abs(p.X) > 1e6 {
			bad++
			continue
		}
		if percent {
			p.Y *= 100
		}
		out = append(out, p)
	}
	return out, bad
}

func chartFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// from returns the points from x on.
func from(pts []Point, x float64) []Point {
	for i, p := range pts {
		if p.X >= x {
			return pts[i:]
		}
	}
	return nil
}

// chartCol is the chart column of x on a grid of cols columns spanning [0, xmax].
func chartCol(x, xmax float64, cols int) int {
	c := int(math.Round(x / xmax * float64(cols-1)))
	return max(0, min(cols-1, c))
}

// chartResample puts pts onto cols columns spanning [0, xmax]: a column holding
// points gets their mean, a column between two such columns the linear
// interpolation, and the rest NaN (no line). When hold is past the last
// point's column, the last value is carried on as a step up to column hold.
func chartResample(pts []Point, xmax float64, cols, hold int) []float64 {
	out := make([]float64, cols)
	n := make([]int, cols)
	for _, p := range pts {
		c := chartCol(p.X, xmax, cols)
		out[c] += p.Y
		n[c]++
	}
	prev := -1
	for c := range out {
		if n[c] == 0 {
			out[c] = math.NaN()
			continue
		}
		out[c] /= float64(n[c])
		if prev >= 0 {
			for k := prev + 1; k < c; k++ {
				t := float64(k-prev) / float64(c-prev)
				out[k] = out[prev] + t*(out[c]-out[prev])
			}
		}
		prev = c
	}
	if prev >= 0 {
		for k := prev + 1; k <= min(hold, cols-1); k++ {
			out[k] = out[prev]
		}
	}
	return out
}

// yRange picks the y axis: rows steps of a round size that hold all values.
// With no values it is [0, 1] (or [0, 100] for percentages).
func yRange(a, b []Point, rows int, percent bool) (lo, hi, step float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, p := range a {
		lo, hi = math.Min(lo, p.Y), math.Max(hi, p.Y)
	}
	for _, p := range b {
		lo, hi = math.Min(lo, p.Y), math.Max(hi, p.Y)
	}
	top := 1.0
	if percent {
		top = 100
	}
	if lo > hi {
		lo, hi = 0, top
	}
	dataLo, dataHi := lo, hi
	if hi-lo < 1e-9*math.Max(1, math.Abs(hi)) {
		// A flat series: give it some room, keeping a loss off negative
		// values and a percentage under 100%.
		v := hi
		d := math.Max(math.Abs(v)*0.01, 1e-3)
		lo, hi = v-d, v+d
		switch {
		case v >= 0 && lo < 0:
			lo, hi = 0, v+2*d
		case percent && v <= top && hi > top:
			lo, hi = v-2*d, v
		}
	}
	step = niceStep((hi - lo) / float64(rows))
	for range 200 { // a round step that fits comes long before
		start := math.Floor(lo/step+1e-9) * step
		if span := float64(rows) * step; percent && lo >= 0 && hi <= 100 && start+span > 100 {
			// Keep a percentage axis under 100% when the step allows.
			start = math.Max(0, 100-span)
		}
		if start <= lo+1e-9*step && start+float64(rows)*step >= hi-1e-9*step {
			lo = start
			break
		}
		step = niceStep(step * 1.0001)
	}
	hi = lo + float64(rows)*step
	if percent && hi > 100+1e-9 && dataLo >= 0 && dataHi <= 100 {
		// No round step fits under 100%: split 0..100 evenly.
		lo, hi, step = 0, 100, 100/float64(rows)
	}
	return lo, hi, step
}

// niceStep is the least round number (1, 1.2, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6,
// 7.5 or 8 times a power of ten) not below v. The fine steps keep the plot
// from wasting rows when it has only a few.
func niceStep(v float64) float64 {
	if !(v > 0) || math.IsInf(v, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 1.2, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5, 8, 10} {
		if m*p >= v*(1-1e-12) {
			return m * p
		}
	}
	return 10 * p
}

// yFormatter formats y labels with as many decimals as step needs, all of
// one width; it returns the formatter and that width.
func yFormatter(lo, hi, step float64, percent bool) (func(float64) string, int) {
	unit := ""
	if percent {
		unit = "%"
	}
	var f func(float64) string
	if math.Max(math.Abs(lo), math.Abs(hi)) >= 1e5 {
		f = func(v float64) string { return fmt.Sprintf("%.3g%s", v, unit) }
	} else {
		dec := 0
		for dec < 6 {
			s := step * math.Pow(10, float64(dec))
			if math.Abs(s-math.Round(s)) < 1e-9*math.Max(1, s) {
				break
			}
			dec++
		}
		if dec == 6 { // not a round step: enough decimals to tell rows apart
			dec = max(0, min(6, int(-math.Floor(math.Log10(step)))))
		}
		f = func(v float64) string {
			if math.Abs(v) < step*1e-6 {
				v = 0 // no "-0.00"
			}
			return fmt.Sprintf("%.*f%s", dec, v, unit)
		}
	}
	wd := 0
	for i := 0; lo+float64(i)*step <= hi+step/2 && i < 1000; i++ {
		wd = max(wd, len(f(lo+float64(i)*step)))
	}
	return func(v float64) string { return fmt.Sprintf("%*s", wd, f(v)) }, wd
}

// xTicks picks how many ticks the x axis gets: whole epochs, as many as fit
// with room for their labels.
func xTicks(xmax float64, cols int) int {
	n := int(xmax)
	room := len(fmt.Sprint(n)) + 2
	first := max(1, n*room/max(1, cols))
	for step := first; step <= n && step < first+10000; step++ {
		if n%step == 0 && (n/step)*room <= cols {
			return n/step + 1
		}
	}
	return 2
}

// paint wraps text in a style's escape sequences, found once by rendering a
// marker, so that a chart's many short runs are not each measured and laid
// out by lipgloss. It suits styles of colours and attributes only.
type paint struct{ pre, post string }

func paintOf(s lipgloss.Style) paint {
	const mark = "\x00"
	r := s.Render(mark)
	i := strings.Index(r, mark)
	if i < 0 {
		return paint{}
	}
	return paint{pre: r[:i], post: r[i+len(mark):]}
}

func (p paint) on(b *strings.Builder, text string) {
	b.WriteString(p.pre)
	b.WriteString(text)
	b.WriteString(p.post)
}

// The glyphs of a mark (ChartSpec.Marks): over the plot, and on the x axis.
const (
	markLine = '┊'
	markAxis = '▲'
)

// markRow puts glyph g at rune columns cols of plain line, where the line
// holds over (any rune when over is 0).
func markRow(line string, cols []int, over, g rune) string {
	if len(cols) == 0 {
		return line
	}
	r := []rune(line)
	for _, c := range cols {
		if c >= 0 && c < len(r) && (over == 0 || r[c] == over) {
			r[c] = g
		}
	}
	return string(r)
}

// chartPaints are the styles of a plot row.
type chartPaints struct{ axis, train, test, mark paint }

func paintsOf(st Styles) chartPaints {
	return chartPaints{axis: paintOf(st.Muted), train: paintOf(st.TrainSeries), test: paintOf(st.TestSeries), mark: paintOf(st.Warn)}
}

// colorAxis styles the x axis: muted, with its marks in their colour.
func colorAxis(line string, p chartPaints) string {
	var b strings.Builder
	rest := line
	for {
		i := strings.IndexRune(rest, markAxis)
		if i < 0 {
			break
		}
		if i > 0 {
			p.axis.on(&b, rest[:i])
		}
		p.mark.on(&b, string(markAxis))
		rest = rest[i+len(string(markAxis)):]
	}
	if rest != "" {
		p.axis.on(&b, rest)
	}
	return b.String()
}

// colorRow styles one plot row: its label and axis muted, the training
// series in its colour, the test series in its own.
func colorRow(line string, leftPad int, p chartPaints) string {
	r := []rune(line)
	var b strings.Builder
	b.Grow(len(line) + 64)
	if len(r) <= leftPad {
		p.axis.on(&b, line)
		return b.String()
	}
	p.axis.on(&b, string(r[:leftPad]))
	kind := func(c rune) int {
		switch {
		case c == ' ':
			return 0
		case c == markLine || c == markAxis:
			return 3
		case strings.ContainsRune("━┃┏┓┗┛╸╺", c):
			return 2
		default:
			return 1
		}
	}
	rest := r[leftPad:]
	for i := 0; i < len(rest); {
		k := kind(rest[i])
		j := i + 1
		for j < len(rest) && kind(rest[j]) == k {
			j++
		}
		seg := string(rest[i:j])
		switch k {
		case 1:
			p.train.on(&b, seg)
		case 2:
			p.test.on(&b, seg)
		case 3:
			p.mark.on(&b, seg)
		default:
			b.WriteString(seg)
		}
		i = j
	}
	return b.String()
}

// overlayText writes msg centred over the cols columns of line that start at left.
func overlayText(line, msg string, left, cols int) string {
	mw := lipgloss.Width(msg)
	if mw > cols {
		return line
	}
	at := left + (cols-mw)/2
	line = Fit(line, at+mw)
	return ansi.Truncate(line, at, "") + msg + ansi.TruncateLeft(line, at+mw, "")
}

// fitBlockTop puts first on the first line of a blank block of exactly w x h.
func fitBlockTop(first string, w, h int) string {
	out := make([]string, h)
	out[0] = Fit(first, w)
	for i := 1; i < h; i++ {
		out[i] = strings.Repeat(" ", w)
	}
	return strings.Join(out, "\n")
}
