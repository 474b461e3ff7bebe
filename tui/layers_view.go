package tui

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"convscope/nn"
	"convscope/views"
)

// Sizes of the Layers tab's panes.
const (
	layersImgW     = 28 // the image column: a 28-pixel digit
	layersImgLines = 14 // the digit's lines
	layersInfo     = 2  // lines under the digit: source, prediction
	layersListW    = 28 // a model summary line
	layersGap      = 2  // blank columns between panes
	layersMathW    = 45 // the arithmetic beside a zoomed map, with its grids
	layersHead     = 2  // lines above the right pane's body
	layersShortH   = 24 // below this height the list's line stands for the title
)

// layersLayout is where the Layers tab draws its panes, in tab coordinates.
type layersLayout struct {
	leftW                      int // the image column; 0 when hidden
	headH                      int // the right pane's header lines: 2, or 1 (no title)
	listX, listY, listW, listH int // the layer list; listH 0 when hidden
	rx, rw                     int // the right pane
	bodyY, bodyH               int // the right pane's body, below its header
	hintY                      int // the line of key hints; -1 for none
	timeY                      int // the timeline's line; -1 for none
	top                        int // the first line of the panes
}

func (t *layersTab) layout() (l layersLayout) {
	l = layersLayout{hintY: -1, timeY: -1}
	h, top := t.h, 0
	if len(t.rs.watch.snaps) > 0 && h >= 12 {
		// The timeline's line on top; everything else one line lower.
		l.timeY, top = 0, 1
		h--
	}
	if h >= 12 {
		l.hintY = top + h - 1
		h--
	}
	defer func() {
		l.listY += top
		l.bodyY += top
		l.top = top
	}()
	imgW := layersImgW
	if t.net != nil {
		imgW = t.net.Input.W
	}
	showLeft := t.w >= imgW+layersGap+30
	if t.zoom && t.net != nil {
		s := t.layerShape()
		showLeft = t.w >= imgW+layersGap+s.W+layersGap+layersMathW
	}
	if showLeft {
		l.leftW = imgW
		l.rx = imgW + layersGap
	}
	switch {
	case t.zoom:
	case t.w >= l.rx+layersListW+layersGap+48:
		l.listX, l.listY, l.listW, l.listH = l.rx, 0, layersListW, h
		l.rx += layersListW + layersGap
	case showLeft && h-layersImgLines-layersInfo >= 2:
		l.listX, l.listY, l.listW = 0, layersImgLines+layersInfo, imgW
		l.listH = h - l.listY
	}
	l.rw = max(0, t.w-l.rx)
	l.headH = layersHead
	if l.listH > 0 && t.h < layersShortH {
		l.headH = 1
	}
	l.bodyY, l.bodyH = l.headH, max(0, h-l.headH)
	return l
}

func (t *layersTab) View(st views.Styles) string {
	if t.w <= 0 || t.h <= 0 {
		return ""
	}
	l := t.layout()
	lines := make(screen, t.h)
	put := lines.put
	if l.timeY >= 0 {
		lines[l.timeY] = views.Truncate(st.Accent.Render("⏱ ")+st.Muted.Render(t.rs.timeHeading()), t.w)
	}
	if l.leftW > 0 {
		put(0, l.top, l.leftW, layersImgLines+layersInfo, t.imageView(st))
	}
	if l.listH > 0 && t.net != nil {
		put(l.listX, l.listY, l.listW, l.listH, views.LayerList(t.layerRows(), t.layer, l.listW, l.listH, st))
	}
	head, body := t.paneView(l, st)
	if hl := strings.Split(head, "\n"); l.headH == 1 && len(hl) > 1 {
		head = hl[1]
	}
	put(l.rx, l.top, l.rw, l.headH, head)
	put(l.rx, l.bodyY, l.rw, l.bodyH, body)
	if l.hintY >= 0 {
		lines[l.hintY] = t.hints(st)
	}
	return lines.render(t.w, t.h)
}

// padTo pads s with spaces to x cells (s is never wider: panes are placed
// left to right).
// screen is a tab's lines, filled by placing blocks at positions.
type screen []string

// put places block, fitted to w×h, with its top left corner at (x, y);
// lines left of x are padded to reach it.
func (sc screen) put(x, y, w, h int, block string) {
	if w <= 0 || h <= 0 {
		return
	}
	for i, s := range strings.Split(views.FitBlock(block, w, h), "\n") {
		if y+i < len(sc) {
			sc[y+i] = views.PadEnd(sc[y+i], x) + s
		}
	}
}

