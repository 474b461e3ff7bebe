package nn

import (
	"math"
	"math/rand/v2"

	"convscope/internal/gemm"
)

// Conv2D is a K×K convolution with stride 1 and no padding.
// Weight layout: [K, K, InC, OutC] (kh, kw, c, o), i.e. a [K·K·InC, OutC] matrix;
// bias [OutC]. Forward lowers x to columns (im2col, [n·OH·OW, K·K·InC]) and
// multiplies by the weight matrix.
type Conv2D struct {
	in, out   Shape
	K         int
	Weight    *Param
	Bias      *Param
	eng       *gemm.Engine
	needDx    bool
	n         int
	x, col, y []float32
	dcol, dx  []float32
	i2cFn     func(lo, hi int) // bound once: engine calls then allocate nothing
	c2iFn     func(lo, hi int)
}

// NewConv2D returns a K×K convolution from in to outC channels with
// Glorot-uniform weights and zero bias.
func NewConv2D(in Shape, outC, k int, rng *rand.Rand) *Conv2D {
	if in.H < k || in.W < k {
		panic("nn: Conv2D input smaller than kernel")
	}
	c := &Conv2D{in: in, out: Shape{in.H - k + 1, in.W - k + 1, outC}, K: k, needDx: true}
	kk := k * k * in.C
	c.Weight = &Param{Name: "weight", Shape: []int{k, k, in.C, outC}, W: make([]float32, kk*outC), G: make([]float32, kk*outC), Decay: true}
	c.Bias = &Param{Name: "bias", Shape: []int{outC}, W: make([]float32, outC), G: make([]float32, outC)}
	glorot(c.Weight.W, kk, k*k*outC, rng)
	return c
}

// glorot fills w with U(-l, l), l = sqrt(6/(fanIn+fanOut)).
func glorot(w []float32, fanIn, fanOut int, rng *rand.Rand) {
	l := math.Sqrt(6 / float64(fanIn+fanOut))
	for i := range w {
		w[i] = float32((rng.Float64()*2 - 1) * l)
	}
}

func (c *Conv2D) Kind() LayerKind          { return KindConv2D }
func (c *Conv2D) In() Shape                { return c.in }
func (c *Conv2D) Out() Shape               { return c.out }
func (c *Conv2D) Params() []*Param         { return []*Param{c.Weight, c.Bias} }
func (c *Conv2D) MACs() int                { return c.out.Size() * c.K * c.K * c.in.C }
func (c *Conv2D) setEngine(e *gemm.Engine) { c.eng = e }
func (c *Conv2D) setNeedDx(b bool)         { c.needDx = b }
func (c *Conv2D) clone() Layer {
	d := *c
	d.Weight, d.Bias = cloneParam(c.Weight), cloneParam(c.Bias)
	d.x, d.col, d.y, d.dcol, d.dx = nil, nil, nil, nil, nil
	d.i2cFn, d.c2iFn = nil, nil
	return &d
}

func (c *Conv2D) pointwise() bool { return c.K == 1 }

// Forward takes x of shape [n, H, W, InC] and returns y of shape [n, OH, OW, OutC].
func (c *Conv2D) Forward(x []float32, n int, train bool) []float32 {
	if len(x) != n*c.in.Size() {
		panic("nn: Conv2D.Forward: input size mismatch")
	}
	c.n, c.x = n, x
	m := n * c.out.H * c.out.W
	kk := c.K * c.K * c.in.C
	oc := c.out.C
	c.y = grow(c.y, m*oc)
	a := x
	if !c.pointwise() {
		c.col = grow(c.col, m*kk)
		if c.i2cFn == nil {
			c.i2cFn, c.c2iFn = c.im2col, c.col2im
		}
		c.eng.Parallel(n, c.i2cFn)
		a = c.col
	}
	// y = bias, then y += col·W.
	for r := 0; r < m; r++ {
		copy(c.y[r*oc:(r+1)*oc], c.Bias.W)
	}
	c.eng.Sgemm(false, false, m, oc, kk, a, kk, c.Weight.W, oc, 1, c.y, oc)
	return c.y
}

// im2col writes col[(i,oh,ow), (kh,kw,ci)] = x[i, oh+kh, ow+kw, ci] for
// images [lo, hi) of c.x into c.col.
func (c *Conv2D) im2col(lo, hi int) {
	x, col := c.x, c.col
	H, W, C, K := c.in.H, c.in.W, c.in.C, c.K
	OH, OW := c.out.H, c.out.W
	seg := K * C
	kk := K * seg
	for i := lo; i < hi; i++ {
		for oh := 0; oh < OH; oh++ {
			for ow := 0; ow < OW; ow++ {
				row := col[((i*OH+oh)*OW+ow)*kk:]
				for kh := 0; kh < K; kh++ {
					src := x[((i*H+oh+kh)*W+ow)*C:]
					copy(row[kh*seg:(kh+1)*seg], src[:seg])
				}
			}
		}
	}
}

// col2im clears images [lo, hi) of c.dx and adds c.dcol back into them.
func (c *Conv2D) col2im(lo, hi int) {
	dcol, dx := c.dcol, c.dx
	H, W, C, K := c.in.H, c.in.W, c.in.C, c.K
	OH, OW := c.out.H, c.out.W
	seg := K * C
	kk := K * seg
	clear(dx[lo*H*W*C : hi*H*W*C])
	for i := lo; i < hi; i++ {
		for oh := 0; oh < OH; oh++ {
			for ow := 0; ow < OW; ow++ {
				row := dcol[((i*OH+oh)*OW+ow)*kk:]
				for kh := 0; kh < K; kh++ {
					dst := dx[((i*H+oh+kh)*W+ow)*C:]
					src := row[kh*seg : (kh+1)*seg]
					dst = dst[:seg]
					for j, v := range src {
						dst[j] += v
					}
				}
			}
		}
	}
}

// Backward takes dy of shape [n, OH, OW, OutC]; it accumulates dW += colᵀ·dy and
// db += Σ dy, and returns dx of shape [n, H, W, InC] (nil if not needed).
func (c *Conv2D) Backward(dy []float32) []float32 {
	n := c.n
	m := n * c.out.H * c.out.W
	kk := c.K * c.K * c.in.C
	oc := c.out.C
	a := c.x
	if !c.pointwise() {
		a = c.col
	}
	c.eng.Sgemm(true, false, kk, oc, m, a, kk, dy, oc, 1, c.Weight.G, oc)
	sumRows(c.Bias.G, dy, m, oc)
	if !c.needDx {
		return nil
	}
	c.dx = grow(c.dx, n*c.in.Size())
	if c.pointwise() {
		c.eng.Sgemm(false, true, m, kk, oc, dy, oc, c.Weight.W, oc, 0, c.dx, kk)
		return c.dx
	}
	c.dcol = grow(c.dcol, m*kk)
	c.eng.Sgemm(false, true, m, kk, oc, dy, oc, c.Weight.W, oc, 0, c.dcol, kk)
	c.eng.Parallel(n, c.c2iFn)
	return c.dx
}

// sumRows adds the column sums of the m×k matrix a into dst, in float64.
func sumRows(dst, a []float32, m, k int) {
	var acc [512]float64
	var s []float64
	if k <= len(acc) {
		s = acc[:k]
	} else {
		s = make([]float64, k)
	}
	for r := 0; r < m; r++ {
		row := a[r*k : (r+1)*k]
		for j, v := range row {
			s[j] += float64(v)
		}
	}
	for j := range s {
		dst[j] += float32(s[j])
	}
}
