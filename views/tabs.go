package views

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"
)

// Span is a range of columns [Start, End) on a line.
type Span struct{ Start, End int }

// Tabs draws the tab bar in one line of width w: the program's name, then
// "1 Train", "2 Samples"… with the active tab highlighted, and right at the
// end. It returns the line and the columns each tab takes, for mouse clicks.
// When the names do not fit, inactive tabs shrink to their numbers.
func Tabs(titles []string, active int, right string, w int, st Styles) (string, []Span) {
	if w <= 0 {
		return "", make([]Span, len(titles))
	}
	label := func(i int, short bool) string {
		if short && i != active {
			return fmt.Sprintf(" %d ", i+1)
		}
		return fmt.Sprintf(" %d %s ", i+1, titles[i])
	}
	name := st.Title.Render("convscope") + " "
	rw := lipgloss.Width(right)
	total := func(short bool) int {
		n := 0
		for i := range titles {
			n += lipgloss.Width(label(i, short))
		}
		return n
	}
	short := false
	switch {
	case lipgloss.Width(name)+total(false)+rw+1 <= w:
	case total(false)+rw+1 <= w:
		name = ""
	default:
		name, short = "", true
	}

	var b strings.Builder
	b.WriteString(name)
	x := lipgloss.Width(name)
	spans := make([]Span, len(titles))
	for i := range titles {
		l := label(i, short)
		lw := lipgloss.Width(l)
		spans[i] = Span{x, x + lw}
		x += lw
		if i == active {
			b.WriteString(st.Selected.Render(l))
		} else {
			b.WriteString(st.Muted.Render(l))
		}
	}
	return spreadLine(b.String(), right, w), spans
}

// TooSmall says, centred in w x h, what size the program needs.
func TooSmall(w, h, needW, needH int, st Styles) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	msg := st.Warn.Render(fmt.Sprintf("convscope needs a terminal of at least %dx%d", needW, needH)) + "\n" +
		st.Muted.Render(fmt.Sprintf("this one is %dx%d · q quits", w, h))
	return lipgloss.Place(w, h, lipgloss.Center, lipgloss.Center,
		lipgloss.NewStyle().Width(min(w, 48)).Align(lipgloss.Center).Render(msg))
}