// render joins the lines into exactly w×h.
func (sc screen) render(w, h int) string { return views.FitBlock(strings.Join(sc, "\n"), w, h) }

// imageView is the left column: the image (with the saliency map or the
// zoomed cell's receptive field over it) and two lines about it.
func (t *layersTab) imageView(st views.Styles) string {
	if t.img == nil {
		return st.Muted.Render("no image yet")
	}
	im := t.img
	var pic string
	switch {
	case len(im.Pixels) < im.Rows*im.Cols:
		pic = st.Bad.Render("bad image")
	case t.heatCurrent():
		pic = views.Overlay(im.Pixels, t.heat, im.Rows, im.Cols, st)
	case t.zoom && t.current():
		f := t.net.ReceptiveField(t.layer, t.row, t.col)
		pic = views.DigitField(im.Pixels, im.Rows, im.Cols, f.R0, f.C0, f.R1, f.C1, st)
	default:
		pic = views.Digit(im.Pixels, im.Rows, im.Cols, st)
	}
	src := st.Text.Render(im.Source)
	if im.Label >= 0 {
		src += st.Muted.Render(fmt.Sprintf(" · true %d", im.Label))
	}
	pred := ""
	if t.current() || (t.tr != nil && t.trImg == t.imgID) {
		p := t.tr.Pred
		style := st.Text
		switch {
		case im.Label >= 0 && p == im.Label:
			style = st.Good
		case im.Label >= 0:
			style = st.Bad
		}
		pred = style.Render(fmt.Sprintf("pred %d %.1f%%", p, 100*t.tr.Probs[p]))
	}
	switch {
	case t.salMode == salOff:
	case t.heatCurrent():
		pred += st.Muted.Render(" · ") + st.Warn.Render(t.salMode.String())
	case t.ready():
		pred += st.Muted.Render(" · " + t.salMode.String() + "…")
	}
	return views.FitBlock(pic, t.imgCols(), layersImgLines) + "\n" + src + "\n" + pred
}

// imgCols is the width of the image column's picture.
func (t *layersTab) imgCols() int {
	if t.img != nil && t.img.Cols > 0 {
		return t.img.Cols
	}
	return layersImgW
}

// layerRows is the model summary of the network.
func (t *layersTab) layerRows() []views.LayerRow {
	rows := make([]views.LayerRow, len(t.net.Layers))
	for i, l := range t.net.Layers {
		n := 0
		for _, p := range l.Params() {
			n += len(p.W)
		}
		rows[i] = views.LayerRow{Name: t.net.LayerName(i), Shape: shapeText(l.Out()), Params: n}
	}
	return rows
}

// shapeText is an output shape as a model summary writes it: HxWxC, or the
// length of a vector.
func shapeText(s nn.Shape) string {
	if s.H == 1 && s.W == 1 {
		return fmt.Sprint(s.C)
	}
	return s.String()
}

