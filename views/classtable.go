package views

import (
	"math"

	"charm.land/lipgloss/v2"
	"strconv"
	"strings"
)

// ClassStats are one class's one-vs-rest figures, the columns of the paper's
// per-class table. The fields match nn.ClassStats, so a conversion
// views.ClassStats(s) turns one into the other.
type ClassStats struct {
	TP, FP, FN, TN int
	Precision      float64
	Recall         float64
	F1             float64
	Accuracy       float64 // (TP+TN)/N
}

// classCol is a column of the per-class table.
type classCol struct {
	long, short string // header, and header when space is tight
	count       bool   // a count (blank in the macro row) rather than a ratio
	get         func(ClassStats) float64
}

var classCols = []classCol{
	{"TP", "TP", true, func(s ClassStats) float64 { return float64(s.TP) }},
	{"FP", "FP", true, func(s ClassStats) float64 { return float64(s.FP) }},
	{"FN", "FN", true, func(s ClassStats) float64 { return float64(s.FN) }},
	{"TN", "TN", true, func(s ClassStats) float64 { return float64(s.TN) }},
	{"precision", "prec", false, func(s ClassStats) float64 { return s.Precision }},
	{"recall", "rec", false, func(s ClassStats) float64 { return s.Recall }},
	{"F1", "F1", false, func(s ClassStats) float64 { return s.F1 }},
	{"accuracy", "acc", false, func(s ClassStats) float64 { return s.Accuracy }},
}

// classDrop is the order in which columns (indices into classCols) go when
// the table is too wide: TN, accuracy, FP, FN, TP, precision, recall. The
// class and F1 always stay.
var classDrop = []int{3, 7, 1, 2, 0, 4, 5}

// classNameCut is the width class names are cut to before columns are dropped.
const classNameCut = 12

// classGap separates the table's columns.
const classGap = "  "

// ClassTable draws the per-class table in at most w cells per line and
// len(stats)+3 lines: a header, a row per class (class, TP, FP, FN, TN,
// precision, recall, F1, accuracy), a rule and the macro-average row (ratios
// only). Ratios have four decimals; NaN shows as "n/a". Row sel (-1 for
// none) is in the Accent style, e.g. the true class under the confusion
// matrix cursor, and the lowest F1 in Bad. When the table is too wide it
// shortens the headers, cuts the class names to 12 cells, drops columns (TN
// and accuracy first), cuts the names further, and finally cuts the lines.
func ClassTable(stats []ClassStats, macro ClassStats, classes []string, sel, w int, st Styles) string {
	k := len(stats)
	if k == 0 || w <= 0 {
		return ""
	}
	names := ClassNames(classes, k)
	nameW := max(MaxWidth(names), len("macro"), len("class"))
	cells := make([][]string, len(classCols)) // cells[c][i]: row i of column c, row k is macro
	widths := make([]int, len(classCols))
	for c, col := range classCols {
		cells[c] = make([]string, k+1)
		for i, s := range stats {
			cells[c][i] = classNumber(col.get(s), col.count)
		}
		if !col.count {
			cells[c][k] = classNumber(col.get(macro), false)
		}
		widths[c] = MaxWidth(cells[c])
	}
	worst := -1
	if k > 1 {
		worst = 0
		for i, s := range stats {
			if s.F1 < stats[worst].F1 {
				worst = i
			}
		}
	}

	keep := make([]bool, len(classCols))
	for c := range keep {
		keep[c] = true
	}
	short := false
	width := func() int {
		n := nameW
		for c, col := range classCols {
			if keep[c] {
				h := col.long
				if short {
					h = col.short
				}
				n += len(classGap) + max(widths[c], len(h))
			}
		}
		return n
	}
	if width() > w {
		short = true
	}
	if width() > w {
		nameW = min(nameW, classNameCut)
	}
	for _, c := range classDrop {
		if width() <= w {
			break
		}
		keep[c] = false
	}
	if over := width() - w; over > 0 {
		nameW = max(nameW-over, 3)
	}

	colW := func(c int) int {
		if short {
			return max(widths[c], len(classCols[c].short))
		}
		return max(widths[c], len(classCols[c].long))
	}
	lines := make([]string, 0, k+3)
	var b strings.Builder
	b.WriteString(PadEnd(Truncate("class", nameW), nameW))
	for c, col := range classCols {
		if keep[c] {
			h := col.long
			if short {
				h = col.short
			}
			b.WriteString(classGap + PadStart(h, colW(c)))
		}
	}
	lines = append(lines, st.Muted.Render(b.String()))
	row := func(name string, i int) string {
		style := st.Text
		if i == sel {
			style = st.Accent
		}
		var r styledRuns
		r.add(style, 0, PadEnd(Truncate(name, nameW), nameW))
		for c := range classCols {
			if !keep[c] {
				continue
			}
			cell := classGap + PadStart(cells[c][i], colW(c))
			switch {
			case strings.TrimSpace(cell) == "":
				r.add(lipgloss.NewStyle(), 1, cell)
			case i == worst && classCols[c].long == "F1":
				r.add(st.Bad, 2, cell)
			case i == k:
				r.add(st.Title, 3, cell)
			default:
				r.add(style, 0, cell)
			}
		}
		return r.String()
	}
	for i, name := range names {
		lines = append(lines, row(name, i))
	}
	total := width()
	lines = append(lines, st.Border.Render(strings.Repeat("─", min(total, w))))
	lines = append(lines, row("macro", k))
	return ClipBlock(strings.Join(lines, "\n"), w, len(lines))
}

// classNumber formats a count as an integer and a ratio with four decimals.
func classNumber(v float64, count bool) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "n/a"
	case count:
		return strconv.Itoa(int(v))
	}
	return strconv.FormatFloat(v, 'f', 4, 64)
}

// styledRuns builds a line from pieces of text, rendering each run of pieces
// that share a style id with one call, so the line carries few escape codes.
type styledRuns struct {
	b     strings.Builder
	run   strings.Builder
	style lipgloss.Style
	id    int
	open  bool
}

// add appends text in style; id names the style (equal ids, equal styles).
func (r *styledRuns) add(style lipgloss.Style, id int, text string) {
	if r.open && id != r.id {
		r.flush()
	}
	r.style, r.id, r.open = style, id, true
	r.run.WriteString(text)
}

func (r *styledRuns) flush() {
	if r.run.Len() > 0 {
		r.b.WriteString(r.style.Render(r.run.String()))
	}
	r.run.Reset()
	r.open = false
}

// String is the line so far.
func (r *styledRuns) String() string {
	r.flush()
	return r.b.String()
}
