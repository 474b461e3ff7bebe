package views

import (
	"image/color"
	"math"
	"strconv"
	"strings"

	"github.com/charmbracelet/colorprofile"
)

// confLayout is one way to lay out a confusion matrix: the width of the row
// headers, of the numbers in a cell, whether a cell has a trailing space
// (each cell always has a leading one), and whether there is a totals column.
type confLayout struct {
	nameW, cellW, trail int
	totals              bool
}

// width is the line width of a matrix of k classes whose grand total has
// totalW digits.
func (l confLayout) width(k, totalW int) int {
	w := l.nameW + k*(1+l.cellW+l.trail)
	if l.totals {
		w += 1 + totalW + l.trail
	}
	if l.trail == 0 && !l.totals {
		w++ // room for a closing bracket after the last column
	}
	return w
}

// Heat-map colours of the matrix cells: the weakest non-zero count is drawn at
// confMinShade of the way from the paper to the Good or Bad colour.
var (
	confPaperDark  = color.RGBA{R: 0x26, G: 0x26, B: 0x26, A: 0xff}
	confPaperLight = color.RGBA{R: 0xee, G: 0xee, B: 0xee, A: 0xff}
)

const confMinShade = 0.2

// Confusion draws the confusion matrix conf[true][pred] (k×k) in at most w
// cells per line and k+2 lines: a header row of predicted classes, a row per
// true class, and a Σ row of column totals; each row ends with its total and
// the corner holds the grand total.
//
// Counts are a heat map: the diagonal shades towards the Good colour by count
// (relative to the largest diagonal count), the rest towards the Bad colour
// (by the square root of the count relative to the largest off-diagonal
// count, so single mistakes show); zero cells are a muted "·". The cell at
// (row, col) is the cursor, drawn reversed, or in [brackets] when the profile
// has no colour; pass -1 for none. Names come from classes (else numbers) and
// are cut to fit: when the matrix is too wide it narrows the row names,
// drops spacing, then the totals column, then narrows the cells to the
// largest mistake and abbreviates bigger counts ("1k"), and finally cuts the
// lines.
func Confusion(conf [][]int, classes []string, row, col, w int, st Styles) string {
	k := len(conf)
	if k == 0 || w <= 0 {
		return ""
	}
	names := ClassNames(classes, k)
	maxCell, maxDiag, maxOff, total := 0, 0, 0, 0
	rowSum, colSum := make([]int, k), make([]int, k)
	for i, r := range conf {
		for j := range k {
			v := 0
			if j < len(r) {
				v = r[j]
			}
			maxCell = max(maxCell, v)
			if i == j {
				maxDiag = max(maxDiag, v)
			} else {
				maxOff = max(maxOff, v)
			}
			rowSum[i] += v
			colSum[j] += v
			total += v
		}
	}
	cellD, totalW := len(strconv.Itoa(maxCell)), len(strconv.Itoa(total))
	nameMax := MaxWidth(names)
	ls := []confLayout{
		{min(nameMax, 14), max(cellD, min(nameMax, 6)), 1, true},
		{min(nameMax, 14), cellD, 1, true},
		{min(nameMax, 8), cellD, 1, true},
		{min(nameMax, 8), cellD, 0, true},
		{min(nameMax, 3), cellD, 0, true},
		{min(nameMax, 3), cellD, 0, false},
	}
	// Tightest: cells as wide as the largest mistake, big counts abbreviated.
	if offD := max(len(strconv.Itoa(maxOff)), 2); offD < cellD {
		ls = append(ls, confLayout{min(nameMax, 3), offD, 0, true}, confLayout{min(nameMax, 3), offD, 0, false})
	}
	l := ls[len(ls)-1]
	for _, c := range ls {
		if c.width(k, totalW) <= w {
			l = c
			break
		}
	}
	if row < 0 || row >= k || col < 0 || col >= k {
		row, col = -1, -1
	}
	m := confMatrix{k: k, l: l, totalW: totalW, row: row, col: col, st: st,
		plain: st.Profile < colorprofile.ANSI}
	m.paper = confPaperLight
	if st.Dark {
		m.paper = confPaperDark
	}
	m.good, m.goodOK = toRGBA(st.Good.GetForeground())
	m.bad, m.badOK = toRGBA(st.Bad.GetForeground())

	lines := make([]string, 0, k+2)
	// Header: corner, predicted classes, Σ.
	var b strings.Builder
	corner := ""
	switch {
	case l.nameW >= 9:
		corner = "true\\pred"
	case l.nameW >= 3:
		corner = "t\\p"
	}
	b.WriteString(st.Muted.Render(PadEnd(corner, l.nameW)))
	for j := range k {
		h := " " + PadStart(Cut(names[j], l.cellW), l.cellW) + strings.Repeat(" ", l.trail)
		if j == col {
			b.WriteString(st.Accent.Render(h))
		} else {
			b.WriteString(st.Muted.Render(h))
		}
	}
	m.writeTotal(&b, "Σ", -1)
	lines = append(lines, b.String())
	// A row per true class.
	for i := range k {
		b.Reset()
		name := PadEnd(Truncate(names[i], l.nameW), l.nameW)
		if i == row {
			b.WriteString(st.Accent.Render(name))
		} else {
			b.WriteString(st.Text.Render(name))
		}
		for j := range k {
			v := 0
			if j < len(conf[i]) {
				v = conf[i][j]
			}
			m.writeCell(&b, i, j, v, maxDiag, maxOff)
		}
		m.writeTotal(&b, strconv.Itoa(rowSum[i]), i)
		lines = append(lines, b.String())
	}
	// Σ row: column totals and the grand total.
	b.Reset()
	b.WriteString(st.Muted.Render(PadEnd("Σ", l.nameW)))
	for j := range k {
		b.WriteString(st.Muted.Render(" " + PadStart(confAbbrev(colSum[j], l.cellW), l.cellW) + strings.Repeat(" ", l.trail)))
	}
	m.writeTotal(&b, strconv.Itoa(total), -1)
	lines = append(lines, b.String())
	return ClipBlock(strings.Join(lines, "\n"), w, len(lines))
}

