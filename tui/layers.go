package tui

import (
	"fmt"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"convscope/nn"
	"convscope/views"
)

// saliency is what the Layers tab lays over the image.
type saliency int

const (
	salOff       saliency = iota
	salGradient           // ∂ logit of the predicted class / ∂ pixel
	salOcclusion          // how much the logit falls when a patch is blanked
	salModes
)

func (s saliency) String() string {
	return [...]string{"off", "gradient", "occlusion"}[s]
}

// Occlusion squares: 4×4 pixels every 2 pixels.
const (
	occlusionPatch  = 4
	occlusionStride = 2
)

// layersKeys are the Layers tab's own keys; the arrows and enter are the
// program's (keyMap).
type layersKeys struct {
	PrevChan, NextChan key.Binding
	Norm               key.Binding
	Saliency           key.Binding
	Kernels            key.Binding
}

func newLayersKeys() layersKeys {
	return layersKeys{
		PrevChan: key.NewBinding(key.WithKeys("["), key.WithHelp("[", "previous channel (unit)")),
		NextChan: key.NewBinding(key.WithKeys("]"), key.WithHelp("]", "next channel (unit)")),
		Norm:     key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "shade per channel or per layer")),
		Saliency: key.NewBinding(key.WithKeys("g"), key.WithHelp("g", "saliency over the image: gradient, occlusion, off")),
		Kernels:  key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "show the selected channel's kernels (weights)")),
	}
}

// layersTab shows one image's pass through the network: the layer list, a
// layer's feature maps (or units, or class probabilities), one channel
// zoomed with the arithmetic behind a value, the kernels, and a saliency map
// over the image.
//
// The network is the run state's latest copy. The tab treats it as
// read-only and never runs it: each command clones it and computes on the
// clone, so commands never share one. One command runs at a time; when it
// returns, the next starts if the image, the network or the saliency mode
// changed meanwhile. The image is the first test image until another tab
// sends one (inspectMsg); the tab then follows the last one sent.
type layersTab struct {
	keys keyMap
	own  layersKeys
	rs   *runState
	w, h int

	net   *nn.Net // rs.shown() as of the last message: the live network or a snapshot
	netID int     // its view ID
	img   *inspectMsg
	imgID int // counts the images received

	tr             *nn.Trace // the image's activations under network trNet
	trNet, trImg   int
	heat           []float32 // saliency of image heatImg under network heatNet
	heatNet        int
	heatImg        int
	heatMode       saliency
	busy           bool   // a command is running
	busyWhat       string // what it computes, for the status line
	layer, ch      int    // the selected layer and channel (or unit)
	zoom           bool   // one channel large, with the arithmetic of a cell
	row, col       int    // the cell in the zoom
	perChannel     bool   // shade each map by its own range
	salMode        saliency
	kernels        bool // the grid shows the kernels of the selected channel
	kfirst         int  // the first input channel of the kernels shown
	lastLayerCount int  // layers of the last network, to keep the selection valid
}

func newLayersTab(keys keyMap, rs *runState) *layersTab {
	return &layersTab{keys: keys, own: newLayersKeys(), rs: rs, trNet: -1, trImg: -1, heatNet: -1, heatImg: -1}
}

func (t *layersTab) Title() string    { return "Layers" }
func (t *layersTab) ExactSize() bool  { return true }
func (t *layersTab) SetSize(w, h int) { t.w, t.h = w, h }

// KeyHelp lists the tab's own keys.
func (t *layersTab) KeyHelp() []key.Binding {
	up, down, left, right := t.keys.Up, t.keys.Down, t.keys.Left, t.keys.Right
	up.SetHelp("↑/k", "previous layer (zoomed: move the cell up)")
	down.SetHelp("↓/j", "next layer (zoomed: move the cell down)")
	left.SetHelp("←/h", "previous page of channels (zoomed: cell left)")
	right.SetHelp("→/l", "next page of channels (zoomed: cell right)")
	open := t.keys.Open
	open.SetHelp("enter", "zoom the selected channel, or back")
	tk := newTimeKeys()
	return []key.Binding{up, down, left, right, t.own.PrevChan, t.own.NextChan, open, t.own.Norm, t.own.Saliency, t.own.Kernels, tk.Earlier, tk.Later, tk.Play}
}

// usesTimeline: the tab shows the network at the timeline's moment.
func (t *layersTab) usesTimeline() {}

// layersDoneMsg brings back a command's results.
type layersDoneMsg struct {
	netID, imgID int
	tr           *nn.Trace
	mode         saliency
	heat         []float32 // nil when mode is salOff
}

