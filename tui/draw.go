package tui

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"convscope/internal/snapshot"
	"convscope/mnist"
	"convscope/nn"
	"convscope/views"
)

// The canvas is MNIST-sized.
const drawSide = mnist.Side

// Brushes, in pixels from the brush's centre: full strength within the
// inner radius, fading to nothing at the outer one.
const (
	penInner, penOuter     = 0.8, 1.9
	eraserInner, eraserOut = 1.5, 2.6
	strokeStep             = 0.5 // stamps along a stroke, in pixels
	undoDepth              = 30
)

// drawKeys are the Draw tab's own keys; the arrows and enter are the
// program's (keyMap). Space and s belong to the program (pause, save).
type drawKeys struct {
	Paint, Erase, Pen, Clear, Undo key.Binding
}

func newDrawKeys() drawKeys {
	return drawKeys{
		Paint: key.NewBinding(key.WithKeys("space", "p"), key.WithHelp("space/p", "paint at the cursor")),
		Erase: key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "erase at the cursor")),
		Pen:   key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "pen down/up: the arrows draw as they move")),
		Clear: key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "clear the canvas")),
		Undo:  key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "undo the last stroke")),
	}
}

// drawTab is a 28×28 canvas to draw a digit on with the mouse or the keys.
// Beside it: the drawing preprocessed as MNIST's digits were (see
// mnist.Preprocess), which is what the network sees, and the network's
// probabilities, recomputed as the drawing changes. enter sends the
// preprocessed digit to the Layers tab.
//
// Predictions run in commands on a clone of the latest network, at most one
// at a time: changes while one runs are coalesced into the next.
type drawTab struct {
	keys keyMap
	own  drawKeys
	w, h int

	canvas []uint8 // drawSide², 0 paper .. 255 ink
	proc   []uint8 // canvas preprocessed, drawSide²
	blank  bool    // nothing drawn
	undo   [][]uint8
	cr, cc int  // the keyboard cursor
	pen    bool // the arrows paint
	// The mouse stroke in progress: its last point in pixels, and whether
	// it erases.
	stroking bool
	sy, sx   float64
	erasing  bool

	rs      *runState // the latest network is rs.net; never run: commands clone it
	version int       // counts changes to the drawing
	busy    bool
	probs   []float32 // the prediction for drawing predVer under network predNet
	predVer int
	predNet int
	note    string

	// The replay: how each snapshot of the run reads drawing replayVer
	// (replayN snapshots), computed in a command of its own.
	replay     []replayRow
	replayVer  int
	replayN    int
	replayPath []string // the snapshot of each row
	replayBusy bool
}

// replayRow is how one snapshot reads the drawing.
type replayRow struct {
	label string // the snapshot's short label, e.g. "e1 b10"
	pred  int
	conf  float32
}

func newDrawTab(keys keyMap, rs *runState) *drawTab {
	t := &drawTab{keys: keys, own: newDrawKeys(), rs: rs, canvas: make([]uint8, drawSide*drawSide),
		blank: true, cr: drawSide / 2, cc: drawSide / 2, predVer: -1}
	t.proc = mnist.Preprocess(t.canvas, drawSide, drawSide)
	return t
}

func (t *drawTab) Title() string    { return "Draw" }
func (t *drawTab) ExactSize() bool  { return true }
func (t *drawTab) SetSize(w, h int) { t.w, t.h = w, h }

// KeyHelp lists the tab's own keys.
func (t *drawTab) KeyHelp() []key.Binding {
	move := key.NewBinding(key.WithKeys("up", "down", "left", "right"), key.WithHelp("←↓↑→", "move the cursor (or h j k l)"))
	open := t.keys.Open
	open.SetHelp("enter", "follow the digit through the network on the Layers tab")
	mouse := key.NewBinding(key.WithKeys("mouse"), key.WithHelp("mouse", "left button draws, right button erases"))
	tk := newTimeKeys()
	return []key.Binding{mouse, move, t.own.Paint, t.own.Erase, t.own.Pen, t.own.Clear, t.own.Undo, open, tk.Earlier, tk.Later, tk.Play}
}

