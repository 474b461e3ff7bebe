package nn

import (
	"math"
	"math/rand/v2"

	"convscope/internal/gemm"
)

// Conv2D is a K×K convolution with stride 1 and no padding.
// Weight layout: [K, K, InC, OutC] (kh, kw, c, o), i.e. a [K·K·InC, OutC] matrix;
// bias [OutC].
//
// Two ways to compute it, chosen from the shapes (see useImplicit):
//   - im2col: Forward lowers x to columns ([n·OH·OW, K·K·InC]) and multiplies
//     them by the weight matrix; Backward multiplies the output gradient by the
//     transposed weights and adds the columns back (col2im). Used for few
//     input channels (conv1) and small outputs.
//   - implicit GEMM: no column buffer. For each kernel row kh, a row of
//     output pixels is a GEMM whose A is the input read in place (rows of A
//     overlap, row stride InC). The input gradient is the same kind of
//     convolution of the output gradient, padded with K-1 zero columns each
//     side, by the flipped, transposed kernel; the weight gradient is a GEMM
//     per image and kernel row over that padded gradient, summed per fixed
//     chunk of images and then in chunk order.
type Conv2D struct {
	in, out   Shape
	K         int
	Weight    *Param
	Bias      *Param
	eng       *gemm.Engine
	needDx    bool
	implicit  bool
	n         int
	x, col, y []float32
	dcol, dx  []float32
	dy        []float32
	yw        []float32        // implicit forward, whole-width rows: [n, (OH-1)·W+OW, OutC]
	dyp       []float32        // implicit backward: dy padded, [n, K-1 + OH·W, OutC] (see padDy)
	wf        []float32        // implicit backward: flipped kernel [K, K, OutC, InC]
	part      []float32        // per-chunk weight gradients
	bpart     []float64        // per-chunk bias gradients
	brow      []float32        // the bias repeated over biasRows rows, copied into y a block at a time
	i2cFn     func(lo, hi int) // bound once: engine calls then allocate nothing
	c2iFn     func(lo, hi int)
	fwdFn     func(lo, hi int)
	dwFn      func(lo, hi int)
	dxFn      func(lo, hi int)
	sumFn     func(lo, hi int)
}

// biasRows is the number of rows of the bias block that Forward copies
// into y at a time.
const biasRows = 64

// dwChunk is the number of images whose weight gradients are summed
// together; fixed, so the sums do not depend on the thread count.
const dwChunk = 8

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
	c.implicit = useImplicit(in, c.out, k)
	return c
}

// useImplicit says whether the implicit GEMM pays for a convolution: each
// GEMM step of it spans K·InC values (too few for conv1's one channel), and
// its tiles are rows of output pixels (too short for 2×2 outputs).
func useImplicit(in, out Shape, k int) bool {
	return k > 1 && k*in.C >= 32 && out.H*out.W >= 16
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
	d.x, d.col, d.y, d.dcol, d.dx, d.dy = nil, nil, nil, nil, nil, nil
	d.yw, d.dyp, d.wf, d.part, d.bpart, d.brow = nil, nil, nil, nil, nil, nil
	d.i2cFn, d.c2iFn, d.fwdFn, d.dwFn, d.dxFn, d.sumFn = nil, nil, nil, nil, nil, nil
	return &d
}

func (c *Conv2D) pointwise() bool { return c.K == 1 }

// fns binds the parallel loop bodies once, so that calls to the engine
// allocate nothing (a closure handed to another goroutine escapes).
func (c *Conv2D) fns() {
	if c.i2cFn == nil {
		c.i2cFn, c.c2iFn, c.fwdFn = c.im2col, c.col2im, c.forwardImages
		c.dwFn, c.dxFn, c.sumFn = c.dwChunks, c.dxImages, c.sumParts
	}
}

// wholeRows says whether the implicit forward computes an image as one
// GEMM over whole input rows ((OH-1)·W+OW output positions, W-OW of every W
// wasted, then compacted) rather than one GEMM per output row (OW
// positions, which wastes part of a tile when OW is not a multiple of the
// kernel's rows): whichever needs fewer tiles.
func (c *Conv2D) wholeRows() bool {
	mr := gemm.TileRows()
	mw := (c.out.H-1)*c.in.W + c.out.W
	return (mw+mr-1)/mr < c.out.H*((c.out.W+mr-1)/mr)
}

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
	c.fns()
	c.brow = grow(c.brow, biasRows*oc)
	for r := 0; r < biasRows; r++ {
		copy(c.brow[r*oc:(r+1)*oc], c.Bias.W)
	}
	if c.implicit {
		if c.wholeRows() {
			c.yw = grow(c.yw, n*((c.out.H-1)*c.in.W+c.out.W)*oc)
		}
		c.eng.Parallel(n, c.fwdFn)
		return c.y
	}
	a := x
	if !c.pointwise() {
		c.col = grow(c.col, m*kk)
		c.eng.Parallel(n, c.i2cFn)
		a = c.col
	}
	// y = bias, then y += col·W.
	for r := 0; r < m*oc; r += len(c.brow) {
		copy(c.y[r:], c.brow)
	}
	c.eng.Sgemm(false, false, m, oc, kk, a, kk, c.Weight.W, oc, 1, c.y, oc)
	return c.y
}

