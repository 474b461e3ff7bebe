// Package dynamics records how every image is learned over a run and
// derives, per image, what research has names for: when it was learned and
// how often forgotten (Toneva et al., ICLR 2019), its place on a dataset
// map (Swayamdipta et al., EMNLP 2020), its area under the margin (Pleiss
// et al., NeurIPS 2020), suspected label errors in the test set by
// confident learning (Northcutt et al., JAIR 2021), and per epoch the test
// set's calibration (Guo et al., ICML 2017).
//
// The recording costs nothing extra: for a training image it keeps the
// probability of its given label and its margin from the training forward
// pass that already happens (nn.Trainer.Observe), and for a test image the
// same from each epoch's evaluation, plus the prediction and the
// probabilities. The run loop writes it to dynamics.safetensors in the run
// folder after every epoch, atomically.
package dynamics

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"sync"

	"convscope/internal/safetensors"
	"convscope/nn"
)

// File is the dynamics file in a run folder.
const File = "dynamics.safetensors"

// format is the file's "format" metadata.
const format = "convscope-dynamics/1"

// Data is a run's recorded dynamics. Rows are epochs (0-based here, epoch
// e+1 of the run), columns images. A training image not seen in an epoch
// (--train-limit) has NaN there.
type Data struct {
	K      int // classes
	Epochs int // finished epochs recorded

	TrainLabels []uint8   // [TrainN]
	TrainP      []float32 // [Epochs*TrainN] probability of the given label when seen in training
	TrainM      []float32 // [Epochs*TrainN] margin: given label's logit minus the largest other

	TestLabels []uint8   // [TestN]
	TestP      []float32 // [Epochs*TestN]
	TestM      []float32 // [Epochs*TestN] margin from the probabilities: ln p(given) - ln max p(other)
	TestPred   []uint8   // [Epochs*TestN] the prediction (argmax of the logits)
	TestProbs  []float32 // [Epochs*TestN*K]

	// The epoch in progress (training set only), for live views: NaN for
	// images not seen yet in it.
	CurP, CurM []float32 // [TrainN]
	CurSeen    int
	CurEpoch   int // 1-based; 0 when none is in progress
}

// TrainN is the number of training images.
func (d *Data) TrainN() int { return len(d.TrainLabels) }

// TestN is the number of test images.
func (d *Data) TestN() int { return len(d.TestLabels) }

// New returns empty dynamics for the given labels and k classes.
func New(trainLabels, testLabels []uint8, k int) *Data {
	d := &Data{K: k, TrainLabels: slices.Clone(trainLabels), TestLabels: slices.Clone(testLabels)}
	d.CurP, d.CurM = nanSlice(len(trainLabels)), nanSlice(len(trainLabels))
	return d
}

func nanSlice(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(math.NaN())
	}
	return s
}

// Recorder fills Data as a run trains. Observe and EndEpoch run on the
// training goroutine; Snapshot may be called from any goroutine.
type Recorder struct {
	mu sync.Mutex
	d  *Data
}

// NewRecorder records into d (a fresh New, or a resumed run's Read).
func NewRecorder(d *Data) *Recorder { return &Recorder{d: d} }

// Observe keeps what one training batch's forward pass saw (set it as
// nn.Trainer.Observe).
func (r *Recorder) Observe(b nn.Batch) {
	r.mu.Lock()
	defer r.mu.Unlock()
	d := r.d
	if d.CurEpoch != b.Epoch {
		d.CurEpoch, d.CurSeen = b.Epoch, 0
		fillNaN(d.CurP)
		fillNaN(d.CurM)
	}
	k := b.K
	for i, idx := range b.Images {
		if idx < 0 || idx >= len(d.CurP) {
			continue
		}
		y := int(b.Labels[i])
		row := b.Logits[i*k : (i+1)*k]
		other := float32(math.Inf(-1))
		for j, v := range row {
			if j != y && v > other {
				other = v
			}
		}
		d.CurP[idx] = b.Probs[i*k+y]
		d.CurM[idx] = row[y] - other
	}
	d.CurSeen += len(b.Images)
}

func fillNaN(s []float32) {
	nan := float32(math.NaN())
	for i := range s {
		s[i] = nan
	}
}

