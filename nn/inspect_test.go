package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// smallNet builds a network of every layer kind on 8×8 images:
// conv3 1→3, BN, ReLU, pool, conv1x1 3→4, ReLU, flatten, dense 5, ReLU, dense 3.
// The batch norm gets running statistics and affine parameters away from
// their defaults, so evaluation mode is not the identity.
func smallNet(rng *rand.Rand) *Net {
	n := &Net{Name: "small", Input: Shape{8, 8, 1}}
	s := n.Input
	add := func(l Layer) { n.Layers = append(n.Layers, l); s = l.Out() }
	add(NewConv2D(s, 3, 3, rng))
	bn := NewBatchNorm2D(s, 1e-3, 0.99)
	for j := range bn.RunningMean {
		bn.RunningMean[j] = float32(rng.Float64() - 0.5)
		bn.RunningVar[j] = float32(0.5 + rng.Float64())
		bn.Gamma.W[j] = float32(0.5 + rng.Float64())
		bn.Beta.W[j] = float32(rng.Float64() - 0.5)
	}
	add(bn)
	add(NewReLU(s))
	add(NewMaxPool2D(s))
	add(NewConv2D(s, 4, 1, rng))
	add(NewReLU(s))
	add(NewFlatten(s))
	add(NewDense(s, 5, rng))
	add(NewReLU(s))
	add(NewDense(s, 3, rng))
	for _, l := range n.Layers {
		for _, p := range l.Params() {
			if p.Name == "bias" {
				copy(p.W, randSlice(rng, len(p.W), -0.2, 0.2))
			}
		}
	}
	n.SetEngine(nil)
	return n
}

func TestSoftmax(t *testing.T) {
	p := Softmax([]float32{1, 2, 3, 1000})
	if p[3] != 1 || p[0] != 0 {
		t.Errorf("Softmax with a dominant logit = %v, want [0 0 0 1]", p)
	}
	p = Softmax([]float32{0, math.Float32frombits(0x3f317218)}) // ln 2
	if math.Abs(float64(p[1])-2.0/3) > 1e-6 {
		t.Errorf("Softmax(0, ln 2) = %v, want [1/3 2/3]", p)
	}
	if len(Softmax(nil)) != 0 {
		t.Error("Softmax(nil) is not empty")
	}
}

// TestTraceImage checks the trace holds the values ForwardTrace gives on the
// same network, as copies that survive the next pass.
func TestTraceImage(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	n := smallNet(rng)
	x := randSlice(rng, 64, 0, 1)
	tr := n.TraceImage(x)
	want := n.Clone().ForwardTrace(x, 1)
	for i, o := range want {
		for j, v := range o {
			if tr.Outs[i][j] != v {
				t.Fatalf("layer %d value %d = %v, want %v (ForwardTrace)", i, j, tr.Outs[i][j], v)
			}
		}
	}
	n.TraceImage(randSlice(rng, 64, 0, 1)) // reuses the buffers
	for i, o := range want {
		for j, v := range o {
			if tr.Outs[i][j] != v {
				t.Fatalf("after another pass layer %d value %d changed: the trace must hold copies", i, j)
			}
		}
	}
	if &tr.LayerInput(0)[0] != &tr.Input[0] || &tr.LayerInput(3)[0] != &tr.Outs[2][0] {
		t.Error("LayerInput(0) should be the image and LayerInput(i) the output of layer i-1")
	}
	best := 0
	for i, p := range tr.Probs {
		if p > tr.Probs[best] {
			best = i
		}
	}
	if tr.Pred != best || len(tr.Probs) != 3 {
		t.Errorf("Pred = %d of %d probabilities %v, want the argmax %d", tr.Pred, len(tr.Probs), tr.Probs, best)
	}
}

