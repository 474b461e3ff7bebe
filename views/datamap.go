package views

import (
	"math"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"

	"convscope/internal/dynamics"
)

// MapPoint is one image on the data map (Swayamdipta et al., EMNLP 2020):
// its variability (x) and confidence (y), with its class and region.
type MapPoint struct {
	Variability, Confidence float64 // NaN: never measured, left out
	Class                   int
	Region                  dynamics.Region
}

// MapColour says what colours the data map's dots.
type MapColour int

// The map's colourings.
const (
	ByClass MapColour = iota
	ByRegion
)

func (c MapColour) String() string {
	if c == ByRegion {
		return "region"
	}
	return "class"
}

// MapXMax is the right end of the map's x axis (variability): the standard
// deviation of a probability is at most 0.5.
const MapXMax = 0.5

// mapLeft is the y axis's labels and line; mapBelow the lines under the plot
// (the x axis and its labels) and mapAbove the legend line over it.
const (
	mapLeft  = 5
	mapBelow = 2
	mapAbove = 1
)

// MapLayout is where DataMap puts its plot in its output: Cols×Rows cells
// from column X of line Y. Each cell holds 2×4 braille dots.
type MapLayout struct{ X, Y, Cols, Rows int }

// DataMapLayout is the plot of a w×h data map; Cols or Rows is 0 when it
// does not fit (below 16×6).
func DataMapLayout(w, h int) MapLayout {
	l := MapLayout{X: mapLeft, Y: mapAbove}
	if w < mapLeft+11 || h < mapAbove+mapBelow+3 {
		return l
	}
	l.Cols, l.Rows = w-mapLeft, h-mapAbove-mapBelow
	return l
}

// dot is the braille dot of a point on the plot, (-1, -1) when it is left out.
func (l MapLayout) dot(variability, confidence float64) (x, y int) {
	if math.IsNaN(variability) || math.IsNaN(confidence) || l.Cols <= 0 || l.Rows <= 0 {
		return -1, -1
	}
	dx, dy := 2*l.Cols, 4*l.Rows
	x = int(math.Floor(variability / MapXMax * float64(dx)))
	y = int(math.Floor((1 - confidence) * float64(dy)))
	return max(0, min(dx-1, x)), max(0, min(dy-1, y))
}

// Cell is the plot cell (column, line from the top) a point falls in, or
// (-1, -1) when it is left out (NaN, or no plot).
func (l MapLayout) Cell(variability, confidence float64) (cx, cy int) {
	x, y := l.dot(variability, confidence)
	if x < 0 {
		return -1, -1
	}
	return x / 2, y / 4
}

// CellRange is the variability and confidence a plot cell spans.
func (l MapLayout) CellRange(cx, cy int) (v0, v1, c0, c1 float64) {
	if l.Cols <= 0 || l.Rows <= 0 {
		return
	}
	v0, v1 = float64(cx)/float64(l.Cols)*MapXMax, float64(cx+1)/float64(l.Cols)*MapXMax
	c1, c0 = 1-float64(cy)/float64(l.Rows), 1-float64(cy+1)/float64(l.Rows)
	return
}

// MapOptions is how DataMap draws.
type MapOptions struct {
	Colour  MapColour
	Classes []string // class names for the legend; nil for numbers
	K       int      // classes
	// CurX, CurY is the cell cursor (see MapLayout); negative for none.
	CurX, CurY int
}

// The class colours of the map, dark and light, for up to ten classes
// (more repeat them).
var (
	classDark  = []string{"#5fafff", "#ffaf5f", "#5fd787", "#ff5f5f", "#af87ff", "#d7af87", "#ff87d7", "#bcbcbc", "#d7d75f", "#5fd7d7"}
	classLight = []string{"#0b5fa5", "#c25e00", "#1a7f37", "#b00020", "#6f42c1", "#8a5a2b", "#b3006b", "#5c5c5c", "#7a7a00", "#007b83"}
)

