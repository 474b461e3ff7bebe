package views

import (
	"math"
	"strings"

	"charm.land/lipgloss/v2"
)

// ScatterPoint is one point of a Scatter: its coordinates, its class (the
// true label) and whether the network misclassifies it.
type ScatterPoint struct {
	X, Y  float64 // NaN: left out
	Class int
	Wrong bool
}

// ScatterBounds is the range of a scatter's axes: X0 at the left edge, X1 at
// the right, Y0 at the bottom, Y1 at the top.
type ScatterBounds struct{ X0, X1, Y0, Y1 float64 }

// BoundsOf is the smallest range that holds every finite point; a range of
// one value (or none) is widened by 1 each way, so that it has a width.
func BoundsOf(pts []ScatterPoint) ScatterBounds {
	b := ScatterBounds{math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)}
	for _, p := range pts {
		if !finite(p.X) || !finite(p.Y) {
			continue
		}
		b.X0, b.X1 = min(b.X0, p.X), max(b.X1, p.X)
		b.Y0, b.Y1 = min(b.Y0, p.Y), max(b.Y1, p.Y)
	}
	widen := func(lo, hi float64) (float64, float64) {
		switch {
		case lo > hi: // no points
			return -1, 1
		case lo == hi:
			return lo - 1, hi + 1
		}
		return lo, hi
	}
	b.X0, b.X1 = widen(b.X0, b.X1)
	b.Y0, b.Y1 = widen(b.Y0, b.Y1)
	return b
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// valid reports whether b has a width and a height.
func (b ScatterBounds) valid() bool {
	return finite(b.X0) && finite(b.X1) && finite(b.Y0) && finite(b.Y1) && b.X1 > b.X0 && b.Y1 > b.Y0
}

// ScatterOptions is how Scatter draws.
type ScatterOptions struct {
	Classes []string // class names for the legend; nil for numbers
	K       int      // classes
	// XName and YName name the axes ("PC1"); Explained is the share (0..1)
	// of the variance along each, shown beside the name (NaN: not shown).
	XName, YName string
	Explained    [2]float64
	// Bounds is the range of the axes; the zero value takes BoundsOf(pts).
	// Give the bounds of every point when drawing only some, so that the
	// picture does not move.
	Bounds ScatterBounds
	// CurX, CurY is the cell cursor (see ScatterLayout); negative for none.
	CurX, CurY int
	// OnlyWrong draws only the misclassified points (the legend still
	// counts them all).
	OnlyWrong bool
}

// Where Scatter puts its parts: the y axis's labels and line on the left,
// the y axis's name on the line above the plot, the x axis and its labels
// on the two lines below it, and the legend in a column on the right when
// the plot keeps scatterMinLegend columns beside it.
const (
	scatterLeft      = 7
	scatterAbove     = 1
	scatterBelow     = 2
	scatterLegendW   = 22 // a gap and the column: marker, name, count, wrong
	scatterMinLegend = 60
)

// ScatterLayout is where Scatter puts its plot in its output: Cols×Rows
// cells from column X of line Y, each of 2×4 braille dots, spanning Bounds;
// Legend is the column of the legend on the right (0: on the top line).
type ScatterLayout struct {
	X, Y, Cols, Rows int
	Bounds           ScatterBounds
	Legend           int
}

// ScatterLayoutOf is the plot of a w×h scatter over bounds b; Cols or Rows
// is 0 when it does not fit (below 17×6).
func ScatterLayoutOf(w, h int, b ScatterBounds) ScatterLayout {
	if !b.valid() {
		b = BoundsOf(nil)
	}
	l := ScatterLayout{X: scatterLeft, Y: scatterAbove, Bounds: b}
	if w < scatterLeft+10 || h < scatterAbove+scatterBelow+3 {
		return l
	}
	l.Cols, l.Rows = w-scatterLeft, h-scatterAbove-scatterBelow
	if l.Cols >= scatterMinLegend+scatterLegendW {
		l.Cols -= scatterLegendW
		l.Legend = scatterLeft + l.Cols
	}
	return l
}

// dot is the braille dot a point falls on, (-1, -1) when it is left out.
func (l ScatterLayout) dot(x, y float64) (dx, dy int) {
	if !finite(x) || !finite(y) || l.Cols <= 0 || l.Rows <= 0 {
		return -1, -1
	}
	b := l.Bounds
	nx, ny := 2*l.Cols, 4*l.Rows
	fx := math.Floor((x - b.X0) / (b.X1 - b.X0) * float64(nx))
	fy := math.Floor((b.Y1 - y) / (b.Y1 - b.Y0) * float64(ny))
	dx = int(max(0, min(float64(nx-1), fx)))
	dy = int(max(0, min(float64(ny-1), fy)))
	return dx, dy
}

// Cell is the plot cell (column, line from the top) a point falls in, or
// (-1, -1) when it is left out (not finite, or no plot). Points outside
// the bounds fall in the nearest edge cell.
func (l ScatterLayout) Cell(x, y float64) (cx, cy int) {
	dx, dy := l.dot(x, y)
	if dx < 0 {
		return -1, -1
	}
	return dx / 2, dy / 4
}