// EndEpoch closes epoch (1-based) with the test set's evaluation ev, which
// must hold per-image results.
func (r *Recorder) EndEpoch(epoch int, ev *nn.Eval) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	d := r.d
	n, k := d.TestN(), d.K
	switch {
	case epoch != d.Epochs+1:
		return fmt.Errorf("dynamics: epoch %d ends, but %d are recorded", epoch, d.Epochs)
	case ev == nil || ev.N != n || ev.K != k || len(ev.Probs) != n*k || len(ev.Pred) != n:
		return fmt.Errorf("dynamics: the evaluation of epoch %d has no per-image results for %d test images", epoch, n)
	}
	if d.CurEpoch != epoch {
		fillNaN(d.CurP)
		fillNaN(d.CurM)
	}
	d.TrainP = append(d.TrainP, d.CurP...)
	d.TrainM = append(d.TrainM, d.CurM...)
	for i := range n {
		y := int(d.TestLabels[i])
		p := ev.Probs[i*k : (i+1)*k]
		d.TestP = append(d.TestP, p[y])
		d.TestM = append(d.TestM, probMargin(p, y))
		d.TestPred = append(d.TestPred, ev.Pred[i])
	}
	d.TestProbs = append(d.TestProbs, ev.Probs[:n*k]...)
	d.Epochs++
	d.CurEpoch, d.CurSeen = 0, 0
	fillNaN(d.CurP)
	fillNaN(d.CurM)
	return nil
}

// probMargin is the margin of label y from probabilities: the difference
// of the logits, as a log ratio (probabilities floored at 1e-38).
func probMargin(p []float32, y int) float32 {
	other := 0.0
	for j, v := range p {
		if j != y {
			other = max(other, float64(v))
		}
	}
	return float32(math.Log(max(float64(p[y]), 1e-38)) - math.Log(max(other, 1e-38)))
}

// Snapshot returns a copy of the data recorded so far.
func (r *Recorder) Snapshot() *Data {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.d.clone()
}

// Clone returns a deep copy of d.
func (d *Data) Clone() *Data { return d.clone() }

func (d *Data) clone() *Data {
	c := *d
	c.TrainLabels, c.TrainP, c.TrainM = slices.Clone(d.TrainLabels), slices.Clone(d.TrainP), slices.Clone(d.TrainM)
	c.TestLabels, c.TestP, c.TestM = slices.Clone(d.TestLabels), slices.Clone(d.TestP), slices.Clone(d.TestM)
	c.TestPred, c.TestProbs = slices.Clone(d.TestPred), slices.Clone(d.TestProbs)
	c.CurP, c.CurM = slices.Clone(d.CurP), slices.Clone(d.CurM)
	return &c
}

// Truncate keeps the first epochs epochs (a run resumed from an earlier
// checkpoint replays the rest).
func (d *Data) Truncate(epochs int) {
	if epochs >= d.Epochs {
		return
	}
	tn, sn := d.TrainN(), d.TestN()
	d.TrainP, d.TrainM = d.TrainP[:epochs*tn], d.TrainM[:epochs*tn]
	d.TestP, d.TestM, d.TestPred = d.TestP[:epochs*sn], d.TestM[:epochs*sn], d.TestPred[:epochs*sn]
	d.TestProbs = d.TestProbs[:epochs*sn*d.K]
	d.Epochs = epochs
}

// Write saves the recorded epochs to path atomically, passing the bytes
// through wrap (may be nil). The epoch in progress is not saved.
func (r *Recorder) Write(path string, wrap func(io.Writer) io.Writer) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	d := r.d
	e, tn, sn := d.Epochs, d.TrainN(), d.TestN()
	tensors := []safetensors.Tensor{
		{Name: "train.labels", DType: "U8", Shape: []int{tn}, Data: slices.Clone(d.TrainLabels)},
		safetensors.F32("train.prob", []int{e, tn}, d.TrainP),
		safetensors.F32("train.margin", []int{e, tn}, d.TrainM),
		{Name: "test.labels", DType: "U8", Shape: []int{sn}, Data: slices.Clone(d.TestLabels)},
		safetensors.F32("test.prob", []int{e, sn}, d.TestP),
		safetensors.F32("test.margin", []int{e, sn}, d.TestM),
		{Name: "test.pred", DType: "U8", Shape: []int{e, sn}, Data: slices.Clone(d.TestPred)},
		safetensors.F32("test.probs", []int{e, sn, d.K}, d.TestProbs),
	}
	meta := map[string]string{"format": format, "classes": strconv.Itoa(d.K), "epochs": strconv.Itoa(e)}
	if err := safetensors.WriteFileThrough(path, tensors, meta, wrap); err != nil {
		return fmt.Errorf("dynamics: %w", err)
	}
	return nil
}