// paneView is the right pane: a two-line header and the body.
func (t *layersTab) paneView(l layersLayout, st views.Styles) (head, body string) {
	switch {
	case t.net == nil:
		return st.Title.Render("Layers"), st.Muted.Render(views.Wrap("No network yet: the activations appear when epoch 1 ends, or pause training (space) for a copy of the network as it is.", l.rw))
	case t.img == nil:
		return t.layerTitle(st), st.Muted.Render(views.Wrap("Press enter on a digit in Samples, Mistakes or Draw to follow it through the network.", l.rw))
	case !t.imgFits():
		in := t.net.Input
		return t.layerTitle(st), st.Bad.Render(views.Wrap(fmt.Sprintf("The image is %dx%d; the network takes %dx%dx%d.", t.img.Rows, t.img.Cols, in.H, in.W, in.C), l.rw))
	case t.tr == nil || t.trImg != t.imgID:
		return t.layerTitle(st), st.Muted.Render("computing the activations…")
	}
	head = t.layerTitle(st)
	if !t.current() {
		head += st.Muted.Render(" (updating…)")
	}
	s := t.layerShape()
	switch {
	case t.kernels:
		info, b := t.kernelGrid(l, st)
		return head + "\n" + info, b
	case t.zoom:
		info, b := t.zoomView(l, st)
		return head + "\n" + info, b
	case t.isOutput():
		pred := t.tr.Pred
		if t.img.Label < 0 { // no true class: Probs would mark the answer as wrong
			pred = -1
		}
		return head + "\n" + st.Muted.Render(fmt.Sprintf("class probabilities: the softmax of these logits · pred %d", t.tr.Pred)),
			views.Probs(t.tr.Probs, nil, t.img.Label, pred, min(l.rw, 60), st)
	case !t.spatial():
		first, cur := t.first(), t.channel()
		strip, sl := views.FeatureStrip(t.tr.Outs[t.layer], first, cur, l.rw, l.bodyH, st)
		v := t.tr.Outs[t.layer]
		last := min(s.C, first+sl.PerPage())
		ms := views.FeatureStats(v)
		info := st.Text.Render(fmt.Sprintf("unit %d = %+.4f", cur, v[cur])) +
			st.Muted.Render(fmt.Sprintf(" · units %d–%d of %d · min %.3g max %.3g · ≤0 %.0f%%", first, last-1, s.C, ms.Min, ms.Max, 100*ms.Zeros))
		return head + "\n" + info, strip
	}
	f := t.maps()
	first := t.first()
	grid, gl := views.FeatureGrid(f, first, t.channel(), t.perChannel, l.rw, l.bodyH, st)
	last := min(s.C, first+gl.PerPage())
	scale := "layer"
	if t.perChannel {
		scale = "channel"
	}
	ms := views.FeatureStats(f.Values)
	colour := "gray from 0"
	if views.HeatModeFor(ms) == views.HeatDiverging {
		colour = "blue<0<red"
	}
	info := st.Text.Render(fmt.Sprintf("channels %d–%d of %d", first, last-1, s.C)) +
		st.Muted.Render(fmt.Sprintf(" · shade by %s · %s · %s", scale, colour, sizeNote(gl.Scale)))
	return head + "\n" + info, grid
}

// sizeNote says how big a grid draws maps.
func sizeNote(scale int) string {
	switch {
	case scale < 0:
		return "½ size"
	case scale == 1:
		return "full size"
	}
	return fmt.Sprintf("%d× size", scale)
}

// layerTitle is the first header line: the layer, its kind, shape and size.
func (t *layersTab) layerTitle(st views.Styles) string {
	l := t.net.Layers[t.layer]
	kind := l.Kind().String()
	switch l := l.(type) {
	case *nn.Conv2D:
		kind = fmt.Sprintf("Conv2D %d×%d %d→%d", l.K, l.K, l.In().C, l.Out().C)
	case *nn.Dense:
		kind = fmt.Sprintf("Dense %d→%d", l.In().Size(), l.Out().C)
	}
	n := 0
	for _, p := range l.Params() {
		n += len(p.W)
	}
	return st.Title.Render(t.net.LayerName(t.layer)) + st.Muted.Render(fmt.Sprintf(" · %s · %s · %s params", kind, shapeText(l.Out()), views.GroupInt(n)))
}

// zoomMapScale is the scale of the zoomed map.
func (t *layersTab) zoomMapScale(l layersLayout) int {
	s := t.layerShape()
	return views.FeatureZoomScale(s.H, s.W, max(s.W, l.rw-layersGap-layersMathW), l.bodyH)
}

// zoomView is the zoom's info line and body: the map with the cell marked,
// the arithmetic of the cell beside it, and for a convolution its kernels
// below when there is room.
func (t *layersTab) zoomView(l layersLayout, st views.Styles) (string, string) {
	s := t.layerShape()
	ch := t.channel()
	f := t.maps()
	sc := t.zoomMapScale(l)
	m, _ := views.FeatureZoom(f, ch, t.row, t.col, t.perChannel, s.W*sc, l.bodyH, st)
	mapW, mapH := s.W*sc, (s.H*sc+1)/2
	v := f.Values[(t.row*s.W+t.col)*s.C+ch]
	ms := views.FeatureStats(f.Channel(ch))
	info := st.Text.Render(fmt.Sprintf("channel %d at (%d, %d) = %+.4f", ch, t.row, t.col, v)) +
		st.Muted.Render(fmt.Sprintf(" · min %.3g max %.3g mean %.3g · ≤0 %.0f%%", ms.Min, ms.Max, ms.Mean, 100*ms.Zeros))
	mathW := l.rw - mapW - layersGap
	mathH := max(mapH, min(l.bodyH, 8))
	conv, isConv := t.net.Layers[t.layer].(*nn.Conv2D)
	if isConv {
		// Room for the partial sums, and below them two rows of kernels;
		// all the height when not even one row of kernels fits.
		mathH = min(l.bodyH, max(mapH, min(l.bodyH-2*(conv.K+1)-1, 22)))
		if l.bodyH-mathH < conv.K+2 {
			mathH = l.bodyH
		}
	}
	var kern string
	math := t.cellMath(v, mathW, mathH, st)
	if isConv && l.bodyH-mathH >= conv.K+2 {
		kern = t.zoomKernels(conv, l.rw, l.bodyH-mathH, st)
	}
	top := lipgloss.JoinHorizontal(lipgloss.Top, views.FitBlock(m, mapW, mathH), strings.Repeat(" ", layersGap), views.FitBlock(math, max(0, mathW), mathH))
	if kern != "" {
		top += "\n" + kern
	}
	return info, top
}

