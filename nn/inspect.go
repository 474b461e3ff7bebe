package nn

import (
	"fmt"
	"math"
)

// This file holds what the UI asks of a trained network beyond training: one
// image's activations, softmax, saliency (input gradient and occlusion), the
// arithmetic behind one convolution output, and receptive fields. All of it
// runs the network in evaluation mode on its own buffers and changes no
// parameter or statistic, so a private Clone is all a caller needs.

// ImageInput converts pixels (0 paper .. 255 ink) to the network's input
// scale, 0..1, as training does.
func ImageInput(px []uint8) []float32 {
	x := make([]float32, len(px))
	toFloat(x, px)
	return x
}

// Softmax returns the probabilities of one row of logits (see softmaxRow).
func Softmax(logits []float32) []float32 {
	p := make([]float32, len(logits))
	if len(logits) > 0 {
		softmaxRow(logits, p)
	}
	return p
}

// Trace is one image's pass through a network, every slice a copy the caller
// may keep.
type Trace struct {
	Input []float32   // the image, shape Net.Input (H, W, C)
	Outs  [][]float32 // Outs[i] is layer i's output, shape Layers[i].Out() (H, W, C)
	Probs []float32   // softmax of the logits (the last output)
	Pred  int         // the predicted class: Predict of the logits
}

// LayerInput is layer i's input: the image for layer 0, else Outs[i-1].
func (t *Trace) LayerInput(i int) []float32 {
	if i == 0 {
		return t.Input
	}
	return t.Outs[i-1]
}

// TraceImage runs one image x (shape n.Input, values 0..1) through n in
// evaluation mode and returns copies of every layer's output. It uses n's
// buffers: n must not be in use in another goroutine.
func (n *Net) TraceImage(x []float32) *Trace {
	if len(x) != n.Input.Size() {
		panic(fmt.Sprintf("nn: TraceImage: %d values for an input of %v", len(x), n.Input))
	}
	outs := n.ForwardTrace(x, 1)
	t := &Trace{Input: append([]float32(nil), x...), Outs: make([][]float32, len(outs))}
	for i, o := range outs {
		t.Outs[i] = append([]float32(nil), o...)
	}
	logits := t.Outs[len(t.Outs)-1]
	t.Probs = Softmax(logits)
	t.Pred = Predict(logits)
	return t
}

// ConvCell is the arithmetic behind one output value y[Row, Col, Out] of a
// Conv2D, as CNN Explainer shows it:
//
//	y = Bias + Σ_c Partial[c],  Partial[c] = Σ_{kh,kw} Field[kh,kw,c]·Kernel[kh,kw,c].
type ConvCell struct {
	Row, Col, Out int // the output cell (oh, ow) and channel o
	K, InC        int
	// Field is the K×K×InC patch of the layer's input under the kernel,
	// laid out [kh, kw, c]: Field[(kh*K+kw)*InC+c] = x[Row+kh, Col+kw, c].
	Field []float32
	// Kernel is output channel Out's weights in the same layout.
	Kernel  []float32
	Partial []float64 // per input channel, summed in float64
	Bias    float32
	Sum     float64 // Bias + Σ Partial
}

// Kernel returns output channel o's weights, [K, K, InC] (kh, kw, c).
func (c *Conv2D) Kernel(o int) []float32 {
	if o < 0 || o >= c.out.C {
		panic(fmt.Sprintf("nn: Conv2D.Kernel: channel %d of %d", o, c.out.C))
	}
	kk := c.K * c.K * c.in.C
	k := make([]float32, kk)
	for i := range k {
		k[i] = c.Weight.W[i*c.out.C+o]
	}
	return k
}