// ClassStyle is the colour of class c on the data map.
func ClassStyle(c int, st Styles) lipgloss.Style {
	if noColour(st) || c < 0 {
		return lipgloss.NewStyle()
	}
	p := classDark
	if !st.Dark {
		p = classLight
	}
	return lipgloss.NewStyle().Foreground(lipgloss.Color(p[c%len(p)]))
}

// RegionStyle is the colour of a region: easy good, ambiguous warn, hard bad.
func RegionStyle(r dynamics.Region, st Styles) lipgloss.Style {
	switch r {
	case dynamics.Easy:
		return st.Good
	case dynamics.Ambiguous:
		return st.Warn
	}
	return st.Bad
}

func noColour(st Styles) bool {
	return st.Profile == colorprofile.NoTTY || st.Profile == colorprofile.Ascii
}

// brailleBit is the bit of the braille dot at (column, row) of a cell.
var brailleBit = [4][2]rune{{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}}

// DataMap draws pts in exactly w×h cells: a legend line, the plot of
// confidence (y, 0..1) against variability (x, 0..MapXMax) in braille dots
// with a labelled y axis, the x axis and its labels. A cell takes the colour
// of the class (or region) most of its points have; without colour, colouring
// by class writes that class's digit in the cell instead of dots. The region
// thresholds (dynamics.AmbiguousVariability, dynamics.EasyConfidence) are
// dotted lines through empty cells. The cursor cell is reversed (without
// colour, a ╋). Below 16×6 only the legend is drawn.
func DataMap(pts []MapPoint, o MapOptions, w, h int, st Styles) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	l := DataMapLayout(w, h)
	legend := mapLegend(pts, o, w, st)
	if l.Cols == 0 {
		return FitBlock(legend, w, h)
	}
	k := max(o.K, 1)
	if o.Colour == ByRegion {
		k = 3
	}
	n := l.Cols * l.Rows
	bits := make([]rune, n)
	counts := make([]int, n*k)
	for _, p := range pts {
		x, y := l.dot(p.Variability, p.Confidence)
		if x < 0 {
			continue
		}
		c := (y/4)*l.Cols + x/2
		bits[c] |= brailleBit[y%4][x%2]
		cat := int(p.Region)
		if o.Colour == ByClass {
			cat = p.Class
		}
		if cat >= 0 && cat < k {
			counts[c*k+cat]++
		}
	}
	vx, _ := l.Cell(dynamics.AmbiguousVariability, 1)
	_, hy := l.Cell(0, dynamics.EasyConfidence)
	plain := noColour(st)
	var b strings.Builder
	b.WriteString(FitBlock(legend, w, 1))
	for cy := range l.Rows {
		b.WriteByte('\n')
		b.WriteString(st.Muted.Render(mapYLabel(l, cy)))
		b.WriteString(st.Border.Render("┤"))
		for cx := range l.Cols {
			c := cy*l.Cols + cx
			best, bn := -1, 0
			for j := range k {
				if v := counts[c*k+j]; v > bn {
					best, bn = j, v
				}
			}
			var s string
			var style lipgloss.Style
			switch {
			case bits[c] == 0 && cx == vx:
				s, style = "┊", st.Border
			case bits[c] == 0 && cy == hy && cx < vx:
				s, style = "┈", st.Border
			case bits[c] == 0:
				s, style = " ", lipgloss.NewStyle()
			case plain && o.Colour == ByClass && best >= 0:
				s, style = classRune(best), lipgloss.NewStyle()
			default:
				s = string(0x2800 + bits[c])
				switch {
				case best < 0:
					style = st.Text
				case o.Colour == ByRegion:
					style = RegionStyle(dynamics.Region(best), st)
				default:
					style = ClassStyle(best, st)
				}
			}
			if cx == o.CurX && cy == o.CurY {
				if plain {
					s = "╋"
				}
				style = style.Inherit(st.Selected).Reverse(true)
			}
			b.WriteString(style.Render(s))
		}
	}
	b.WriteString("\n" + st.Border.Render(strings.Repeat(" ", mapLeft-1)+"└"+strings.Repeat("─", l.Cols)))
	b.WriteString("\n" + st.Muted.Render(mapXLabels(l.Cols)))
	return FitBlock(b.String(), w, h)
}

