package views

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
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
	// Fitting levels, roomiest first: the name and padded titles; padded
	// titles; titles; numbers and the active title.
	type level struct {
		name      bool
		pad, full bool
	}
	levels := []level{{true, true, true}, {false, true, true}, {false, false, true}, {false, true, false}}
	label := func(i int, lv level) string {
		s := fmt.Sprint(i + 1)
		if lv.full || i == active {
			s += " " + titles[i]
		}
		if lv.pad {
			return " " + s + " "
		}
		return s
	}
	name := st.Title.Render("convscope") + " "
	var lv level
	for _, lv = range levels {
		n := lipgloss.Width(right) + 1
		if lv.name {
			n += lipgloss.Width(name)
		}
		for i := range titles {
			n += lipgloss.Width(label(i, lv))
			if !lv.pad && i > 0 {
				n++
			}
		}
		if n <= w {
			break
		}
	}
	if !lv.name {
		name = ""
	}

	var b strings.Builder
	b.WriteString(name)
	x := lipgloss.Width(name)
	spans := make([]Span, len(titles))
	for i := range titles {
		if !lv.pad && i > 0 {
			b.WriteString(" ")
			x++
		}
		l := label(i, lv)
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
	lines := []string{
		st.Warn.Render(fmt.Sprintf("convscope needs at least %dx%d", needW, needH)),
		st.Muted.Render(fmt.Sprintf("this terminal is %dx%d · q quits", w, h)),
	}
	if h < len(lines) {
		lines = lines[:h]
	}
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, w, "…")
	}
	msg := lipgloss.JoinVertical(lipgloss.Center, lines...)
	return FitBlock(lipgloss.Place(w, h, lipgloss.Center, lipgloss.Center, msg), w, h)
}
