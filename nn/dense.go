package nn

import (
	"math/rand/v2"

	"convscope/internal/gemm"
)

// Flatten turns [n, H, W, C] into [n, H·W·C] (NHWC order). It copies nothing.
type Flatten struct{ in Shape }

// NewFlatten returns a Flatten of activations of shape s.
func NewFlatten(s Shape) *Flatten { return &Flatten{in: s} }

func (f *Flatten) Kind() LayerKind                                  { return KindFlatten }
func (f *Flatten) In() Shape                                        { return f.in }
func (f *Flatten) Out() Shape                                       { return Shape{1, 1, f.in.Size()} }
func (f *Flatten) Params() []*Param                                 { return nil }
func (f *Flatten) MACs() int                                        { return 0 }
func (f *Flatten) setEngine(*gemm.Engine)                           {}
func (f *Flatten) setNeedDx(bool)                                   {}
func (f *Flatten) clone() Layer                                     { return &Flatten{in: f.in} }
func (f *Flatten) Forward(x []float32, n int, train bool) []float32 { return x }
func (f *Flatten) Backward(dy []float32) []float32                  { return dy }

// Dense is a fully connected layer y = x·W + b.
// Weight layout: [In, Out]; bias [Out].
type Dense struct {
	in, out Shape
	Weight  *Param
	Bias    *Param
	eng     *gemm.Engine
	needDx  bool
	n       int
	x, y    []float32
	dx      []float32
}

// NewDense returns a fully connected layer from in.Size() to out units with
// Glorot-uniform weights and zero bias.
func NewDense(in Shape, out int, rng *rand.Rand) *Dense {
	k := in.Size()
	d := &Dense{in: in, out: Shape{1, 1, out}, needDx: true}
	d.Weight = &Param{Name: "weight", Shape: []int{k, out}, W: make([]float32, k*out), G: make([]float32, k*out), Decay: true}
	d.Bias = &Param{Name: "bias", Shape: []int{out}, W: make([]float32, out), G: make([]float32, out)}
	glorot(d.Weight.W, k, out, rng)
	return d
}

func (d *Dense) Kind() LayerKind          { return KindDense }
func (d *Dense) In() Shape                { return d.in }
func (d *Dense) Out() Shape               { return d.out }
func (d *Dense) Params() []*Param         { return []*Param{d.Weight, d.Bias} }
func (d *Dense) MACs() int                { return d.in.Size() * d.out.C }
func (d *Dense) setEngine(e *gemm.Engine) { d.eng = e }
func (d *Dense) setNeedDx(b bool)         { d.needDx = b }
func (d *Dense) clone() Layer {
	e := *d
	e.Weight, e.Bias = cloneParam(d.Weight), cloneParam(d.Bias)
	e.x, e.y, e.dx = nil, nil, nil
	return &e
}

// Forward takes x of shape [n, In] and returns y of shape [n, Out].
func (d *Dense) Forward(x []float32, n int, train bool) []float32 {
	k, o := d.in.Size(), d.out.C
	if len(x) != n*k {
		panic("nn: Dense.Forward: input size mismatch")
	}
	d.n, d.x = n, x
	d.y = grow(d.y, n*o)
	for r := 0; r < n; r++ {
		copy(d.y[r*o:(r+1)*o], d.Bias.W)
	}
	d.eng.Sgemm(false, false, n, o, k, x, k, d.Weight.W, o, 1, d.y, o)
	return d.y
}

// Backward takes dy of shape [n, Out]; it accumulates dW += xᵀ·dy, db += Σ dy
// and returns dx = dy·Wᵀ of shape [n, In] (nil if not needed).
func (d *Dense) Backward(dy []float32) []float32 {
	k, o, n := d.in.Size(), d.out.C, d.n
	d.eng.Sgemm(true, false, k, o, n, d.x, k, dy, o, 1, d.Weight.G, o)
	sumRows(d.Bias.G, dy, n, o)
	if !d.needDx {
		return nil
	}
	d.dx = grow(d.dx, n*k)
	d.eng.Sgemm(false, true, n, k, o, dy, o, d.Weight.W, o, 0, d.dx, k)
	return d.dx
}
