package checkpoint

import (
	"math"
	"math/rand/v2"
	"testing"

	"convscope/internal/safetensors"
	"convscope/mnist"
	"convscope/nn"
)

// synthSet returns n 28×28 images with labels 0..9: noise plus a bright bar
// whose position depends on the label, so a network can learn something.
func synthSet(n int, seed uint64) *mnist.Set {
	rng := rand.New(rand.NewPCG(seed, 1))
	const rows, cols = 28, 28
	s := &mnist.Set{Images: make([]uint8, n*rows*cols), Labels: make([]uint8, n), N: n, Rows: rows, Cols: cols,
		Classes: []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}}
	for i := range n {
		l := uint8(rng.IntN(10))
		s.Labels[i] = l
		img := s.Images[i*rows*cols : (i+1)*rows*cols]
		for j := range img {
			img[j] = uint8(rng.IntN(64))
		}
		r := 2 + 2*int(l)
		for c := 4; c < 24; c++ {
			img[r*cols+c] = 255
			img[(r+1)*cols+c] = 200
		}
	}
	return s
}

// synthData is a small training set and test set.
func synthData(train, test int) nn.Data {
	return nn.Data{Train: synthSet(train, 1), Test: synthSet(test, 2)}
}

// newTrainer returns a trainer of a fresh paper network with cfg.
func newTrainer(t testing.TB, cfg nn.Config) *nn.Trainer {
	t.Helper()
	net, err := nn.NewPaper(28, 28, 10, nn.InitRNG(cfg.Seed))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := nn.NewTrainer(net, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// testConfig is a short single-threaded run with a constant rate (the tests
// that stop and resume compare runs of different lengths).
func testConfig(epochs int) nn.Config {
	cfg := nn.DefaultConfig()
	cfg.Schedule = "constant"
	cfg.Epochs = epochs
	cfg.Batch = 32
	cfg.Seed = 7
	cfg.Threads = 1
	return cfg
}

// sameBits reports the first index where a and b differ bit for bit, or -1.
func sameBits(a, b []float32) int {
	if len(a) != len(b) {
		return 0
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

// checkSameNet fails unless two networks hold the same tensors bit for bit.
func checkSameNet(t *testing.T, got, want *nn.Net) {
	t.Helper()
	gs, err := slots(got)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := slots(want)
	if err != nil {
		t.Fatal(err)
	}
	if len(gs) != len(ws) {
		t.Fatalf("%d tensors, want %d", len(gs), len(ws))
	}
	for i := range gs {
		if j := sameBits(gs[i].data, ws[i].data); j >= 0 {
			t.Errorf("tensor %s differs at index %d", ws[i].name, j)
		}
		if ws[i].bn != nil && gs[i].bn.Updates != ws[i].bn.Updates {
			t.Errorf("%s: %d batch-norm updates, want %d", ws[i].name, gs[i].bn.Updates, ws[i].bn.Updates)
		}
	}
}

// encodeFile returns t (or, with t nil, net as a model) as file bytes.
func encodeTensors(t testing.TB, tr *nn.Trainer) ([]safetensors.Tensor, map[string]string) {
	t.Helper()
	tensors, meta, err := encodeTrainer(tr)
	if err != nil {
		t.Fatal(err)
	}
	return tensors, meta
}
