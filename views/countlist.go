package views

import (
	"strings"
)

// CountRow is one line of a CountList: a heading (Head) or a count with a
// bar.
type CountRow struct {
	Label string
	N     int
	Head  bool
	// Note is muted text after the count (e.g. "of 3,000").
	Note string
}

// CountList draws rows in at most w×h cells: headings in the Title style,
// and each count as its label, a bar (its length relative to the largest
// count under the same heading) and the number. The row at sel (an index
// into rows) is reversed; when rows do not fit, the list scrolls to keep
// it in view.
func CountList(rows []CountRow, sel, w, h int, st Styles) string {
	if w <= 0 || h <= 0 || len(rows) == 0 {
		return ""
	}
	labelW, numW := 0, 0
	for _, r := range rows {
		if !r.Head {
			labelW, numW = max(labelW, Width(r.Label)), max(numW, len(GroupInt(r.N)))
		}
	}
	labelW = min(labelW, max(8, w/2))
	barW := max(0, min(30, w-labelW-numW-3))
	// The largest count of each section.
	most := make([]int, len(rows))
	start := 0
	for i := 0; i <= len(rows); i++ {
		if i == len(rows) || rows[i].Head {
			m := 0
			for _, r := range rows[start:i] {
				m = max(m, r.N)
			}
			for j := start; j < i; j++ {
				most[j] = m
			}
			start = i + 1
		}
	}
	first := 0
	if len(rows) > h && sel >= 0 {
		first = max(0, min(sel-h/2, len(rows)-h))
	}
	var out []string
	for i := first; i < min(len(rows), first+h); i++ {
		r := rows[i]
		if r.Head {
			out = append(out, Truncate(st.Title.Render(r.Label), w))
			continue
		}
		bar := ""
		if barW > 0 && most[i] > 0 {
			n := int(float64(r.N) / float64(most[i]) * float64(barW*8))
			if r.N > 0 && n == 0 {
				n = 1
			}
			bar = hbar(n)
		}
		line := PadEnd(Truncate(r.Label, labelW), labelW) + " " + PadStart(GroupInt(r.N), numW) + " "
		rest := PadEnd(bar, barW)
		if i == sel {
			out = append(out, Fit(st.Selected.Render(PadEnd(line+rest, w)), w))
			continue
		}
		text := st.Text.Render(line) + st.Accent.Render(rest)
		if r.Note != "" {
			text += " " + st.Muted.Render(r.Note)
		}
		out = append(out, Truncate(text, w))
	}
	return strings.Join(out, "\n")
}

// hbarBlocks are the eighths of a horizontal bar cell.
var hbarBlocks = []rune(" ▏▎▍▌▋▊▉")

// hbar is a bar of n eighths of a cell.
func hbar(n int) string {
	s := strings.Repeat("█", n/8)
	if r := n % 8; r > 0 {
		s += string(hbarBlocks[r])
	}
	return s
}
