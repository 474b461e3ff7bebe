package tui

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"convscope/mnist"
	"convscope/nn"
	"convscope/views"
)

// inspectNet is an untrained paper network, the same in every run.
func inspectNet(t testing.TB) *nn.Net {
	t.Helper()
	n, err := nn.NewPaper(28, 28, 10, rand.New(rand.NewPCG(7, 7)))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// sevenPixels is a 7 drawn with the Draw tab's brush and preprocessed.
func sevenPixels() []uint8 {
	d := newDrawTab(newKeyMap(), newRunState(Options{}))
	d.line(6, 7, 6, 21, false)
	d.line(6, 21, 23, 12, false)
	return mnist.Preprocess(d.canvas, drawSide, drawSide)
}

// runCmds runs cmd and every command the messages lead to, in order, feeding
// each message to update. Batches and sequences run one command at a time.
func runCmds(t testing.TB, update func(tea.Msg) tea.Cmd, cmd tea.Cmd) {
	t.Helper()
	if cmd == nil {
		return
	}
	msg := cmd()
	if msg == nil {
		return
	}
	if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeFor[tea.Cmd]() {
		for i := range v.Len() {
			runCmds(t, update, v.Index(i).Interface().(tea.Cmd))
		}
		return
	}
	runCmds(t, update, update(msg))
}

// keyOf is a key press as the terminal sends it.
func keyOf(s string) tea.KeyPressMsg {
	switch s {
	case "left":
		return tea.KeyPressMsg{Code: tea.KeyLeft}
	case "right":
		return tea.KeyPressMsg{Code: tea.KeyRight}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	}
	r := []rune(s)[0]
	return tea.KeyPressMsg{Code: r, Text: s}
}

// layersWith is a Layers tab of w×h with net and the 7, its activations
// computed.
func layersWith(t testing.TB, net *nn.Net, w, h int) *layersTab {
	t.Helper()
	lt := newLayersTab(newKeyMap(), newRunState(Options{}))
	lt.SetSize(w, h)
	runCmds(t, lt.Update, deliverTo(lt.rs, lt)(snapshotMsg{net: net}))
	runCmds(t, lt.Update, lt.Update(inspectMsg{Pixels: sevenPixels(), Rows: 28, Cols: 28, Label: 7, Source: "test #0"}))
	if !lt.current() {
		t.Fatal("the activations were not computed")
	}
	return lt
}

// press sends keys to a tab and runs what follows.
func pressKeys(t testing.TB, tb tab, keys ...string) {
	t.Helper()
	for _, k := range keys {
		runCmds(t, tb.Update, tb.Update(keyOf(k)))
	}
}

// TestLayersShowsRealActivations checks the values the tab shows, for every
// layer and channel, are those of a direct ForwardTrace of the network.
func TestLayersShowsRealActivations(t *testing.T) {
	net := inspectNet(t)
	lt := layersWith(t, net, 120, 35)
	want := net.Clone().ForwardTrace(nn.ImageInput(sevenPixels()), 1)
	for i := range net.Layers {
		lt.layer = i
		f := lt.maps()
		if len(f.Values) != len(want[i]) {
			t.Fatalf("%s: %d values, want %d", net.LayerName(i), len(f.Values), len(want[i]))
		}
		for c := range f.C {
			got := f.Channel(c)
			for j, v := range got {
				if w := want[i][j*f.C+c]; v != w {
					t.Fatalf("%s channel %d value %d = %v, ForwardTrace gives %v", net.LayerName(i), c, j, v, w)
				}
			}
		}
	}
	if lt.tr.Pred != argmaxOf(lt.tr.Probs) || len(lt.tr.Probs) != 10 {
		t.Errorf("prediction %d of %v", lt.tr.Pred, lt.tr.Probs)
	}
}

func argmaxOf(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// handNet is a 28×28 network whose first layer is a 3×3 convolution with
// every weight 1 and bias 0.5 in channel 0 (channel 1: weights 2, bias -1),
// then a flatten and a dense layer.
func handNet() *nn.Net {
	rng := rand.New(rand.NewPCG(1, 1))
	in := nn.Shape{H: 28, W: 28, C: 1}
	conv := nn.NewConv2D(in, 2, 3, rng)
	for i := range conv.Weight.W {
		conv.Weight.W[i] = float32(1 + i%2)
	}
	conv.Bias.W[0], conv.Bias.W[1] = 0.5, -1
	fl := nn.NewFlatten(conv.Out())
	d := nn.NewDense(fl.Out(), 10, rng)
	n := &nn.Net{Name: "hand", Input: in, Layers: []nn.Layer{conv, fl, d}}
	n.SetEngine(nil)
	return n
}

// TestLayersConvArithmetic checks the zoom's arithmetic on a hand-computed
// case: a block of ink pixels (255, input 1) under a kernel of ones.
func TestLayersConvArithmetic(t *testing.T) {
	px := make([]uint8, 28*28)
	for r := 10; r < 13; r++ {
		for c := 5; c < 7; c++ {
			px[r*28+c] = 255 // a 3×2 block: rows 10-12, columns 5-6
		}
	}
	lt := newLayersTab(newKeyMap(), newRunState(Options{}))
	lt.SetSize(120, 35)
	runCmds(t, lt.Update, deliverTo(lt.rs, lt)(snapshotMsg{net: handNet()}))
	runCmds(t, lt.Update, lt.Update(inspectMsg{Pixels: px, Rows: 28, Cols: 28, Label: -1, Source: "blocks"}))
	pressKeys(t, lt, "enter")
	if !lt.zoom {
		t.Fatal("enter did not zoom")
	}
	cases := []struct {
		row, col, ch int
		want         float64 // bias + Σ field·kernel, by hand
	}{
		{10, 5, 0, 0.5 + 6},  // the whole block under the kernel
		{9, 4, 0, 0.5 + 4},   // rows 9-11, columns 4-6: 2 rows × 2 columns of ink
		{11, 6, 0, 0.5 + 2},  // rows 11-13, columns 6-8: rows 11-12 of column 6
		{0, 0, 0, 0.5},       // no ink
		{10, 5, 1, -1 + 2*6}, // channel 1: weights 2, bias -1
	}
	for _, c := range cases {
		lt.row, lt.col, lt.ch = c.row, c.col, c.ch
		cell := lt.net.Layers[0].(*nn.Conv2D).Explain(lt.tr.LayerInput(0), c.row, c.col, c.ch)
		if cell.Sum != c.want {
			t.Errorf("Explain(%d, %d, %d).Sum = %v, want %v", c.row, c.col, c.ch, cell.Sum, c.want)
		}
		got := lt.tr.Outs[0][(c.row*26+c.col)*2+c.ch]
		if float64(got) != c.want {
			t.Errorf("the layer's value at (%d, %d, %d) = %v, want %v", c.row, c.col, c.ch, got, c.want)
		}
		out := ansi.Strip(lt.View(views.NewStyles(true, colorprofile.TrueColor)))
		for _, s := range []string{
			fmt.Sprintf("channel %d at (%d, %d) = %+.4f", c.ch, c.row, c.col, c.want),
			fmt.Sprintf("= value        %+.4f  layer %+.4f ✓", c.want, c.want),
			fmt.Sprintf("Σ field·kernel %+.4f", c.want-float64(cell.Bias)),
		} {
			if !strings.Contains(out, s) {
				t.Errorf("the zoom at (%d, %d, %d) lacks %q:\n%s", c.row, c.col, c.ch, s, out)
			}
		}
	}
}

// TestLayersZoomMatchesLayer checks, on the paper network, that the zoom's
// arithmetic adds up to the value each kind of layer gave.
func TestLayersZoomMatchesLayer(t *testing.T) {
	net := inspectNet(t)
	lt := layersWith(t, net, 120, 35)
	st := views.NewStyles(true, colorprofile.Ascii)
	for _, i := range []int{0, 1, 2, 3, 6, 7, 17} { // conv, BN, ReLU, conv over 32, pool, conv over 32, 1×1 conv
		lt.layer, lt.zoom = i, false
		pressKeys(t, lt, "]", "enter", "down", "right")
		if !lt.zoom {
			t.Fatalf("%s: enter did not zoom", net.LayerName(i))
		}
		out := ansi.Strip(lt.View(st))
		if !strings.Contains(out, "✓") || strings.Contains(out, "✗") {
			t.Errorf("%s: the arithmetic should match the layer's value:\n%s", net.LayerName(i), out)
		}
		if c, ok := net.Layers[i].(*nn.Conv2D); ok {
			s := lt.layerShape()
			cell := c.Explain(lt.tr.LayerInput(i), lt.row, lt.col, lt.channel())
			if v := lt.tr.Outs[i][(lt.row*s.W+lt.col)*s.C+lt.channel()]; !views.ConvMathMatch(cell.Sum, v) {
				t.Errorf("%s: bias + Σ = %v, the layer gave %v", net.LayerName(i), cell.Sum, v)
			}
		}
	}
}

func TestLayersKeys(t *testing.T) {
	net := inspectNet(t)
	lt := layersWith(t, net, 80, 18)
	per := lt.perPage()
	pressKeys(t, lt, "right")
	if lt.ch != per || lt.first() != per {
		t.Errorf("→: channel %d, first %d; want the next page at %d", lt.ch, lt.first(), per)
	}
	pressKeys(t, lt, "]", "]", "[")
	if lt.ch != per+1 {
		t.Errorf("] ] [: channel %d, want %d", lt.ch, per+1)
	}
	pressKeys(t, lt, "left")
	if lt.ch != 1 || lt.first() != 0 {
		t.Errorf("←: channel %d, first %d; want 1 on the first page", lt.ch, lt.first())
	}
	pressKeys(t, lt, "left", "left")
	if lt.ch != 0 {
		t.Errorf("← on the first page: channel %d, want 0", lt.ch)
	}
	pressKeys(t, lt, "down", "j")
	if lt.layer != 2 {
		t.Errorf("↓ j: layer %d, want 2", lt.layer)
	}
	pressKeys(t, lt, "up", "k", "k")
	if lt.layer != 0 {
		t.Errorf("↑ k k: layer %d, want 0", lt.layer)
	}
	pressKeys(t, lt, "n")
	if !lt.perChannel {
		t.Error("n did not shade per channel")
	}
	pressKeys(t, lt, "enter")
	if !lt.zoom {
		t.Fatal("enter did not zoom")
	}
	r, c := lt.row, lt.col
	pressKeys(t, lt, "down", "right", "right")
	if lt.row != min(25, r+1) || lt.col != min(25, c+2) || lt.layer != 0 {
		t.Errorf("zoomed ↓ → →: cell (%d, %d) layer %d, want (%d, %d) on layer 0", lt.row, lt.col, lt.layer, min(25, r+1), min(25, c+2))
	}
	pressKeys(t, lt, "esc")
	if lt.zoom {
		t.Error("esc did not leave the zoom")
	}
	pressKeys(t, lt, "w")
	if !lt.kernels {
		t.Error("w did not show the kernels")
	}
	pressKeys(t, lt, "w")
	for range len(net.Layers) {
		pressKeys(t, lt, "down")
	}
	if lt.layer != len(net.Layers)-1 || !lt.isOutput() {
		t.Errorf("↓ to the end: layer %d, want the last", lt.layer)
	}
	pressKeys(t, lt, "enter", "w")
	if lt.zoom || lt.kernels {
		t.Error("the output layer has neither a zoom nor kernels")
	}
}

// TestLayersSaliency checks g computes the input gradient of the predicted
// class's logit on the same network, and cycles through occlusion to off.
func TestLayersSaliency(t *testing.T) {
	net := inspectNet(t)
	lt := layersWith(t, net, 80, 18)
	pressKeys(t, lt, "g")
	if lt.salMode != salGradient || !lt.heatCurrent() {
		t.Fatalf("after g: mode %v, current %v; want the gradient computed", lt.salMode, lt.heatCurrent())
	}
	want := net.Clone().InputGradient(nn.ImageInput(sevenPixels()), lt.tr.Pred)
	for i, v := range want {
		if lt.heat[i] != v {
			t.Fatalf("saliency[%d] = %v, InputGradient gives %v", i, lt.heat[i], v)
		}
	}
	lt.salMode = salOcclusion // without computing it: slow under the race detector
	if lt.heatCurrent() {
		t.Error("a gradient map must not stand for occlusion")
	}
	lt.salMode = salGradient
	for _, want := range []saliency{salOcclusion, salOff, salGradient} {
		lt.key(keyOf("g")) // no command: occlusion is slow under the race detector
		if lt.salMode != want {
			t.Errorf("g: %v, want %v", lt.salMode, want)
		}
	}
}

// TestLayersNetworkArrives checks a tab that got an image before any network
// computes when one comes, and again for a newer one.
func TestLayersNetworkArrives(t *testing.T) {
	lt := newLayersTab(newKeyMap(), newRunState(Options{}))
	lt.SetSize(80, 18)
	st := views.NewStyles(true, colorprofile.TrueColor)
	if out := ansi.Strip(lt.View(st)); !strings.Contains(out, "No network yet") {
		t.Errorf("without a network the tab should say so:\n%s", out)
	}
	if cmd := lt.Update(inspectMsg{Pixels: sevenPixels(), Rows: 28, Cols: 28, Label: 7, Source: "test #3"}); cmd != nil {
		t.Error("without a network nothing can run")
	}
	net := inspectNet(t)
	cmd := deliverTo(lt.rs, lt)(epochMsg{net: net})
	if cmd == nil {
		t.Fatal("a network and an image: the tab should compute")
	}
	if again := deliverTo(lt.rs, lt)(snapshotMsg{net: net}); again != nil {
		t.Error("a second command started while one runs")
	}
	runCmds(t, lt.Update, cmd)
	if !lt.current() || lt.trNet != 2 {
		t.Errorf("after the results: current %v for network %d, want the second network's", lt.current(), lt.trNet)
	}
	lt2 := newLayersTab(newKeyMap(), newRunState(Options{}))
	lt2.SetSize(80, 18)
	runCmds(t, lt2.Update, deliverTo(lt2.rs, lt2)(snapshotMsg{net: net}))
	if out := ansi.Strip(lt2.View(st)); !strings.Contains(out, "Press enter on a digit in Samples") {
		t.Errorf("without an image the tab should say where to get one:\n%s", out)
	}
}

// TestLayersMouse drives the tab through the root model: a click selects a
// channel, a second click zooms it, a click in the zoom moves the cell, the
// wheel changes layers, and a click in the list picks a layer.
func TestLayersMouse(t *testing.T) {
	m, lt, _ := inspectModel(t, 80, 30)
	update := func(msg tea.Msg) tea.Cmd { _, c := m.Update(msg); return c }
	runCmds(t, update, update(inspectMsg{Pixels: sevenPixels(), Rows: 28, Cols: 28, Label: 7, Source: "test #0"}))
	runCmds(t, update, update(keyOf("5")))
	l := lt.layout()
	gl := views.FeatureGridSize(26, 26, 32, l.rw, l.bodyH)
	click := func(x, y int) {
		runCmds(t, update, update(tea.MouseClickMsg{X: x, Y: y + m.bodyTop(), Button: tea.MouseLeft}))
	}
	// The second tile of the first row.
	click(l.rx+gl.TileW+1+2, l.bodyY+1)
	if lt.ch != 1 || lt.zoom {
		t.Fatalf("a click on tile 1: channel %d, zoom %v; want channel 1 selected", lt.ch, lt.zoom)
	}
	click(l.rx+gl.TileW+1+2, l.bodyY+1)
	if !lt.zoom {
		t.Fatal("a second click on the selected tile should zoom it")
	}
	l = lt.layout()
	click(l.rx+7, l.bodyY+3) // scale 1: column 7, rows 6 and 7
	if lt.row != 6 || lt.col != 7 {
		t.Errorf("a click in the zoom at line 3, column 7: cell (%d, %d), want (6, 7)", lt.row, lt.col)
	}
	click(l.rx+7, l.bodyY+3)
	if lt.row != 7 || lt.col != 7 {
		t.Errorf("a second click there: cell (%d, %d), want the lower row (7, 7)", lt.row, lt.col)
	}
	runCmds(t, update, update(keyOf("esc")))
	runCmds(t, update, update(tea.MouseWheelMsg{X: 40, Y: m.bodyTop() + 5, Button: tea.MouseWheelDown}))
	if lt.layer != 1 {
		t.Errorf("the wheel down: layer %d, want 1", lt.layer)
	}
	l = lt.layout()
	if l.listH < 3 {
		t.Fatalf("layout %+v: the list should show at least two layers", l)
	}
	top := views.LayerListTop(len(lt.net.Layers), lt.layer, l.listH)
	click(l.listX+2, l.listY+1+(2-top))
	if lt.layer != 2 {
		t.Errorf("a click on relu_1 in the list: layer %d, want 2", lt.layer)
	}
}

// inspectModel is the root model with the Layers and Draw tabs in their
// places and a network, and no test images.
func inspectModel(t testing.TB, w, h int) (*model, *layersTab, *drawTab) {
	t.Helper()
	keys := newKeyMap()
	rs := newRunState(Options{})
	tabs := newTabs(keys, rs, nil)
	lt, dt := tabs[tabLayers].(*layersTab), tabs[tabDraw].(*drawTab)
	m := newModel(&fakeCtl{}, runInfo{cfg: testCfg}, rs, tabs)
	m.profile = colorprofile.TrueColor
	m.restyle()
	update := func(msg tea.Msg) tea.Cmd { _, c := m.Update(msg); return c }
	update(tea.WindowSizeMsg{Width: w, Height: h})
	runCmds(t, update, update(eventsMsg{snapshotMsg{net: inspectNet(t)}}))
	return m, lt, dt
}

// TestLayersView draws the tab's screens.
func TestLayersView(t *testing.T) {
	net := inspectNet(t)
	type setup func(lt *layersTab)
	cases := []struct {
		name string
		w, h int
		prof colorprofile.Profile
		do   setup
	}{
		{"conv_grid_80x19", 80, 19, colorprofile.TrueColor, nil},
		{"conv_grid_120x35", 120, 35, colorprofile.TrueColor, nil},
		{"conv_grid_Ascii", 80, 19, colorprofile.Ascii, nil},
		{"relu_per_channel", 120, 35, colorprofile.TrueColor, func(lt *layersTab) { lt.layer, lt.perChannel = 2, true }},
		{"pool_grid", 80, 19, colorprofile.TrueColor, func(lt *layersTab) { lt.layer = 13 }},
		{"zoom_conv2_80x19", 80, 19, colorprofile.TrueColor, func(lt *layersTab) { lt.layer = 3; lt.ch = 5; lt.openZoom() }},
		{"zoom_conv2_120x35", 120, 35, colorprofile.TrueColor, func(lt *layersTab) { lt.layer = 3; lt.ch = 5; lt.openZoom() }},
		{"zoom_bn", 120, 35, colorprofile.TrueColor, func(lt *layersTab) { lt.layer = 1; lt.openZoom() }},
		{"zoom_pool", 120, 35, colorprofile.Ascii, func(lt *layersTab) { lt.layer = 6; lt.openZoom() }},
		{"kernels", 80, 19, colorprofile.TrueColor, func(lt *layersTab) { lt.layer = 3; lt.ch = 2; lt.kernels = true }},
		{"dense_strip", 80, 19, colorprofile.TrueColor, func(lt *layersTab) { lt.layer = 22; lt.ch = 40 }},
		{"output", 80, 19, colorprofile.TrueColor, func(lt *layersTab) { lt.layer = 26 }},
		{"saliency", 80, 19, colorprofile.TrueColor, func(lt *layersTab) { lt.salMode = salGradient }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lt := layersWith(t, net, c.w, c.h)
			if c.do != nil {
				c.do(lt)
			}
			runCmds(t, lt.Update, lt.next())
			out := lt.View(views.NewStyles(true, c.prof))
			checkTabBlock(t, out, c.w, c.h)
			golden.RequireEqual(t, out)
		})
	}
}

// checkTabBlock fails unless a tab's view is exactly w×h.
func checkTabBlock(t *testing.T, s string, w, h int) {
	t.Helper()
	lines := strings.Split(s, "\n")
	if len(lines) != h {
		t.Fatalf("view has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if lw := lipgloss.Width(l); lw != w {
			t.Fatalf("view line %d is %d wide, want %d: %q", i, lw, w, ansi.Strip(l))
		}
	}
}

// TestInspectNoRace runs the Layers and Draw tabs' commands at once on the
// network both got, while the UI reads it: under -race this proves the tabs
// never share a network between goroutines.
func TestInspectNoRace(t *testing.T) {
	net := inspectNet(t)
	lt := newLayersTab(newKeyMap(), newRunState(Options{}))
	lt.SetSize(80, 18)
	dt := newDrawTab(newKeyMap(), newRunState(Options{}))
	dt.SetSize(80, 18)
	deliverTo(lt.rs, lt)(snapshotMsg{net: net})
	deliverTo(dt.rs, dt)(snapshotMsg{net: net})
	cmds := []tea.Cmd{lt.Update(inspectMsg{Pixels: sevenPixels(), Rows: 28, Cols: 28, Label: 7, Source: "test #0"})}
	pressKeys(t, dt, "p") // runs one prediction to the end
	dt.Update(keyOf("right"))
	cmds = append(cmds, dt.Update(keyOf("p")))
	for i, c := range cmds {
		if c == nil {
			t.Fatalf("command %d did not start", i)
		}
	}
	var wg sync.WaitGroup
	msgs := make([]tea.Msg, len(cmds))
	for i, c := range cmds {
		wg.Go(func() { msgs[i] = c() })
	}
	_ = net.Describe() // the UI goroutine reads the network meanwhile
	wg.Wait()
	for _, msg := range msgs {
		lt.Update(msg)
		dt.Update(msg)
	}
	if !lt.current() || !dt.current() {
		t.Errorf("after the commands: layers current %v, draw current %v", lt.current(), dt.current())
	}
}

// TestLayersSizes draws layers of every kind in every mode at the smallest,
// a common and a large size: the view must fill the tab exactly.
func TestLayersSizes(t *testing.T) {
	net := inspectNet(t)
	st := views.NewStyles(true, colorprofile.TrueColor)
	lt := layersWith(t, net, 80, 19)
	for _, sz := range [][2]int{{60, 15}, {80, 19}, {200, 55}} {
		lt.SetSize(sz[0], sz[1])
		for _, layer := range []int{0, 3, 6, 13, 17, 20, 22, 26} {
			for _, mode := range []string{"grid", "zoom", "kernels", "last page"} {
				lt.layer, lt.zoom, lt.kernels, lt.ch, lt.kfirst = layer, false, false, 0, 0
				switch mode {
				case "zoom":
					lt.openZoom()
				case "kernels":
					pressKeys(t, lt, "w", "right")
				case "last page":
					lt.ch = 1000
				}
				out := lt.View(st)
				lines := strings.Split(out, "\n")
				if len(lines) != sz[1] {
					t.Fatalf("%dx%d %s %s: %d lines", sz[0], sz[1], net.LayerName(layer), mode, len(lines))
				}
				for i, l := range lines {
					if w := lipgloss.Width(l); w != sz[0] {
						t.Fatalf("%dx%d %s %s: line %d is %d wide: %q", sz[0], sz[1], net.LayerName(layer), mode, i, w, ansi.Strip(l))
					}
				}
			}
		}
	}
}

// deliverTo passes a message to tb as the root model does: it updates the
// run state rs first.
func deliverTo(rs *runState, tb tab) func(tea.Msg) tea.Cmd {
	return func(msg tea.Msg) tea.Cmd {
		rs.update(msg)
		return tb.Update(msg)
	}
}