// Explain returns the arithmetic of output (oh, ow, o) for one image x of
// the layer's input shape (H, W, InC).
func (c *Conv2D) Explain(x []float32, oh, ow, o int) ConvCell {
	if len(x) != c.in.Size() {
		panic(fmt.Sprintf("nn: Conv2D.Explain: %d values for an input of %v", len(x), c.in))
	}
	if oh < 0 || oh >= c.out.H || ow < 0 || ow >= c.out.W || o < 0 || o >= c.out.C {
		panic(fmt.Sprintf("nn: Conv2D.Explain: cell (%d, %d, %d) outside %v", oh, ow, o, c.out))
	}
	K, C, W := c.K, c.in.C, c.in.W
	cell := ConvCell{Row: oh, Col: ow, Out: o, K: K, InC: C,
		Field: make([]float32, K*K*C), Kernel: c.Kernel(o), Partial: make([]float64, C), Bias: c.Bias.W[o]}
	for kh := 0; kh < K; kh++ {
		for kw := 0; kw < K; kw++ {
			src := x[((oh+kh)*W+ow+kw)*C:]
			dst := cell.Field[(kh*K+kw)*C:]
			copy(dst[:C], src[:C])
		}
	}
	for i, v := range cell.Field {
		cell.Partial[i%C] += float64(v) * float64(cell.Kernel[i])
	}
	cell.Sum = float64(cell.Bias)
	for _, p := range cell.Partial {
		cell.Sum += p
	}
	return cell
}

// Field is a rectangle of pixels, rows R0..R1 and columns C0..C1 inclusive.
type Field struct{ R0, C0, R1, C1 int }

// ReceptiveField is the rectangle of input pixels that output cell (oh, ow)
// of layer i depends on: a K×K convolution widens it by K-1, a 2×2 pooling
// doubles it, and after a Flatten every output depends on the whole image.
// It is clipped to the image (pooling drops odd edges).
func (n *Net) ReceptiveField(i, oh, ow int) Field {
	f := Field{oh, ow, oh, ow}
	for j := i; j >= 0; j-- {
		l := n.Layers[j]
		switch l := l.(type) {
		case *Conv2D:
			f.R1 += l.K - 1
			f.C1 += l.K - 1
		case *MaxPool2D:
			f = Field{2 * f.R0, 2 * f.C0, 2*f.R1 + 1, 2*f.C1 + 1}
		case *Flatten, *Dense:
			in := l.In()
			f = Field{0, 0, in.H - 1, in.W - 1}
		}
	}
	f.R1 = min(f.R1, n.Input.H-1)
	f.C1 = min(f.C1, n.Input.W-1)
	return f
}

// InputGradient returns ∂logit[class]/∂x for one image x (shape n.Input) by
// backpropagation in evaluation mode: batch norm uses its running statistics,
// as the prediction does. It runs a forward pass on n's buffers (n must not
// be in use in another goroutine) and touches no parameter or gradient.
func (n *Net) InputGradient(x []float32, class int) []float32 {
	if len(x) != n.Input.Size() {
		panic(fmt.Sprintf("nn: InputGradient: %d values for an input of %v", len(x), n.Input))
	}
	if class < 0 || class >= n.Classes() {
		panic(fmt.Sprintf("nn: InputGradient: class %d of %d", class, n.Classes()))
	}
	outs := n.ForwardTrace(x, 1)
	dy := make([]float32, n.Classes())
	dy[class] = 1
	for i := len(n.Layers) - 1; i >= 0; i-- {
		in := x
		if i > 0 {
			in = outs[i-1]
		}
		dy = backOne(n.Layers[i], in, outs[i], dy)
	}
	return dy
}

