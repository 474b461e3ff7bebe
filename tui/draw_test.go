package tui

import (
	"math"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"convscope/mnist"
	"convscope/nn"
	"convscope/views"
)

// drawModel is the root model on the Draw tab.
func drawModel(t *testing.T, w, h int) (*model, *drawTab, func(tea.Msg)) {
	t.Helper()
	m, _, dt := inspectModel(t, w, h)
	update := func(msg tea.Msg) tea.Cmd { _, c := m.Update(msg); return c }
	send := func(msg tea.Msg) { runCmds(t, update, update(msg)) }
	send(keyOf("6"))
	return m, dt, send
}

// ink is the canvas pixel at row r, column c.
func (t *drawTab) ink(r, c int) uint8 { return t.canvas[r*drawSide+c] }

// TestDrawMouseHalfBlocks checks a click inks exactly the two pixels of the
// cell under it (a cell is a pixel above another), a drag draws a line, the
// right button erases, and positions are those of the root's screen.
func TestDrawMouseHalfBlocks(t *testing.T) {
	m, dt, send := drawModel(t, 80, 24)
	l := dt.layout()
	if l.big || !l.border || !l.title {
		t.Fatalf("layout at 80x24 %+v: want half blocks in a frame under a title", l)
	}
	// The cell of pixel column 10, pixel rows 8 and 9.
	x, y := l.cx+10, m.bodyTop()+l.cy+4
	send(tea.MouseClickMsg{X: x, Y: y, Button: tea.MouseLeft})
	if dt.ink(8, 10) != 255 || dt.ink(9, 10) != 255 {
		t.Errorf("after a click the pixels under it are %d and %d, want 255", dt.ink(8, 10), dt.ink(9, 10))
	}
	for _, p := range [][2]int{{5, 10}, {12, 10}, {8, 13}, {9, 7}} {
		if v := dt.ink(p[0], p[1]); v != 0 {
			t.Errorf("pixel %v, outside the brush, is %d", p, v)
		}
	}
	send(tea.MouseMotionMsg{X: x + 8, Y: y, Button: tea.MouseLeft})
	for c := 10; c <= 18; c++ {
		if dt.ink(8, c) != 255 {
			t.Errorf("after a drag to column 18 pixel (8, %d) is %d, want 255", c, dt.ink(8, c))
		}
	}
	send(tea.MouseReleaseMsg{X: x + 8, Y: y, Button: tea.MouseLeft})
	send(tea.MouseMotionMsg{X: x + 8, Y: y + 5}) // no button: nothing
	if dt.ink(18, 18) != 0 {
		t.Error("a move without a button drew")
	}
	send(tea.MouseClickMsg{X: x + 4, Y: y, Button: tea.MouseRight})
	if dt.ink(8, 14) != 0 || dt.ink(9, 14) != 0 {
		t.Errorf("a right click should erase: pixels (8, 14), (9, 14) are %d, %d", dt.ink(8, 14), dt.ink(9, 14))
	}
	if dt.ink(8, 10) != 255 {
		t.Error("the eraser reached too far")
	}
	before := append([]uint8(nil), dt.canvas...)
	send(tea.MouseClickMsg{X: l.cx + drawSide + 3, Y: y, Button: tea.MouseLeft}) // beside the canvas
	if string(before) != string(dt.canvas) {
		t.Error("a click beside the canvas drew")
	}
}

// TestDrawMouseBig checks the big canvas: a pixel is two cells wide and a
// line high.
func TestDrawMouseBig(t *testing.T) {
	m, dt, send := drawModel(t, 130, 40)
	l := dt.layout()
	if !l.big {
		t.Fatalf("layout at 130x40 %+v: want the big canvas", l)
	}
	send(tea.MouseClickMsg{X: l.cx + 2*12 + 1, Y: m.bodyTop() + l.cy + 7, Button: tea.MouseLeft})
	if dt.ink(7, 12) != 255 {
		t.Errorf("a click on the right half of pixel (7, 12) leaves it at %d", dt.ink(7, 12))
	}
	if dt.ink(7, 14) != 0 || dt.ink(9, 12) != 0 {
		t.Error("the brush reached two pixels away")
	}
}

func TestDrawKeys(t *testing.T) {
	dt := newDrawTab(newKeyMap(), newRunState(Options{}))
	dt.SetSize(80, 19)
	pressKeys(t, dt, "p")
	if dt.ink(14, 14) != 255 || dt.blank {
		t.Fatalf("p at the starting cursor (14, 14) should paint it, got %d", dt.ink(14, 14))
	}
	pressKeys(t, dt, "up", "k", "left", "h")
	if dt.cr != 12 || dt.cc != 12 {
		t.Errorf("↑ k ← h: cursor (%d, %d), want (12, 12)", dt.cr, dt.cc)
	}
	if dt.ink(12, 12) != 0 {
		t.Error("moving with the pen up drew")
	}
	pressKeys(t, dt, "d", "down", "down", "down", "down", "down", "down", "d")
	for r := 12; r <= 18; r++ {
		if dt.ink(r, 12) != 255 {
			t.Errorf("pen down, ↓×6: pixel (%d, 12) is %d, want 255", r, dt.ink(r, 12))
		}
	}
	pressKeys(t, dt, "down", "down")
	if dt.ink(20, 12) == 255 {
		t.Error("the pen is up again: moving should not draw")
	}
	pressKeys(t, dt, "up", "up", "x")
	if dt.ink(18, 12) != 0 {
		t.Errorf("x should erase under the cursor, left %d", dt.ink(18, 12))
	}
	pressKeys(t, dt, "u")
	if dt.ink(18, 12) != 255 {
		t.Error("u should undo the erasing")
	}
	pressKeys(t, dt, "c")
	if !dt.blank {
		t.Error("c should clear the canvas")
	}
	pressKeys(t, dt, "u")
	if dt.blank {
		t.Error("u should bring back what c cleared")
	}
	for range 40 {
		pressKeys(t, dt, "right")
	}
	if dt.cc != drawSide-1 {
		t.Errorf("the cursor left the canvas: column %d", dt.cc)
	}
}

