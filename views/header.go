package views

import (
	"fmt"
	"math"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// RunState is where a training run is.
type RunState int

const (
	// StateStarting is before the first report.
	StateStarting RunState = iota
	// StateTraining is while batches run.
	StateTraining
	// StatePaused is while the user holds training.
	StatePaused
	// StateFinished is after the last epoch.
	StateFinished
	// StateStopped is after the user stopped training early.
	StateStopped
	// StateFailed is after training returned an error.
	StateFailed
)

// HeaderData is what the header shows about a run.
type HeaderData struct {
	// The run's configuration.
	Network   string
	Optimizer string
	LR        float64
	Schedule  string  // learning-rate schedule; "" and "constant" are not shown
	LRNow     float64 // the rate of the batch in progress under Schedule, 0 = not shown
	LRChanged bool    // LR is a rate set while the run trained, not the configured one
	Batch     int
	Seed      uint64

	State  RunState
	Epoch  int // epoch in progress (1-based), or the last one
	Epochs int // epochs of the run

	Seen, Total  int           // images of the epoch done, and in all
	Elapsed      time.Duration // time of the epoch so far, pauses excluded
	ImagesPerSec float64
	TrainLoss    float64 // running mean over the epoch (the last epoch's once the run ended)
	TrainAcc     float64 // running accuracy over the epoch, 0..1
	TestLoss     float64 // the last finished epoch's, shown once the run ended
	TestAcc      float64

	StopAfter int // the epoch training was asked to stop after, 0 = none

	Done      int           // epochs finished
	RunTime   time.Duration // training time of the run so far, pauses excluded
	BestAcc   float64       // best test accuracy so far, 0..1
	BestEpoch int           // its epoch, 0 when no epoch has finished

	Err     string // why training failed
	Note    string // a passing message, such as where a checkpoint went
	NoteBad bool   // the note is about a failure

	// Alerts is the number of training-health alerts of the latest sample
	// that has any; Alert and AlertAt are the first of them in short
	// (AlertText), AlertTab the tab that lists them, e.g. "8 Health".
	Alerts   int
	Alert    string
	AlertAt  string
	AlertTab string

	// Saved says the network is a saved model (explore), not a run in
	// progress: the settings are the ones it was trained with, and an empty
	// Optimizer means the file does not record them.
	Saved bool
	// Follow, when On, says whether the run another process writes is
	// live or stale (convscope watch); it replaces the state's badge while
	// the run goes on.
	Follow Follow
}

// HeaderLines is the least height of Header: a failure's message and a note
// too wide for their line add lines (HeaderHeight).
const HeaderLines = 3

// HeaderHeight is the number of lines Header draws for d at width w.
func HeaderHeight(d HeaderData, w int) int {
	if w <= 0 {
		return 0
	}
	return len(headerLines(d, w, Styles{}))
}

// Header draws the run's configuration, the epoch's progress bar with
// elapsed time, ETA and throughput, and the running figures: HeaderHeight
// lines of width w. A failure's message and a note are wrapped, never cut.
func Header(d HeaderData, w int, st Styles) string {
	if w <= 0 {
		return ""
	}
	return strings.Join(headerLines(d, w, st), "\n")
}

func headerLines(d HeaderData, w int, st Styles) []string {
	sep := st.Muted.Render(" · ")
	kv := func(k, v string) string { return st.Muted.Render(k+" ") + st.Text.Render(v) }

	// Line 1: configuration; the network's name gives way first.
	var cfg []string
	switch {
	case d.Saved && d.Optimizer == "":
		cfg = append(cfg, st.Muted.Render("training settings not recorded in the model file"))
	case d.Optimizer != "":
		opt := st.Text.Render(d.Optimizer) + " " + kv("lr", fmt.Sprintf("%g", d.LR))
		if d.LRChanged {
			opt += st.Warn.Render(" (changed)")
		}
		if d.Schedule != "" && d.Schedule != "constant" {
			opt += " " + st.Text.Render(d.Schedule)
			if d.LRNow > 0 {
				opt += st.Muted.Render(" now ") + st.Text.Render(fmt.Sprintf("%.2g", d.LRNow))
			}
		}
		cfg = append(cfg, opt)
	}
	if !d.Saved || d.Optimizer != "" {
		cfg = append(cfg, kv("batch", fmt.Sprint(d.Batch)), kv("seed", fmt.Sprint(d.Seed)))
	}
	rest := sep + strings.Join(cfg, sep)
	netw := st.Title.Render(ansi.Truncate(dashIfEmpty(d.Network), max(8, w-lipgloss.Width(rest)), "…"))
	line1 := netw + rest

	// Line 2: progress, or how the run ended.
	badge := stateBadge(d.State, st)
	if d.Follow.On && (d.State == StateStarting || d.State == StateTraining) {
		badge = FollowBadge(d.Follow, st)
	}
	best := ""
	if d.BestEpoch > 0 {
		best = st.Good.Render(Pct(d.BestAcc)) + st.Muted.Render(fmt.Sprintf(" (epoch %d)", d.BestEpoch))
	}
	var line2 string
	var errLines []string
	switch {
	case d.Saved && d.State != StateFailed:
		badge = ""
		line2 = st.Accent.Render("▣ saved model") + sep + st.Text.Render(Plural(d.Done, "epoch")+" trained")
		if d.State == StateStarting || d.State == StateTraining {
			line2 += sep + st.Muted.Render("evaluating the test set…")
		}
		if best != "" {
			line2 += sep + st.Text.Render("best test accuracy ") + best
		}
	case d.State == StateFinished:
		badge = ""
		line2 = st.Good.Render("✔ training finished") + sep + st.Text.Render(fmt.Sprintf("%d epochs in %s", d.Done, clockText(d.RunTime)))
		if best != "" {
			line2 += sep + st.Text.Render("best test accuracy ") + best
		}
	case d.State == StateStopped:
		badge = ""
		line2 = st.Warn.Render("■ training stopped") + st.Text.Render(fmt.Sprintf(" after %d of %d epochs", d.Done, d.Epochs))
		if best != "" {
			line2 += sep + st.Text.Render("best test accuracy ") + best
		}
	case d.State == StateFailed:
		badge = ""
		errLines = wrapStyled("✖ training failed: ", d.Err, st.Bad, st.Text, w)
	default:
		epoch := kv("epoch", fmt.Sprintf("%d/%d", max(d.Epoch, 1), d.Epochs))
		frac := 0.0
		if d.Total > 0 {
			frac = float64(d.Seen) / float64(d.Total)
		}
		eta := "–"
		if d.ImagesPerSec > 0 && d.Total > 0 {
			eta = clockText(time.Duration(float64(d.Total-d.Seen) / d.ImagesPerSec * float64(time.Second)))
		}
		tail := fmt.Sprintf(" %3.0f%%", 100*frac) + sep +
			kv("elapsed", clockText(d.Elapsed)) + sep + kv("ETA", eta) + sep +
			st.Text.Render(groupDigits(d.ImagesPerSec)) + st.Muted.Render(" img/s")
		if d.StopAfter > 0 {
			badge = st.Warn.Render(fmt.Sprintf("stopping after epoch %d", d.StopAfter)) + " " + badge
		}
		room := w - lipgloss.Width(epoch) - lipgloss.Width(tail) - lipgloss.Width(badge) - 3
		barStyle := st.Accent
		if d.State == StatePaused {
			barStyle = st.Warn
		}
		line2 = epoch + " " + progressBar(frac, min(max(room, 8), 40), barStyle, st.Border) + tail
	}
	lines := []string{Fit(line1, w)}
	if errLines != nil {
		lines = append(lines, errLines...)
	} else {
		lines = append(lines, spreadLine(line2, badge, w))
	}

	// Line 3: running figures and the best test accuracy, or the last
	// epoch's figures once the run has ended.
	var line3, short string // short: without the best test accuracy
	switch d.State {
	case StateFinished, StateStopped, StateFailed:
		if d.Done > 0 {
			line3 = st.Muted.Render(fmt.Sprintf("epoch %d: ", d.Done)) +
				kv("train loss", fmtLoss(d.TrainLoss)) + sep + kv("acc", Pct(d.TrainAcc)) + sep +
				kv("test loss", fmtLoss(d.TestLoss)) + sep + kv("acc", Pct(d.TestAcc))
		}
	default:
		if d.Total == 0 { // no report yet
			line3 = kv("train loss", "–") + sep + kv("acc", "–")
		} else {
			line3 = kv("train loss", fmtLoss(d.TrainLoss)) + sep + kv("acc", Pct(d.TrainAcc))
		}
		short = line3
		if best != "" {
			line3 += sep + st.Muted.Render("best test ") + best
		}
	}
	noteStyle := st.Accent
	if d.NoteBad {
		noteStyle = st.Bad
	}
	switch {
	case d.Note == "" && d.Alerts > 0:
		lines = append(lines, alertLine(d, line3, short, w, st))
	case d.Note == "":
		lines = append(lines, Fit(line3, w))
	case Width(d.Note)+2 <= w:
		lines = append(lines, spreadLine(line3, noteStyle.Render(d.Note), w))
	default: // a note wider than the line goes below it, wrapped
		lines = append(lines, Fit(line3, w))
		lines = append(lines, wrapStyled("", d.Note, noteStyle, noteStyle, w)...)
	}
	return lines
}

// alertLine is line 3 with the warning of d's alerts on its right: the
// longest form that fits (the first alert with its batch and the tab that
// lists them, without the batch, the count and the tab, the count), beside
// line3 or else short (line3 without the best accuracy); the count alone
// with line3 cut when nothing fits.
func alertLine(d HeaderData, line3, short string, w int, st Styles) string {
	n := "⚠ " + Plural(d.Alerts, "alert")
	tab := ""
	if d.AlertTab != "" {
		tab = " (" + d.AlertTab + ")"
	}
	var forms []string
	if d.Alert != "" {
		if d.AlertAt != "" {
			forms = append(forms, n+": "+d.Alert+" at "+d.AlertAt+tab)
		}
		forms = append(forms, n+": "+d.Alert+tab)
	}
	forms = append(forms, n+tab, n)
	lefts := []string{line3}
	if short != "" && short != line3 {
		lefts = append(lefts, short)
	}
	for _, f := range forms {
		for _, l := range lefts {
			if Width(l)+1+Width(f) <= w {
				return spreadLine(l, st.Bad.Render(f), w)
			}
		}
	}
	return spreadLine(line3, st.Bad.Render(n), w)
}

// wrapStyled wraps head+text to lines of exactly w cells, head in one style
// and text in another.
func wrapStyled(head, text string, headStyle, textStyle lipgloss.Style, w int) []string {
	lines := strings.Split(Wrap(head+text, w), "\n")
	for i, l := range lines {
		if i == 0 && head != "" && strings.HasPrefix(l, head) {
			lines[i] = Fit(headStyle.Render(head)+textStyle.Render(strings.TrimPrefix(l, head)), w)
			continue
		}
		lines[i] = Fit(textStyle.Render(l), w)
	}
	return lines
}

// stateBadge names the state with a glyph, so it reads without colour.
func stateBadge(s RunState, st Styles) string {
	switch s {
	case StateStarting:
		return st.Muted.Render("◌ starting")
	case StateTraining:
		return st.Good.Render("● training")
	case StatePaused:
		return st.Warn.Render("❚❚ paused")
	case StateFinished:
		return st.Good.Render("✔ finished")
	case StateStopped:
		return st.Warn.Render("■ stopped")
	case StateFailed:
		return st.Bad.Render("✖ failed")
	}
	return ""
}

// progressBar draws a bar of width w filled to frac with eighth blocks.
func progressBar(frac float64, w int, full, empty lipgloss.Style) string {
	if w <= 0 {
		return ""
	}
	if !(frac >= 0) {
		frac = 0
	}
	frac = math.Min(frac, 1)
	eighths := int(math.Round(frac * float64(w) * 8))
	n := eighths / 8
	var b strings.Builder
	b.WriteString(strings.Repeat("█", n))
	rest := w - n
	if r := eighths % 8; r > 0 && rest > 0 {
		b.WriteString([]string{"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"}[r])
		rest--
	}
	return full.Render(b.String()) + empty.Render(strings.Repeat("░", rest))
}

// spreadLine puts left at the start and right at the end of a line of width w,
// cutting left when both do not fit.
func spreadLine(left, right string, w int) string {
	rw := lipgloss.Width(right)
	if rw == 0 {
		return Fit(left, w)
	}
	if rw+2 > w {
		return Fit(left, w)
	}
	room := w - rw - 1
	if lipgloss.Width(left) > room {
		left = ansi.Truncate(left, room, "…")
	}
	return Fit(left, room) + " " + right
}

// fmtLoss formats a loss; NaN and Inf read as themselves.
func fmtLoss(v float64) string {
	if math.Abs(v) >= 1e4 {
		return fmt.Sprintf("%.3g", v)
	}
	return fmt.Sprintf("%.4f", v)
}

// groupDigits formats v rounded, in groups of three digits: 12,345.
func groupDigits(v float64) string {
	if !(v > 0) || math.IsInf(v, 0) {
		return "–"
	}
	return GroupInt(int(math.Round(v)))
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "–"
	}
	return s
}
