package views

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"charm.land/lipgloss/v2"

	"convscope/internal/health"
	"convscope/nn"
)

// HealthData is what the Health tab shows: the run's training-health
// samples and where its cursors are.
type HealthData struct {
	Samples  []health.Sample // oldest first; empty: Note says why
	Layer    int             // the selected layer, an index into a sample's Layers
	AlertTop int             // the first alert shown of HealthAlerts(Samples)
	Note     string          // why there are no samples (when Samples is empty)
	Err      string          // why the health file could not be read, if it could not
}

// HealthLayout is how Health splits w×h cells. Wide puts the table and the
// alerts on the left and the selected layer's strips and chart on the right
// (SideW wide); otherwise everything is stacked and the two strips stand
// side by side.
type HealthLayout struct {
	Wide       bool
	TableH     int // lines of the table, its header included
	StripH     int // lines of each heat strip's cells
	ChartH     int // lines of the update-ratio chart (0: a sparkline instead)
	AlertH     int // lines of the alerts list, its title included
	LeftW      int // the table's (and in Wide the alerts') width
	SideW      int // the right pane's width (Wide)
	bodyH      int
	tableLines int
}

// healthTableW is the table's full width: the no-colour cursor mark, the
// name, kind, five figures and the dead share.
const healthTableW = 2 + 12 + 1 + 5 + 5*10 + 6

// HealthLayoutFor is the layout of Health for layers layers in w×h cells.
func HealthLayoutFor(layers, w, h int) HealthLayout {
	l := HealthLayout{bodyH: max(0, h-1)} // the status line
	body := l.bodyH
	l.tableLines = layers + 1
	if w >= healthTableW+2+40 && body >= 24 {
		l.Wide = true
		l.LeftW = healthTableW
		l.SideW = w - l.LeftW - 2
		l.TableH = min(l.tableLines, max(6, body-4))
		l.AlertH = body - l.TableH
		// The side: the layer's title, two strips (title, cells, time axis
		// each), the chart's title and rows, the gradient norm line.
		rest := body - 1 - 4 - 2
		l.StripH = min(16, max(3, rest*2/5))
		l.ChartH = min(12, rest-2*l.StripH)
		if l.ChartH < 3 {
			l.ChartH = 0
			l.StripH = max(3, (rest-1)/2)
		}
		return l
	}
	l.LeftW = w
	// Stacked: table, strips (title, cells, time axis), two sparkline
	// lines, alerts.
	fixed := 2 + 2
	l.AlertH = 1
	if body >= 30 {
		l.AlertH = min(8, 2+(body-30)/3)
	}
	room := body - fixed - l.AlertH
	l.StripH = max(2, min(8, room/3))
	l.TableH = max(2, min(l.tableLines, room-l.StripH))
	if extra := room - l.StripH - l.TableH; extra > 0 {
		l.StripH = min(16, l.StripH+extra/2)
		l.AlertH += body - fixed - l.StripH - l.TableH - l.AlertH
	}
	return l
}

// HealthAlerts are every alert of samples, newest first.
func HealthAlerts(samples []health.Sample) []health.Alert {
	var out []health.Alert
	for i := len(samples) - 1; i >= 0; i-- {
		a := samples[i].Alerts
		for j := len(a) - 1; j >= 0; j-- {
			out = append(out, a[j])
		}
	}
	return out
}

