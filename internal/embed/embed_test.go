package embed

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"convscope/internal/gemm"
	"convscope/mnist"
	"convscope/nn"
)

// TestPCALine: points on a line in 5-D put all their variance on axis 1,
// and their coordinates are their distances along it.
func TestPCALine(t *testing.T) {
	dir := []float64{1, 2, -2, 0, 4} // norm 5
	base := []float64{3, -1, 0, 7, 2}
	n, d := 50, len(dir)
	pts := make([]float64, n*d)
	ts := make([]float64, n)
	for i := range n {
		ts[i] = float64(i) - 24.5 // centred
		for c := range d {
			pts[i*d+c] = base[c] + ts[i]*dir[c]
		}
	}
	p, err := PCA(pts, n, d)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(p.Explained[0]-1) > 1e-9 || p.Explained[1] > 1e-9 {
		t.Errorf("explained = %v, want [1 0]", p.Explained)
	}
	for i := range n {
		if want := 5 * ts[i]; math.Abs(float64(p.X[i])-want) > 1e-3 || math.Abs(float64(p.Y[i])) > 1e-3 {
			t.Fatalf("point %d at (%v, %v), want (%v, 0)", i, p.X[i], p.Y[i], want)
		}
	}
	if x, _ := p.Place([]float32{3 + 2, -1 + 4, -4, 7, 2 + 8}); math.Abs(x-10) > 1e-4 {
		t.Errorf("Place of t=2 = %v, want 10", x)
	}
}

// TestPCAPlane: variance 9 along one axis and 1 along another explains
// 90% and 10%.
func TestPCAPlane(t *testing.T) {
	var pts []float64
	for _, a := range []float64{-3, 3} {
		for _, b := range []float64{-1, 1} {
			pts = append(pts, b, a, 0)
		}
	}
	p, err := PCA(pts, 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(p.Explained[0]-0.9) > 1e-9 || math.Abs(p.Explained[1]-0.1) > 1e-9 {
		t.Errorf("explained = %v, want [0.9 0.1]", p.Explained)
	}
}

func synthSet(n int, seed uint64) *mnist.Set {
	rng := rand.New(rand.NewPCG(seed, 1))
	s := &mnist.Set{Images: make([]uint8, n*784), Labels: make([]uint8, n), N: n, Rows: 28, Cols: 28}
	for i := range n {
		l := uint8(rng.IntN(10))
		s.Labels[i] = l
		img := s.Images[i*784 : (i+1)*784]
		for j := range img {
			img[j] = uint8(rng.IntN(64))
		}
		for c := 4; c < 24; c++ {
			img[(2+2*int(l))*28+c] = 255
		}
	}
	return s
}

// TestProjectPaper projects the paper network's two layers and times
// 10,000 images (-v prints the time).
func TestProjectPaper(t *testing.T) {
	net, err := nn.NewPaper(28, 28, 10, nn.InitRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	n := 10000
	if testing.Short() {
		n = 500
	}
	eng := gemm.NewEngine(2)
	defer eng.Close()
	net.SetEngine(eng)
	defer net.SetEngine(nil)
	set := synthSet(n, 2)
	fl, de := FeatureLayer(net), DenseLayer(net)
	if net.Layers[fl].Out().Size() != 256 || net.Layers[de].Out().Size() != 64 || net.Layers[de].Kind() != nn.KindReLU {
		t.Fatalf("layers %d (%v) and %d (%v), want the 256 features and the 64 ReLU outputs", fl, net.Layers[fl].Out(), de, net.Layers[de].Out())
	}
	start := time.Now()
	ps, err := ProjectLayers(net, set, []int{fl, de})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d images, two layers: %v", n, time.Since(start))
	for _, p := range ps {
		if len(p.X) != n || len(p.Pred) != n || p.Explained[0] < p.Explained[1] || p.Explained[0]+p.Explained[1] > 1+1e-9 {
			t.Errorf("%s: %d points, explained %v", p.Name, len(p.X), p.Explained)
		}
	}
	ev := nn.Evaluate(net, set, 100)
	for i := range n {
		if ps[0].Pred[i] != ev.Pred[i] {
			t.Fatalf("image %d predicted %d, Evaluate says %d", i, ps[0].Pred[i], ev.Pred[i])
		}
	}
}

// BenchmarkPCA is the projection alone of 10,000 feature vectors of 256
// values (the forward pass that makes them costs an evaluation).
func BenchmarkPCA(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	pts := make([]float64, 10000*256)
	for i := range pts {
		pts[i] = rng.NormFloat64()
	}
	for b.Loop() {
		if _, err := PCA(pts, 10000, 256); err != nil {
			b.Fatal(err)
		}
	}
}
