package nn

import (
	"math"

	"convscope/internal/gemm"
)

// ReLU is max(0, x), elementwise.
type ReLU struct {
	shape        Shape
	eng          *gemm.Engine
	x, y, dy, dx []float32
	fwdFn, bwdFn func(lo, hi int) // bound once: engine calls then allocate nothing
	skip         bool             // the batch norm before applies this ReLU in training (fuseBNReLU)
	passed       bool             // the last Forward passed its input through
}

// NewReLU returns a ReLU on activations of shape s.
func NewReLU(s Shape) *ReLU { return &ReLU{shape: s} }

func (l *ReLU) Kind() LayerKind          { return KindReLU }
func (l *ReLU) In() Shape                { return l.shape }
func (l *ReLU) Out() Shape               { return l.shape }
func (l *ReLU) Params() []*Param         { return nil }
func (l *ReLU) MACs() int                { return 0 }
func (l *ReLU) setEngine(e *gemm.Engine) { l.eng = e }
func (l *ReLU) setNeedDx(bool)           {}
func (l *ReLU) clone() Layer             { return &ReLU{shape: l.shape, eng: l.eng, skip: l.skip} }

// Forward takes x of shape [n, H, W, C] and returns max(0, x).
func (l *ReLU) Forward(x []float32, n int, train bool) []float32 {
	if len(x) != n*l.shape.Size() {
		panic("nn: ReLU.Forward: input size mismatch")
	}
	l.passed = train && l.skip
	if l.passed {
		return x // already rectified by the batch norm before
	}
	l.y = grow(l.y, len(x))
	l.x = x
	if l.fwdFn == nil {
		l.fwdFn, l.bwdFn = l.forward, l.backward
	}
	l.eng.Parallel(len(x), l.fwdFn)
	return l.y
}

func (l *ReLU) forward(lo, hi int) {
	gemm.ReluSlice(l.y[lo:hi], l.x[lo:hi])
}

// Backward returns dx = dy where the output was positive, else 0.
func (l *ReLU) Backward(dy []float32) []float32 {
	if l.passed {
		return dy // the batch norm before masks it
	}
	l.dx = grow(l.dx, len(dy))
	l.dy = dy
	l.eng.Parallel(len(dy), l.bwdFn)
	return l.dx
}

func (l *ReLU) backward(lo, hi int) {
	d, yy, out := l.dy[lo:hi], l.y[lo:hi], l.dx[lo:hi]
	yy, out = yy[:len(d)], out[:len(d)]
	for i := range d {
		// y >= 0, so y > 0 exactly when its bits are non-zero: build an
		// all-ones mask from them without a branch (branches on the sign of
		// activations mispredict half the time).
		b := math.Float32bits(yy[i])
		mask := uint32(int32(-b) >> 31)
		out[i] = math.Float32frombits(math.Float32bits(d[i]) & mask)
	}
}