// Health draws the Health tab in exactly w×h cells: a status line naming
// the latest sample; the per-layer table of its figures, alerting cells in
// the Bad style and marked with !; for the selected layer, heat strips of
// its weight and activation histograms over the samples (HeatStrip), its
// update-to-weight ratio against the 1e-3 rule of thumb (RatioChart, or a
// sparkline when short of room) and its gradient norm; and the list of
// alerts, newest first, from AlertTop.
func Health(d HealthData, w, h int, st Styles) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	if len(d.Samples) == 0 {
		var b strings.Builder
		b.WriteString(st.Title.Render("Training health") + "\n\n")
		if d.Err != "" {
			b.WriteString(st.Bad.Render(Wrap("✖ the health file could not be read: "+d.Err, w)) + "\n\n")
		}
		if d.Note != "" {
			b.WriteString(st.Text.Render(Wrap(d.Note, w)) + "\n")
		}
		return FitBlock(b.String(), w, h)
	}
	last := &d.Samples[len(d.Samples)-1]
	cur := min(max(d.Layer, 0), len(last.Layers)-1)
	l := HealthLayoutFor(len(last.Layers), w, h)
	alerts := HealthAlerts(d.Samples)

	status := healthStatus(d, last, len(alerts), w, st)
	table := HealthTable(last, cur, l.LeftW, l.TableH, st)
	alertList := AlertList(alerts, d.AlertTop, l.LeftW, l.AlertH, st)
	if l.Wide {
		left := FitBlock(table+"\n"+alertList, l.LeftW, l.bodyH)
		side := healthSide(d.Samples, cur, l, st)
		return status + "\n" + lipgloss.JoinHorizontal(lipgloss.Top, left, "  ", FitBlock(side, l.SideW, l.bodyH))
	}
	parts := []string{status, FitBlock(table, w, l.TableH), healthStrips(d.Samples, cur, l, w, st),
		healthSparks(d.Samples, cur, w, st), FitBlock(alertList, w, l.AlertH)}
	return FitBlock(strings.Join(parts, "\n"), w, h)
}

// healthStatus is the line above everything: the latest sample's place in
// training and its batch figures, and how many samples there are.
func healthStatus(d HealthData, s *health.Sample, alerts int, w int, st Styles) string {
	sep := st.Muted.Render(" · ")
	kv := func(k, v string) string { return st.Muted.Render(k+" ") + st.Text.Render(v) }
	parts := []string{st.Title.Render("Training health"),
		kv("latest", fmt.Sprintf("epoch %d batch %d of %d", s.Epoch, s.Batch, s.Batches)),
		kv("samples", GroupInt(len(d.Samples))),
		kv("batch loss", HealthNum(float64(s.Loss))), kv("acc", Pct(s.Acc)), kv("lr", fmt.Sprintf("%.2g", s.LR))}
	if alerts > 0 {
		parts = append(parts, st.Bad.Render("⚠ "+Plural(alerts, "alert")))
	}
	if d.Err != "" {
		parts = append(parts, st.Bad.Render("✖ "+d.Err))
	}
	// Drop figures from the right of the middle until it fits, keeping the
	// alerts.
	for len(parts) > 2 && Width(strings.Join(parts, sep)) > w {
		i := len(parts) - 1
		if alerts > 0 && d.Err == "" {
			i--
		}
		if i < 2 {
			break
		}
		parts = append(parts[:i], parts[i+1:]...)
	}
	return Fit(strings.Join(parts, sep), w)
}

// HealthNum formats a health figure in at most 8 cells: 3 significant
// digits from 0.01 to 1000, whole numbers to 9999, else 1.2e-03; NaN and
// the infinities as themselves.
func HealthNum(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case v == 0:
		return "0"
	}
	a := math.Abs(v)
	switch {
	case a >= 1e-2 && a < 1e3:
		return strconv.FormatFloat(v, 'g', 3, 64)
	case a >= 1e3 && a < 1e4:
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'e', 1, 64)
}

// kindShort is a layer kind in at most 5 cells.
func kindShort(k nn.LayerKind) string {
	switch k {
	case nn.KindConv2D:
		return "conv"
	case nn.KindBatchNorm2D:
		return "bn"
	case nn.KindReLU:
		return "relu"
	case nn.KindMaxPool2D:
		return "pool"
	case nn.KindFlatten:
		return "flat"
	case nn.KindDense:
		return "dense"
	}
	return Cut(string(k), 5)
}

// alertFigures are the table's columns, by the figure names alerts use.
var alertFigures = []string{"grad_norm", "weight_norm", "update_ratio", "act_mean", "act_std", "dead"}

