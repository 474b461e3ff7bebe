package views

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
)

// probsNameMax is the widest a class name gets beside a probability bar.
const probsNameMax = 14

// probsFixed is the width of a bar line without the name and the bar: the
// two markers, three spaces and the percentage ("100.0%").
const probsFixed = 2 + 3 + 6

// Probs draws one line per class (len(probs) classes): the markers T (true
// class, label) and P (predicted class, pred), the class name (from classes,
// else the number), a bar of the probability and the percentage, in at most
// w cells. The predicted class is in the Good style when it is right and in
// Bad when wrong; the true class of a wrong answer is in Accent; the rest is
// Muted. label or pred may be -1 (unknown). NaN counts as 0 and shows as
// "n/a"; without colour the bars are drawn with '#'.
func Probs(probs []float32, classes []string, label, pred, w int, st Styles) string {
	if len(probs) == 0 || w <= 0 {
		return ""
	}
	names := ClassNames(classes, len(probs))
	nameW := min(MaxWidth(names), probsNameMax)
	barW := w - probsFixed - nameW
	if barW < 5 { // give the bar some room back from the names
		nameW = max(1, nameW-(5-barW))
		barW = w - probsFixed - nameW
	}
	lines := make([]string, len(probs))
	for i, p := range probs {
		style := st.Muted
		switch {
		case i == pred && pred == label:
			style = st.Good
		case i == pred:
			style = st.Bad
		case i == label && pred >= 0:
			style = st.Accent
		}
		mark := []byte("  ")
		if i == label {
			mark[0] = 'T'
		}
		if i == pred {
			mark[1] = 'P'
		}
		name := st.Text.Render(PadEnd(Truncate(names[i], nameW), nameW))
		if i == label || i == pred {
			name = style.Render(PadEnd(Truncate(names[i], nameW), nameW))
		}
		var b strings.Builder
		b.WriteString(style.Render(string(mark)))
		b.WriteByte(' ')
		b.WriteString(name)
		b.WriteByte(' ')
		if barW > 0 {
			b.WriteString(style.Render(probBar(float64(p), barW, st.Profile)))
			b.WriteByte(' ')
		}
		b.WriteString(style.Render(pctCell(float64(p))))
		lines[i] = b.String()
	}
	return ClipBlock(strings.Join(lines, "\n"), w, len(lines))
}

// Bar is a bar of p (0..1) in exactly w cells: eighths of a cell with
// colour, whole '#' cells without.
func Bar(p float64, w int, st Styles) string { return st.Accent.Render(probBar(p, w, st.Profile)) }

// eighths are the partial blocks of a bar, by eighths of a cell.
var eighths = [8]string{"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"}

// probBar is a bar of p (0..1) in exactly w cells, in eighths of a cell with
// colour and in whole '#' cells without.
func probBar(p float64, w int, prof colorprofile.Profile) string {
	if math.IsNaN(p) || p < 0 {
		p = 0
	}
	p = min(p, 1)
	if prof < colorprofile.ANSI {
		n := int(math.Round(p * float64(w)))
		return strings.Repeat("#", n) + strings.Repeat(" ", w-n)
	}
	e := int(math.Round(p * float64(w) * 8))
	full, part := e/8, e%8
	s := strings.Repeat("█", full) + eighths[part]
	used := full
	if part > 0 {
		used++
	}
	return s + strings.Repeat(" ", w-used)
}

// pctCell formats p as a percentage in 6 cells: " 98.2%", "100.0%", "   n/a".
func pctCell(p float64) string {
	if math.IsNaN(p) || math.IsInf(p, 0) {
		return "   n/a"
	}
	return fmt.Sprintf("%5.1f%%", 100*p)
}

// topClasses returns the indices of the k most probable classes, most
// probable first; ties go to the lower index and NaN ranks last.
func topClasses(probs []float32, k int) []int {
	idx := make([]int, len(probs))
	for i := range idx {
		idx[i] = i
	}
	key := func(i int) float64 {
		if p := float64(probs[i]); !math.IsNaN(p) {
			return p
		}
		return math.Inf(-1)
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(key(b), key(a)) })
	return idx[:min(k, len(idx))]
}

// TopK summarises the k most probable classes in at most w cells: on one
// line ("top 3: 2 85.1% · 7 12.3% · 3 1.2%") when it fits, else one line per
// class ("1. 2  85.1%"). The true class (label, -1 for unknown) is in the Good
// style and a wrong first place in Bad.
func TopK(probs []float32, classes []string, label, k, w int, st Styles) string {
	top := topClasses(probs, k)
	if len(top) == 0 || w <= 0 {
		return ""
	}
	style := func(rank, c int) lipgloss.Style {
		switch {
		case c == label:
			return st.Good
		case rank == 0 && label >= 0:
			return st.Bad
		}
		return st.Text
	}
	parts := make([]string, len(top))
	for r, c := range top {
		parts[r] = style(r, c).Render(ClassName(classes, c) + " " + strings.TrimSpace(pctCell(float64(probs[c]))))
	}
	line := st.Muted.Render(fmt.Sprintf("top %d: ", len(top))) + strings.Join(parts, st.Muted.Render(" · "))
	if lipgloss.Width(line) <= w {
		return line
	}
	names := make([]string, len(top))
	for r, c := range top {
		names[r] = ClassName(classes, c)
	}
	nameW := max(1, min(MaxWidth(names), w-4-1-6))
	lines := make([]string, len(top))
	for r, c := range top {
		text := fmt.Sprintf("%d. %s %s", r+1, PadEnd(Truncate(names[r], nameW), nameW), pctCell(float64(probs[c])))
		lines[r] = style(r, c).Render(text)
	}
	return ClipBlock(strings.Join(lines, "\n"), w, len(lines))
}
