package views

import (
	"math"
	"strconv"
	"strings"

	"charm.land/lipgloss/v2"
)

// sparkBlocks are the eight heights of a sparkline cell.
var sparkBlocks = []rune("▁▂▃▄▅▆▇█")

// Sparkline draws v, one value per step in [lo, hi], as block heights, each
// value per cells wide cells (at least 1); NaN is a "·". Values outside
// [lo, hi] are clamped.
func Sparkline(v []float64, lo, hi float64, per int) string {
	per = max(per, 1)
	var b strings.Builder
	for _, x := range v {
		r := '·'
		if !math.IsNaN(x) && hi > lo {
			f := (min(max(x, lo), hi) - lo) / (hi - lo)
			r = sparkBlocks[min(len(sparkBlocks)-1, int(f*float64(len(sparkBlocks))))]
		}
		b.WriteString(strings.Repeat(string(r), per))
	}
	return b.String()
}

// PredHistory is an image's prediction per epoch, each cell per cells wide:
// for a test image (rightWrong false) the predicted class's first character,
// in Good when it is label and Bad when not; for a training image, where only
// right or wrong is known (1, 0), ✓ or ✗. -1 (not measured) is a "·".
func PredHistory(pred []int, label int, rightWrong bool, classes []string, per int, st Styles) string {
	per = max(per, 1)
	var b strings.Builder
	for _, p := range pred {
		var s string
		style := st.Muted
		switch {
		case p < 0:
			s = "·"
		case rightWrong && p == 1:
			s, style = "✓", st.Good
		case rightWrong:
			s, style = "✗", st.Bad
		default:
			s = Cut(ClassName(classes, p), 1)
			style = st.Good
			if p != label {
				style = st.Bad
			}
		}
		b.WriteString(style.Render(PadEnd(s, per)))
	}
	return b.String()
}

// ExampleData is what the Data tab shows of one image: its picture and what
// its learning dynamics say (see dynamics.Example).
type ExampleData struct {
	Pixels     []uint8 // Rows×Cols; nil: no picture
	Rows, Cols int
	Set        string // "train" or "test"
	Index      int
	Label      int
	Classes    []string
	// Pred is the prediction or suggested label to show beside the label
	// (-1: none), and PredWhat says what it is ("final prediction",
	// "suggested").
	Pred     int
	PredWhat string

	Region                               string
	Confidence, Variability, Correctness float64
	// Score is the AUM (train) or confident learning's score (test), named
	// by ScoreName; NaN hides it.
	Score        float64
	ScoreName    string
	Suspect      bool
	Measurements int
	FirstLearned int // 0: not learned
	NeverLearned bool
	Forgotten    int

	// Curve is the probability of the given label per epoch, History the
	// prediction per epoch (PredHistory; RightWrong for a training image).
	Curve      []float64
	History    []int
	RightWrong bool
	// Live says the figures are of the epoch in progress.
	Live string
}

// exampleTextMin is the narrowest text beside the picture.
const exampleTextMin = 30

// ExampleDetail draws one image's story in at most w×h cells: a header line
// (set, index, label and prediction), the picture at normal size beside the
// figures when both fit (else the figures alone), the curve of the given
// label's probability per epoch as a sparkline and the prediction history.
func ExampleDetail(d ExampleData, w, h int, st Styles) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	head := st.Title.Render(d.Set+" #"+strconv.Itoa(d.Index)) + "  " + st.Muted.Render("label ") + st.Text.Render(ClassName(d.Classes, d.Label))
	if d.Pred >= 0 {
		style := st.Good
		if d.Pred != d.Label {
			style = st.Bad
		}
		what := d.PredWhat
		if what == "" {
			what = "pred"
		}
		head += "  " + st.Muted.Render(what+" ") + style.Render(ClassName(d.Classes, d.Pred))
	}
	text := func(tw int) []string { return exampleText(d, tw, st) }
	if d.Pixels != nil && d.Rows > 0 && d.Cols > 0 {
		imgH := (d.Rows + 1) / 2
		if tw := w - d.Cols - detailGap; tw >= exampleTextMin && h >= 1+imgH {
			lines := text(tw)
			img := Digit(d.Pixels, d.Rows, d.Cols, st)
			return ClipBlock(head+"\n"+lipgloss.JoinHorizontal(lipgloss.Top, img, strings.Repeat(" ", detailGap), strings.Join(lines, "\n")), w, h)
		}
	}
	return ClipBlock(head+"\n"+strings.Join(text(w), "\n"), w, h)
}