// HealthTable draws sample s's figures per layer in at most w×h cells: a
// header and a line per layer with its name, kind, gradient norm, weight
// norm, update-to-weight ratio, activation mean and standard deviation and,
// for a ReLU, its dead share ("–" where a layer has no such figure). A cell
// with an alert of s is in the Bad style and ends in !. Row cur is
// Selected (marked > without colour), and the rows scroll to keep it in
// view (LayerListTop). The kind column gives way first when w is short.
func HealthTable(s *health.Sample, cur, w, h int, st Styles) string {
	if w <= 0 || h <= 0 || s == nil {
		return ""
	}
	showKind := w >= healthTableW
	head := PadEnd("layer", 12)
	if showKind {
		head += " " + PadEnd("kind", 5)
	}
	for _, c := range []string{"grad norm", "wt norm", "upd/wt", "act mean", "act std"} {
		head += " " + PadStart(c, 8) + " "
	}
	head += " " + PadStart("dead", 4)
	out := []string{st.Muted.Render("  " + head)}
	bad := map[[2]string]bool{}
	for _, a := range s.Alerts {
		bad[[2]string{a.Layer, a.Figure}] = true
	}
	top := LayerListTop(len(s.Layers), cur, h)
	for i := top; i < len(s.Layers) && len(out) < h; i++ {
		L := s.Layers[i]
		sel := i == cur
		base, badStyle := st.Text, st.Bad
		if sel && !noColour(st) {
			base, badStyle = st.Selected, st.Bad.Reverse(true)
		}
		var b strings.Builder
		mark := "  "
		if sel && noColour(st) {
			mark = "> "
		}
		b.WriteString(mark)
		b.WriteString(base.Render(PadEnd(Truncate(L.Name, 12), 12)))
		if showKind {
			b.WriteString(base.Render(" " + PadEnd(kindShort(L.Kind), 5)))
		}
		vals := []struct {
			v  float64
			on bool
		}{{float64(L.GradNorm), L.Params > 0}, {float64(L.WeightNorm), L.Params > 0},
			{float64(L.UpdateRatio), L.Params > 0 && L.HasUpdate}, {float64(L.ActMean), true}, {float64(L.ActStd), true}}
		for j, v := range vals {
			text, m := "–", " "
			if v.on {
				text = HealthNum(v.v)
			}
			style := base
			if bad[[2]string{L.Name, alertFigures[j]}] {
				m, style = "!", badStyle
			}
			b.WriteString(base.Render(" "))
			b.WriteString(style.Render(PadStart(text, 8) + m))
		}
		dead, style, m := "", base, ""
		if L.Units > 0 {
			dead = fmt.Sprintf("%.0f%%", 100*L.Dead)
			if bad[[2]string{L.Name, "dead"}] {
				style, m = badStyle, "!"
			}
		}
		b.WriteString(base.Render(" "))
		b.WriteString(style.Render(PadStart(dead, 4) + m))
		out = append(out, b.String())
	}
	return ClipBlock(strings.Join(out, "\n"), w, h)
}

// AlertList draws alerts (newest first) from top in at most w×h cells: a
// title line with the count and the alerts shown, then a line per alert,
// its message cut to the width.
func AlertList(alerts []health.Alert, top, w, h int, st Styles) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	if len(alerts) == 0 {
		return Fit(st.Good.Render("✔ no alerts")+st.Muted.Render(" · the figures are within their thresholds"), w)
	}
	vis := AlertRows(h)
	top = min(max(top, 0), max(0, len(alerts)-vis))
	title := st.Bad.Render("⚠ "+Plural(len(alerts), "alert")) + st.Muted.Render(", newest first")
	if len(alerts) > vis {
		title += st.Muted.Render(fmt.Sprintf(" · %d–%d (n/p to scroll)", top+1, min(top+vis, len(alerts))))
	}
	if h == 1 { // one alert in the title's line
		head := st.Bad.Render("⚠ " + Plural(len(alerts), "alert"))
		if len(alerts) > 1 {
			head = st.Bad.Render(fmt.Sprintf("⚠ alert %d of %d", top+1, len(alerts))) + st.Muted.Render(" (n/p)")
		}
		return Fit(head+st.Muted.Render(": ")+st.Text.Render(alerts[top].Message), w)
	}
	out := []string{Fit(title, w)}
	for _, a := range alerts[top:min(top+vis, len(alerts))] {
		out = append(out, Fit(st.Bad.Render("! ")+st.Text.Render(a.Message), w))
	}
	return strings.Join(out, "\n")
}

