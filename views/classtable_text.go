package views

import (
	"strconv"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// Text helpers shared by the evaluation views (grid, probability bars,
// confusion matrix, per-class table). Widths are terminal cells, ANSI-aware.

// classLabel is the display name of class i: classes[i] when given and not
// empty, else the number; "?" for a negative class (none).
func classLabel(classes []string, i int) string {
	switch {
	case i < 0:
		return "?"
	case i < len(classes) && classes[i] != "":
		return classes[i]
	}
	return strconv.Itoa(i)
}

// classLabels names k classes with classLabel.
func classLabels(classes []string, k int) []string {
	out := make([]string, k)
	for i := range out {
		out[i] = classLabel(classes, i)
	}
	return out
}

// cutText shortens s to at most w cells, ending it with "…" when cut.
func cutText(s string, w int) string {
	if w <= 0 {
		return ""
	}
	return ansi.Truncate(s, w, "…")
}

// cutPrefix shortens s to at most w cells by keeping its first cells: an
// abbreviation for tight column headers.
func cutPrefix(s string, w int) string {
	if w <= 0 {
		return ""
	}
	return ansi.Truncate(s, w, "")
}

// padEnd pads s with spaces on the right to w cells; wider strings are kept.
func padEnd(s string, w int) string {
	if d := w - lipgloss.Width(s); d > 0 {
		return s + strings.Repeat(" ", d)
	}
	return s
}

// padStart pads s with spaces on the left to w cells; wider strings are kept.
func padStart(s string, w int) string {
	if d := w - lipgloss.Width(s); d > 0 {
		return strings.Repeat(" ", d) + s
	}
	return s
}

// clipBlock cuts every line of s to w cells and keeps at most h lines.
func clipBlock(s string, w, h int) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if lipgloss.Width(l) > w {
			lines[i] = ansi.Truncate(l, w, "")
		}
	}
	return strings.Join(lines, "\n")
}

// maxWidth is the widest of ss in cells.
func maxWidth(ss []string) int {
	w := 0
	for _, s := range ss {
		w = max(w, lipgloss.Width(s))
	}
	return w
}

// digitCount is the number of decimal digits of n >= 0.
func digitCount(n int) int {
	return len(strconv.Itoa(n))
}