// TestDrawPredicts checks the prediction is the network's on the
// preprocessed drawing, that changes while it runs are coalesced, and that
// the preprocessed image is MNIST's (see mnist.Preprocess).
func TestDrawPredicts(t *testing.T) {
	dt := newDrawTab(newKeyMap(), newRunState(Options{}))
	dt.SetSize(80, 19)
	if cmd := dt.Update(keyOf("p")); cmd != nil {
		t.Error("without a network nothing should run")
	}
	net := inspectNet(t)
	cmd := deliverTo(dt.rs, dt)(snapshotMsg{net: net})
	if cmd == nil {
		t.Fatal("a drawing and a network: a prediction should start")
	}
	if again := dt.Update(keyOf("right")); again != nil {
		t.Error("a cursor move changed nothing: no command")
	}
	if again := dt.Update(keyOf("p")); again != nil {
		t.Error("a second prediction started while one runs")
	}
	next := dt.Update(cmd())
	if dt.current() {
		t.Error("the prediction of the first drawing stands for the second")
	}
	if next == nil {
		t.Fatal("the drawing changed while predicting: another prediction should start")
	}
	dt.Update(next())
	if !dt.current() {
		t.Fatal("the second prediction should be current")
	}
	want := nn.Softmax(net.Clone().Forward(nn.ImageInput(mnist.Preprocess(dt.canvas, 28, 28)), 1, false))
	for i, p := range want {
		if dt.probs[i] != p {
			t.Errorf("probability %d = %v, want %v", i, dt.probs[i], p)
		}
	}
	cy, cx, _ := mnist.CenterOfMass(dt.proc, 28, 28)
	if math.Abs(cy-14) > 0.5 || math.Abs(cx-14) > 0.5 {
		t.Errorf("the preprocessed drawing's centre of mass is (%.2f, %.2f), want (14, 14) ± 0.5", cy, cx)
	}
}

// TestDrawEnterInspects checks enter sends the preprocessed drawing to the
// Layers tab and shows it.
func TestDrawEnterInspects(t *testing.T) {
	m, dt, send := drawModel(t, 80, 24)
	send(keyOf("enter"))
	if m.active != tabDraw || !strings.Contains(ansi.Strip(content(m)), "draw a digit first") {
		t.Errorf("enter on a blank canvas should stay and say why:\n%s", ansi.Strip(content(m)))
	}
	dt.line(6, 7, 6, 21, false)
	dt.line(6, 21, 23, 12, false)
	dt.changed()
	send(keyOf("enter"))
	lt := m.tabs[tabLayers].(*layersTab)
	if m.active != tabLayers {
		t.Fatalf("after enter the active tab is %d, want Layers", m.active)
	}
	if lt.img == nil || string(lt.img.Pixels) != string(dt.proc) || lt.img.Label != -1 || lt.img.Source != "drawn" {
		t.Fatalf("Layers got %+v, want the preprocessed drawing", lt.img)
	}
	if !lt.current() {
		t.Error("Layers did not compute the drawing's activations")
	}
	checkScreen(t, m, 80, 24)
}

func TestDrawView(t *testing.T) {
	net := inspectNet(t)
	cases := []struct {
		name string
		w, h int
		net  bool
		draw bool
		prof colorprofile.Profile
	}{
		{"blank_no_network_80x19", 80, 19, false, false, colorprofile.TrueColor},
		{"seven_80x19", 80, 19, true, true, colorprofile.TrueColor},
		{"seven_60x15", 60, 15, true, true, colorprofile.TrueColor},
		{"seven_big_130x35", 130, 35, true, true, colorprofile.TrueColor},
		{"seven_Ascii", 80, 19, true, true, colorprofile.Ascii},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dt := newDrawTab(newKeyMap(), newRunState(Options{}))
			dt.SetSize(c.w, c.h)
			if c.net {
				runCmds(t, dt.Update, deliverTo(dt.rs, dt)(snapshotMsg{net: net}))
			}
			if c.draw {
				dt.line(6, 7, 6, 21, false)
				dt.line(6, 21, 23, 12, false)
				dt.changed()
				runCmds(t, dt.Update, dt.next())
			}
			out := dt.View(views.NewStyles(true, c.prof))
			checkTabBlock(t, out, c.w, c.h)
			golden.RequireEqual(t, out)
		})
	}
}

// TestDrawSpacePaints: on the Draw tab space paints (the key); on
// other tabs it still pauses training.
func TestDrawSpacePaints(t *testing.T) {
	m, ctl := newTestModel(t, 100, 30)
	send(m, press("6"))
	d, ok := m.tabs[tabDraw].(*drawTab)
	if !ok {
		t.Fatalf("tab %d is %T, want *drawTab", tabDraw, m.tabs[tabDraw])
	}
	inked := func() int {
		n := 0
		for _, v := range d.canvas {
			if v > 0 {
				n++
			}
		}
		return n
	}
	if inked() != 0 {
		t.Fatalf("canvas starts with ink")
	}
	send(m, press("space"))
	if ctl.pauses != 0 {
		t.Errorf("space on the Draw tab paused training")
	}
	if inked() == 0 {
		t.Errorf("space on the Draw tab did not paint")
	}
	send(m, press("1"))
	send(m, press("space"))
	if ctl.pauses != 1 {
		t.Errorf("space on the Train tab: %d pauses, want 1", ctl.pauses)
	}
}