func (t *layersTab) Update(msg tea.Msg) tea.Cmd {
	if n, id := t.rs.shown(); id != t.netID && n != nil {
		t.setNet(n, id)
	}
	if t.img == nil {
		// Open on the first test image: its activations come as soon as
		// there is a network.
		if first, ok := t.rs.testImage(0); ok {
			t.img = &first
			t.imgID++
		}
	}
	switch msg := msg.(type) {
	case inspectMsg:
		px := append([]uint8(nil), msg.Pixels...)
		msg.Pixels = px
		t.img = &msg
		t.imgID++
	case layersDoneMsg:
		t.busy = false
		if msg.netID == t.netID && msg.imgID == t.imgID {
			t.tr, t.trNet, t.trImg = msg.tr, msg.netID, msg.imgID
			if msg.mode != salOff {
				t.heat, t.heatNet, t.heatImg, t.heatMode = msg.heat, msg.netID, msg.imgID, msg.mode
			}
		}
	case tea.KeyPressMsg:
		t.key(msg)
	case tea.MouseClickMsg:
		t.click(msg)
	case tea.MouseWheelMsg:
		switch msg.Button {
		case tea.MouseWheelUp:
			t.moveLayer(-1)
		case tea.MouseWheelDown:
			t.moveLayer(1)
		}
	}
	return t.next()
}

// setNet takes the run's new network and keeps the selection valid for it.
func (t *layersTab) setNet(n *nn.Net, id int) {
	t.net = n
	t.netID = id
	if len(n.Layers) != t.lastLayerCount {
		t.layer, t.zoom, t.kernels = 0, false, false
		t.lastLayerCount = len(n.Layers)
	}
}

// ready reports whether the tab has a network and an image it can run.
func (t *layersTab) ready() bool {
	return t.net != nil && t.img != nil && t.imgFits()
}

// imgFits reports whether the image has the network's input size.
func (t *layersTab) imgFits() bool {
	in := t.net.Input
	return t.img.Rows == in.H && t.img.Cols == in.W && in.C == 1 && len(t.img.Pixels) >= in.H*in.W
}

// current reports whether the activations shown are the current image's
// under the current network.
func (t *layersTab) current() bool {
	return t.tr != nil && t.trNet == t.netID && t.trImg == t.imgID
}

// heatCurrent reports whether the saliency map is the one asked for.
func (t *layersTab) heatCurrent() bool {
	return t.salMode != salOff && t.heat != nil && t.heatNet == t.netID && t.heatImg == t.imgID && t.heatMode == t.salMode
}

// next starts a command when nothing runs and something is missing.
func (t *layersTab) next() tea.Cmd {
	if t.busy || !t.ready() {
		return nil
	}
	mode := salOff
	if t.salMode != salOff && !t.heatCurrent() {
		mode = t.salMode
	}
	if t.current() && mode == salOff {
		return nil
	}
	t.busy = true
	t.busyWhat = "activations"
	if mode != salOff {
		t.busyWhat = mode.String()
	}
	net, px, netID, imgID := t.net, t.img.Pixels, t.netID, t.imgID
	return func() tea.Msg { return runLayersJob(net, px, netID, imgID, mode) }
}

// runLayersJob computes an image's activations and, unless mode is salOff,
// its saliency, on a private clone of net.
func runLayersJob(net *nn.Net, px []uint8, netID, imgID int, mode saliency) layersDoneMsg {
	c := net.Clone()
	x := nn.ImageInput(px[:net.Input.Size()])
	msg := layersDoneMsg{netID: netID, imgID: imgID, tr: c.TraceImage(x), mode: mode}
	switch mode {
	case salGradient:
		msg.heat = c.InputGradient(x, msg.tr.Pred)
	case salOcclusion:
		msg.heat = c.Occlusion(x, msg.tr.Pred, occlusionPatch, occlusionStride)
	}
	return msg
}

// layerShape is the output shape of the selected layer.
func (t *layersTab) layerShape() nn.Shape {
	return t.net.Layers[t.layer].Out()
}

// spatial reports whether the selected layer has maps (not a vector).
func (t *layersTab) spatial() bool {
	s := t.layerShape()
	return s.H > 1 || s.W > 1
}

// isOutput reports whether the selected layer is the last (the logits).
func (t *layersTab) isOutput() bool { return t.layer == len(t.net.Layers)-1 }

// channel is the selected channel (or unit), clamped to the layer.
func (t *layersTab) channel() int {
	return max(0, min(t.ch, t.layerShape().C-1))
}

