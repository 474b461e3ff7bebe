package views

import (
	"math"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// The text helpers every view, report and command uses. Widths are terminal
// cells, ANSI-aware and wide-rune-aware (ansi.StringWidth).

// ClassName is the display name of class i: classes[i] when given and not
// empty, else the number; "?" for a negative class (none).
func ClassName(classes []string, i int) string {
	switch {
	case i < 0:
		return "?"
	case i < len(classes) && classes[i] != "":
		return classes[i]
	}
	return strconv.Itoa(i)
}

// ClassNames names k classes with ClassName.
func ClassNames(classes []string, k int) []string {
	out := make([]string, k)
	for i := range out {
		out[i] = ClassName(classes, i)
	}
	return out
}

// Width is the number of cells s takes on a terminal.
func Width(s string) int { return ansi.StringWidth(s) }

// Fit pads s with spaces on the right, or cuts it, to exactly w cells
// (a cut never splits a wide rune: a cell short is padded back).
func Fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	return PadEnd(Cut(s, w), w)
}

// Cut shortens s to at most w cells by keeping its first cells, with no
// ellipsis: an abbreviation for tight column headers, or a line clipped to
// its pane.
func Cut(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if Width(s) > w {
		return ansi.Truncate(s, w, "")
	}
	return s
}

// ClipBlock cuts every line of s to at most w cells (Cut) and keeps at most
// h lines; unlike FitBlock it pads nothing.
func ClipBlock(s string, w, h int) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		lines[i] = Cut(l, w)
	}
	return strings.Join(lines, "\n")
}

// TruncateLines shortens every line of s to at most w cells (Truncate).
func TruncateLines(s string, w int) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = Truncate(l, w)
	}
	return strings.Join(lines, "\n")
}

// Wrap breaks s into lines of at most w cells, at spaces where it can and
// inside a word longer than a line; nothing is dropped.
func Wrap(s string, w int) string {
	if w <= 0 {
		return ""
	}
	return ansi.Wrap(s, w, "")
}

// MaxWidth is the widest of ss in cells.
func MaxWidth(ss []string) int {
	n := 0
	for _, s := range ss {
		n = max(n, Width(s))
	}
	return n
}

// Truncate shortens s to at most w cells, ending it with "…" when cut.
func Truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	return ansi.Truncate(s, w, "…")
}

// PadEnd pads s with spaces on the right to w cells; wider strings are kept.
func PadEnd(s string, w int) string {
	if d := w - Width(s); d > 0 {
		return s + strings.Repeat(" ", d)
	}
	return s
}

// PadStart pads s with spaces on the left to w cells; wider strings are kept.
func PadStart(s string, w int) string {
	if d := w - Width(s); d > 0 {
		return strings.Repeat(" ", d) + s
	}
	return s
}

// FitBlock cuts or pads s to exactly h lines of exactly w cells.
func FitBlock(s string, w, h int) string {
	if h <= 0 {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		lines[i] = Fit(l, w)
	}
	for len(lines) < h {
		lines = append(lines, strings.Repeat(" ", max(w, 0)))
	}
	return strings.Join(lines, "\n")
}

// Pct formats a fraction (0..1) as a percentage with two decimals; NaN and
// infinities as "NaN", "+Inf", "-Inf".
func Pct(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(100*v, 'f', 2, 64) + "%"
}

// Float formats v with prec decimals (-1: as few as read back exactly).
func Float(v float64, prec int) string { return strconv.FormatFloat(v, 'f', prec, 64) }

// GroupInt writes n with thousands separators: 10,000.
func GroupInt(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Plural is n (with thousands separators) and noun, with an s unless n is
// 1: "1 epoch", "3 epochs", "1,204 images".
func Plural(n int, noun string) string { return GroupInt(n) + " " + Noun(n, noun) }

// Noun is noun with an s unless n is 1.
func Noun(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}

// Resample stretches s, one value per epoch of n, over w columns with
// linear interpolation. Unlike asciigraph's Width it keeps a point next to
// a gap (NaN) or past the end of s: a column between a value and a gap
// takes the nearer of the two. Every chart of run curves (the Train tab's
// Runs view, compare, sweep) resamples with it.
func Resample(s []float64, n, w int) []float64 {
	at := func(i int) float64 {
		if i < len(s) {
			return s[i]
		}
		return math.NaN()
	}
	out := make([]float64, w)
	for j := range out {
		x := 0.0
		if w > 1 {
			x = float64(j) * float64(n-1) / float64(w-1)
		}
		i := int(x)
		f := x - float64(i)
		v0, v1 := at(i), at(i+1)
		switch {
		case f == 0:
			out[j] = v0
		case !math.IsNaN(v0) && !math.IsNaN(v1):
			out[j] = v0 + f*(v1-v0)
		case f < 0.5:
			out[j] = v0
		default:
			out[j] = v1
		}
	}
	return out
}