// AlertRows is how many alerts AlertList shows in h lines.
func AlertRows(h int) int { return max(1, h-1) }

// healthSide is the right pane of the wide layout: the selected layer's
// title, its two strips and its update-ratio chart and gradient norm.
func healthSide(samples []health.Sample, cur int, l HealthLayout, st Styles) string {
	w := l.SideW
	last := samples[len(samples)-1].Layers[cur]
	parts := []string{layerTitle(last, w, st)}
	wh, ah := layerHists(samples, cur)
	first, end := timeLabels(samples, w)
	if last.Params == 0 {
		// No weights, updates or gradients: the activations take their room.
		rows := min(32, l.bodyH-1-1-2-2)
		parts = append(parts, Fit(st.Muted.Render("no parameters: no weights or updates"), w),
			stripBlock("activations", ah, first, end, w, rows, st))
		return strings.Join(append(parts, layerSparks(samples, cur, w, false, st)...), "\n")
	}
	parts = append(parts, stripBlock("weights", wh, first, end, w, l.StripH, st))
	parts = append(parts, stripBlock("activations", ah, first, end, w, l.StripH, st))
	ratios, _ := layerSeries(samples, cur)
	if l.ChartH > 0 {
		parts = append(parts, Fit(st.Text.Render("upd/wt ratio")+st.Muted.Render(" · ┄ 1e-3 rule of thumb"), w),
			RatioChart(ratios, w, l.ChartH, st))
		return strings.Join(append(parts, layerSparks(samples, cur, w, false, st)...), "\n")
	}
	return strings.Join(append(parts, layerSparks(samples, cur, w, true, st)...), "\n")
}

// healthStrips are the stacked layout's strips, side by side (the
// activations alone for a layer without parameters), with their title
// lines and time axes.
func healthStrips(samples []health.Sample, cur int, l HealthLayout, w int, st Styles) string {
	wh, ah := layerHists(samples, cur)
	L := samples[len(samples)-1].Layers[cur]
	if L.Params == 0 {
		f, e := timeLabels(samples, w)
		return FitBlock(stripBlock(L.Name+" activations (no parameters)", ah, f, e, w, l.StripH, st), w, l.StripH+2)
	}
	lw := (w - 2) / 2
	rw := w - 2 - lw
	f1, e1 := timeLabels(samples, lw)
	f2, e2 := timeLabels(samples, rw)
	left := stripBlock(L.Name+" weights", wh, f1, e1, lw, l.StripH, st)
	right := stripBlock(L.Name+" activations", ah, f2, e2, rw, l.StripH, st)
	return lipgloss.JoinHorizontal(lipgloss.Top, FitBlock(left, lw, l.StripH+2), "  ", FitBlock(right, rw, l.StripH+2))
}

// healthSparks are the stacked layout's two lines: the update ratio and
// the gradient norm.
func healthSparks(samples []health.Sample, cur int, w int, st Styles) string {
	return strings.Join(layerSparks(samples, cur, w, true, st), "\n")
}

// layerTitle names a layer with its kind and parameter count.
func layerTitle(L health.Layer, w int, st Styles) string {
	s := st.Title.Render(L.Name) + st.Muted.Render(" · "+string(L.Kind))
	if L.Params > 0 {
		s += st.Muted.Render(" · " + Plural(L.Params, "parameter"))
	}
	if L.Units > 0 {
		s += st.Muted.Render(fmt.Sprintf(" · %d of %d units dead", L.DeadUnits, L.Units))
	}
	return Fit(s, w)
}

// layerHists are layer cur's weight and activation histograms over the
// samples (nil where a sample has none).
func layerHists(samples []health.Sample, cur int) (weights, acts []*health.Hist) {
	weights, acts = make([]*health.Hist, len(samples)), make([]*health.Hist, len(samples))
	for i := range samples {
		if cur >= len(samples[i].Layers) {
			continue
		}
		L := &samples[i].Layers[cur]
		weights[i] = L.WeightHist
		if len(L.ActHist.Counts) > 0 {
			acts[i] = &L.ActHist
		}
	}
	return weights, acts
}

