package nn

import (
	"math"

	"convscope/internal/gemm"
)

// BatchNorm2D normalises each channel over the batch and the spatial positions.
// Training uses the batch statistics and updates running estimates with
// running = m·running + (1-m)·batch (Keras convention, unbiased variance);
// evaluation uses the running estimates. The momentum m warms up as
// min(Momentum, (1+t)/(10+t)) over the first updates t (as TensorFlow's
// ExponentialMovingAverage with num_updates does), so that the running
// estimates forget their initial values after tens of batches, not
// hundreds: with Momentum 0.99 this reaches 0.99 after 890 batches, about one
// MNIST epoch, and short runs evaluate sensibly.
// Params: weight (gamma) [C], bias (beta) [C]; running_mean and running_var [C] are state.
type BatchNorm2D struct {
	shape        Shape
	Eps          float64
	Momentum     float64
	Gamma, Beta  *Param
	RunningMean  []float32
	RunningVar   []float32
	Updates      int64 // training batches seen (PyTorch's num_batches_tracked)
	eng          *gemm.Engine
	train        bool
	relu         bool // a ReLU follows and this layer applies it in training (fuseBNReLU)
	fused        bool // the last Forward applied that ReLU
	x, y, dy, dx []float32
	co           gemm.BNCoef // x̂ = x·scale + shift, y = x·yscale + yshift (last training Forward), Backward's k1..k3
	m            int
	backward     bool
	sumFn        func(lo, hi int)
	affFn        func(lo, hi int)
	bwdFn        func(lo, hi int)
	part         []float64 // per-chunk partial sums
	dgam, dbet   []float64
}

// bnChunk is the number of rows reduced together; fixed so sums do not depend on the thread count.
const bnChunk = 512

// NewBatchNorm2D returns a batch norm over s.C channels with gamma 1, beta 0,
// running mean 0 and running variance 1.
func NewBatchNorm2D(s Shape, eps, momentum float64) *BatchNorm2D {
	c := s.C
	b := &BatchNorm2D{shape: s, Eps: eps, Momentum: momentum}
	b.Gamma = &Param{Name: "weight", Shape: []int{c}, W: make([]float32, c), G: make([]float32, c)}
	b.Beta = &Param{Name: "bias", Shape: []int{c}, W: make([]float32, c), G: make([]float32, c)}
	b.RunningMean = make([]float32, c)
	b.RunningVar = make([]float32, c)
	for i := range c {
		b.Gamma.W[i] = 1
		b.RunningVar[i] = 1
	}
	return b
}

func (b *BatchNorm2D) Kind() LayerKind          { return KindBatchNorm2D }
func (b *BatchNorm2D) In() Shape                { return b.shape }
func (b *BatchNorm2D) Out() Shape               { return b.shape }
func (b *BatchNorm2D) Params() []*Param         { return []*Param{b.Gamma, b.Beta} }
func (b *BatchNorm2D) MACs() int                { return 0 }
func (b *BatchNorm2D) setEngine(e *gemm.Engine) { b.eng = e }
func (b *BatchNorm2D) setNeedDx(bool)           {}
func (b *BatchNorm2D) clone() Layer {
	d := *b
	d.Gamma, d.Beta = cloneParam(b.Gamma), cloneParam(b.Beta)
	d.RunningMean = append([]float32(nil), b.RunningMean...)
	d.RunningVar = append([]float32(nil), b.RunningVar...)
	d.x, d.y, d.dy, d.dx, d.part, d.dgam, d.dbet = nil, nil, nil, nil, nil, nil, nil
	d.sumFn, d.affFn, d.bwdFn = nil, nil, nil
	return &d
}

// fns binds the parallel loop bodies once, so that calls to the engine
// allocate nothing (a closure handed to another goroutine escapes).
func (b *BatchNorm2D) fns() {
	if b.sumFn == nil {
		b.sumFn, b.affFn, b.bwdFn = b.sumChunks, b.affine, b.backChunk
	}
}

// chunkSums computes, for each chunk of bnChunk rows, per-channel partial
// sums into b.part (in parallel), then reduces them in chunk order into s1
// and s2, so the result does not depend on the thread count. backward selects
// the sums: Σx and Σx² (false) or Σdy·x̂ and Σdy (true).
func (b *BatchNorm2D) chunkSums(m int, backward bool, s1, s2 []float64) {
	c := b.shape.C
	nch := (m + bnChunk - 1) / bnChunk
	if cap(b.part) < nch*2*c {
		b.part = make([]float64, nch*2*c)
	}
	b.part = b.part[:nch*2*c]
	clear(b.part)
	b.m, b.backward = m, backward
	b.fns()
	b.eng.Parallel(nch, b.sumFn)
	clear(s1)
	clear(s2)
	for ch := 0; ch < nch; ch++ {
		p := b.part[ch*2*c:]
		for j := 0; j < c; j++ {
			s1[j] += p[j]
			s2[j] += p[c+j]
		}
	}
}