// TestExplainHandComputed checks one cell of a 2-channel 3×3 convolution
// against arithmetic done by hand, and that every cell's explanation sums to
// the layer's output (exactly: the numbers are small integers).
func TestExplainHandComputed(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	c := NewConv2D(Shape{4, 4, 2}, 2, 3, rng)
	c.setEngine(nil)
	n := &Net{Input: Shape{4, 4, 2}, Layers: []Layer{c}}
	n.SetEngine(nil)
	// x[h, w, ch] = h + 2w + 10ch, so channel 1 is channel 0 plus 10.
	x := make([]float32, 4*4*2)
	for h := range 4 {
		for w := range 4 {
			for ch := range 2 {
				x[(h*4+w)*2+ch] = float32(h + 2*w + 10*ch)
			}
		}
	}
	// Output channel 1: kernel of channel 0 is all 1, of channel 1 is the
	// identity (1 at the centre only); output channel 0 is -1 everywhere.
	for kh := range 3 {
		for kw := range 3 {
			for ch := range 2 {
				i := ((kh*3+kw)*2 + ch) * 2
				c.Weight.W[i] = -1
				c.Weight.W[i+1] = 0
				if ch == 0 {
					c.Weight.W[i+1] = 1
				} else if kh == 1 && kw == 1 {
					c.Weight.W[i+1] = 1
				}
			}
		}
	}
	c.Bias.W[0], c.Bias.W[1] = 0.5, 2

	cell := c.Explain(x, 1, 0, 1)
	// Channel 0 field rows 1..3, columns 0..2: Σ (h + 2w) = 3·(1+2+3) + 3·2·(0+1+2) = 18 + 18.
	// Channel 1 centre: x[2, 1, 1] = 2 + 2 + 10 = 14.
	if cell.Partial[0] != 36 || cell.Partial[1] != 14 || cell.Bias != 2 || cell.Sum != 52 {
		t.Errorf("Explain(1, 0, 1) = partials %v, bias %v, sum %v; want [36 14], 2, 52", cell.Partial, cell.Bias, cell.Sum)
	}
	if f := cell.Field[(2*3+1)*2+1]; f != float32(3+2+10) {
		t.Errorf("field at kh=2 kw=1 c=1 = %v, want x[3, 1, 1] = 15", f)
	}
	y := n.Forward(x, 1, false)
	for oh := range 2 {
		for ow := range 2 {
			for o := range 2 {
				got := c.Explain(x, oh, ow, o).Sum
				if want := float64(y[(oh*2+ow)*2+o]); got != want {
					t.Errorf("Explain(%d, %d, %d).Sum = %v, want the output %v", oh, ow, o, got, want)
				}
			}
		}
	}
	if y[(1*2+0)*2+1] != 52 {
		t.Errorf("Forward at (1, 0, 1) = %v, want 52", y[(1*2+0)*2+1])
	}
}

func TestKernel(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	c := NewConv2D(Shape{5, 5, 3}, 4, 3, rng)
	for o := range 4 {
		k := c.Kernel(o)
		for kh := range 3 {
			for kw := range 3 {
				for ch := range 3 {
					if got, want := k[(kh*3+kw)*3+ch], c.Weight.W[((kh*3+kw)*3+ch)*4+o]; got != want {
						t.Fatalf("Kernel(%d)[%d,%d,%d] = %v, want %v", o, kh, kw, ch, got, want)
					}
				}
			}
		}
	}
}

func TestReceptiveField(t *testing.T) {
	net, err := NewPaper(28, 28, 10, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		layer, oh, ow int
		want          Field
	}{
		{0, 0, 0, Field{0, 0, 2, 2}},    // conv2d_1
		{0, 25, 3, Field{25, 3, 27, 5}}, // conv2d_1, bottom edge
		{2, 4, 7, Field{4, 7, 6, 9}},    // relu_1: as conv2d_1
		{3, 0, 0, Field{0, 0, 4, 4}},    // conv2d_2: 3 + 2
		{6, 1, 2, Field{2, 4, 7, 9}},    // max_pool_1: 2×2 of conv2d_2's 5×5 fields
		{7, 0, 0, Field{0, 0, 9, 9}},    // conv2d_3: 3 pooled cells wide = 6 + 4
		{16, 0, 0, Field{0, 0, 23, 23}}, // relu_5 after conv2d_5 (2×2)
		{18, 1, 1, Field{4, 4, 27, 27}}, // batch_norm_6's lower right cell
		{20, 0, 0, Field{0, 0, 27, 27}}, // max_pool_3 (1×1)
		{21, 0, 0, Field{0, 0, 27, 27}}, // flatten
		{22, 0, 0, Field{0, 0, 27, 27}}, // dense_1
		{26, 0, 0, Field{0, 0, 27, 27}}, // dense_3
	}
	for _, c := range cases {
		if got := net.ReceptiveField(c.layer, c.oh, c.ow); got != c.want {
			t.Errorf("ReceptiveField(%s, %d, %d) = %+v, want %+v", net.LayerName(c.layer), c.oh, c.ow, got, c.want)
		}
	}
}