// confMatrix holds what drawing the cells of one matrix needs.
type confMatrix struct {
	k         int
	l         confLayout
	totalW    int
	row, col  int
	st        Styles
	plain     bool // no colour: cursor in brackets
	paper     color.RGBA
	good, bad color.RGBA
	goodOK    bool
	badOK     bool
}

// lead is the character before cell (i, j): '[' opens the cursor and ']'
// closes it when cells have no trailing space. j == k is the totals column.
func (m *confMatrix) lead(i, j int) string {
	if m.plain && i >= 0 && i == m.row {
		if j == m.col {
			return "["
		}
		if j == m.col+1 && m.l.trail == 0 {
			return "]"
		}
	}
	return " "
}

// trailing is the character(s) after the number of cell (i, j).
func (m *confMatrix) trailing(i, j int) string {
	if m.l.trail == 0 {
		return ""
	}
	if m.plain && i >= 0 && i == m.row && j == m.col {
		return "]"
	}
	return " "
}

// writeCell writes cell (i, j) holding v.
func (m *confMatrix) writeCell(b *strings.Builder, i, j, v, maxDiag, maxOff int) {
	st := m.st
	lead, trail := m.lead(i, j), m.trailing(i, j)
	cursor := i == m.row && j == m.col
	if v == 0 {
		dot := "·"
		if m.plain {
			dot = "."
		}
		text := PadStart(dot, m.l.cellW)
		switch {
		case m.plain:
			b.WriteString(lead + st.Muted.Render(text) + trail)
		case cursor:
			b.WriteString(st.Selected.Render(lead + text + trail))
		default:
			b.WriteString(st.Muted.Render(lead + text + trail))
		}
		return
	}
	text := PadStart(confAbbrev(v, m.l.cellW), m.l.cellW)
	target, ok, t := m.bad, m.badOK, 0.0
	if i == j {
		target, ok = m.good, m.goodOK
		t = float64(v) / float64(max(maxDiag, 1))
	} else {
		t = math.Sqrt(float64(v) / float64(max(maxOff, 1)))
	}
	if m.plain || !ok {
		b.WriteString(lead + st.Text.Render(text) + trail)
		return
	}
	bg := mixRGB(m.paper, target, confMinShade+float64((1-confMinShade)*t)) // no FMA: same goldens on every CPU
	fg := color.RGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}
	if luma(bg) > 140 {
		fg = color.RGBA{A: 0xff}
	}
	bgCode, _ := sgrColor(false, bg, st.Profile)
	fgCode, _ := sgrColor(true, fg, st.Profile)
	b.WriteString(bgCode)
	b.WriteString(fgCode)
	if cursor {
		b.WriteString("\x1b[1;7m")
	}
	b.WriteString(lead)
	b.WriteString(text)
	b.WriteString(trail)
	b.WriteString(sgrReset)
}

// writeTotal writes the totals column of row i (-1 for the header and Σ
// rows) holding text, or, without a totals column, what closes the cursor.
func (m *confMatrix) writeTotal(b *strings.Builder, text string, i int) {
	lead := m.lead(i, m.k)
	if !m.l.totals {
		if m.l.trail == 0 {
			b.WriteString(lead)
		}
		return
	}
	b.WriteString(lead)
	b.WriteString(m.st.Muted.Render(PadStart(text, m.totalW) + strings.Repeat(" ", m.l.trail)))
}

// confAbbrev writes v in at most w cells: whole when it fits, else in
// thousands or millions ("1k", "12M"), else as '#'s.
func confAbbrev(v, w int) string {
	s := strconv.Itoa(v)
	if len(s) <= w {
		return s
	}
	for _, u := range []struct {
		div    float64
		suffix string
	}{{1e3, "k"}, {1e6, "M"}, {1e9, "G"}} {
		if a := strconv.Itoa(int(math.Round(float64(v)/u.div))) + u.suffix; len(a) <= w {
			return a
		}
	}
	return strings.Repeat("#", w)
}
