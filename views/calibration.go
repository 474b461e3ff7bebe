package views

import (
	"fmt"
	"math"
	"strings"

	"convscope/internal/dynamics"
)

// relLeft is the reliability diagram's y axis: labels and line.
const relLeft = 5

// Reliability draws c's reliability diagram (Guo et al., ICML 2017) in
// exactly w×h cells: a legend line; per confidence bin a bar of its accuracy
// (█) and, between it and the bin's mean confidence, the gap (░: in Bad
// when the bin is over-confident, Warn when under-confident); the x axis of
// confidence; the number of images per bin (on two staggered lines when a
// bin is too narrow for its count); and the axis labels. Empty bins
// are blank. Below 24×8 only the legend is drawn.
func Reliability(c dynamics.Calibration, w, h int, st Styles) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	legend := st.Muted.Render("↑ accuracy  ") + st.Accent.Render("█") + st.Text.Render(" accuracy  ") +
		st.Bad.Render("░") + st.Text.Render(" over-confident  ") + st.Warn.Render("░") + st.Text.Render(" under-confident")
	legend = Truncate(legend, w)
	nb := len(c.Bins)
	if nb == 0 || w < relLeft+nb || w < 24 {
		return FitBlock(legend, w, h)
	}
	bw := (w - relLeft) / nb
	gap := 0
	if bw >= 3 {
		gap = 1
	}
	rows := h - 4 // legend, axis, counts, labels
	if bw-gap < 4 {
		rows-- // the counts take two lines
	}
	if rows < 4 {
		return FitBlock(legend, w, h)
	}
	cols := bw * nb
	var b strings.Builder
	b.WriteString(FitBlock(legend, w, 1))
	top := func(v float64) int { // the cells a value fills, of rows
		if math.IsNaN(v) {
			return 0
		}
		return int(math.Round(min(max(v, 0), 1) * float64(rows)))
	}
	for y := range rows {
		level := rows - y // cells from the bottom, 1-based
		b.WriteByte('\n')
		lab := "    "
		switch y {
		case 0:
			lab = " 1.0"
		case rows / 2:
			lab = " 0.5"
		}
		b.WriteString(st.Muted.Render(lab) + st.Border.Render("┤"))
		for _, bin := range c.Bins {
			cell := " "
			style := st.Text
			if bin.Count > 0 {
				acc, conf := top(bin.Accuracy), top(bin.Confidence)
				switch {
				case level <= min(acc, conf):
					cell, style = "█", st.Accent
				case level <= conf: // conf above acc: over-confident
					cell, style = "░", st.Bad
				case level <= acc:
					cell, style = "░", st.Warn
				}
			}
			b.WriteString(style.Render(strings.Repeat(cell, bw-gap)) + strings.Repeat(" ", gap))
		}
	}
	b.WriteString("\n" + st.Border.Render("    └"+strings.Repeat("─", cols)))
	// Counts per bin: on one line when they fit in a bin, else staggered on
	// two, even bins above, odd below.
	cw, lines := bw-gap, 1
	if cw < 4 {
		cw, lines = 2*bw-1, 2
	}
	for ln := range lines {
		cnt := []rune(strings.Repeat(" ", w))
		for i, bin := range c.Bins {
			if bin.Count == 0 || i%lines != ln {
				continue
			}
			s := shortCount(bin.Count, cw)
			if at := relLeft + i*bw; at+len(s) <= len(cnt) {
				copy(cnt[at:], []rune(s))
			}
		}
		b.WriteString("\n" + st.Muted.Render(strings.TrimRight(string(cnt), " ")))
	}
	// Confidence labels at 0, 0.2 … 1.
	line := []rune(strings.Repeat(" ", relLeft+cols+1))
	next := 0
	for i := 0; i <= 5; i++ {
		s := [...]string{"0", ".2", ".4", ".6", ".8", "1"}[i]
		at := relLeft + int(math.Round(float64(i)/5*float64(cols)))
		if i == 5 {
			at = relLeft + cols - 1 // under the last column
		}
		if at < next || at+len(s) > len(line) {
			continue
		}
		copy(line[at:], []rune(s))
		next = at + len(s) + 1
	}
	labels := strings.TrimRight(string(line), " ")
	if t := "  confidence →"; Width(labels)+Width(t) <= w {
		labels += t
	}
	b.WriteString("\n" + st.Muted.Render(labels))
	return FitBlock(b.String(), w, h)
}

