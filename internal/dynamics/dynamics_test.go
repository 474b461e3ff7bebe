package dynamics

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"convscope/mnist"
	"convscope/nn"
)

// handMade returns dynamics of 3 training and 3 test images over 3 epochs,
// 2 classes, with the margins and predictions given.
func handMade(trainM [3][3]float32, testPred [3][3]uint8) *Data {
	d := New([]uint8{0, 1, 0}, []uint8{0, 1, 1}, 2)
	for e := range 3 {
		for i := range 3 {
			m := trainM[i][e]
			p := float32(1 / (1 + math.Exp(-float64(m)))) // two classes: p = sigmoid(margin)
			d.TrainP, d.TrainM = append(d.TrainP, p), append(d.TrainM, m)
		}
		for i := range 3 {
			pr := testPred[i][e]
			p1 := float32(0.9)
			if pr == 0 {
				p1 = 0.1
			}
			d.TestProbs = append(d.TestProbs, 1-p1, p1)
			y := d.TestLabels[i]
			py := []float32{1 - p1, p1}[y]
			d.TestP = append(d.TestP, py)
			d.TestM = append(d.TestM, probMargin([]float32{1 - p1, p1}, int(y)))
			d.TestPred = append(d.TestPred, pr)
		}
		d.Epochs++
	}
	return d
}

// TestLearningEvents: right, wrong, right is one forgetting event and
// learned (for good) at epoch 3; wrong throughout is never learned; right
// throughout is learned at epoch 1 and never forgotten.
func TestLearningEvents(t *testing.T) {
	d := handMade([3][3]float32{{2, -1, 3}, {-2, -2, -1}, {1, 2, 4}}, [3][3]uint8{{0, 1, 0}, {0, 0, 0}, {1, 1, 1}})
	tr := d.Examples(Train)
	if e := tr[0]; e.Forgotten != 1 || e.FirstLearned != 3 || e.NeverLearned {
		t.Errorf("right, wrong, right: %+v, want 1 forgetting event, learned at 3", e)
	}
	if e := tr[1]; e.Forgotten != 0 || e.FirstLearned != 0 || !e.NeverLearned {
		t.Errorf("never right: %+v, want never learned", e)
	}
	if e := tr[2]; e.Forgotten != 0 || e.FirstLearned != 1 || e.NeverLearned || math.Abs(e.AUM-7.0/3) > 1e-6 {
		t.Errorf("always right: %+v, want learned at 1, AUM 7/3", e)
	}
	if tr[1].AUM >= 0 || !tr[1].Suspect() || tr[2].Suspect() {
		t.Errorf("AUM: never-right %v (suspect %v), always-right %v", tr[1].AUM, tr[1].Suspect(), tr[2].AUM)
	}
	te := d.Examples(Test)
	// Test image 0 (label 0) predicted 0,1,0: one forgetting event.
	if e := te[0]; e.Forgotten != 1 || e.FirstLearned != 3 || e.FinalPred != 0 {
		t.Errorf("test 0: %+v", e)
	}
	// Confidence and variability of train image 2: mean and std of sigmoid(1,2,4).
	var p []float64
	for _, m := range []float64{1, 2, 4} {
		p = append(p, 1/(1+math.Exp(-m)))
	}
	mu := (p[0] + p[1] + p[2]) / 3
	sd := math.Sqrt(((p[0]-mu)*(p[0]-mu) + (p[1]-mu)*(p[1]-mu) + (p[2]-mu)*(p[2]-mu)) / 3)
	if e := tr[2]; math.Abs(e.Confidence-mu) > 1e-6 || math.Abs(e.Variability-sd) > 1e-6 || e.Correctness != 1 || e.Region != Easy {
		t.Errorf("cartography of image 2: %+v, want confidence %v variability %v, easy", e, mu, sd)
	}
	s := Summarize(tr, 3)
	if s.LearnedAt[0] != 1 || s.LearnedAt[2] != 1 || s.NeverLearned != 1 || s.Forgotten[1] != 1 {
		t.Errorf("summary %+v", s)
	}
}