// TestReceptiveFieldByPerturbation checks the field of each cell of each
// spatial layer of smallNet: changing a pixel outside it leaves the cell
// alone.
func TestReceptiveFieldByPerturbation(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	n := smallNet(rng)
	x := randSlice(rng, 64, 0, 1)
	base := n.TraceImage(x)
	for p := range 64 {
		y := append([]float32(nil), x...)
		y[p] += 5
		tr := n.TraceImage(y)
		pr, pc := p/8, p%8
		for i, l := range n.Layers[:6] {
			o := l.Out()
			for oh := range o.H {
				for ow := range o.W {
					f := n.ReceptiveField(i, oh, ow)
					if pr >= f.R0 && pr <= f.R1 && pc >= f.C0 && pc <= f.C1 {
						continue
					}
					for ch := range o.C {
						j := (oh*o.W+ow)*o.C + ch
						if tr.Outs[i][j] != base.Outs[i][j] {
							t.Fatalf("pixel (%d, %d) outside the field %+v changes %s at (%d, %d, %d)", pr, pc, f, n.LayerName(i), oh, ow, ch)
						}
					}
				}
			}
		}
	}
}

// TestInputGradient checks the evaluation-mode input gradient against finite
// differences of the logit, through every layer kind.
func TestInputGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	n := smallNet(rng)
	x := randSlice(rng, 64, 0, 1)
	for class := range 3 {
		g := n.InputGradient(x, class)
		f := func() float64 { return float64(n.Forward(x, 1, false)[class]) }
		if err := compareGrad(x, g, f, 1e-3, 2e-2, 1e-4); err != nil {
			t.Errorf("InputGradient(class %d): %v", class, err)
		}
	}
}

// TestInputGradientMatchesBackward compares the reference loops with the
// layers' own Backward on a network without batch norm.
func TestInputGradientMatchesBackward(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	n := smallNet(rng)
	n.Layers = append(n.Layers[:1:1], n.Layers[2:]...) // drop the batch norm
	n.SetEngine(nil)
	x := randSlice(rng, 64, 0, 1)
	g := n.InputGradient(x, 2)
	n.Forward(x, 1, false)
	dy := []float32{0, 0, 1}
	var dx []float32
	d := dy
	for i := len(n.Layers) - 1; i >= 0; i-- {
		d = n.Layers[i].Backward(d)
	}
	dx = d
	for i := range g {
		if math.Abs(float64(g[i]-dx[i])) > 1e-5 {
			t.Fatalf("InputGradient[%d] = %v, Backward gives %v", i, g[i], dx[i])
		}
	}
	for _, p := range n.Params() {
		clear(p.G)
	}
	n.InputGradient(x, 1)
	for _, p := range n.Params() {
		for _, v := range p.G {
			if v != 0 {
				t.Fatal("InputGradient touched a parameter gradient")
			}
		}
	}
}

// TestOcclusion uses a network whose logit is the sum of the pixels: blanking
// a patch lowers it by the patch's sum.
func TestOcclusion(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	n := &Net{Input: Shape{5, 5, 1}}
	fl := NewFlatten(n.Input)
	d := NewDense(fl.Out(), 2, rng)
	for i := range d.Weight.W {
		d.Weight.W[i] = float32(1 - i%2) // output 0 sums the pixels, output 1 is 0
	}
	n.Layers = []Layer{fl, d}
	n.SetEngine(nil)
	x := randSlice(rng, 25, 0, 1)
	h := n.Occlusion(x, 0, 1, 1)
	for i := range x {
		if math.Abs(float64(h[i]-x[i])) > 1e-5 {
			t.Fatalf("1×1 occlusion at %d = %v, want the pixel %v", i, h[i], x[i])
		}
	}
	h = n.Occlusion(x, 0, 2, 2) // squares at 0, 2, 4, the last cut by the edge
	sq := func(r, c int) float32 {
		var s float32
		for i := r; i < min(r+2, 5); i++ {
			for j := c; j < min(c+2, 5); j++ {
				s += x[i*5+j]
			}
		}
		return s
	}
	for r := range 5 {
		for c := range 5 {
			if want := sq(r/2*2, c/2*2); math.Abs(float64(h[r*5+c]-want)) > 1e-5 {
				t.Errorf("2×2 occlusion at (%d, %d) = %v, want its square's sum %v", r, c, h[r*5+c], want)
			}
		}
	}
	if h := n.Occlusion(x, 1, 2, 1); h[12] != 0 {
		t.Errorf("occlusion for a class that ignores the image = %v, want 0", h[12])
	}
}

func TestImageInput(t *testing.T) {
	x := ImageInput([]uint8{0, 255, 51})
	if x[0] != 0 || x[1] != 1 || math.Abs(float64(x[2])-0.2) > 1e-7 {
		t.Errorf("ImageInput(0, 255, 51) = %v, want [0 1 0.2]", x)
	}
}
