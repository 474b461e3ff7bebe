package nn

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"convscope/internal/gemm"
)

// Net is an ordered list of layers ending in class logits.
type Net struct {
	Name   string
	Input  Shape
	Layers []Layer
	eng    *gemm.Engine
	ownEng bool
	params []*Param // cached by Params
}

// BN settings of the paper's network (Keras defaults).
const (
	BNEps      = 1e-3
	BNMomentum = 0.99
)

// NewPaper builds the paper's network for rows×cols single-channel images and
// k classes, initialised from rng:
//
//	conv3x3 1->32 BN ReLU, conv3x3 32->32 BN ReLU, maxpool2,
//	conv3x3 32->64 BN ReLU, conv3x3 64->64 BN ReLU, maxpool2,
//	conv3x3 64->128 BN ReLU, conv1x1 128->256 BN ReLU, maxpool2,
//	flatten, dense 128 ReLU, dense 64 ReLU, dense k.
//
// For 28×28 inputs the feature vector is 1×1×256. It returns an error when the
// image size is too small for the network.
func NewPaper(rows, cols, k int, rng *rand.Rand) (*Net, error) {
	if rows < 28 || cols < 28 {
		return nil, fmt.Errorf("nn: the paper's network needs images of at least 28x28 pixels, got %dx%d", rows, cols)
	}
	if k < 2 || k > 256 {
		return nil, fmt.Errorf("nn: need 2..256 classes, got %d", k)
	}
	n := &Net{Name: "paper-cnn", Input: Shape{rows, cols, 1}}
	s := n.Input
	add := func(l Layer) { n.Layers = append(n.Layers, l); s = l.Out() }
	convBlock := func(out, k int) {
		add(NewConv2D(s, out, k, rng))
		add(NewBatchNorm2D(s, BNEps, BNMomentum))
		add(NewReLU(s))
	}
	convBlock(32, 3)
	convBlock(32, 3)
	add(NewMaxPool2D(s))
	convBlock(64, 3)
	convBlock(64, 3)
	add(NewMaxPool2D(s))
	convBlock(128, 3)
	convBlock(256, 1)
	add(NewMaxPool2D(s))
	add(NewFlatten(s))
	add(NewDense(s, 128, rng))
	add(NewReLU(s))
	add(NewDense(s, 64, rng))
	add(NewReLU(s))
	add(NewDense(s, k, rng))
	n.Layers[0].setNeedDx(false)
	fuseBNReLU(n.Layers)
	n.SetEngine(nil)
	return n, nil
}

// SetEngine makes the network run its matrix products on e; nil gives it a
// private single-threaded engine.
func (n *Net) SetEngine(e *gemm.Engine) {
	if n.ownEng && n.eng != nil {
		n.eng.Close()
	}
	n.ownEng = e == nil
	if e == nil {
		e = gemm.NewEngine(1)
	}
	n.eng = e
	for _, l := range n.Layers {
		l.setEngine(e)
	}
}

// Engine returns the engine the network computes on.
func (n *Net) Engine() *gemm.Engine { return n.eng }

// Classes is the number of outputs.
func (n *Net) Classes() int { return n.Layers[len(n.Layers)-1].Out().C }

// Clone returns a deep copy of the parameters and batch-norm statistics with a
// private single-threaded engine and no buffers, safe to use from another goroutine.
func (n *Net) Clone() *Net {
	c := &Net{Name: n.Name, Input: n.Input}
	for _, l := range n.Layers {
		c.Layers = append(c.Layers, l.clone())
	}
	c.SetEngine(nil)
	return c
}

// Params lists every trainable parameter in layer order.
func (n *Net) Params() []*Param {
	if n.params == nil {
		for _, l := range n.Layers {
			n.params = append(n.params, l.Params()...)
		}
	}
	return n.params
}

// NumParams counts trainable values.
func (n *Net) NumParams() int {
	t := 0
	for _, p := range n.Params() {
		t += len(p.W)
	}
	return t
}

// MACs is the multiply-adds of one image's forward pass.
func (n *Net) MACs() int {
	t := 0
	for _, l := range n.Layers {
		t += l.MACs()
	}
	return t
}

// ZeroGrad clears every gradient.
func (n *Net) ZeroGrad() {
	for _, p := range n.Params() {
		clear(p.G)
	}
}

// Forward runs x of shape [b, rows, cols, 1] through every layer and returns
// the logits [b, classes] (owned by the last layer).
func (n *Net) Forward(x []float32, b int, train bool) []float32 {
	for _, l := range n.Layers {
		x = l.Forward(x, b, train)
	}
	return x
}

// ForwardTrace is Forward that also returns each layer's output (views into the
// layers' buffers, valid until the next Forward).
func (n *Net) ForwardTrace(x []float32, b int) [][]float32 {
	outs := make([][]float32, len(n.Layers))
	for i, l := range n.Layers {
		x = l.Forward(x, b, false)
		outs[i] = x
	}
	return outs
}

// Backward propagates dlogits back through every layer, accumulating gradients.
func (n *Net) Backward(dlogits []float32) {
	d := dlogits
	for i := len(n.Layers) - 1; i >= 0; i-- {
		d = n.Layers[i].Backward(d)
	}
}

// LayerName is the display name of layer i, e.g. "conv2d_1" or "batch_norm_3".
func (n *Net) LayerName(i int) string {
	k := n.Layers[i].Kind()
	idx := 0
	for j := 0; j < i; j++ {
		if n.Layers[j].Kind() == k {
			idx++
		}
	}
	base := map[LayerKind]string{"Conv2D": "conv2d", "BatchNorm2D": "batch_norm", "ReLU": "relu",
		"MaxPool2D": "max_pool", "Flatten": "flatten", "Dense": "dense"}[k]
	return fmt.Sprintf("%s_%d", base, idx+1)
}

// Describe is a one-line description of the network.
func (n *Net) Describe() string {
	return fmt.Sprintf("%s %s → %d classes, %d params", n.Name, n.Input, n.Classes(), n.NumParams())
}

// Summary is a Keras-style table: layer, output shape, parameters, and totals.
func (n *Net) Summary() string {
	var b strings.Builder
	line := strings.Repeat("─", 62)
	fmt.Fprintf(&b, "Model: %q\n%s\n%-28s %-20s %12s\n%s\n", n.Name, line, "Layer (type)", "Output Shape", "Param #", line)
	for i, l := range n.Layers {
		np := 0
		for _, p := range l.Params() {
			np += len(p.W)
		}
		o := l.Out()
		shape := fmt.Sprintf("(None, %d, %d, %d)", o.H, o.W, o.C)
		if l.Kind() == "Flatten" || l.Kind() == "Dense" || (l.Kind() == "ReLU" && o.H == 1 && o.W == 1 && i > 0 && n.Layers[i-1].Kind() == "Dense") {
			shape = fmt.Sprintf("(None, %d)", o.C)
		}
		fmt.Fprintf(&b, "%-28s %-20s %12s\n", fmt.Sprintf("%s (%s)", n.LayerName(i), l.Kind()), shape, commas(np))
	}
	fmt.Fprintf(&b, "%s\nTotal params: %s\nMultiply-adds per image: %s\n", line, commas(n.NumParams()), commas(n.MACs()))
	return b.String()
}

func commas(v int) string {
	s := fmt.Sprint(v)
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