// TestConfidentLearning: a test image labelled 0 that the network gives
// class 1 with more than class 1's threshold is flagged, suggesting 1.
func TestConfidentLearning(t *testing.T) {
	d := New(nil, []uint8{0, 0, 0, 1, 1, 0}, 2)
	rows := [][2]float32{{0.9, 0.1}, {0.8, 0.2}, {0.95, 0.05}, {0.1, 0.9}, {0.3, 0.7}, {0.05, 0.95}}
	for i, r := range rows {
		d.TestProbs = append(d.TestProbs, r[0], r[1])
		y := d.TestLabels[i]
		d.TestP = append(d.TestP, r[y])
		d.TestM = append(d.TestM, probMargin(r[:], int(y)))
		pred := uint8(0)
		if r[1] > r[0] {
			pred = 1
		}
		d.TestPred = append(d.TestPred, pred)
	}
	d.Epochs = 1
	thr := d.Thresholds()
	// Class 0: mean of 0.9, 0.8, 0.95, 0.05; class 1: mean of 0.9, 0.7.
	if math.Abs(thr[0]-0.675) > 1e-6 || math.Abs(thr[1]-0.8) > 1e-6 {
		t.Errorf("thresholds %v, want [0.675 0.8]", thr)
	}
	sus := Suspects(d.Examples(Test))
	if len(sus) != 1 || sus[0].Index != 5 || sus[0].Suggested != 1 || math.Abs(sus[0].CLScore-0.9) > 1e-6 {
		t.Errorf("suspects %+v, want image 5 suggested 1 with score 0.9", sus)
	}
}

// TestCalibratedToy: probabilities that match the accuracy exactly give ECE
// 0 and a temperature of 1; overconfident ones a temperature above 1.
func TestCalibratedToy(t *testing.T) {
	var probs []float32
	var labels, pred []uint8
	add := func(p float32, n, right int) {
		for i := range n {
			probs = append(probs, p, 1-p)
			pred = append(pred, 0)
			l := uint8(1)
			if i < right {
				l = 0
			}
			labels = append(labels, l)
		}
	}
	add(0.8, 10, 8)
	add(0.6, 20, 12)
	c := Calibrate(probs, labels, pred, 2)
	if c.ECE > 1e-7 || c.MCE > 1e-7 {
		t.Errorf("ECE %v MCE %v, want 0", c.ECE, c.MCE)
	}
	if math.Abs(c.Temperature-1) > 1e-3 {
		t.Errorf("temperature %v, want 1", c.Temperature)
	}
	wantNLL := -(8*math.Log(0.8) + 2*math.Log(0.2) + 12*math.Log(0.6) + 8*math.Log(0.4)) / 30
	if math.Abs(c.NLL-wantNLL) > 1e-6 {
		t.Errorf("NLL %v, want %v", c.NLL, wantNLL)
	}
	wantBrier := (8*2*0.04 + 2*2*0.64 + 12*2*0.16 + 8*2*0.36) / 30
	if math.Abs(c.Brier-wantBrier) > 1e-6 {
		t.Errorf("Brier %v, want %v", c.Brier, wantBrier)
	}
	probs, labels, pred = nil, nil, nil
	add(0.99, 10, 7) // overconfident: 99% sure, 70% right
	c = Calibrate(probs, labels, pred, 2)
	if c.Temperature <= 1.5 || c.ECEScaled >= c.ECE || math.Abs(c.ECE-0.29) > 1e-6 {
		t.Errorf("overconfident: T %v ECE %v -> %v, want T > 1.5 and a smaller ECE after scaling", c.Temperature, c.ECE, c.ECEScaled)
	}
}

// barSet is n 28x28 images of a bar whose row is the label (10 classes).
func barSet(n int, seed uint64) *mnist.Set {
	rng := rand.New(rand.NewPCG(seed, 2))
	s := &mnist.Set{Images: make([]uint8, n*784), Labels: make([]uint8, n), N: n, Rows: 28, Cols: 28, Classes: []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}}
	for i := range n {
		l := uint8(i % 10)
		s.Labels[i] = l
		img := s.Images[i*784 : (i+1)*784]
		for j := range img {
			img[j] = uint8(rng.IntN(60))
		}
		for r := 2 + 2*int(l); r < 4+2*int(l); r++ {
			for c := 3; c < 25; c++ {
				img[r*28+c] = 255
			}
		}
	}
	return s
}

