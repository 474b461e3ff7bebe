package nn

import "convscope/internal/gemm"

// MaxPool2D takes the maximum over 2×2 windows with stride 2 (odd edges dropped).
type MaxPool2D struct {
	in, out      Shape
	eng          *gemm.Engine
	n            int
	x, y, dy, dx []float32
	arg          []int32          // index into x of each output's maximum
	fwdFn, bwdFn func(lo, hi int) // bound once: engine calls then allocate nothing
}

// NewMaxPool2D returns a 2×2, stride-2 max pooling of activations of shape s.
func NewMaxPool2D(s Shape) *MaxPool2D {
	return &MaxPool2D{in: s, out: Shape{s.H / 2, s.W / 2, s.C}}
}

func (p *MaxPool2D) Kind() LayerKind          { return KindMaxPool2D }
func (p *MaxPool2D) In() Shape                { return p.in }
func (p *MaxPool2D) Out() Shape               { return p.out }
func (p *MaxPool2D) Params() []*Param         { return nil }
func (p *MaxPool2D) MACs() int                { return 0 }
func (p *MaxPool2D) setEngine(e *gemm.Engine) { p.eng = e }
func (p *MaxPool2D) setNeedDx(bool)           {}
func (p *MaxPool2D) clone() Layer             { return &MaxPool2D{in: p.in, out: p.out, eng: p.eng} }

// Forward takes x of shape [n, H, W, C] and returns y of shape [n, H/2, W/2, C].
func (p *MaxPool2D) Forward(x []float32, n int, train bool) []float32 {
	if len(x) != n*p.in.Size() {
		panic("nn: MaxPool2D.Forward: input size mismatch")
	}
	p.n = n
	p.y = grow(p.y, n*p.out.Size())
	if cap(p.arg) < len(p.y) {
		p.arg = make([]int32, len(p.y))
	}
	p.arg = p.arg[:len(p.y)]
	p.x = x
	if p.fwdFn == nil {
		p.fwdFn, p.bwdFn = p.forward, p.backward
	}
	p.eng.Parallel(n, p.fwdFn)
	return p.y
}

func (p *MaxPool2D) forward(lo, hi int) {
	H, W, C := p.in.H, p.in.W, p.in.C
	OH, OW := p.out.H, p.out.W
	for i := lo; i < hi; i++ {
		for oh := 0; oh < OH; oh++ {
			o := (i*OH + oh) * OW * C
			b00 := (i*H + 2*oh) * W * C
			gemm.MaxPoolRow(p.y[o:o+OW*C], p.arg[o:o+OW*C], p.x[b00:b00+2*W*C], OW, C, W*C, b00)
		}
	}
}

// Backward routes each dy to the position of its window's maximum.
func (p *MaxPool2D) Backward(dy []float32) []float32 {
	p.dx = grow(p.dx, p.n*p.in.Size())
	p.dy = dy
	p.eng.Parallel(p.n, p.bwdFn)
	return p.dx
}

// backward clears images [lo, hi) of dx and routes their dy to the maxima.
func (p *MaxPool2D) backward(lo, hi int) {
	in, per := p.in.Size(), p.out.Size()
	clear(p.dx[lo*in : hi*in])
	dx, dy, arg := p.dx, p.dy, p.arg
	for i := lo * per; i < hi*per; i++ {
		dx[arg[i]] += dy[i]
	}
}
