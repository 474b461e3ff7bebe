package views

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
)

// plotCells are the plot's cells of a Scatter's output without colour,
// line by line (the y axis's labels and line cut off).
func plotCells(t *testing.T, out string, l ScatterLayout) [][]rune {
	t.Helper()
	lines := strings.Split(ansi.Strip(out), "\n")
	var cells [][]rune
	for cy := range l.Rows {
		r := []rune(lines[l.Y+cy])
		if len(r) < l.X+l.Cols {
			t.Fatalf("plot line %d is %d cells, want at least %d: %q", cy, len(r), l.X+l.Cols, string(r))
		}
		cells = append(cells, r[l.X:l.X+l.Cols])
	}
	return cells
}

// TestScatterLine: points on the line y = x over [0, 1]² land on the
// diagonal of a 10×5 plot, each in the cell its coordinates say, and no
// other cell has a mark; without colour a cell shows its class's digit.
func TestScatterLine(t *testing.T) {
	st := NewStyles(true, colorprofile.Ascii)
	b := ScatterBounds{0, 1, 0, 1}
	const w, h = scatterLeft + 10, scatterAbove + 5 + scatterBelow
	l := ScatterLayoutOf(w, h, b)
	if l.Cols != 10 || l.Rows != 5 || l.Legend != 0 {
		t.Fatalf("layout %+v, want a 10×5 plot, legend on top", l)
	}
	var pts []ScatterPoint
	want := map[[2]int]int{} // cell → class
	for i := range 10 {
		v := (float64(i) + 0.5) / 10 // the middle of column i
		pts = append(pts, ScatterPoint{X: v, Y: v, Class: i % 3})
		// x: column i; y: 5 lines over [0, 1], the top line is y ≥ 0.8.
		cy := int(math.Floor((1 - v) * 5))
		want[[2]int{i, cy}] = i % 3
		if cx, gy := l.Cell(v, v); cx != i || gy != cy {
			t.Errorf("Cell(%v, %v) = (%d, %d), want (%d, %d)", v, v, cx, gy, i, cy)
		}
	}
	out := Scatter(pts, ScatterOptions{K: 3, Bounds: b, CurX: -1, CurY: -1, Explained: [2]float64{math.NaN(), math.NaN()}}, w, h, st)
	cells := plotCells(t, out, l)
	for cy, line := range cells {
		for cx, r := range line {
			c, ok := want[[2]int{cx, cy}]
			switch {
			case ok && r != rune('0'+c):
				t.Errorf("cell (%d, %d) = %q, want the digit %d", cx, cy, r, c)
			case !ok && r != ' ' && r != '┊' && r != '┈':
				t.Errorf("cell (%d, %d) = %q, want empty", cx, cy, r)
			}
		}
	}
	// With colour: braille dots. v = 0.05 is dot column 1 of 20 (the right
	// dot of cell 0) and dot row 19 of 20 (the bottom row of line 4).
	out = Scatter(pts[:1], ScatterOptions{K: 3, Bounds: b, CurX: -1, CurY: -1}, w, h, NewStyles(true, colorprofile.TrueColor))
	if got := plotCells(t, out, l)[4][0]; got != rune(0x2800+0x80) {
		t.Errorf("the point (0.05, 0.05) is drawn as %q, want ⢀ (the bottom right dot)", got)
	}
}

// TestScatterExplained: the axes' names carry the share of the variance.
func TestScatterExplained(t *testing.T) {
	pts := []ScatterPoint{{X: -1, Y: -1}, {X: 1, Y: 1, Class: 1}}
	out := ansi.Strip(Scatter(pts, ScatterOptions{K: 2, XName: "PC1", YName: "PC2", Explained: [2]float64{0.3124, 0.1871}, CurX: -1, CurY: -1},
		60, 12, NewStyles(false, colorprofile.TrueColor)))
	lines := strings.Split(out, "\n")
	if !strings.Contains(lines[0], "↑ PC2 18.7%") {
		t.Errorf("first line %q lacks the y axis's name and share", lines[0])
	}
	if !strings.Contains(lines[len(lines)-1], "PC1 31.2% →") {
		t.Errorf("last line %q lacks the x axis's name and share", lines[len(lines)-1])
	}
	if !strings.Contains(lines[0], "■0 1") || !strings.Contains(lines[0], "■1 1") {
		t.Errorf("first line %q lacks the legend with counts", lines[0])
	}
}