// layerSeries are layer cur's update ratios (NaN where none was measured)
// and gradient norms over the samples.
func layerSeries(samples []health.Sample, cur int) (ratios, grads []float64) {
	ratios, grads = make([]float64, len(samples)), make([]float64, len(samples))
	for i := range samples {
		ratios[i], grads[i] = math.NaN(), math.NaN()
		if cur >= len(samples[i].Layers) {
			continue
		}
		L := samples[i].Layers[cur]
		if L.Params == 0 {
			continue
		}
		if L.HasUpdate {
			ratios[i] = float64(L.UpdateRatio)
		}
		grads[i] = float64(L.GradNorm)
	}
	return ratios, grads
}

// timeLabels are the time axis's end labels for a strip w wide: the first
// and last samples' epoch and batch, long or short.
func timeLabels(samples []health.Sample, w int) (first, last string) {
	f, l := samples[0], samples[len(samples)-1]
	first = fmt.Sprintf("epoch %d batch %d", f.Epoch, f.Batch)
	last = fmt.Sprintf("epoch %d batch %d", l.Epoch, l.Batch)
	if Width(first)+Width(last)+12 > w {
		first, last = fmt.Sprintf("e%d b%d", f.Epoch, f.Batch), fmt.Sprintf("e%d b%d", l.Epoch, l.Batch)
	}
	return first, last
}

// stripBlock is a strip's title line (with the latest sample's values
// outside the bins) above HeatStrip.
func stripBlock(title string, hs []*health.Hist, first, last string, w, rows int, st Styles) string {
	t := st.Text.Render(title)
	var h *health.Hist
	if n := len(hs); n > 0 {
		h = hs[n-1]
	}
	if h == nil {
		return FitBlock(t+"\n"+st.Muted.Render("none: the layer has no parameters"), w, rows+2)
	}
	if tot := h.Total(); tot > 0 {
		var out []string
		if h.Over > 0 {
			out = append(out, fmt.Sprintf("%.1f%% above", 100*float64(h.Over)/float64(tot)))
		}
		if h.Under > 0 {
			out = append(out, fmt.Sprintf("%.1f%% below", 100*float64(h.Under)/float64(tot)))
		}
		if h.NaN > 0 {
			out = append(out, fmt.Sprintf("%d non-finite", h.NaN))
		}
		forms := []string{" · shade: log count", ""}
		if len(out) > 0 {
			forms = []string{" · latest: " + strings.Join(out, ", ") + " the bins", " · " + strings.Join(out, ", "), ""}
		}
		for _, f := range forms {
			if Width(t)+Width(f) <= w {
				t += st.Muted.Render(f)
				break
			}
		}
	}
	return Fit(t, w) + "\n" + HeatStrip(hs, first, last, w, rows+1, st)
}