// classRune is the character of class c on a map without colour.
func classRune(c int) string {
	if c < 10 {
		return string(rune('0' + c))
	}
	return "*"
}

// mapYLabel is the y axis label of plot line cy, mapLeft-1 cells wide: 1.0
// at the top, 0.5 in the middle, 0 at the bottom.
func mapYLabel(l MapLayout, cy int) string {
	_, mid := l.Cell(0, 0.5)
	switch cy {
	case 0:
		return " 1.0"
	case mid:
		return " 0.5"
	case l.Rows - 1:
		return "   0"
	}
	return "    "
}

// mapXLabels are the x axis labels under cols plot columns: 0, 0.1 … 0.5 where
// they fit, and "variability" at the end when there is room.
func mapXLabels(cols int) string {
	line := []rune(strings.Repeat(" ", mapLeft+cols))
	put := func(at int, s string) bool {
		if at < 0 || at+len(s) > len(line) {
			return false
		}
		for i := at - 1; i <= at+len(s) && i < len(line); i++ {
			if i >= 0 && line[i] != ' ' {
				return false
			}
		}
		copy(line[at:], []rune(s))
		return true
	}
	step := 0.1
	if cols < 30 {
		step = 0.25
	}
	for v := 0.0; v <= MapXMax+1e-9; v += step {
		at := mapLeft + int(math.Round(v/MapXMax*float64(cols)))
		s := Float(v, 2)
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
		if s == "" {
			s = "0"
		}
		if at >= mapLeft+cols {
			at = mapLeft + cols - len(s)
		}
		put(at, s)
	}
	out := string(line)
	if t := "variability →"; cols > 40 {
		mid := mapLeft + cols/2 - len(t)/2 + 3
		r := []rune(out)
		if mid > 0 && mid+len([]rune(t)) < len(r) && strings.TrimSpace(string(r[mid-1:mid+len([]rune(t))+1])) == "" {
			copy(r[mid:], []rune(t))
			out = string(r)
		}
	}
	return out
}

// mapLegend is the map's first line: what the axes are and what the colours
// mean, with the counts per region.
func mapLegend(pts []MapPoint, o MapOptions, w int, st Styles) string {
	var regions [3]int
	for _, p := range pts {
		if !math.IsNaN(p.Confidence) && p.Region >= 0 && int(p.Region) < 3 {
			regions[p.Region]++
		}
	}
	parts := []string{st.Muted.Render("↑ confidence")}
	if o.Colour == ByRegion {
		for r := dynamics.Easy; r <= dynamics.Hard; r++ {
			parts = append(parts, RegionStyle(r, st).Render("■")+st.Text.Render(" "+shortRegion(r)+" ")+st.Muted.Render(GroupInt(regions[r])))
		}
	} else if noColour(st) {
		parts = append(parts, st.Muted.Render("digits: each cell's most common class"))
	} else {
		var b strings.Builder
		for c := range max(o.K, 0) {
			b.WriteString(ClassStyle(c, st).Render("■" + Cut(ClassName(o.Classes, c), 3)))
			if c < o.K-1 {
				b.WriteByte(' ')
			}
		}
		parts = append(parts, b.String())
	}
	return Truncate(strings.Join(parts, "  "), w)
}

// shortRegion is a region's name in a legend.
func shortRegion(r dynamics.Region) string {
	switch r {
	case dynamics.Easy:
		return "easy"
	case dynamics.Ambiguous:
		return "ambiguous"
	}
	return "hard"
}
