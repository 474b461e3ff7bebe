package views

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"

	"convscope/nn"
)

// epochCol is one column of the epoch table.
type epochCol struct {
	name  string
	width int
	cell  func(s nn.EpochStats) string
}

// epochCols are the table's columns, most important first: when the table is
// too narrow, columns drop from the end of epochDrop.
var epochCols = []epochCol{
	{"epoch", 5, func(s nn.EpochStats) string { return fmt.Sprint(s.Epoch) }},
	{"train loss", 10, func(s nn.EpochStats) string { return fmt.Sprintf("%.4f", s.TrainLoss) }},
	{"train acc", 9, func(s nn.EpochStats) string { return Pct(s.TrainAcc) }},
	{"test loss", 9, func(s nn.EpochStats) string { return fmt.Sprintf("%.4f", s.TestLoss) }},
	{"test acc", 8, func(s nn.EpochStats) string { return Pct(s.TestAcc) }},
	{"time", 6, func(s nn.EpochStats) string { return secText(s.Seconds) }},
}

// epochDrop lists column indexes in the order they go when space runs out.
var epochDrop = []int{5, 1, 3}

// Epochs renders the per-epoch table (the paper's accuracy by epoch) in
// exactly h lines of width w: a header, then one row per finished epoch with
// the best test accuracy marked. When the rows do not all fit, it shows those
// from row top on (clamped), and top < 0 shows the last ones.
func Epochs(stats []nn.EpochStats, top, w, h int, st Styles) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	const gap, mark = 2, 2 // between columns; the best-row marker after test acc
	keep := make([]bool, len(epochCols))
	for i := range keep {
		keep[i] = true
	}
	width := func() int {
		n := mark
		for i, c := range epochCols {
			if keep[i] {
				n += c.width + gap
			}
		}
		return n - gap
	}
	for _, i := range epochDrop {
		if width() <= w {
			break
		}
		keep[i] = false
	}

	best := -1
	for i, s := range stats {
		if best < 0 || s.TestAcc > stats[best].TestAcc {
			best = i
		}
	}

	row := func(cells func(c epochCol) string, bestRow bool) string {
		var b strings.Builder
		for i, c := range epochCols {
			if !keep[i] {
				continue
			}
			if b.Len() > 0 {
				b.WriteString(strings.Repeat(" ", gap))
			}
			b.WriteString(fmt.Sprintf("%*s", c.width, cells(c)))
			if c.name == "test acc" {
				if bestRow {
					b.WriteString(" ★")
				} else {
					b.WriteString("  ")
				}
			}
		}
		return b.String()
	}

	out := make([]string, 0, h)
	head := st.Muted.Render(row(func(c epochCol) string { return c.name }, false))
	visible := h - 1
	if len(stats) == 0 {
		out = append(out, Fit(head, w))
		if h > 1 {
			out = append(out, Fit(st.Muted.Render("  no epoch finished yet"), w))
		}
	} else {
		if top < 0 || top > len(stats)-visible {
			top = max(0, len(stats)-visible)
		}
		end := min(len(stats), top+visible)
		if top > 0 || end < len(stats) {
			more := fmt.Sprintf("  %d–%d of %d", top+1, end, len(stats))
			if lipgloss.Width(head)+len([]rune(more)) <= w {
				head += st.Muted.Render(more)
			}
		}
		out = append(out, Fit(head, w))
		for i := top; i < end; i++ {
			s := stats[i]
			line := row(func(c epochCol) string { return c.cell(s) }, i == best)
			if i == best {
				line = st.Good.Render(line)
			} else {
				line = st.Text.Render(line)
			}
			out = append(out, Fit(line, w))
		}
	}
	for len(out) < h {
		out = append(out, strings.Repeat(" ", w))
	}
	return strings.Join(out, "\n")
}

// secText formats a duration in seconds: "12.3s", "4:05", "1:02:03".
func secText(s float64) string {
	if s < 0 || s != s {
		return "–"
	}
	if s < 60 {
		return fmt.Sprintf("%.1fs", s)
	}
	return clockText(time.Duration(s * float64(time.Second)))
}

// clockText formats d as "m:ss" or "h:mm:ss".
func clockText(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	t := int(d.Round(time.Second) / time.Second)
	if t >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", t/3600, t/60%60, t%60)
	}
	return fmt.Sprintf("%d:%02d", t/60, t%60)
}