// HeatStrip draws a sequence of histograms (oldest first, all with the
// bins of the last; nil for a sample without one) as TensorBoard's
// histogram dashboard does, in exactly h lines of width w: time across, a
// column per sample (a sample stretched over several columns, or the
// nearest of several samples in one), value bins down with the high values
// on top, shade = the bin's share of the sample's values on a log scale
// (any count shows). The value axis is labelled with the bins' hi and lo
// (and 0 between them), the last line is the time axis with the first and
// last labels at its ends. The shades are the views' gray ramp: colour
// from paper to ink, or the characters " .:-=+*#%@" without colour.
func HeatStrip(hs []*health.Hist, first, last string, w, h int, st Styles) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	rows := h - 1
	var ref *health.Hist
	for i := len(hs) - 1; i >= 0 && ref == nil; i-- {
		ref = hs[i]
	}
	if ref == nil || rows < 1 {
		return FitBlock(st.Muted.Render("no histogram"), w, h)
	}
	lo, hi := HealthNum(ref.Lo), HealthNum(ref.Hi)
	lw := max(Width(lo), Width(hi))
	zero := -1
	if ref.Lo < 0 && ref.Hi > 0 && rows >= 3 {
		zero = int(math.Round(ref.Hi / (ref.Hi - ref.Lo) * float64(rows-1)))
		if zero <= 0 || zero >= rows-1 {
			zero = -1
		}
	}
	cols := w - lw - 1
	if cols < 1 {
		return FitBlock("", w, h)
	}
	// With colour a line holds two rows (half blocks); without, one
	// character stands for the line's bins as a whole, so the levels are
	// computed per line and doubled (shadeASCII's mean of two rows is then
	// exact, and a peak is not diluted by its neighbour).
	vals := make([]float32, 2*rows*cols)
	if noColour(st) {
		for i, v := range StripLevels(hs, rows, cols) {
			r, c := i/cols, i%cols
			vals[2*r*cols+c], vals[(2*r+1)*cols+c] = float32(v), float32(v)
		}
	} else {
		for i, v := range StripLevels(hs, 2*rows, cols) {
			vals[i] = float32(v)
		}
	}
	cells := strings.Split(Heat(vals, 2*rows, cols, 0, 1, HeatGray, st), "\n")
	out := make([]string, 0, h)
	for r, c := range cells {
		label, tick := "", "│"
		switch r {
		case 0:
			label, tick = hi, "┤"
		case rows - 1:
			label, tick = lo, "┤"
		case zero:
			label, tick = "0", "┤"
		}
		out = append(out, st.Muted.Render(PadStart(label, lw)+tick)+c)
	}
	gap := cols - Width(first) - Width(last)
	axis := strings.Repeat(" ", lw+1) + first
	if gap >= 1 {
		axis += strings.Repeat(" ", gap) + last
	}
	out = append(out, st.Muted.Render(Fit(axis, w)))
	return strings.Join(out, "\n")
}

// StripLevels is HeatStrip's picture: rows×cols shades 0..1, row-major,
// row 0 the highest values. Column j shows the nearest sample (the ends
// are the first and last); a row is a slice of the bins, its value their
// mean share of the sample's values, and shades are log1p(1000·share)
// over that of the largest share, at least 0.12 for any count.
func StripLevels(hs []*health.Hist, rows, cols int) []float64 {
	out := make([]float64, rows*cols)
	n := len(hs)
	if n == 0 || rows <= 0 || cols <= 0 {
		return out
	}
	share := make([]float64, rows*cols)
	top := 0.0
	for j := range cols {
		h := hs[nearest(j, cols, n)]
		if h == nil || len(h.Counts) == 0 {
			continue
		}
		tot := float64(h.Total())
		if tot == 0 {
			continue
		}
		b := float64(len(h.Counts))
		for r := range rows {
			// Row r covers bins [b0, b1), counted from the top.
			b1 := b * (1 - float64(r)/float64(rows))
			b0 := b * (1 - float64(r+1)/float64(rows))
			sum := 0.0
			for k := int(b0); k < len(h.Counts) && float64(k) < b1; k++ {
				ov := math.Min(b1, float64(k+1)) - math.Max(b0, float64(k))
				if ov > 0 {
					sum += ov * float64(h.Counts[k])
				}
			}
			s := sum / (b1 - b0) / tot
			share[r*cols+j] = s
			top = math.Max(top, s)
		}
	}
	if top <= 0 {
		return out
	}
	den := math.Log1p(1000 * top)
	for i, s := range share {
		if s > 0 {
			out[i] = math.Max(0.12, math.Log1p(1000*s)/den)
		}
	}
	return out
}

// nearest is the sample of n shown in column j of cols.
func nearest(j, cols, n int) int {
	if n <= 1 || cols <= 1 {
		return n - 1
	}
	return int(math.Round(float64(j) * float64(n-1) / float64(cols-1)))
}

