package nn

import "convscope/internal/gemm"

// ReLU is max(0, x), elementwise.
type ReLU struct {
	shape Shape
	eng   *gemm.Engine
	y, dx []float32
}

// NewReLU returns a ReLU on activations of shape s.
func NewReLU(s Shape) *ReLU { return &ReLU{shape: s} }

func (l *ReLU) Kind() string             { return "ReLU" }
func (l *ReLU) In() Shape                { return l.shape }
func (l *ReLU) Out() Shape               { return l.shape }
func (l *ReLU) Params() []*Param         { return nil }
func (l *ReLU) MACs() int                { return 0 }
func (l *ReLU) setEngine(e *gemm.Engine) { l.eng = e }
func (l *ReLU) setNeedDx(bool)           {}
func (l *ReLU) clone() Layer             { return &ReLU{shape: l.shape, eng: l.eng} }

// Forward takes x of shape [n, H, W, C] and returns max(0, x).
func (l *ReLU) Forward(x []float32, n int, train bool) []float32 {
	if len(x) != n*l.shape.Size() {
		panic("nn: ReLU.Forward: input size mismatch")
	}
	l.y = grow(l.y, len(x))
	y := l.y
	l.eng.Parallel(len(x), func(lo, hi int) {
		for i, v := range x[lo:hi] {
			y[lo+i] = max(v, 0)
		}
	})
	return y
}

// Backward returns dx = dy where the output was positive, else 0.
func (l *ReLU) Backward(dy []float32) []float32 {
	l.dx = grow(l.dx, len(dy))
	dx, y := l.dx, l.y
	l.eng.Parallel(len(dy), func(lo, hi int) {
		for i, d := range dy[lo:hi] {
			if y[lo+i] > 0 {
				dx[lo+i] = d
			} else {
				dx[lo+i] = 0
			}
		}
	})
	return dx
}