// CellRange is the part of the axes a plot cell spans.
func (l ScatterLayout) CellRange(cx, cy int) (x0, x1, y0, y1 float64) {
	if l.Cols <= 0 || l.Rows <= 0 {
		return
	}
	b := l.Bounds
	sx, sy := (b.X1-b.X0)/float64(l.Cols), (b.Y1-b.Y0)/float64(l.Rows)
	x0, x1 = b.X0+float64(cx)*sx, b.X0+float64(cx+1)*sx
	y1, y0 = b.Y1-float64(cy)*sy, b.Y1-float64(cy+1)*sy
	return
}

// Scatter draws pts in exactly w×h cells: the y axis's name (with its share
// of the variance) on the first line, the plot in braille dots with a
// labelled y axis, the x axis and its labels with its name, and a legend of
// the classes with their counts and misclassified counts (in a column on the
// right when there is room, else on the first line). A cell takes the colour
// of the class most of its points have; without colour it shows that class's
// digit instead of dots. A cell holding a misclassified point is underlined
// (unless only those are drawn). The lines x = 0 and y = 0 are dotted
// through empty cells. The cursor cell is reversed (without colour, an empty
// one is a ╋). Below 17×6 only the first line is drawn.
func Scatter(pts []ScatterPoint, o ScatterOptions, w, h int, st Styles) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	b := o.Bounds
	if !b.valid() {
		b = BoundsOf(pts)
	}
	l := ScatterLayoutOf(w, h, b)
	k := max(o.K, 1)
	for _, p := range pts {
		k = max(k, p.Class+1)
	}
	counts, wrongs := make([]int, k), make([]int, k)
	for _, p := range pts {
		if p.Class >= 0 {
			counts[p.Class]++
			if p.Wrong {
				wrongs[p.Class]++
			}
		}
	}
	top := st.Muted.Render("↑ " + axisName(o.YName, "y", o.Explained[1]))
	if l.Legend == 0 {
		top += "  " + scatterLegendLine(o, counts, w-Width(top)-2, st)
	}
	if l.Cols == 0 {
		return FitBlock(Truncate(top, w), w, h)
	}
	n := l.Cols * l.Rows
	bits := make([]rune, n)
	per := make([]int, n*k)
	wrong := make([]bool, n)
	for _, p := range pts {
		if o.OnlyWrong && !p.Wrong {
			continue
		}
		x, y := l.dot(p.X, p.Y)
		if x < 0 {
			continue
		}
		c := (y/4)*l.Cols + x/2
		bits[c] |= brailleBit[y%4][x%2]
		if p.Class >= 0 {
			per[c*k+p.Class]++
		}
		wrong[c] = wrong[c] || p.Wrong
	}
	zx, zy := -1, -1
	if b.X0 <= 0 && b.X1 >= 0 {
		zx, _ = l.Cell(0, b.Y1)
	}
	if b.Y0 <= 0 && b.Y1 >= 0 {
		_, zy = l.Cell(b.X0, 0)
	}
	plain := noColour(st)
	var legend []string
	if l.Legend > 0 {
		legend = scatterLegendColumn(o, counts, wrongs, st)
	}
	var sb strings.Builder
	sb.WriteString(Fit(Truncate(top, w), w))
	for cy := range l.Rows {
		sb.WriteByte('\n')
		sb.WriteString(st.Muted.Render(PadStart(scatterYLabel(l, cy, zy), scatterLeft-1)))
		sb.WriteString(st.Border.Render("┤"))
		for cx := range l.Cols {
			c := cy*l.Cols + cx
			best, bn := -1, 0
			for j := range k {
				if v := per[c*k+j]; v > bn {
					best, bn = j, v
				}
			}
			var s string
			style := lipgloss.NewStyle()
			switch {
			case bits[c] == 0 && cx == zx:
				s, style = "┊", st.Border
			case bits[c] == 0 && cy == zy:
				s, style = "┈", st.Border
			case bits[c] == 0:
				s = " "
			case plain && best >= 0:
				s = classRune(best)
			default:
				s = string(0x2800 + bits[c])
				if best < 0 {
					style = st.Text
				} else {
					style = ClassStyle(best, st)
				}
			}
			if wrong[c] && !o.OnlyWrong {
				style = style.Underline(true)
			}
			if cx == o.CurX && cy == o.CurY {
				if plain && bits[c] == 0 {
					s = "╋"
				}
				style = style.Inherit(st.Selected).Reverse(true)
			}
			sb.WriteString(style.Render(s))
		}
		if l.Legend > 0 {
			line := ""
			if cy < len(legend) {
				line = legend[cy]
			}
			sb.WriteString(" " + Fit(line, scatterLegendW-1))
		}
	}
	sb.WriteString("\n" + st.Border.Render(strings.Repeat(" ", scatterLeft-1)+"└"+strings.Repeat("─", l.Cols)))
	sb.WriteString("\n" + st.Muted.Render(scatterXLabels(l, zx, axisName(o.XName, "x", o.Explained[0])+" →")))
	return FitBlock(sb.String(), w, h)
}

