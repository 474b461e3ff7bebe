package views

import (
	"math"
	"strings"
	"testing"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"convscope/internal/health"
	"convscope/nn"
)

// peakHist is a histogram on [-1, 1] with n values in bin peak and one in
// each other bin.
func peakHist(peak, n int) *health.Hist {
	h := &health.Hist{Lo: -1, Hi: 1, Counts: make([]int, health.Bins)}
	for i := range h.Counts {
		h.Counts[i] = 1
	}
	h.Counts[peak] = n
	return h
}

// TestStripLevels: with a row per bin and a column per sample, the darkest
// cell of each column is its peak bin, counted from the top; the highest
// count overall is the darkest of all (1), and every count shows.
func TestStripLevels(t *testing.T) {
	peaks := []int{3, 16, 30}
	hs := []*health.Hist{peakHist(peaks[0], 50), peakHist(peaks[1], 200), peakHist(peaks[2], 80)}
	rows, cols := health.Bins, len(hs)
	lv := StripLevels(hs, rows, cols)
	for c, p := range peaks {
		best, at := -1.0, -1
		for r := range rows {
			v := lv[r*cols+c]
			if v <= 0 {
				t.Errorf("column %d row %d: level %v, want > 0 (every bin holds a value)", c, r, v)
			}
			if v > best {
				best, at = v, r
			}
		}
		if want := rows - 1 - p; at != want {
			t.Errorf("column %d: darkest row %d, want %d (bin %d, high values on top)", c, at, want, p)
		}
	}
	if got := lv[(rows-1-peaks[1])*cols+1]; got != 1 {
		t.Errorf("the largest share has level %v, want 1", got)
	}
	// Two rows a bin, and columns stretched over samples: the same peaks.
	lv = StripLevels(hs, 2*rows, 6)
	for c := range 6 {
		s := nearest(c, 6, len(hs))
		r := 2 * (rows - 1 - peaks[s])
		if lv[r*6+c] != lv[(r+1)*6+c] || lv[r*6+c] < lv[0*6+c] {
			t.Errorf("column %d (sample %d): rows %d, %d have levels %v, %v, want the peak's equal pair", c, s, r, r+1, lv[r*6+c], lv[(r+1)*6+c])
		}
	}
	// Nothing to draw: all paper.
	for _, v := range StripLevels([]*health.Hist{nil, {Lo: 0, Hi: 1, Counts: make([]int, health.Bins)}}, 4, 4) {
		if v != 0 {
			t.Fatalf("empty histograms give level %v, want 0", v)
		}
	}
}

// TestHeatStrip: without colour the darkest character, @, stands where
// the count is highest, the value axis has hi on top and lo at the bottom,
// and the time axis its two ends.
func TestHeatStrip(t *testing.T) {
	st := NewStyles(true, colorprofile.NoTTY)
	hs := []*health.Hist{peakHist(28, 10), peakHist(28, 10), peakHist(4, 1000), peakHist(4, 1000)}
	out := HeatStrip(hs, "e1 b0", "e2 b46", 30, 9, st)
	lines := strings.Split(out, "\n")
	if len(lines) != 9 {
		t.Fatalf("%d lines, want 9:\n%s", len(lines), out)
	}
	for i, l := range lines {
		if Width(l) != 30 {
			t.Errorf("line %d is %d wide, want 30: %q", i, Width(l), l)
		}
	}
	if !strings.HasPrefix(lines[0], " 1┤") || !strings.HasPrefix(lines[7], "-1┤") || !strings.HasPrefix(lines[4], " 0┤") {
		t.Errorf("value axis: want 1 on top, 0 in the middle and -1 at the bottom:\n%s", out)
	}
	if axis := lines[8]; !strings.Contains(axis, "e1 b0") || !strings.HasSuffix(strings.TrimRight(axis, " "), "e2 b46") {
		t.Errorf("time axis %q, want e1 b0 … e2 b46 at its ends", axis)
	}
	// Without colour a line is 4 bins: bin 4 of 32 is on the second line
	// from the bottom (bins 4-7), bin 28 on the top one. The darkest
	// character is where bin 4 holds 1000, in the right half (samples 3
	// and 4); bin 28's peak shades the top line's left half.
	cells := func(l string) string { // the line after the value axis
		i := strings.IndexAny(l, "┤│")
		return l[i+len("┤"):]
	}
	const ramp = " .:-=+*#%@"
	darkest, dl, dc := -1, -1, -1
	for i, l := range lines[:8] {
		for j, r := range []rune(cells(l)) {
			if k := strings.IndexRune(ramp, r); k > darkest {
				darkest, dl, dc = k, i, j
			}
		}
	}
	if dl != 6 || dc < 13 {
		t.Errorf("darkest %q at line %d column %d, want line 6 in the right half:\n%s", ramp[darkest], dl, dc, out)
	}
	top := []rune(cells(lines[0]))
	if strings.IndexRune(ramp, top[0]) <= strings.IndexRune(ramp, top[len(top)-1]) {
		t.Errorf("top line %q: want bin 28's peak darker on the left", string(top))
	}
	// Colour: one escape per run at most, and still the size.
	col := HeatStrip(hs, "e1 b0", "e2 b46", 30, 9, NewStyles(true, colorprofile.TrueColor))
	if !strings.Contains(col, "\x1b[") || ansi.StringWidth(strings.Split(col, "\n")[3]) != 30 {
		t.Errorf("colour strip should be shaded and 30 wide:\n%s", col)
	}
}

