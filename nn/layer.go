// Package nn is a small float32 convolutional-network engine: layers with
// forward and backward passes side by side, softmax cross-entropy, optimizers,
// the training loop and evaluation. Activations are laid out NHWC: a batch of
// N images of H×W pixels with C channels is a row-major [N, H, W, C] slice, so
// it is also an [N·H·W, C] matrix for the GEMM-based convolutions.
//
// The package has no mutable package-level state; a seeded math/rand/v2 source
// drives initialisation and shuffling.
package nn

import (
	"fmt"

	"convscope/internal/gemm"
)

// Shape is the per-image shape of an activation: height, width, channels.
type Shape struct{ H, W, C int }

// Size is H·W·C.
func (s Shape) Size() int { return s.H * s.W * s.C }

func (s Shape) String() string { return fmt.Sprintf("%dx%dx%d", s.H, s.W, s.C) }

// Param is a trainable tensor with its gradient. Data layout is the layer's
// own (documented on each layer); Shape lists the dimensions in that layout.
type Param struct {
	Name  string
	Shape []int
	W     []float32 // values
	G     []float32 // gradient, accumulated with += by Backward
	Decay bool      // weight decay applies (conv and dense weights)
}

// Layer is one step of the network. Forward takes x of shape [n, In] (per-image
// shape In, NHWC) and returns y of shape [n, Out]; the returned slice is owned by
// the layer and stays valid until the next Forward. Backward takes dy of the
// shape of y and returns dx of the shape of x (nil when the layer was told it
// needs no input gradient), accumulating parameter gradients with +=.
type Layer interface {
	// Kind is the layer type (one of LayerKinds).
	Kind() LayerKind
	In() Shape
	Out() Shape
	Params() []*Param
	Forward(x []float32, n int, train bool) []float32
	Backward(dy []float32) []float32
	// MACs is the multiply-adds one image costs in Forward (0 for cheap layers).
	MACs() int
	clone() Layer
	setEngine(e *gemm.Engine)
	setNeedDx(bool)
}

// grow returns buf resized to n, reallocating only when its capacity is short.
func grow(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return make([]float32, n)
	}
	return buf[:n]
}

func cloneParam(p *Param) *Param {
	return &Param{
		Name:  p.Name,
		Shape: append([]int(nil), p.Shape...),
		W:     append([]float32(nil), p.W...),
		G:     make([]float32, len(p.G)),
		Decay: p.Decay,
	}
}
