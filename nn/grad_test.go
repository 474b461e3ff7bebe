package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"convscope/internal/gemm"

	"gonum.org/v1/gonum/diff/fd"
)

// gradCheck compares an analytic gradient with central finite differences of f
// at x (float64 copy of a float32 slice). It fails when any element differs by
// more than tol·max|numeric| + atol.
func gradCheck(t *testing.T, what string, x []float32, analytic []float32, f func() float64, h, tol float64) {
	t.Helper()
	if err := compareGrad(x, analytic, f, h, tol, 1e-4); err != nil {
		t.Errorf("%s: %v", what, err)
	}
}

func compareGrad(x []float32, analytic []float32, f func() float64, h, tol, atol float64) error {
	x0 := make([]float64, len(x))
	for i, v := range x {
		x0[i] = float64(v)
	}
	num := fd.Gradient(nil, func(p []float64) float64 {
		for i, v := range p {
			x[i] = float32(v)
		}
		return f()
	}, x0, &fd.Settings{Formula: fd.Central, Step: h})
	for i, v := range x0 {
		x[i] = float32(v)
	}
	scale := 0.0
	for _, v := range num {
		scale = math.Max(scale, math.Abs(v))
	}
	for i := range num {
		if d := math.Abs(float64(analytic[i]) - num[i]); d > tol*scale+atol {
			return fmt.Errorf("element %d: analytic %.6g, numeric %.6g (|diff| %.3g, scale %.3g)", i, analytic[i], num[i], d, scale)
		}
	}
	return nil
}

func randSlice(rng *rand.Rand, n int, lo, hi float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(lo + (hi-lo)*rng.Float64())
	}
	return v
}

// awayFromZero returns values uniform in ±[0.1, 1], far from ReLU's kink.
func awayFromZero(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		a := 0.1 + 0.9*rng.Float64()
		if rng.IntN(2) == 0 {
			a = -a
		}
		v[i] = float32(a)
	}
	return v
}

func dot(a, b []float32) float64 {
	s := 0.0
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// checkLayer runs the standard check on layer l with input x (batch n): for
// L = dot(Forward(x), dy), Backward(dy) must match finite differences of L in
// x (when wantDx) and in every parameter.
func checkLayer(t *testing.T, l Layer, x []float32, n int, wantDx bool, h, tol float64) {
	t.Helper()
	eng := gemm.NewEngine(1)
	defer eng.Close()
	l.setEngine(eng)
	rng := rand.New(rand.NewPCG(7, 7))
	y := l.Forward(x, n, true)
	dy := randSlice(rng, len(y), -1, 1)
	for _, p := range l.Params() {
		clear(p.G)
	}
	dx := l.Backward(dy)
	dxCopy := append([]float32(nil), dx...)
	L := func() float64 { return dot(l.Forward(x, n, true), dy) }
	if wantDx {
		gradCheck(t, l.Kind().String()+" dx", x, dxCopy, L, h, tol)
	}
	for _, p := range l.Params() {
		g := append([]float32(nil), p.G...)
		gradCheck(t, l.Kind().String()+" d"+p.Name, p.W, g, L, h, tol)
	}
}

func TestGradConv2D(t *testing.T) {
	for _, tc := range []struct {
		in   Shape
		outC int
		k    int
		n    int
	}{
		{Shape{5, 6, 2}, 3, 3, 2},
		{Shape{4, 4, 3}, 5, 1, 3},
		{Shape{3, 3, 1}, 2, 3, 1},
		{Shape{7, 5, 4}, 6, 3, 2},
		{Shape{9, 11, 3}, 5, 3, 10}, // two chunks of images in the weight gradient
		{Shape{6, 14, 2}, 3, 3, 1},  // long rows: both implicit forward layouts
	} {
		for _, implicit := range []bool{false, true} {
			if implicit && tc.k == 1 {
				continue
			}
			t.Run(fmt.Sprintf("%v_k%d_o%d_implicit=%v", tc.in, tc.k, tc.outC, implicit), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(1, 2))
				c := NewConv2D(tc.in, tc.outC, tc.k, rng)
				c.implicit = implicit
				for i := range c.Bias.W {
					c.Bias.W[i] = float32(rng.Float64() - 0.5)
				}
				x := randSlice(rng, tc.n*tc.in.Size(), -1, 1)
				checkLayer(t, c, x, tc.n, true, 1e-2, 2e-3)
			})
		}
	}
}