// TestHealthTable: an alerting cell ends in ! and takes the Bad style;
// others do not, a layer without parameters shows dashes, and the cursor
// row is marked without colour.
func TestHealthTable(t *testing.T) {
	s := &health.Sample{Epoch: 2, Batch: 400, Layers: []health.Layer{
		{Index: 0, Name: "conv2d_1", Kind: nn.KindConv2D, Params: 320, GradNorm: 0.5, WeightNorm: 3, HasUpdate: true, UpdateRatio: 0.21, ActMean: 0.1, ActStd: 1},
		{Index: 1, Name: "relu_1", Kind: nn.KindReLU, ActMean: 0.4, ActStd: 0.7, Units: 32, DeadUnits: 20, Dead: 0.625},
	}, Alerts: []health.Alert{
		{Epoch: 2, Batch: 400, Layer: "conv2d_1", Figure: "update_ratio", Rule: health.RuleUpdateHigh, Value: 0.21},
		{Epoch: 2, Batch: 400, Layer: "relu_1", Figure: "dead", Rule: health.RuleDead, Value: 0.625},
	}}
	plain := HealthTable(s, 1, 80, 10, NewStyles(true, colorprofile.NoTTY))
	lines := strings.Split(plain, "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want a header and 2 layers:\n%s", len(lines), plain)
	}
	if !strings.Contains(lines[1], "0.21!") || strings.Count(lines[1], "!") != 1 {
		t.Errorf("conv2d_1's update ratio should be the one marked cell: %q", lines[1])
	}
	if !strings.HasPrefix(lines[2], "> relu_1") || !strings.Contains(lines[2], "62%!") || !strings.Contains(lines[2], "–") {
		t.Errorf("relu_1 should be the cursor row with its dead share marked and dashes for its norms: %q", lines[2])
	}
	st := NewStyles(true, colorprofile.TrueColor)
	col := HealthTable(s, 1, 80, 10, st)
	if bad := st.Bad.Render(PadStart("0.21", 8) + "!"); !strings.Contains(col, bad) {
		t.Errorf("the alerting cell should be in the Bad style:\n%q", col)
	}
	if ansi.Strip(col) == "" || strings.Contains(ansi.Strip(col), "> ") {
		t.Errorf("with colour the cursor is reversed, not marked:\n%s", ansi.Strip(col))
	}
}

func TestAlertText(t *testing.T) {
	cases := []struct {
		a    health.Alert
		want string
	}{
		{health.Alert{Epoch: 2, Batch: 400, Layer: "conv2d_3", Figure: "update_ratio", Value: 0.21}, "conv2d_3 update ratio 0.21 at epoch 2 batch 400"},
		{health.Alert{Epoch: 1, Batch: 0, Layer: "relu_5", Figure: "dead", Value: 0.625}, "relu_5 62% dead at epoch 1 batch 0"},
		{health.Alert{Epoch: 3, Batch: 7, Layer: "batch", Figure: "loss", Value: health.Num(math.NaN())}, "batch loss NaN at epoch 3 batch 7"},
	}
	for _, c := range cases {
		what, at := AlertText(c.a)
		if got := what + " at " + at; got != c.want {
			t.Errorf("AlertText(%+v) = %q, want %q", c.a, got, c.want)
		}
	}
}