// exampleText is the figures of d in lines of at most w cells.
func exampleText(d ExampleData, w int, st Styles) []string {
	num := func(name string, v float64, prec int) string {
		s := "–"
		if !math.IsNaN(v) {
			s = Float(v, prec)
		}
		return st.Muted.Render(name+" ") + st.Text.Render(s)
	}
	var lines []string
	if d.Live != "" {
		lines = append(lines, st.Warn.Render(d.Live))
	}
	if d.Measurements == 0 {
		return append(lines, st.Muted.Render("not measured yet"))
	}
	region := RegionStyleByName(d.Region, st).Render(d.Region)
	lines = append(lines, region+st.Muted.Render(" · "+Plural(d.Measurements, "measurement")))
	// The figures, one per line, two per line when there is room.
	figs := []string{num("confidence ", d.Confidence, 3), num("variability", d.Variability, 3),
		st.Muted.Render("correct     ") + st.Text.Render(strconv.Itoa(int(math.Round(100*d.Correctness)))+"%")}
	if !math.IsNaN(d.Score) {
		s := num(PadEnd(d.ScoreName, 11), d.Score, 3)
		if d.Suspect {
			s += st.Bad.Render(" suspect")
		}
		figs = append(figs, s)
	}
	switch {
	case d.NeverLearned:
		figs = append(figs, st.Bad.Render("never learned"))
	case d.FirstLearned == 0:
		figs = append(figs, st.Warn.Render("not learned")+st.Muted.Render(" (wrong now)"))
	default:
		figs = append(figs, st.Muted.Render("learned at epoch ")+st.Good.Render(strconv.Itoa(d.FirstLearned)))
	}
	forgot := st.Muted.Render("forgotten ") + st.Text.Render(strconv.Itoa(d.Forgotten)+"×")
	if d.Forgotten > 0 {
		forgot = st.Muted.Render("forgotten ") + st.Warn.Render(strconv.Itoa(d.Forgotten)+"×")
	}
	figs = append(figs, forgot)
	if colW := MaxWidth(figs) + 2; w >= 2*colW {
		for i := 0; i < len(figs); i += 2 {
			l := figs[i]
			if i+1 < len(figs) {
				l = PadEnd(l, colW) + figs[i+1]
			}
			lines = append(lines, l)
		}
	} else {
		lines = append(lines, figs...)
	}
	if n := len(d.Curve); n > 0 {
		lab := "p(" + Cut(ClassName(d.Classes, d.Label), 8) + ") "
		per := max(1, min(4, (w-Width(lab)-6)/n))
		last := d.Curve[n-1]
		tail := ""
		if !math.IsNaN(last) {
			tail = " " + Float(last, 2)
		}
		lines = append(lines, st.Muted.Render(lab)+st.Accent.Render(Sparkline(d.Curve, 0, 1, per))+st.Text.Render(tail))
		hist := "pred"
		if d.RightWrong {
			hist = "right"
		}
		lines = append(lines, st.Muted.Render(PadEnd(hist, Width(lab)-1)+" ")+PredHistory(d.History, d.Label, d.RightWrong, d.Classes, per, st))
		lines = append(lines, st.Muted.Render(PadEnd("epoch", Width(lab)-1)+" ")+st.Muted.Render(epochTicks(n, per)))
	}
	for i, l := range lines {
		lines[i] = Truncate(l, w)
	}
	return lines
}

// epochTicks numbers n epochs of per cells each where the numbers fit: 1 and
// then every epoch whose number fits after the one before.
func epochTicks(n, per int) string {
	line := []rune(strings.Repeat(" ", n*per))
	next := 0
	for e := 1; e <= n; e++ {
		at := (e - 1) * per
		s := strconv.Itoa(e)
		if at < next || at+len(s) > len(line) {
			continue
		}
		copy(line[at:], []rune(s))
		next = at + len(s) + 1
	}
	return strings.TrimRight(string(line), " ")
}

// RegionStyleByName is RegionStyle for a region's name (dynamics.Region's
// String).
func RegionStyleByName(name string, st Styles) lipgloss.Style {
	switch name {
	case "easy-to-learn":
		return st.Good
	case "ambiguous":
		return st.Warn
	}
	return st.Bad
}