// RatioChart draws update-to-weight ratios over samples (NaN: none) in
// exactly h lines of width w on a log scale with a whole number of rows per
// decade, each decade labelled on the left; from the top it takes in the
// largest value and 1e-2, down to the least and 1e-4 (more when rows are
// left, fewer when short: values below then show as ▼ on the bottom row).
// A dot per column (the nearest sample), the 1e-3 rule of thumb as a
// dotted line, values past health's alert bounds in the Bad style (× for
// a non-finite one, on the top row).
func RatioChart(ratios []float64, w, h int, st Styles) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	lo, hi := -4.0, -2.0
	for _, r := range ratios {
		if r > 0 && !math.IsInf(r, 0) {
			lo, hi = math.Min(lo, math.Floor(math.Log10(r))), math.Max(hi, math.Ceil(math.Log10(r)))
		}
	}
	lw := 5
	cols := w - lw - 1
	if cols < 1 || h < 2 {
		return FitBlock("", w, h)
	}
	k := max(1, (h-1)/int(hi-lo)) // rows per decade
	lo = hi - float64((h-1)/k)    // the decades the rows hold
	rowOf := func(lg float64) int {
		return min(h-1, max(0, int(math.Round((hi-lg)*float64(k)))))
	}
	ref := -1
	if lo <= -3 {
		ref = rowOf(-3)
	}
	labels := map[int]string{}
	for d := hi; d >= lo; d-- {
		labels[rowOf(d)] = fmt.Sprintf("1e%d", int(d))
	}
	type cell struct {
		s   string
		bad bool
	}
	grid := make([][]cell, h)
	for r := range grid {
		grid[r] = make([]cell, cols)
		for c := range grid[r] {
			grid[r][c] = cell{s: " "}
			if r == ref {
				grid[r][c].s = "┄"
			}
		}
	}
	if len(ratios) > 0 {
		for c := range cols {
			v := ratios[nearest(c, cols, len(ratios))]
			switch {
			case math.IsNaN(v):
				continue
			case math.IsInf(v, 0):
				grid[0][c] = cell{"×", true}
			case v <= 0:
				grid[h-1][c] = cell{"▼", v < health.MinUpdateRatio}
			case math.Log10(v) < lo-0.5/float64(k):
				grid[h-1][c] = cell{"▼", v < health.MinUpdateRatio}
			default:
				grid[rowOf(math.Log10(v))][c] = cell{"•", v > health.MaxUpdateRatio || v < health.MinUpdateRatio}
			}
		}
	}
	out := make([]string, h)
	for r := range grid {
		label, tick := labels[r], "│"
		if label != "" {
			tick = "┤"
		}
		var b strings.Builder
		b.WriteString(st.Muted.Render(PadStart(label, lw) + tick))
		run, runStyle := "", lipgloss.Style{}
		flush := func() {
			if run != "" {
				b.WriteString(runStyle.Render(run))
				run = ""
			}
		}
		for _, c := range grid[r] {
			style := st.Accent
			switch {
			case c.bad:
				style = st.Bad
			case c.s == "┄" || c.s == " ":
				style = st.Muted
			}
			if run != "" && fmt.Sprint(style) != fmt.Sprint(runStyle) {
				flush()
			}
			run, runStyle = run+c.s, style
		}
		flush()
		out[r] = b.String()
	}
	return strings.Join(out, "\n")
}

// sparks are the eight levels of a sparkline.
var sparks = []rune("▁▂▃▄▅▆▇█")

// sparkScale is a sparkline's scale.
type sparkScale int

const (
	sparkLog   sparkScale = iota // log, from the least to the largest value
	sparkRatio                   // log, 1e-5..1, on which 1e-3 is ▄
	sparkShare                   // linear, 0..1 as 0..100%
)