// backOne is the input gradient of one layer for one image in evaluation
// mode, given its input x, output y and output gradient dy. These are plain
// reference loops: one image is cheap, and the layers' own Backward needs a
// training pass (batch norm) and accumulates parameter gradients.
func backOne(l Layer, x, y, dy []float32) []float32 {
	in, out := l.In(), l.Out()
	dx := make([]float32, in.Size())
	switch l := l.(type) {
	case *Conv2D:
		K, C, O := l.K, in.C, out.C
		w := l.Weight.W
		for oh := 0; oh < out.H; oh++ {
			for ow := 0; ow < out.W; ow++ {
				g := dy[(oh*out.W+ow)*O : (oh*out.W+ow+1)*O]
				for kh := 0; kh < K; kh++ {
					for kw := 0; kw < K; kw++ {
						d := dx[((oh+kh)*in.W+ow+kw)*C:]
						for c := 0; c < C; c++ {
							row := w[((kh*K+kw)*C+c)*O : ((kh*K+kw)*C+c+1)*O]
							var s float32
							for o, v := range g {
								s += v * row[o]
							}
							d[c] += s
						}
					}
				}
			}
		}
	case *BatchNorm2D:
		C := in.C
		scale := make([]float32, C)
		for j := range scale {
			inv := float32(1 / math.Sqrt(float64(l.RunningVar[j])+l.Eps))
			scale[j] = l.Gamma.W[j] * inv
		}
		for i, v := range dy {
			dx[i] = v * scale[i%C]
		}
	case *ReLU:
		for i, v := range dy {
			if y[i] > 0 {
				dx[i] = v
			}
		}
	case *MaxPool2D:
		C, W := in.C, in.W
		for oh := 0; oh < out.H; oh++ {
			for ow := 0; ow < out.W; ow++ {
				b00 := ((2*oh)*W + 2*ow) * C
				for c := 0; c < C; c++ {
					// The same tie rule as Forward: the first maximum wins.
					best := b00 + c
					for _, j := range [3]int{b00 + C + c, b00 + W*C + c, b00 + W*C + C + c} {
						if x[j] > x[best] {
							best = j
						}
					}
					dx[best] += dy[(oh*out.W+ow)*C+c]
				}
			}
		}
	case *Flatten:
		copy(dx, dy)
	case *Dense:
		O := out.C
		w := l.Weight.W
		for k := range dx {
			row := w[k*O : (k+1)*O]
			var s float32
			for o, v := range dy {
				s += v * row[o]
			}
			dx[k] = s
		}
	default:
		panic(fmt.Sprintf("nn: no input gradient for layer kind %s", l.Kind()))
	}
	return dx
}

// occlusionBatch is the number of occluded images one forward pass takes.
const occlusionBatch = 16

// Occlusion returns, for each pixel of one image x (shape n.Input), how much
// the logit of class falls when a patch×patch square is blanked (set to 0)
// over it, averaged over the squares, placed every stride pixels, that cover
// it. Positive values mark pixels the class relied on. It runs forward passes
// on n's buffers: n must not be in use in another goroutine.
func (n *Net) Occlusion(x []float32, class, patch, stride int) []float32 {
	if len(x) != n.Input.Size() {
		panic(fmt.Sprintf("nn: Occlusion: %d values for an input of %v", len(x), n.Input))
	}
	if class < 0 || class >= n.Classes() || patch < 1 || stride < 1 {
		panic(fmt.Sprintf("nn: Occlusion: class %d of %d, patch %d, stride %d", class, n.Classes(), patch, stride))
	}
	H, W, C := n.Input.H, n.Input.W, n.Input.C
	k := n.Classes()
	base := n.Forward(x, 1, false)[class]
	type spot struct{ r, c int }
	var spots []spot
	for r := 0; r+patch <= H+stride-1 && r < H; r += stride {
		for c := 0; c+patch <= W+stride-1 && c < W; c += stride {
			spots = append(spots, spot{r, c})
		}
	}
	sum := make([]float64, H*W)
	cnt := make([]int, H*W)
	size := n.Input.Size()
	buf := make([]float32, occlusionBatch*size)
	for lo := 0; lo < len(spots); lo += occlusionBatch {
		hi := min(lo+occlusionBatch, len(spots))
		for b, s := range spots[lo:hi] {
			img := buf[b*size : (b+1)*size]
			copy(img, x)
			for r := s.r; r < min(s.r+patch, H); r++ {
				clear(img[(r*W+s.c)*C : (r*W+min(s.c+patch, W))*C])
			}
		}
		logits := n.Forward(buf[:(hi-lo)*size], hi-lo, false)
		for b, s := range spots[lo:hi] {
			drop := float64(base - logits[b*k+class])
			for r := s.r; r < min(s.r+patch, H); r++ {
				for c := s.c; c < min(s.c+patch, W); c++ {
					sum[r*W+c] += drop
					cnt[r*W+c]++
				}
			}
		}
	}
	heat := make([]float32, H*W)
	for i := range heat {
		if cnt[i] > 0 {
			heat[i] = float32(sum[i] / float64(cnt[i]))
		}
	}
	return heat
}