func TestGradBatchNorm2D(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	s := Shape{3, 2, 4}
	b := NewBatchNorm2D(s, BNEps, BNMomentum)
	for i := range b.Gamma.W {
		b.Gamma.W[i] = float32(0.5 + rng.Float64())
		b.Beta.W[i] = float32(rng.Float64() - 0.5)
	}
	x := randSlice(rng, 3*s.Size(), -2, 2)
	checkLayer(t, b, x, 3, true, 1e-2, 5e-3)
}

func TestGradReLU(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	s := Shape{3, 3, 2}
	x := awayFromZero(rng, 2*s.Size())
	checkLayer(t, NewReLU(s), x, 2, true, 1e-2, 1e-3)
}

func TestGradMaxPool2D(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	for _, s := range []Shape{{4, 4, 3}, {5, 3, 2}, {2, 2, 1}, {5, 4, 8}} {
		// Distinct values spaced 0.1 apart: no ties, and h=1e-2 never changes a window's maximum.
		n := 2
		x := make([]float32, n*s.Size())
		for i, p := range rng.Perm(len(x)) {
			x[i] = float32(p)*0.1 - 1
		}
		checkLayer(t, NewMaxPool2D(s), x, n, true, 1e-2, 1e-3)
	}
}

func TestGradDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	d := NewDense(Shape{1, 1, 7}, 5, rng)
	for i := range d.Bias.W {
		d.Bias.W[i] = float32(rng.Float64() - 0.5)
	}
	x := randSlice(rng, 3*7, -1, 1)
	checkLayer(t, d, x, 3, true, 1e-2, 2e-3)
	// A 4-D input through Flatten.
	f := NewFlatten(Shape{2, 2, 3})
	x2 := randSlice(rng, 2*12, -1, 1)
	checkLayer(t, f, x2, 2, true, 1e-2, 1e-3)
}

func TestGradSoftmaxCrossEntropy(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	n, k := 4, 5
	logits := randSlice(rng, n*k, -3, 3)
	labels := []uint8{0, 3, 4, 1}
	probs, d := make([]float32, n*k), make([]float32, n*k)
	SoftmaxCrossEntropy(logits, labels, n, k, probs, d, nil)
	gradCheck(t, "softmax-xent", logits, append([]float32(nil), d...), func() float64 {
		l, _ := SoftmaxCrossEntropy(logits, labels, n, k, probs, nil, nil)
		return l
	}, 1e-2, 2e-3)
}

// miniNet is the paper's layer pattern on 10×10 inputs, small enough to check exhaustively.
func miniNet(rng *rand.Rand) *Net {
	n := &Net{Name: "mini", Input: Shape{10, 10, 1}}
	s := n.Input
	add := func(l Layer) { n.Layers = append(n.Layers, l); s = l.Out() }
	add(NewConv2D(s, 3, 3, rng))
	add(NewBatchNorm2D(s, BNEps, BNMomentum))
	add(NewReLU(s))
	add(NewConv2D(s, 4, 3, rng))
	add(NewBatchNorm2D(s, BNEps, BNMomentum))
	add(NewReLU(s))
	add(NewMaxPool2D(s))
	add(NewConv2D(s, 5, 1, rng))
	add(NewBatchNorm2D(s, BNEps, BNMomentum))
	add(NewReLU(s))
	add(NewMaxPool2D(s))
	add(NewFlatten(s))
	add(NewDense(s, 6, rng))
	add(NewReLU(s))
	add(NewDense(s, 3, rng))
	n.SetEngine(nil)
	return n
}