// drawPredMsg is a prediction for version ver of the drawing.
type drawPredMsg struct {
	ver, netID int
	probs      []float32
}

// drawReplayMsg is the replay of version ver of the drawing through n
// snapshots, with the snapshots the command loaded (the root keeps them).
type drawReplayMsg struct {
	ver, n int
	rows   []replayRow
	paths  []string
	loaded map[string]*snapNet
	err    error
}

func (t *drawTab) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case drawPredMsg:
		t.busy = false
		t.probs, t.predVer, t.predNet = msg.probs, msg.ver, msg.netID
	case drawReplayMsg:
		t.replayBusy = false
		if msg.err != nil {
			t.note = "replay: " + msg.err.Error()
		}
		t.replay, t.replayVer, t.replayN, t.replayPath = msg.rows, msg.ver, msg.n, msg.paths
	case tea.KeyPressMsg:
		if cmd := t.key(msg); cmd != nil {
			return tea.Batch(cmd, t.next())
		}
	case tea.MouseClickMsg:
		t.mouseDown(msg.Mouse())
	case tea.MouseMotionMsg:
		t.mouseDrag(msg.Mouse())
	case tea.MouseReleaseMsg:
		t.stroking = false
	}
	return tea.Batch(t.next(), t.nextReplay())
}

// usesTimeline: the tab reads the drawing with the network at the
// timeline's moment.
func (t *drawTab) usesTimeline() {}

// next starts a prediction when none runs and the one shown is out of date.
func (t *drawTab) next() tea.Cmd {
	shown, shownID := t.rs.shown()
	if t.busy || shown == nil || t.blank || (t.predVer == t.version && t.predNet == shownID) {
		return nil
	}
	if in := shown.Input; in.H != drawSide || in.W != drawSide || in.C != 1 {
		return nil
	}
	t.busy = true
	net, ver, netID := shown, t.version, shownID
	px := append([]uint8(nil), t.proc...)
	return func() tea.Msg {
		c := net.Clone()
		logits := c.Forward(nn.ImageInput(px), 1, false)
		return drawPredMsg{ver: ver, netID: netID, probs: nn.Softmax(logits)}
	}
}

// nextReplay starts the replay of the drawing through the run's snapshots
// when none runs and the one shown is out of date.
func (t *drawTab) nextReplay() tea.Cmd {
	snaps := t.rs.watch.snaps
	if t.replayBusy || t.blank || len(snaps) == 0 || (t.replayVer == t.version && t.replayN == len(snaps)) {
		return nil
	}
	t.replayBusy = true
	have := make(map[string]*nn.Net, len(snaps))
	for _, s := range snaps {
		if sn := t.rs.time.nets[s.Path]; sn != nil {
			have[s.Path] = sn.net
		}
	}
	list := slices.Clone(snaps)
	ver := t.version
	px := append([]uint8(nil), t.proc...)
	return func() tea.Msg {
		msg := drawReplayMsg{ver: ver, n: len(list), loaded: map[string]*snapNet{}}
		for _, s := range list {
			net := have[s.Path]
			if net == nil {
				n, info, err := snapshot.Load(s.Path)
				if err != nil {
					msg.err = err
					continue
				}
				net = n
				msg.loaded[s.Path] = &snapNet{net: n, info: info, acc: info.TestAcc, accOK: info.HasAcc}
			}
			in := net.Input
			if in.H != drawSide || in.W != drawSide || in.C != 1 {
				continue
			}
			logits := net.Clone().Forward(nn.ImageInput(px), 1, false)
			probs, pred := nn.Softmax(logits), nn.Predict(logits)
			msg.rows = append(msg.rows, replayRow{label: s.Short(), pred: pred, conf: probs[pred]})
			msg.paths = append(msg.paths, s.Path)
		}
		return msg
	}
}

// changed records a change to the canvas: the preprocessed image follows.
func (t *drawTab) changed() {
	t.version++
	t.proc = mnist.Preprocess(t.canvas, drawSide, drawSide)
	_, _, _, _, ink := mnist.BoundingBox(t.canvas, drawSide, drawSide)
	t.blank = !ink
	t.note = ""
}