// zoomKernels is the kernels of the selected output channel, the input
// channels contributing most to the zoomed cell first.
func (t *layersTab) zoomKernels(conv *nn.Conv2D, w, h int, st views.Styles) string {
	cell := conv.Explain(t.tr.LayerInput(t.layer), t.row, t.col, t.channel())
	order := make([]int, cell.InC)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(math.Abs(cell.Partial[b]), math.Abs(cell.Partial[a]))
	})
	ks, caps := splitKernel(cell.Kernel, conv.K, cell.InC, order)
	title := fmt.Sprintf("kernels of channel %d, one per input channel, largest share of the sum first", t.channel())
	if cell.InC == 1 {
		title = fmt.Sprintf("kernel of channel %d", t.channel())
	}
	grid, _ := views.Kernels(ks, conv.K, caps, 0, w, h-1, st)
	return st.Muted.Render(views.Truncate(title, w)) + "\n" + grid
}

// splitKernel cuts an output channel's kernel [K, K, InC] into one K×K
// kernel per input channel, in the given order, captioned "ch c".
func splitKernel(k []float32, K, inC int, order []int) ([][]float32, []string) {
	ks := make([][]float32, len(order))
	caps := make([]string, len(order))
	for i, c := range order {
		one := make([]float32, K*K)
		for j := range one {
			one[j] = k[j*inC+c]
		}
		ks[i] = one
		caps[i] = fmt.Sprintf("ch %d", c)
	}
	return ks, caps
}

// cellMath is the arithmetic behind the zoomed cell, by layer kind.
func (t *layersTab) cellMath(v float32, w, h int, st views.Styles) string {
	s := t.layerShape()
	in := t.tr.LayerInput(t.layer)
	from := "input"
	if t.layer > 0 {
		from = t.net.LayerName(t.layer - 1)
	}
	ch := t.channel()
	switch l := t.net.Layers[t.layer].(type) {
	case *nn.Conv2D:
		cell := l.Explain(in, t.row, t.col, ch)
		return st.Muted.Render(views.Truncate(fmt.Sprintf("value = bias + Σ field·kernel over %d×%d×%d of %s", l.K, l.K, cell.InC, from), w)) + "\n" +
			views.ConvMath(cell, v, w, h-1, st)
	case *nn.BatchNorm2D:
		x := in[(t.row*s.W+t.col)*s.C+ch]
		return views.BatchNormMath(from, float64(x), float64(l.RunningMean[ch]), float64(l.RunningVar[ch]), l.Eps,
			float64(l.Gamma.W[ch]), float64(l.Beta.W[ch]), v, w, h, st)
	case *nn.ReLU:
		return views.ReLUMath(from, float64(in[(t.row*s.W+t.col)*s.C+ch]), v, w, h, st)
	case *nn.MaxPool2D:
		is := l.In()
		win := make([]float32, 4)
		for dy := range 2 {
			for dx := range 2 {
				win[dy*2+dx] = in[((2*t.row+dy)*is.W+2*t.col+dx)*is.C+ch]
			}
		}
		return views.PoolMath(from, win, 2, 2*t.row, 2*t.col, v, w, h, st)
	}
	return ""
}