// Read loads a dynamics file, checking that every tensor has the shape the
// others imply. Errors say what is wrong in one line.
func Read(path string) (*Data, error) {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("dynamics: %w", err)
	}
	if f.Meta["format"] != format {
		return nil, fmt.Errorf("dynamics: %s: format %q, want %q", path, f.Meta["format"], format)
	}
	k, err1 := strconv.Atoi(f.Meta["classes"])
	e, err2 := strconv.Atoi(f.Meta["epochs"])
	if err1 != nil || err2 != nil || k < 2 || k > 256 || e < 0 || e > 1_000_000 {
		return nil, fmt.Errorf("dynamics: %s: bad classes or epochs metadata (%q, %q)", path, f.Meta["classes"], f.Meta["epochs"])
	}
	get := func(name, dtype string, shape ...int) ([]byte, error) {
		t, ok := f.Get(name)
		if !ok {
			return nil, fmt.Errorf("dynamics: %s: no tensor %q (truncated or from another version?)", path, name)
		}
		if t.DType != dtype || !slices.Equal(t.Shape, shape) {
			return nil, fmt.Errorf("dynamics: %s: tensor %q is %s %v, want %s %v", path, name, t.DType, t.Shape, dtype, shape)
		}
		return t.Data, nil
	}
	tl, ok := f.Get("train.labels")
	sl, ok2 := f.Get("test.labels")
	if !ok || !ok2 || len(tl.Shape) != 1 || len(sl.Shape) != 1 {
		return nil, fmt.Errorf("dynamics: %s: no label tensors (truncated or from another version?)", path)
	}
	tn, sn := tl.Shape[0], sl.Shape[0]
	d := &Data{K: k, Epochs: e, TrainLabels: slices.Clone(tl.Data), TestLabels: slices.Clone(sl.Data)}
	for _, l := range append(slices.Clone(d.TrainLabels), d.TestLabels...) {
		if int(l) >= k {
			return nil, fmt.Errorf("dynamics: %s: label %d, but %d classes", path, l, k)
		}
	}
	f32 := func(name string, shape ...int) ([]float32, error) {
		if _, err := get(name, "F32", shape...); err != nil {
			return nil, err
		}
		t, _ := f.Get(name)
		return t.Float32s()
	}
	if d.TrainP, err = f32("train.prob", e, tn); err != nil {
		return nil, err
	}
	if d.TrainM, err = f32("train.margin", e, tn); err != nil {
		return nil, err
	}
	if d.TestP, err = f32("test.prob", e, sn); err != nil {
		return nil, err
	}
	if d.TestM, err = f32("test.margin", e, sn); err != nil {
		return nil, err
	}
	if d.TestProbs, err = f32("test.probs", e, sn, k); err != nil {
		return nil, err
	}
	pred, err := get("test.pred", "U8", e, sn)
	if err != nil {
		return nil, err
	}
	d.TestPred = slices.Clone(pred)
	d.CurP, d.CurM = nanSlice(tn), nanSlice(tn)
	return d, nil
}

// Check reports how d does not fit a data set with these labels: another
// number of images or other labels (the run trained on other data).
func (d *Data) Check(trainLabels, testLabels []uint8) error {
	switch {
	case len(trainLabels) != d.TrainN() || len(testLabels) != d.TestN():
		return fmt.Errorf("dynamics: recorded for %d training and %d test images, the data set has %d and %d",
			d.TrainN(), d.TestN(), len(trainLabels), len(testLabels))
	case !slices.Equal(trainLabels, d.TrainLabels) || !slices.Equal(testLabels, d.TestLabels):
		return fmt.Errorf("dynamics: recorded for other labels than this data set's (another data set?)")
	}
	return nil
}