// TestGradNetwork checks every parameter gradient of a whole small network
// (conv, BN, ReLU, pool, dense, softmax cross-entropy) against finite differences.
func TestGradNetwork(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	net := miniNet(rng)
	b := 4
	x := randSlice(rng, b*100, 0, 1)
	labels := []uint8{0, 1, 2, 1}
	probs, d := make([]float32, b*3), make([]float32, b*3)
	loss := func() float64 {
		l, _ := SoftmaxCrossEntropy(net.Forward(x, b, true), labels, b, 3, probs, nil, nil)
		return l
	}
	net.ZeroGrad()
	SoftmaxCrossEntropy(net.Forward(x, b, true), labels, b, 3, probs, d, nil)
	net.Backward(d)
	// A small step keeps ReLU kinks from being crossed; the absolute floor
	// covers float32 rounding of the loss (about 6e-8/h). A conv bias feeding a
	// batch norm has a true gradient of 0, which the floor also accepts.
	const h, rtol, atol = 1e-4, 2e-2, 1e-3
	for i, l := range net.Layers {
		for _, p := range l.Params() {
			g := append([]float32(nil), p.G...)
			if err := compareGrad(p.W, g, loss, h, rtol, atol); err != nil {
				t.Errorf("%s.%s: %v", net.LayerName(i), p.Name, err)
			}
		}
	}
	// The same check must reject a gradient with one element off by 10% of its scale.
	w := net.Layers[3].Params()[0]
	g := append([]float32(nil), w.G...)
	big := 0
	for i := range g {
		if math.Abs(float64(g[i])) > math.Abs(float64(g[big])) {
			big = i
		}
	}
	g[big] *= 1.1
	if compareGrad(w.W, g, loss, h, rtol, atol) == nil {
		t.Errorf("a 10%% error in %s.weight[%d] was not caught", net.LayerName(3), big)
	}
}

// TestGradCheckCatchesErrors makes sure the checker and its tolerances would
// notice a wrong gradient: a swapped pair of elements and one missing term.
func TestGradCheckCatchesErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(30, 31))
	c := NewConv2D(Shape{5, 5, 2}, 3, 3, rng)
	c.setEngine(gemm.NewEngine(1))
	x := randSlice(rng, 2*50, -1, 1)
	y := c.Forward(x, 2, true)
	dy := randSlice(rng, len(y), -1, 1)
	dx := append([]float32(nil), c.Backward(dy)...)
	L := func() float64 { return dot(c.Forward(x, 2, true), dy) }
	if err := compareGrad(x, dx, L, 1e-2, 2e-3, 1e-4); err != nil {
		t.Fatalf("correct gradient rejected: %v", err)
	}
	swapped := append([]float32(nil), dx...)
	swapped[10], swapped[11] = swapped[11], swapped[10]
	if compareGrad(x, swapped, L, 1e-2, 2e-3, 1e-4) == nil && dx[10] != dx[11] {
		t.Errorf("swapped gradient elements were not caught")
	}
	missing := append([]float32(nil), dx...)
	missing[37] -= float32(dy[0]) * c.Weight.W[0] // drop one product term
	if compareGrad(x, missing, L, 1e-2, 2e-3, 1e-4) == nil {
		t.Errorf("a missing term was not caught")
	}
}

func TestPaperNetShape(t *testing.T) {
	net, err := NewPaper(28, 28, 10, InitRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := net.NumParams(), 214826; got != want {
		t.Errorf("NumParams = %d, want %d", got, want)
	}
	if got, want := net.MACs(), 10173184; got != want {
		t.Errorf("MACs = %d, want %d", got, want)
	}
	// The Keras-style table: a row per layer with its output shape and
	// parameters, and the totals.
	sum := net.Summary()
	for _, want := range []string{"(None, 26, 26, 32)", "320\n", "(None, 1, 1, 256)", "(None, 128)", "32,896\n",
		"Total params: 214,826", "Multiply-adds per image: 10,173,184"} {
		if !strings.Contains(sum, want) {
			t.Errorf("Summary lacks %q:\n%s", want, sum)
		}
	}
	if rows := strings.Count(sum, "\n"); rows != len(net.Layers)+7 {
		t.Errorf("Summary has %d lines, want %d layers and 7 more:\n%s", rows, len(net.Layers), sum)
	}
	last := net.Layers[len(net.Layers)-6]
	if last.Kind() != "Flatten" || last.Out() != (Shape{1, 1, 256}) {
		t.Errorf("feature vector = %s %v, want Flatten 1x1x256", last.Kind(), last.Out())
	}
	if _, err := NewPaper(20, 28, 10, InitRNG(1)); err == nil {
		t.Errorf("NewPaper(20x28) succeeded, want an error about the image size")
	}
}