func TestHealthNum(t *testing.T) {
	cases := []struct {
		v    float64
		want string
	}{{0, "0"}, {0.0123, "0.0123"}, {1.5e-3, "1.5e-03"}, {-0.5, "-0.5"}, {123.4, "123"}, {4321, "4321"}, {12345, "1.2e+04"},
		{math.NaN(), "NaN"}, {math.Inf(1), "+Inf"}, {math.Inf(-1), "-Inf"}}
	for _, c := range cases {
		if got := HealthNum(c.v); got != c.want || Width(got) > 8 {
			t.Errorf("HealthNum(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}

// TestHeaderAlerts: the warning stays on the third line, fits every width
// and says as much as the room allows; a note takes its place.
func TestHeaderAlerts(t *testing.T) {
	d := headerCase(StateTraining)
	d.Alerts, d.Alert, d.AlertAt, d.AlertTab = 2, "conv2d_3 update ratio 0.21", "epoch 2 batch 400", "8 Health"
	st := NewStyles(true, colorprofile.NoTTY)
	for _, c := range []struct {
		w    int
		want string
	}{{80, "⚠ 2 alerts: conv2d_3 update ratio 0.21 (8 Health)"}, {120, "⚠ 2 alerts: conv2d_3 update ratio 0.21 at epoch 2 batch 400 (8 Health)"},
		{60, "⚠ 2 alerts (8 Health)"}} {
		if n := HeaderHeight(d, c.w); n != HeaderLines {
			t.Errorf("%d: header of %d lines, want %d", c.w, n, HeaderLines)
		}
		lines := strings.Split(Header(d, c.w, st), "\n")
		if l := lines[2]; !strings.HasSuffix(l, c.want) || Width(l) != c.w {
			t.Errorf("%d: line 3 %q, want it %d wide ending in %q", c.w, l, c.w, c.want)
		}
	}
	d.Note = "saved out/checkpoint-4.safetensors"
	if l := strings.Split(Header(d, 120, st), "\n")[2]; strings.Contains(l, "⚠") || !strings.Contains(l, d.Note) {
		t.Errorf("a note should take the warning's place for its time: %q", l)
	}
}

// TestRatioChart: every decade on its own labelled row, a ratio on the row
// of its decade, the 1e-3 line drawn, and alerting values marked.
func TestRatioChart(t *testing.T) {
	st := NewStyles(true, colorprofile.NoTTY)
	out := RatioChart([]float64{1e-2, 1e-3, 3e-3, math.NaN(), 0.5}, 25, 7, st)
	lines := strings.Split(out, "\n")
	if len(lines) != 7 {
		t.Fatalf("%d lines, want 7:\n%s", len(lines), out)
	}
	// 1e0 (for 0.5) down to 1e-4 is 4 decades: 1 row each, and 2 left for
	// 1e-5 and 1e-6.
	for i, want := range []string{"  1e0┤", " 1e-1┤", " 1e-2┤", " 1e-3┤", " 1e-4┤", " 1e-5┤", " 1e-6┤"} {
		if !strings.HasPrefix(lines[i], want) {
			t.Errorf("line %d %q, want it labelled %q", i, lines[i], want)
		}
	}
	plot := func(i int) []rune { return []rune(lines[i])[6:] }
	if p := plot(3); p[4] != '•' || p[13] != '┄' { // column 13 shows the NaN
		t.Errorf("1e-3 row %q: want the second sample's dot and the dotted line", string(p))
	}
	if p := plot(0); p[len(p)-1] != '•' {
		t.Errorf("top row %q: want the last sample, 0.5, at its right end", string(p))
	}
	if p := plot(2); p[0] != '•' {
		t.Errorf("1e-2 row %q: want the first sample at its left end", string(p))
	}
	for i := range lines {
		if w := Width(lines[i]); w != 25 {
			t.Errorf("line %d is %d wide, want 25", i, w)
		}
	}
	col := RatioChart([]float64{1e-3, 0.5}, 25, 7, NewStyles(true, colorprofile.TrueColor))
	// The right half of the 19 columns shows 0.5.
	if bad := NewStyles(true, colorprofile.TrueColor).Bad.Render(strings.Repeat("•", 10)); !strings.Contains(col, bad) {
		t.Errorf("0.5 is over %g and should be in the Bad style:\n%q", health.MaxUpdateRatio, col)
	}
}