func (b *BatchNorm2D) sumChunks(lo, hi int) {
	c := b.shape.C
	for ch := lo; ch < hi; ch++ {
		p1, p2 := b.part[ch*2*c:ch*2*c+c], b.part[ch*2*c+c:(ch+1)*2*c]
		r0 := ch * bnChunk
		r1 := min(r0+bnChunk, b.m)
		x := b.x[r0*c : r1*c]
		if b.backward {
			gemm.BNBackSums(b.dy[r0*c:r1*c], x, c, &b.co, b.fused, p1, p2)
		} else {
			gemm.BNSums(x, c, p1, p2)
		}
	}
}

// affine writes y = x·ys + yb, or max(0, x·ys + yb) when fused, for rows [lo, hi).
func (b *BatchNorm2D) affine(lo, hi int) {
	c := b.shape.C
	gemm.BNAffine(b.y[lo*c:hi*c], b.x[lo*c:hi*c], c, &b.co, b.fused)
}

// backChunk writes dx for rows [lo, hi).
func (b *BatchNorm2D) backChunk(lo, hi int) {
	c := b.shape.C
	gemm.BNBackDx(b.dx[lo*c:hi*c], b.dy[lo*c:hi*c], b.x[lo*c:hi*c], c, &b.co, b.fused)
}

// Forward takes x of shape [n, H, W, C] and returns y of the same shape.
func (b *BatchNorm2D) Forward(x []float32, n int, train bool) []float32 {
	if len(x) != n*b.shape.Size() {
		panic("nn: BatchNorm2D.Forward: input size mismatch")
	}
	c := b.shape.C
	if c > len(b.co[0]) {
		panic("nn: BatchNorm2D supports at most 512 channels")
	}
	m := len(x) / c
	b.train = train
	b.fused = train && b.relu
	b.y = grow(b.y, len(x))
	// Keep x and the per-channel affine map to x̂ (x̂ = x·scale + shift)
	// instead of storing x̂: Backward recomputes it, which costs less than
	// writing and reading another activation-sized buffer.
	b.x = x
	if train {
		if cap(b.dgam) < c {
			b.dgam, b.dbet = make([]float64, c), make([]float64, c)
		}
		sum, sq := b.dgam[:c], b.dbet[:c]
		b.chunkSums(m, false, sum, sq)
		t := float64(b.Updates)
		mom := float32(min(b.Momentum, (1+t)/(10+t)))
		b.Updates++
		for j := 0; j < c; j++ {
			mean := sum[j] / float64(m)
			v := sq[j]/float64(m) - mean*mean
			if v < 0 {
				v = 0
			}
			inv := 1 / math.Sqrt(v+b.Eps)
			unb := v
			if m > 1 {
				unb = v * float64(m) / float64(m-1)
			}
			b.RunningMean[j] = mom*b.RunningMean[j] + (1-mom)*float32(mean)
			b.RunningVar[j] = mom*b.RunningVar[j] + (1-mom)*float32(unb)
			co := &b.co
			co[gemm.BNScale][j] = float32(inv)
			co[gemm.BNShift][j] = float32(-mean * inv)
			co[gemm.BNYScale][j] = co[gemm.BNScale][j] * b.Gamma.W[j]
			co[gemm.BNYShift][j] = co[gemm.BNShift][j]*b.Gamma.W[j] + b.Beta.W[j]
		}
	} else {
		for j := 0; j < c; j++ {
			inv := float32(1 / math.Sqrt(float64(b.RunningVar[j])+b.Eps))
			b.co[gemm.BNYScale][j] = b.Gamma.W[j] * inv
			b.co[gemm.BNYShift][j] = b.Beta.W[j] - b.RunningMean[j]*b.co[gemm.BNYScale][j]
		}
	}
	b.fns()
	b.eng.Parallel(m, b.affFn)
	return b.y
}

// Backward takes dy of shape [n, H, W, C] (after a training Forward) and returns dx.
func (b *BatchNorm2D) Backward(dy []float32) []float32 {
	if !b.train {
		panic("nn: BatchNorm2D.Backward after an evaluation Forward")
	}
	c := b.shape.C
	m := len(dy) / c
	b.dy = dy
	dg, db := b.dgam[:c], b.dbet[:c]
	b.chunkSums(m, true, dg, db)
	for j := 0; j < c; j++ {
		b.Gamma.G[j] += float32(dg[j])
		b.Beta.G[j] += float32(db[j])
		s := b.Gamma.W[j] * b.co[gemm.BNScale][j] // scale is 1/σ
		b.co[gemm.BNK1][j] = s
		b.co[gemm.BNK2][j] = s * float32(db[j]/float64(m))
		b.co[gemm.BNK3][j] = s * float32(dg[j]/float64(m))
	}
	b.dx = grow(b.dx, len(dy))
	b.eng.Parallel(m, b.bwdFn)
	return b.dx
}