// sparkLine is a labelled sparkline of vals (the nearest sample per
// column, NaN a gap, × a non-finite value) in one line of width w, with
// the latest value and the values' range when they fit. A log scale spans
// at least a decade around the values; 0 is drawn as 0 below it.
func sparkLine(label string, vals []float64, w int, scale sparkScale, st Styles) string {
	lo, hi := math.Inf(1), math.Inf(-1)
	latest := math.NaN()
	for _, v := range vals {
		if v > 0 && !math.IsInf(v, 0) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		if !math.IsNaN(v) {
			latest = v
		}
	}
	head := st.Text.Render(PadEnd(label, 10))
	if math.IsNaN(latest) {
		return Fit(head+st.Muted.Render("none measured"), w)
	}
	num := HealthNum
	var rng string
	switch scale {
	case sparkRatio:
		lo, hi = 1e-5, 1
		rng = "1e-5…1, ▄ = 1e-3"
	case sparkShare:
		lo, hi = 0, 1
		num = func(v float64) string { return fmt.Sprintf("%.0f%%", 100*v) }
		rng = "0…100%"
	default:
		if math.IsInf(lo, 1) {
			lo, hi = 1, 1
		}
		rng = HealthNum(lo) + "…" + HealthNum(hi)
		// At least a decade, so that a few per cent do not fill the range.
		if g := math.Sqrt(lo * hi); hi < 10*lo {
			lo, hi = g/math.Sqrt(10), g*math.Sqrt(10)
		}
	}
	tails := []string{" latest " + num(latest) + " · " + rng, " latest " + num(latest), ""}
	tail := ""
	want := min(len(vals)*4, 16)
	for _, t := range tails {
		if w-Width(head)-Width(t) >= want {
			tail = t
			break
		}
	}
	cols := max(1, min(len(vals)*4, w-Width(head)-Width(tail)))
	pos := func(v float64) float64 {
		if scale == sparkShare {
			return (v - lo) / (hi - lo)
		}
		if span := math.Log10(hi) - math.Log10(lo); span > 0 {
			return (math.Log10(v) - math.Log10(lo)) / span
		}
		return 0.5
	}
	var b strings.Builder
	for c := range cols {
		v := vals[nearest(c, cols, len(vals))]
		switch {
		case math.IsNaN(v):
			b.WriteRune(' ')
		case math.IsInf(v, 0) || v < 0 && scale != sparkShare:
			b.WriteRune('×')
		case v == 0 && scale != sparkShare: // off a log scale
			b.WriteRune('0')
		default:
			k := int(math.Round(pos(v) * float64(len(sparks)-1)))
			b.WriteRune(sparks[min(max(k, 0), len(sparks)-1)])
		}
	}
	return Fit(head+st.Accent.Render(b.String())+st.Muted.Render(tail), w)
}

// layerSparks are the two sparkline lines of layer cur: its update ratio
// and gradient norm, or for a layer without parameters its dead share (a
// ReLU) or activation mean, and its activations' standard deviation.
func layerSparks(samples []health.Sample, cur int, w int, ratio bool, st Styles) []string {
	L := samples[len(samples)-1].Layers[cur]
	ratios, grads := layerSeries(samples, cur)
	if L.Params > 0 {
		var out []string
		if ratio {
			out = append(out, sparkLine("upd/wt", ratios, w, sparkRatio, st))
		}
		return append(out, sparkLine("grad norm", grads, w, sparkLog, st))
	}
	dead, std := make([]float64, len(samples)), make([]float64, len(samples))
	for i := range samples {
		dead[i], std[i] = math.NaN(), math.NaN()
		if cur < len(samples[i].Layers) {
			l := samples[i].Layers[cur]
			if l.Units > 0 {
				dead[i] = l.Dead
			}
			std[i] = float64(l.ActStd)
		}
	}
	first := sparkLine("dead", dead, w, sparkShare, st)
	if L.Units == 0 {
		mean := make([]float64, len(samples))
		for i := range samples {
			mean[i] = math.NaN()
			if cur < len(samples[i].Layers) {
				mean[i] = math.Abs(float64(samples[i].Layers[cur].ActMean))
			}
		}
		first = sparkLine("|act mean|", mean, w, sparkLog, st)
	}
	return []string{first, sparkLine("act std", std, w, sparkLog, st)}
}

// AlertText is a in short for the header: the layer, the figure and its
// value ("conv2d_3 update ratio 0.21") and the batch ("epoch 2 batch 400").
func AlertText(a health.Alert) (what, at string) {
	v := float64(a.Value)
	switch a.Figure {
	case "dead":
		what = fmt.Sprintf("%.0f%% dead", 100*v)
	default:
		what = strings.ReplaceAll(a.Figure, "_", " ") + " " + HealthNum(v)
	}
	return a.Layer + " " + what, fmt.Sprintf("epoch %d batch %d", a.Epoch, a.Batch)
}