// pushUndo keeps the canvas as it is before a stroke.
func (t *drawTab) pushUndo() {
	t.undo = append(t.undo, append([]uint8(nil), t.canvas...))
	if len(t.undo) > undoDepth {
		t.undo = t.undo[1:]
	}
}

// stamp paints (or erases) with the brush centred at (y, x), in pixels.
func (t *drawTab) stamp(y, x float64, erase bool) {
	inner, outer := penInner, penOuter
	if erase {
		inner, outer = eraserInner, eraserOut
	}
	for r := max(0, int(y-outer)); r <= min(drawSide-1, int(y+outer)); r++ {
		for c := max(0, int(x-outer)); c <= min(drawSide-1, int(x+outer)); c++ {
			d := math.Hypot(float64(r)+0.5-y, float64(c)+0.5-x)
			a := math.Max(0, math.Min(1, (outer-d)/(outer-inner)))
			if a == 0 {
				continue
			}
			i := r*drawSide + c
			if erase {
				t.canvas[i] = min(t.canvas[i], uint8(math.Round(255*(1-a))))
			} else {
				t.canvas[i] = max(t.canvas[i], uint8(math.Round(255*a)))
			}
		}
	}
}

// line stamps from (y0, x0) to (y1, x1), every strokeStep pixels.
func (t *drawTab) line(y0, x0, y1, x1 float64, erase bool) {
	n := max(1, int(math.Ceil(math.Hypot(y1-y0, x1-x0)/strokeStep)))
	for i := 1; i <= n; i++ {
		f := float64(i) / float64(n)
		t.stamp(y0+(y1-y0)*f, x0+(x1-x0)*f, erase)
	}
}

func (t *drawTab) key(msg tea.KeyPressMsg) tea.Cmd {
	k, o := t.keys, t.own
	move := func(dr, dc int) {
		r, c := max(0, min(drawSide-1, t.cr+dr)), max(0, min(drawSide-1, t.cc+dc))
		if t.pen && (r != t.cr || c != t.cc) {
			t.line(float64(t.cr)+0.5, float64(t.cc)+0.5, float64(r)+0.5, float64(c)+0.5, false)
			t.changed()
		}
		t.cr, t.cc = r, c
	}
	switch {
	case key.Matches(msg, k.Up):
		move(-1, 0)
	case key.Matches(msg, k.Down):
		move(1, 0)
	case key.Matches(msg, k.Left):
		move(0, -1)
	case key.Matches(msg, k.Right):
		move(0, 1)
	case key.Matches(msg, o.Paint):
		t.pushUndo()
		t.stamp(float64(t.cr)+0.5, float64(t.cc)+0.5, false)
		t.changed()
	case key.Matches(msg, o.Erase):
		t.pushUndo()
		t.stamp(float64(t.cr)+0.5, float64(t.cc)+0.5, true)
		t.changed()
	case key.Matches(msg, o.Pen):
		t.pen = !t.pen
		if t.pen {
			t.pushUndo()
			t.stamp(float64(t.cr)+0.5, float64(t.cc)+0.5, false)
			t.changed()
		}
	case key.Matches(msg, o.Clear):
		if !t.blank {
			t.pushUndo()
			clear(t.canvas)
			t.changed()
		}
	case key.Matches(msg, o.Undo):
		if n := len(t.undo); n > 0 {
			copy(t.canvas, t.undo[n-1])
			t.undo = t.undo[:n-1]
			t.changed()
		}
	case key.Matches(msg, k.Open):
		if t.blank {
			t.note = "draw a digit first"
			return nil
		}
		return goTo(tabLayers, inspectMsg{
			Pixels: append([]uint8(nil), t.proc...),
			Rows:   drawSide, Cols: drawSide, Label: -1, Source: "drawn",
		})
	}
	return nil
}

// drawLayout is where the Draw tab puts its parts, in tab coordinates.
type drawLayout struct {
	big    bool // two cells per pixel
	border bool // a frame around the canvas
	title  bool // a line above the canvas
	cx, cy int  // the canvas's first cell (inside the frame)
	cw, ch int  // the canvas's size in cells
	px     int  // the column of the preprocessed digit and the prediction
	probsX int  // the column of the probabilities
	probsY int  // their first line
	probsW int
	hintY  int // the line of key hints; -1 for none
}