// kernelGrid is the kernels view: the selected output channel's kernel per
// input channel, in input-channel order.
func (t *layersTab) kernelGrid(l layersLayout, st views.Styles) (string, string) {
	conv, i := t.convFor()
	ch := t.channel()
	inC := conv.In().C
	order := make([]int, inC)
	for c := range order {
		order[c] = c
	}
	ks, caps := splitKernel(conv.Kernel(ch), conv.K, inC, order)
	first := t.kernelFirst()
	var scale float32 // the same colour scale on every page
	for _, v := range conv.Kernel(ch) {
		scale = max(scale, float32(math.Abs(float64(v))))
	}
	grid, kl := views.Kernels(ks[first:], conv.K, caps[first:], scale, l.rw, l.bodyH, st)
	of := ""
	if i != t.layer {
		of = " made by " + t.net.LayerName(i)
	}
	info := st.Text.Render(fmt.Sprintf("kernels of channel %d%s", ch, of)) +
		st.Muted.Render(fmt.Sprintf(" (bias %+.4f) · inputs %d–%d of %d · blue<0<red", conv.Bias.W[ch], first, first+min(inC-first, kl.PerPage())-1, inC))
	return info, grid
}

// hints is the line of the tab's keys.
func (t *layersTab) hints(st views.Styles) string {
	var hs [][2]string
	switch {
	case t.zoom:
		hs = [][2]string{{"←↓↑→", "cell"}, {"[ ]", "channel"}, {"enter", "back"}, {"n", "shading"}, {"g", "saliency"}}
	case t.kernels:
		hs = [][2]string{{"[ ]", "channel"}, {"w", "maps"}, {"↑↓", "layer"}, {"g", "saliency"}}
	default:
		hs = [][2]string{{"↑↓", "layer"}, {"←→", "page"}, {"[ ]", "channel"}, {"enter", "zoom"}, {"n", "shading"}, {"g", "saliency"}, {"w", "kernels"}}
	}
	if len(t.rs.watch.snaps) > 0 {
		hs = append(hs, [2]string{", .", "time"}, [2]string{"P", "play"})
	}
	return keyHints(hs, t.w, st)
}

// keyHints draws "key what" pairs on one line of at most w cells, dropping
// those that do not fit.
func keyHints(hs [][2]string, w int, st views.Styles) string {
	var b strings.Builder
	used := 0
	for _, h := range hs {
		s := st.Accent.Render(h[0]) + " " + st.Muted.Render(h[1])
		sw := lipgloss.Width(h[0]) + 1 + lipgloss.Width(h[1])
		if used > 0 {
			sw += 2
		}
		if used+sw > w {
			break
		}
		if used > 0 {
			b.WriteString("  ")
		}
		b.WriteString(s)
		used += sw
	}
	return b.String()
}

// click handles a mouse click in the tab: a layer in the list, a tile of the
// grid (a second click zooms it), a unit of a strip, or a cell of the zoom.
func (t *layersTab) click(msg tea.MouseClickMsg) {
	if msg.Button != tea.MouseLeft || t.net == nil {
		return
	}
	l := t.layout()
	x, y := msg.X, msg.Y
	if l.listH > 0 && x >= l.listX && x < l.listX+l.listW && y > l.listY && y < l.listY+l.listH {
		i := views.LayerListTop(len(t.net.Layers), t.layer, l.listH) + y - l.listY - 1
		if i >= 0 && i < len(t.net.Layers) && i != t.layer {
			t.moveLayer(i - t.layer)
		}
		return
	}
	if x < l.rx || x >= l.rx+l.rw || y < l.bodyY || y >= l.bodyY+l.bodyH || !t.current() || t.kernels {
		return
	}
	x, y = x-l.rx, y-l.bodyY
	s := t.layerShape()
	switch {
	case t.zoom:
		sc := t.zoomMapScale(l)
		c := x / sc
		r0, r1 := 2*y/sc, (2*y+1)/sc
		if c >= s.W || r0 >= s.H {
			return
		}
		r := r0
		if r1 != r0 && r1 < s.H && t.row == r0 && t.col == c {
			r = r1 // a second click on a line of two rows picks the lower
		}
		t.row, t.col = r, c
	case t.spatial():
		gl := views.FeatureGridSize(s.H, s.W, s.C, l.rw, l.bodyH)
		step := gl.TileW + 1
		col, row := x/step, y/gl.TileH
		if x%step >= gl.TileW || col >= gl.Cols || row >= gl.Rows {
			return
		}
		i := t.first() + row*gl.Cols + col
		switch {
		case i >= s.C:
		case i == t.channel():
			t.openZoom()
		default:
			t.ch = i
		}
	case !t.isOutput():
		sl := views.FeatureStripSize(s.C, l.rw, l.bodyH)
		i := t.first() + y/sl.BandH*sl.PerBand + x
		if y%sl.BandH != sl.BandH-1 && i < s.C && x < sl.PerBand {
			t.ch = i
		}
	}
}