// TestScatterWrong: a cell holding a misclassified point is underlined;
// OnlyWrong draws only those; the legend counts them per class.
func TestScatterWrong(t *testing.T) {
	b := ScatterBounds{0, 1, 0, 1}
	pts := []ScatterPoint{{X: 0.05, Y: 0.95, Class: 1}, {X: 0.95, Y: 0.05, Class: 2, Wrong: true}}
	st := NewStyles(true, colorprofile.Ascii)
	const w, h = scatterLeft + 10 + scatterLegendW + scatterMinLegend, 15
	l := ScatterLayoutOf(w, h, b)
	if l.Legend == 0 {
		t.Fatalf("layout %+v: no legend column at width %d", l, w)
	}
	out := Scatter(pts, ScatterOptions{K: 3, Bounds: b, CurX: -1, CurY: -1}, w, h, st)
	lines := strings.Split(out, "\n")
	underlined := regexp.MustCompile(`\x1b\[([0-9]+;)*4m([0-9])\x1b\[m`)
	rx, ry := l.Cell(pts[0].X, pts[0].Y)
	wx, wy := l.Cell(pts[1].X, pts[1].Y)
	if ry == wy {
		t.Fatalf("the two points share line %d", ry)
	}
	if m := underlined.FindAllStringSubmatch(lines[l.Y+wy], -1); len(m) != 1 || m[0][2] != "2" {
		t.Errorf("the wrong point's cell is not an underlined 2 (and the only one on its line): %q", lines[l.Y+wy])
	}
	if m := underlined.FindAllStringSubmatch(lines[l.Y+ry], -1); len(m) != 0 {
		t.Errorf("the right point's line has an underlined cell: %q", lines[l.Y+ry])
	}
	plain := ansi.Strip(out)
	if !regexp.MustCompile(`(?m)2 2 +1 +1 *$`).MatchString(plain) || !regexp.MustCompile(`(?m)1 1 +1 +0 *$`).MatchString(plain) {
		t.Errorf("the legend does not count each class's point and class 2's mistake:\n%s", plain)
	}
	only := plotCells(t, Scatter(pts, ScatterOptions{K: 3, Bounds: b, CurX: -1, CurY: -1, OnlyWrong: true}, w, h, st), l)
	if only[ry][rx] != ' ' || only[wy][wx] != '2' {
		t.Errorf("only misclassified: the right point's cell %q (want empty), the wrong one's %q (want 2)", only[ry][rx], only[wy][wx])
	}
}

// TestScatterEdges: no points, one point, a single class, NaN and tiny
// sizes all give exactly w×h.
func TestScatterEdges(t *testing.T) {
	cases := map[string][]ScatterPoint{
		"none":   nil,
		"one":    {{X: 3, Y: 3}},
		"line":   {{X: 1, Y: 0}, {X: 2, Y: 0}, {X: 3, Y: 0}},
		"nan":    {{X: math.NaN(), Y: 1}, {X: math.Inf(1), Y: 0}, {X: 0, Y: 0, Class: 9, Wrong: true}},
		"class9": {{X: 0, Y: 0, Class: 12}, {X: 1, Y: 1, Class: 12}},
	}
	for name, pts := range cases {
		for _, sz := range [][2]int{{1, 1}, {16, 5}, {17, 6}, {40, 12}, {120, 30}} {
			for _, st := range []Styles{NewStyles(true, colorprofile.TrueColor), NewStyles(true, colorprofile.Ascii)} {
				out := Scatter(pts, ScatterOptions{K: 10, CurX: 0, CurY: 0}, sz[0], sz[1], st)
				lines := strings.Split(out, "\n")
				if len(lines) != sz[1] {
					t.Fatalf("%s at %dx%d: %d lines", name, sz[0], sz[1], len(lines))
				}
				for i, ln := range lines {
					if Width(ln) != sz[0] {
						t.Fatalf("%s at %dx%d: line %d is %d wide: %q", name, sz[0], sz[1], i, Width(ln), ansi.Strip(ln))
					}
				}
			}
		}
	}
	if b := BoundsOf(cases["line"]); b != (ScatterBounds{1, 3, -1, 1}) {
		t.Errorf("BoundsOf(a horizontal line) = %+v, want y widened to -1..1", b)
	}
}

// TestScatter: goldens of ten classes in a ring, some misclassified, with
// the cursor, at two widths (legend on top and in a column), dark, light
// and without colour.
func TestScatter(t *testing.T) {
	var pts []ScatterPoint
	for i := range 400 {
		c := i % 10
		a := 2 * math.Pi * float64(c) / 10
		r := 3 + float64(i%7)/7
		j := float64(i%13)/13 - 0.5
		pts = append(pts, ScatterPoint{X: r*math.Cos(a) + j, Y: 0.6*r*math.Sin(a) - j/2, Class: c, Wrong: i%23 == 0})
	}
	for _, sz := range [][2]int{{60, 16}, {120, 24}} {
		for _, lk := range []struct {
			name string
			st   Styles
		}{{"dark", NewStyles(true, colorprofile.TrueColor)}, {"light", NewStyles(false, colorprofile.TrueColor)}, {"nocolour", NewStyles(true, colorprofile.Ascii)}} {
			t.Run(fmt.Sprintf("%dx%d_%s", sz[0], sz[1], lk.name), func(t *testing.T) {
				o := ScatterOptions{K: 10, XName: "PC1", YName: "PC2", Explained: [2]float64{0.312, 0.187}, CurX: 5, CurY: 3}
				golden.RequireEqual(t, Scatter(pts, o, sz[0], sz[1], lk.st))
			})
		}
	}
}