// convFor is the convolution whose kernels made the selected layer's
// channels: the layer itself or the nearest one before it (through batch
// norm, ReLU and pooling, which keep channels apart); nil when a flatten or
// dense layer comes between.
func (t *layersTab) convFor() (*nn.Conv2D, int) {
	for i := t.layer; i >= 0; i-- {
		switch l := t.net.Layers[i].(type) {
		case *nn.Conv2D:
			return l, i
		case *nn.Flatten, *nn.Dense:
			return nil, -1
		}
	}
	return nil, -1
}

func (t *layersTab) moveLayer(d int) {
	if t.net == nil {
		return
	}
	t.layer = max(0, min(len(t.net.Layers)-1, t.layer+d))
	t.zoom, t.kfirst = false, 0
	if _, i := t.convFor(); i < 0 {
		t.kernels = false
	}
}

// maps is the selected layer's output as views.FeatureMaps.
func (t *layersTab) maps() views.FeatureMaps {
	s := t.layerShape()
	return views.FeatureMaps{Values: t.tr.Outs[t.layer], H: s.H, W: s.W, C: s.C}
}

// perPage is the number of channels (or units) the body shows at once.
func (t *layersTab) perPage() int {
	l := t.layout()
	s := t.layerShape()
	switch {
	case t.kernels:
		conv, _ := t.convFor()
		capW := len(fmt.Sprintf("ch %d", conv.In().C-1))
		return max(1, views.KernelSize(conv.K, capW, l.rw, l.bodyH).PerPage())
	case t.spatial():
		return max(1, views.FeatureGridSize(s.H, s.W, s.C, l.rw, l.bodyH).PerPage())
	case t.isOutput():
		return s.C
	}
	return max(1, views.FeatureStripSize(s.C, l.rw, l.bodyH).PerPage())
}

// first is the first channel (or unit) on the selected channel's page.
func (t *layersTab) first() int {
	if t.kernels {
		return 0
	}
	per := t.perPage()
	return t.channel() / per * per
}

// kernelFirst is the first input channel whose kernel the kernels view
// shows, on a page boundary.
func (t *layersTab) kernelFirst() int {
	conv, _ := t.convFor()
	per := t.perPage()
	return max(0, min(t.kfirst, conv.In().C-1)) / per * per
}

func (t *layersTab) key(msg tea.KeyPressMsg) {
	k, o := t.keys, t.own
	switch {
	case key.Matches(msg, o.Saliency):
		t.salMode = (t.salMode + 1) % salModes
		return
	case t.net == nil:
		return
	case key.Matches(msg, o.Norm):
		t.perChannel = !t.perChannel
		return
	case key.Matches(msg, o.Kernels):
		if _, i := t.convFor(); i >= 0 {
			t.kernels = !t.kernels
			t.zoom = false
		}
		return
	case key.Matches(msg, o.PrevChan):
		t.ch = max(0, t.channel()-1)
		return
	case key.Matches(msg, o.NextChan):
		t.ch = min(t.layerShape().C-1, t.channel()+1)
		return
	}
	if t.zoom {
		s := t.layerShape()
		switch {
		case key.Matches(msg, k.Open), key.Matches(msg, k.Back):
			t.zoom = false
		case key.Matches(msg, k.Up):
			t.row = max(0, min(s.H-1, t.row-1))
		case key.Matches(msg, k.Down):
			t.row = max(0, min(s.H-1, t.row+1))
		case key.Matches(msg, k.Left):
			t.col = max(0, min(s.W-1, t.col-1))
		case key.Matches(msg, k.Right):
			t.col = max(0, min(s.W-1, t.col+1))
		}
		return
	}
	switch {
	case key.Matches(msg, k.Up):
		t.moveLayer(-1)
	case key.Matches(msg, k.Down):
		t.moveLayer(1)
	case key.Matches(msg, k.Left) && t.kernels:
		t.kfirst = max(0, t.kernelFirst()-t.perPage())
	case key.Matches(msg, k.Right) && t.kernels:
		conv, _ := t.convFor()
		if next := t.kernelFirst() + t.perPage(); next < conv.In().C {
			t.kfirst = next
		}
	case key.Matches(msg, k.Left):
		t.ch = max(0, t.channel()-t.perPage())
	case key.Matches(msg, k.Right):
		if next := t.first() + t.perPage(); next < t.layerShape().C {
			t.ch = min(t.layerShape().C-1, t.channel()+t.perPage())
		}
	case key.Matches(msg, k.Open):
		t.openZoom()
	case key.Matches(msg, k.Back):
		t.kernels = false
	}
}

// openZoom zooms the selected channel of a layer with maps, the cell on
// its largest value.
func (t *layersTab) openZoom() {
	if !t.spatial() || !t.current() {
		return
	}
	s := t.layerShape()
	t.zoom, t.kernels = true, false
	v := t.maps().Channel(t.channel())
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	t.row, t.col = best/s.W, best%s.W
}