// forwardImages computes y for images [lo, hi) by implicit GEMM.
func (c *Conv2D) forwardImages(lo, hi int) {
	H, W, C, K := c.in.H, c.in.W, c.in.C, c.K
	OH, OW, oc := c.out.H, c.out.W, c.out.C
	w, bias := c.Weight.W, c.Bias.W
	seg := K * C // one kernel row: K·C steps of the GEMM
	ws := seg * oc
	whole := c.wholeRows()
	mw := (OH-1)*W + OW
	for i := lo; i < hi; i++ {
		xi := c.x[i*H*W*C : (i+1)*H*W*C]
		yi := c.y[i*OH*OW*oc : (i+1)*OH*OW*oc]
		if !whole {
			for oh := 0; oh < OH; oh++ {
				yr := yi[oh*OW*oc : (oh+1)*OW*oc]
				for r := 0; r < len(yr); r += len(c.brow) {
					copy(yr[r:], c.brow)
				}
				for kh := 0; kh < K; kh++ {
					gemm.Tile(OW, oc, seg, xi[(oh+kh)*W*C:], C, 1, w[kh*ws:(kh+1)*ws], oc, yr, oc, true)
				}
			}
			continue
		}
		yw := c.yw[i*mw*oc : (i+1)*mw*oc]
		for kh := 0; kh < K; kh++ {
			gemm.Tile(mw, oc, seg, xi[kh*W*C:], C, 1, w[kh*ws:(kh+1)*ws], oc, yw, oc, kh > 0)
		}
		for oh := 0; oh < OH; oh++ {
			for ow := 0; ow < OW; ow++ {
				src := yw[(oh*W+ow)*oc : (oh*W+ow+1)*oc]
				dst := yi[(oh*OW+ow)*oc : (oh*OW+ow+1)*oc]
				dst = dst[:len(src)]
				for j, v := range src {
					dst[j] = v + bias[j]
				}
			}
		}
	}
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
	c.dy = dy
	c.fns()
	nch := (n + dwChunk - 1) / dwChunk
	c.part = grow(c.part, nch*kk*oc)
	if cap(c.bpart) < nch*oc {
		c.bpart = make([]float64, nch*oc)
	}
	c.bpart = c.bpart[:nch*oc]
	if c.implicit {
		K, OH, W := c.K, c.out.H, c.in.W
		rows := K - 1 + OH*W
		if cap(c.dyp) < n*rows*oc {
			c.dyp = make([]float32, n*rows*oc) // padding zeros are never written again
		}
		c.dyp = c.dyp[:n*rows*oc]
		c.eng.Parallel(nch, c.dwFn) // also fills dyp
		c.eng.Parallel(kk*oc, c.sumFn)
		c.sumBias()
		if !c.needDx {
			return nil
		}
		c.dx = grow(c.dx, n*c.in.Size())
		c.wf = grow(c.wf, kk*oc)
		flipKernel(c.wf, c.Weight.W, K, c.in.C, oc)
		c.eng.Parallel(n, c.dxFn)
		return c.dx
	}
	c.eng.Parallel(nch, c.dwFn)
	c.eng.Parallel(kk*oc, c.sumFn)
	c.sumBias()
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

// dwChunks computes the weight gradient of each chunk of dwChunk images in
// [lo, hi) into its slot of c.part. For the implicit form it first copies
// the chunk's dy into c.dyp.
func (c *Conv2D) dwChunks(lo, hi int) {
	H, W, C, K := c.in.H, c.in.W, c.in.C, c.K
	OH, OW, oc := c.out.H, c.out.W, c.out.C
	kk := K * K * C
	for ch := lo; ch < hi; ch++ {
		part := c.part[ch*kk*oc : (ch+1)*kk*oc]
		i0, i1 := ch*dwChunk, min((ch+1)*dwChunk, c.n)
		bp := c.bpart[ch*oc : (ch+1)*oc]
		clear(bp)
		gemm.ColSums(c.dy[i0*OH*OW*oc:i1*OH*OW*oc], oc, bp)
		if !c.implicit {
			// part = colᵀ·dy over the chunk's rows (x itself for a 1×1).
			a, r0, r1 := c.col, i0*OH*OW, i1*OH*OW
			if c.pointwise() {
				a = c.x
			}
			gemm.Tile(kk, oc, r1-r0, a[r0*kk:r1*kk], 1, kk, c.dy[r0*oc:r1*oc], oc, part, oc, false)
			continue
		}
		seg := K * C
		ws := seg * oc
		rows := K - 1 + OH*W
		kw := (OH-1)*W + OW // GEMM depth over an image: every output row, padded to W
		for i := i0; i < i1; i++ {
			p := c.padDy(i)
			xi := c.x[i*H*W*C : (i+1)*H*W*C]
			b := p[(K-1)*oc : rows*oc]
			for kh := 0; kh < K; kh++ {
				// part[kh] (+)= Σ over output positions q of x[q + kh·W]ᵀ·dy[q],
				// A(r, q) = xi[kh·W·C + q·C + r] for r = (kw, c).
				gemm.Tile(seg, oc, kw, xi[kh*W*C:], 1, C, b, oc, part[kh*ws:(kh+1)*ws], oc, i > i0)
			}
		}
	}
}

// padDy copies image i of c.dy into c.dyp and returns that image's slot:
// K-1 zero rows, then OH rows of W (= OW + K-1) positions, the last K-1 of
// them zero. Read from row K-1 it is dy on the input's grid (the weight
// gradient's B); read from row K-1 + r·W - (K-1) it is dy row r with K-1
// zeros each side (the input gradient's A).
func (c *Conv2D) padDy(i int) []float32 {
	OH, OW, oc, W, K := c.out.H, c.out.W, c.out.C, c.in.W, c.K
	rows := K - 1 + OH*W
	p := c.dyp[i*rows*oc : (i+1)*rows*oc]
	d := c.dy[i*OH*OW*oc : (i+1)*OH*OW*oc]
	for oh := 0; oh < OH; oh++ {
		copy(p[(K-1+oh*W)*oc:(K-1+oh*W+OW)*oc], d[oh*OW*oc:(oh+1)*OW*oc])
	}
	return p
}

// sumParts adds the chunks' weight gradients into Weight.G for elements
// [lo, hi), in chunk order.
func (c *Conv2D) sumParts(lo, hi int) {
	g := c.Weight.G[lo:hi]
	sz := len(c.Weight.G)
	nch := len(c.part) / sz
	for ch := 0; ch < nch; ch++ {
		p := c.part[ch*sz+lo : ch*sz+hi]
		p = p[:len(g)]
		for j, v := range p {
			g[j] += v
		}
	}
}

// flipKernel writes wf[a, b, o, c] = w[K-1-a, K-1-b, c, o].
func flipKernel(wf, w []float32, K, C, oc int) {
	for a := 0; a < K; a++ {
		for b := 0; b < K; b++ {
			src := w[((K-1-a)*K+K-1-b)*C*oc:][:C*oc]
			dst := wf[(a*K+b)*oc*C:][:oc*C]
			for ci := 0; ci < C; ci++ {
				for o := 0; o < oc; o++ {
					dst[o*C+ci] = src[ci*oc+o]
				}
			}
		}
	}
}

// dxImages computes dx for images [lo, hi): row h of dx is the sum over
// kernel rows a of (dy row h+a-(K-1), zero-padded) times wf[a], skipping the
// rows outside dy.
func (c *Conv2D) dxImages(lo, hi int) {
	H, W, C, K := c.in.H, c.in.W, c.in.C, c.K
	OH, oc := c.out.H, c.out.C
	rows := K - 1 + OH*W
	seg := K * oc
	ws := seg * C
	for i := lo; i < hi; i++ {
		p := c.dyp[i*rows*oc : (i+1)*rows*oc]
		dxi := c.dx[i*H*W*C : (i+1)*H*W*C]
		for h := 0; h < H; h++ {
			dr := dxi[h*W*C : (h+1)*W*C]
			first := true
			for a := 0; a < K; a++ {
				r := h + a - (K - 1)
				if r < 0 || r >= OH {
					continue
				}
				// A(w, (b, o)) = dy[r, w+b-(K-1), o] = p[(r·W + w)·oc + b·oc + o].
				gemm.Tile(W, C, seg, p[r*W*oc:], oc, 1, c.wf[a*ws:(a+1)*ws], C, dr, C, !first)
				first = false
			}
		}
	}
}

// sumBias adds the chunks' bias gradients into Bias.G, in chunk order.
func (c *Conv2D) sumBias() {
	oc := c.out.C
	s := c.bpart[:oc] // chunk 0's slot collects the others
	for ch := 1; ch < len(c.bpart)/oc; ch++ {
		for j, v := range c.bpart[ch*oc : (ch+1)*oc] {
			s[j] += v
		}
	}
	for j, v := range s {
		c.Bias.G[j] += float32(v)
	}
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