func (t *drawTab) layout() drawLayout {
	l := drawLayout{hintY: -1}
	h := t.h
	if h >= 18 {
		l.hintY = h - 1
		h--
		l.title = true
	}
	l.big = h >= drawSide+3 && t.w >= 2*drawSide+2+2+drawSide+2+20
	l.cw, l.ch = views.CanvasSize(drawSide, drawSide, l.big)
	l.border = h >= l.ch+2+b2i(l.title)
	l.cx, l.cy = b2i(l.border), b2i(l.border)+b2i(l.title)
	l.px = l.cw + 2*b2i(l.border) + layersGap
	right := t.w - l.px
	// The preprocessed digit, and the probabilities beside it or below.
	if right >= drawSide+layersGap+18 && !l.big {
		l.probsX, l.probsY, l.probsW = l.px+drawSide+layersGap, b2i(l.title), right-drawSide-layersGap
	} else {
		l.probsX, l.probsY, l.probsW = l.px, b2i(l.title)+drawSide/2, right
		if h-l.probsY >= 12 { // room for a blank line above the bars
			l.probsY++
		}
	}
	l.probsW = min(l.probsW, 50)
	return l
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// cell converts a mouse position to the canvas's pixel coordinates: the
// centre of the pixel (or, in half blocks, of the pixel pair) under it.
func (t *drawTab) cell(x, y int) (py, px float64) {
	l := t.layout()
	x, y = x-l.cx, y-l.cy
	if l.big {
		return float64(y) + 0.5, float64(x/2) + 0.5
	}
	return float64(2*y) + 1, float64(x) + 0.5
}

// inside reports whether a mouse position is on the canvas.
func (t *drawTab) inside(x, y int) bool {
	l := t.layout()
	return x >= l.cx && x < l.cx+l.cw && y >= l.cy && y < l.cy+l.ch
}

func (t *drawTab) mouseDown(m tea.Mouse) {
	if (m.Button != tea.MouseLeft && m.Button != tea.MouseRight) || !t.inside(m.X, m.Y) {
		return
	}
	t.pushUndo()
	t.stroking, t.erasing = true, m.Button == tea.MouseRight
	t.sy, t.sx = t.cell(m.X, m.Y)
	t.stamp(t.sy, t.sx, t.erasing)
	t.changed()
}

func (t *drawTab) mouseDrag(m tea.Mouse) {
	if m.Button != tea.MouseLeft && m.Button != tea.MouseRight {
		t.stroking = false
		return
	}
	if !t.stroking { // a drag that came in from outside the canvas
		t.mouseDown(m)
		return
	}
	y, x := t.cell(m.X, m.Y)
	t.line(t.sy, t.sx, y, x, t.erasing)
	t.sy, t.sx = y, x
	t.changed()
}

// current reports whether the prediction shown is for the drawing as it is.
func (t *drawTab) current() bool {
	_, id := t.rs.shown()
	return t.probs != nil && t.predVer == t.version && t.predNet == id
}

func (t *drawTab) View(st views.Styles) string {
	if t.w <= 0 || t.h <= 0 {
		return ""
	}
	l := t.layout()
	lines := make(screen, t.h)
	put := lines.put
	cr, cc := t.cr, t.cc
	canvas := views.Canvas(t.canvas, drawSide, drawSide, cr, cc, l.big, st)
	if l.border {
		frame := st.Border
		if t.pen {
			frame = st.Warn
		}
		canvas = lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(frame.GetForeground()).Render(canvas)
	}
	top := 0
	if l.title {
		title := st.Title.Render("Draw a digit")
		if t.pen {
			title += st.Warn.Render(" · pen down")
		}
		put(0, 0, l.px, 1, title)
		top = 1
	}
	put(0, top, l.cw+2*b2i(l.border), l.ch+2*b2i(l.border), canvas)

	right := t.w - l.px
	if l.title {
		put(l.px, 0, min(right, drawSide), 1, st.Muted.Render("what the network sees"))
	}
	put(l.px, top, min(right, drawSide), drawSide/2, views.Digit(t.proc, drawSide, drawSide, st))
	ph := max(0, t.h-l.probsY-b2i(l.hintY >= 0))
	put(l.probsX, l.probsY, l.probsW, ph, t.predView(l.probsW, ph, st))
	if l.hintY >= 0 {
		if t.note != "" {
			lines[l.hintY] = st.Warn.Render(t.note)
		} else {
			lines[l.hintY] = keyHints([][2]string{{"mouse", "draw"}, {"←↓↑→", "move"}, {"space", "paint"}, {"x", "erase"},
				{"d", "pen"}, {"c", "clear"}, {"u", "undo"}, {"enter", "layers"}}, t.w, st)
		}
	}
	return lines.render(t.w, t.h)
}

// predView is the prediction: the class and the probability bars.
func (t *drawTab) predView(w, h int, st views.Styles) string {
	shown, _ := t.rs.shown()
	switch {
	case shown == nil && len(t.rs.watch.snaps) > 0:
		return st.Muted.Render(views.Wrap("No network yet: press , to read the drawing with a snapshot of the run, or wait for epoch 1 to end.", w))
	case shown == nil:
		return st.Muted.Render(views.Wrap("No network yet: predictions start when epoch 1 ends, or pause training (space) for a copy of the network as it is.", w))
	case t.blank:
		return st.Muted.Render(views.Wrap("Draw a digit: the network's guess appears here as you draw.", w))
	case t.probs == nil:
		return st.Muted.Render("reading…")
	}
	pred := 0
	for i, p := range t.probs {
		if p > t.probs[pred] {
			pred = i
		}
	}
	head := st.Title.Render(fmt.Sprintf("it reads %d", pred)) + st.Muted.Render(fmt.Sprintf(" (%.1f%%)", 100*t.probs[pred]))
	if !t.current() {
		head += st.Muted.Render(" …")
	}
	// No true class: Probs would mark the answer as wrong, so mark nothing.
	out := head + "\n" + views.Probs(t.probs, nil, -1, -1, w, st)
	if len(t.rs.watch.snaps) > 0 {
		out += "\n\n" + t.replayView(w, h-strings.Count(out, "\n")-2, st)
	}
	return out
}

// replayView is the timeline's line and how each snapshot read the drawing:
// one row per snapshot, the one shown marked.
// At most h lines: when the rows do not fit, those around the snapshot
// shown (the latest, while live).
func (t *drawTab) replayView(w, h int, st views.Styles) string {
	var b strings.Builder
	b.WriteString(views.Truncate(st.Accent.Render("⏱ ")+st.Muted.Render(t.rs.timeHeading()), w))
	if len(t.replay) == 0 || h < 3 {
		return b.String()
	}
	cur := t.rs.time.cur
	at := len(t.replay) - 1
	for i, p := range t.replayPath {
		if p == cur {
			at = i
		}
	}
	rows := h - 2
	from := max(0, min(at-rows/2, len(t.replay)-rows))
	to := min(len(t.replay), from+rows)
	what := "how the run read it over training:"
	if from > 0 || to < len(t.replay) {
		what = fmt.Sprintf("how the run read it (snapshots %d-%d of %d):", from+1, to, len(t.replay))
	}
	b.WriteString("\n" + st.Muted.Render(views.Truncate(what, w)))
	barW := max(4, min(20, w-22))
	for i := from; i < to; i++ {
		r := t.replay[i]
		mark := "  "
		if i < len(t.replayPath) && t.replayPath[i] == cur && cur != "" {
			mark = st.Accent.Render("▶ ")
		}
		bar := views.Bar(float64(r.conf), barW, st)
		line := fmt.Sprintf("%s%-8s %s %s %5.1f%%", mark, r.label, st.Title.Render(fmt.Sprint(r.pred)), bar, 100*r.conf)
		b.WriteString("\n" + views.Truncate(line, w))
	}
	return b.String()
}

// claimsKey takes space from the root (where it pauses training): on the
// canvas it paints, as the brush's key.
func (t *drawTab) claimsKey(msg tea.KeyPressMsg) bool { return msg.String() == "space" }