// axisName is an axis's name with the share of the variance along it:
// "PC1 31.2%".
func axisName(name, def string, share float64) string {
	if name == "" {
		name = def
	}
	if finite(share) && share >= 0 {
		name += " " + Float(100*share, 1) + "%"
	}
	return name
}

// axisNumber writes an axis value in at most 6 cells.
func axisNumber(v float64) string {
	var s string
	switch a := math.Abs(v); {
	case a >= 1e5:
		s = Float(v/1e3, 0) + "k"
	case a >= 100:
		s = Float(v, 0)
	case a >= 10:
		s = Float(v, 1)
	default:
		s = Float(v, 2)
	}
	if s == "-0.00" || s == "-0.0" || s == "-0" {
		s = s[1:]
	}
	return Cut(s, 6)
}

// scatterYLabel is the label of plot line cy: the top of the range on the
// first line, the bottom on the last, and 0 on the line of y = 0 (zy).
func scatterYLabel(l ScatterLayout, cy, zy int) string {
	switch {
	case cy == 0:
		return axisNumber(l.Bounds.Y1)
	case cy == l.Rows-1:
		return axisNumber(l.Bounds.Y0)
	case cy == zy && cy > 1 && cy < l.Rows-2:
		return "0"
	}
	return ""
}

// scatterXLabels is the line under the x axis: the ends of the range at
// the ends, 0 under x = 0 (column zx) and the axis's name between where
// they leave room.
func scatterXLabels(l ScatterLayout, zx int, name string) string {
	line := []rune(strings.Repeat(" ", scatterLeft+l.Cols))
	put := func(at int, s string) bool {
		r := []rune(s)
		if at < 0 || at+len(r) > len(line) {
			return false
		}
		for i := max(0, at-1); i <= at+len(r) && i < len(line); i++ {
			if line[i] != ' ' {
				return false
			}
		}
		copy(line[at:], r)
		return true
	}
	lo, hi := axisNumber(l.Bounds.X0), axisNumber(l.Bounds.X1)
	put(scatterLeft, lo)
	put(scatterLeft+l.Cols-len(hi), hi)
	if zx >= 0 {
		put(scatterLeft+zx, "0")
	}
	nw := len([]rune(name))
	mid := scatterLeft + l.Cols/2 - nw/2
	// The name goes in the middle, or in the widest gap left of it or right
	// of it when 0 is in the way.
	for _, at := range []int{mid, scatterLeft + (zx+len(lo))/2 - nw/2, scatterLeft + (zx+l.Cols-len(hi))/2 - nw/2 + 1} {
		if put(at, name) {
			break
		}
	}
	return string(line)
}

// scatterLegendLine is the legend on one line of at most w cells: a marker
// and a count per class, or only the markers when the counts do not fit.
// Without colour the markers are the class digits the plot shows.
func scatterLegendLine(o ScatterOptions, counts []int, w int, st Styles) string {
	if w <= 0 {
		return ""
	}
	plain := noColour(st)
	entry := func(c int, count bool) string {
		var s string
		if plain {
			s = classRune(c)
			if name := ClassName(o.Classes, c); name != classRune(c) {
				s += "=" + Cut(name, 3)
			}
		} else {
			s = ClassStyle(c, st).Render("■" + Cut(ClassName(o.Classes, c), 3))
		}
		switch {
		case count && plain:
			s += ":" + GroupInt(counts[c])
		case count:
			s += st.Muted.Render(" " + GroupInt(counts[c]))
		}
		return s
	}
	for _, count := range []bool{true, false} {
		parts := make([]string, len(counts))
		for c := range counts {
			parts[c] = entry(c, count)
		}
		s := strings.Join(parts, " ")
		if Width(s) <= w || !count {
			return Truncate(s, w)
		}
	}
	return ""
}

// scatterLegendColumn is the legend in a column: a heading and a line per
// class with its marker, name, count and misclassified count, and what
// underlining means.
func scatterLegendColumn(o ScatterOptions, counts, wrongs []int, st Styles) []string {
	const nameW, countW, wrongW = 8, 6, 5
	lines := []string{st.Muted.Render("  " + PadEnd("class", nameW) + PadStart("n", countW) + PadStart("✗", wrongW))}
	plain := noColour(st)
	for c := range counts {
		marker := ClassStyle(c, st).Render("■")
		if plain {
			marker = classRune(c)
		}
		lines = append(lines, marker+" "+st.Text.Render(Fit(ClassName(o.Classes, c), nameW))+
			st.Text.Render(PadStart(GroupInt(counts[c]), countW))+st.Bad.Render(PadStart(GroupInt(wrongs[c]), wrongW)))
	}
	if o.OnlyWrong {
		lines = append(lines, "", st.Muted.Render("only misclassified"), st.Muted.Render("images are drawn"))
	} else {
		lines = append(lines, "", st.Muted.Underline(true).Render("underlined")+st.Muted.Render(" cells hold"), st.Muted.Render("misclassified images"))
	}
	return lines
}