// shortCount is n in at most w cells: 812, 1.2k, 12k.
func shortCount(n, w int) string {
	s := fmt.Sprint(n)
	if len(s) <= w {
		return s
	}
	for _, f := range []string{"%.1fk", "%.0fk"} {
		if s := fmt.Sprintf(f, float64(n)/1000); len(s) <= w {
			return s
		}
	}
	return ""
}

// CalibrationTable draws the calibration of every epoch in cs in at most
// w×h cells: a header and one row per epoch (ECE, MCE, NLL, Brier, the
// fitted temperature T and the ECE after scaling by it), the row at sel
// reversed; it scrolls to keep sel in view.
func CalibrationTable(cs []dynamics.Calibration, sel, w, h int, st Styles) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	head := fmt.Sprintf("%5s %7s %7s %6s %6s %5s %7s", "epoch", "ECE", "MCE", "NLL", "Brier", "T", "ECE@T")
	lines := []string{st.Muted.Render(Cut(head, w))}
	if len(cs) == 0 {
		return strings.Join(append(lines, st.Muted.Render("no epochs yet")), "\n")
	}
	room := h - 1
	first := 0
	if len(cs) > room && room > 0 {
		first = max(0, min(sel-room/2, len(cs)-room))
	}
	for i := first; i < min(len(cs), first+room); i++ {
		c := cs[i]
		row := fmt.Sprintf("%5d %7s %7s %6s %6s %5s %7s", c.Epoch, Pct(c.ECE), Pct(c.MCE), Float(c.NLL, 3), Float(c.Brier, 3), Float(c.Temperature, 2), Pct(c.ECEScaled))
		if i == sel {
			lines = append(lines, Fit(st.Selected.Render(PadEnd(row, min(w, Width(row)))), min(w, Width(row))))
			continue
		}
		lines = append(lines, st.Text.Render(Cut(row, w)))
	}
	return strings.Join(lines, "\n")
}

// CalibrationSummary is the figures of one epoch's calibration in words, in
// lines of at most w cells.
func CalibrationSummary(c dynamics.Calibration, w int, st Styles) string {
	n := 0
	for _, b := range c.Bins {
		n += b.Count
	}
	kv := func(k, v, note string) string {
		return Truncate(st.Muted.Render(PadEnd(k, 13))+st.Text.Render(v)+st.Muted.Render(note), w)
	}
	over := "> 1: over-confident"
	if c.Temperature < 1 {
		over = "< 1: under-confident"
	}
	lines := []string{
		Truncate(st.Title.Render(fmt.Sprintf("epoch %d", c.Epoch))+st.Muted.Render(fmt.Sprintf(" · %s test images · %d bins", GroupInt(n), len(c.Bins))), w),
		kv("ECE", Pct(c.ECE), "  expected calibration error"),
		kv("MCE", Pct(c.MCE), "  the worst bin's gap"),
		kv("NLL", Float(c.NLL, 4), "  mean -log p(label)"),
		kv("Brier", Float(c.Brier, 4), "  mean Σ (p - onehot)²"),
		kv("temperature", Float(c.Temperature, 3), "  best NLL; "+over),
		kv("ECE at T", Pct(c.ECEScaled), "  after dividing log p by T"),
	}
	if c.Temperature == 1 || math.Abs(c.Temperature-1) < 0.005 {
		lines[5] = kv("temperature", Float(c.Temperature, 3), "  best NLL; 1: calibrated")
	}
	return strings.Join(lines, "\n")
}