// TestFlippedLabelFound trains on a small set with one label flipped on
// purpose, recording through Trainer.Observe: the flipped image ends with
// a negative AUM, among the most suspect, and a file round trip keeps it.
func TestFlippedLabelFound(t *testing.T) {
	train, test := barSet(300, 1), barSet(100, 2)
	const flipped = 37
	train.Labels[flipped] = (train.Labels[flipped] + 5) % 10
	net, err := nn.NewPaper(28, 28, 10, nn.InitRNG(4))
	if err != nil {
		t.Fatal(err)
	}
	cfg := nn.DefaultConfig()
	cfg.Epochs, cfg.Batch, cfg.Seed = 6, 30, 4
	tr, err := nn.NewTrainer(net, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rec := NewRecorder(New(train.Labels, test.Labels, 10))
	tr.Observe = rec.Observe
	err = tr.Run(context.Background(), nn.Data{Train: train, Test: test}, func(p nn.Progress) {
		if p.Kind == nn.EpochDone {
			if err := rec.EndEpoch(p.Stats.Epoch, p.Stats.Eval); err != nil {
				t.Fatal(err)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	d := rec.Snapshot()
	ex := d.Examples(Train)
	if ex[flipped].AUM >= 0 {
		t.Errorf("the flipped image's AUM is %v, want negative", ex[flipped].AUM)
	}
	sus := Suspects(ex)
	rank := -1
	for i, e := range sus {
		if e.Index == flipped {
			rank = i
		}
	}
	if rank < 0 || rank > 2 {
		t.Errorf("the flipped image ranks %d among %d suspects, want in the top 3", rank, len(sus))
	}
	t.Logf("flipped image: AUM %.3f, rank %d of %d suspects; mean AUM of the rest %.3f", ex[flipped].AUM, rank, len(sus), meanAUM(ex, flipped))

	path := filepath.Join(t.TempDir(), File)
	if err := rec.Write(path, nil); err != nil {
		t.Fatal(err)
	}
	back, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if back.Epochs != 6 || back.Examples(Train)[flipped].AUM != ex[flipped].AUM || back.Check(train.Labels, test.Labels) != nil {
		t.Errorf("round trip: %d epochs, AUM %v", back.Epochs, back.Examples(Train)[flipped].AUM)
	}
	if err := back.Check(train.Labels[:10], test.Labels); err == nil || !strings.Contains(err.Error(), "300 training") {
		t.Errorf("Check of another data set = %v", err)
	}
	b, _ := os.ReadFile(path)
	os.WriteFile(path, b[:len(b)/2], 0o644)
	if _, err := Read(path); err == nil || strings.Count(err.Error(), "\n") != 0 {
		t.Errorf("a truncated file reads as %v, want one line of error", err)
	}
	back.Truncate(2)
	if back.Epochs != 2 || len(back.TrainP) != 600 || len(back.TestProbs) != 2000 {
		t.Errorf("Truncate(2): %d epochs, %d train values", back.Epochs, len(back.TrainP))
	}
}

func meanAUM(ex []Example, skip int) float64 {
	var s float64
	for i, e := range ex {
		if i != skip {
			s += e.AUM
		}
	}
	return s / float64(len(ex)-1)
}

// BenchmarkObserve is the recording's cost per training batch of 64 (a
// training step takes about 35-60 ms on two cores).
func BenchmarkObserve(b *testing.B) {
	const n, k = 64, 10
	rec := NewRecorder(New(make([]uint8, 60000), make([]uint8, 10000), k))
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i * 900
	}
	batch := nn.Batch{Epoch: 1, Images: idx, Labels: make([]uint8, n), Logits: make([]float32, n*k), Probs: make([]float32, n*k), K: k}
	for b.Loop() {
		rec.Observe(batch)
	}
}

// BenchmarkEndEpoch is the cost of closing an epoch of the full MNIST sizes
// and writing the file after 10 epochs (once per epoch in a run).
func BenchmarkEndEpoch(b *testing.B) {
	d := New(make([]uint8, 60000), make([]uint8, 10000), 10)
	rec := NewRecorder(d)
	ev := &nn.Eval{N: 10000, K: 10, Probs: make([]float32, 100000), Pred: make([]uint8, 10000)}
	for e := 1; e <= 9; e++ {
		rec.EndEpoch(e, ev)
	}
	path := filepath.Join(b.TempDir(), File)
	for b.Loop() {
		rec.d.Truncate(9)
		if err := rec.EndEpoch(10, ev); err != nil {
			b.Fatal(err)
		}
		if err := rec.Write(path, nil); err != nil {
			b.Fatal(err)
		}
	}
}
