package dynamics

import (
	"cmp"
	"math"
	"slices"
)

// Set names the training or the test set.
type Set string

// The sets.
const (
	Train Set = "train"
	Test  Set = "test"
)

// Region is a place on the dataset map (Swayamdipta et al., EMNLP 2020).
type Region int

// The regions, with the thresholds this package uses: an image whose
// variability (the standard deviation over epochs of its given label's
// probability) is at least AmbiguousVariability is ambiguous; otherwise it
// is easy to learn when its confidence (the mean of that probability) is
// at least EasyConfidence, else hard to learn.
const (
	Easy Region = iota
	Ambiguous
	Hard
)

// The region thresholds.
const (
	AmbiguousVariability = 0.2
	EasyConfidence       = 0.5
)

func (r Region) String() string {
	switch r {
	case Easy:
		return "easy-to-learn"
	case Ambiguous:
		return "ambiguous"
	}
	return "hard-to-learn"
}

// Example is what the dynamics say about one image.
type Example struct {
	Set   Set
	Index int
	Label int

	// Measurements is the number of epochs the image was measured in (seen
	// in training, or evaluated).
	Measurements int
	// FirstLearned is the first epoch (1-based) from which the image was
	// right at every later measurement; 0 when it was wrong at the last.
	FirstLearned int
	// Forgotten counts forgetting events: right at one measurement, wrong
	// at the next (Toneva et al., ICLR 2019).
	Forgotten int
	// NeverLearned: wrong at every measurement.
	NeverLearned bool

	// Dataset cartography: mean and standard deviation of the given
	// label's probability over the measurements, share of them right.
	Confidence, Variability, Correctness float64
	Region                               Region

	// AUM is the area under the margin, the mean margin (given label's
	// logit minus the largest other) over training (Pleiss et al.,
	// NeurIPS 2020); low or negative suggests a wrong label. NaN for test
	// images.
	AUM float64

	// Suggested is, for a test image that confident learning flags, the
	// label it suggests (else -1), and CLScore how far that label's
	// probability exceeds the given one's (Northcutt et al., JAIR 2021).
	Suggested int
	CLScore   float64

	FinalPred int // the last measurement's prediction (test), or -1 when unknown (train)
}

// Suspect reports whether the example is a suspected label error: by AUM
// (negative) for a training image, by confident learning for a test image.
func (e *Example) Suspect() bool {
	if e.Set == Train {
		return e.Measurements > 0 && e.AUM < 0
	}
	return e.Suggested >= 0
}

// Examples derives the figures of every image of set.
func (d *Data) Examples(set Set) []Example {
	if set == Train {
		return d.trainExamples()
	}
	return d.testExamples()
}

func (d *Data) trainExamples() []Example {
	n := d.TrainN()
	out := make([]Example, n)
	p, m := make([]float64, 0, d.Epochs), make([]float64, 0, d.Epochs)
	right := make([]bool, 0, d.Epochs)
	at := make([]int, 0, d.Epochs)
	for i := range n {
		p, m, right, at = p[:0], m[:0], right[:0], at[:0]
		for e := range d.Epochs {
			pv, mv := d.TrainP[e*n+i], d.TrainM[e*n+i]
			if isNaN32(pv) || isNaN32(mv) {
				continue
			}
			p, m = append(p, float64(pv)), append(m, float64(mv))
			right, at = append(right, mv > 0), append(at, e+1)
		}
		ex := Example{Set: Train, Index: i, Label: int(d.TrainLabels[i]), Suggested: -1, FinalPred: -1}
		fill(&ex, p, right, at)
		ex.AUM = mean(m)
		out[i] = ex
	}
	return out
}

func (d *Data) testExamples() []Example {
	n := d.TestN()
	out := make([]Example, n)
	p := make([]float64, d.Epochs)
	right := make([]bool, d.Epochs)
	at := make([]int, d.Epochs)
	cl := d.confidentLearning()
	for i := range n {
		y := int(d.TestLabels[i])
		for e := range d.Epochs {
			p[e] = float64(d.TestP[e*n+i])
			right[e] = int(d.TestPred[e*n+i]) == y
			at[e] = e + 1
		}
		ex := Example{Set: Test, Index: i, Label: y, AUM: math.NaN(), Suggested: -1, FinalPred: -1}
		fill(&ex, p, right, at)
		if d.Epochs > 0 {
			ex.FinalPred = int(d.TestPred[(d.Epochs-1)*n+i])
		}
		if cl != nil {
			ex.Suggested, ex.CLScore = cl[i].label, cl[i].score
		}
		out[i] = ex
	}
	return out
}

// fill sets the learning-event and cartography figures from one image's
// measurements: p of the given label, right or wrong, at epochs at.
func fill(ex *Example, p []float64, right []bool, at []int) {
	ex.Measurements = len(p)
	if len(p) == 0 {
		ex.Confidence, ex.Variability, ex.Correctness, ex.AUM = math.NaN(), math.NaN(), math.NaN(), math.NaN()
		ex.NeverLearned, ex.Region = true, Hard
		return
	}
	ever, nRight := false, 0
	for t, r := range right {
		if r {
			ever = true
			nRight++
		}
		if t > 0 && right[t-1] && !r {
			ex.Forgotten++
		}
	}
	ex.NeverLearned = !ever
	if right[len(right)-1] {
		t := len(right) - 1
		for t > 0 && right[t-1] {
			t--
		}
		ex.FirstLearned = at[t]
	}
	ex.Confidence = mean(p)
	var ss float64
	for _, v := range p {
		ss += (v - ex.Confidence) * (v - ex.Confidence)
	}
	ex.Variability = math.Sqrt(ss / float64(len(p)))
	ex.Correctness = float64(nRight) / float64(len(p))
	switch {
	case ex.Variability >= AmbiguousVariability:
		ex.Region = Ambiguous
	case ex.Confidence >= EasyConfidence:
		ex.Region = Easy
	default:
		ex.Region = Hard
	}
}

func mean(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func isNaN32(v float32) bool { return v != v }

// clFlag is confident learning's verdict on one test image.
type clFlag struct {
	label int     // suggested label, -1 when none
	score float64 // p(suggested) - p(given)
}

// confidentLearning flags the test images whose given label is probably
// wrong, from the last epoch's probabilities (out of sample: the network
// never trained on them). Per class j the threshold t_j is the mean
// probability of j over the images labelled j; an image's confident
// labels are the classes whose probability reaches their threshold, and
// when the likeliest of them is not its given label it is flagged with
// that label (Northcutt et al., JAIR 2021, the confident joint).
func (d *Data) confidentLearning() []clFlag {
	if d.Epochs == 0 {
		return nil
	}
	n, k := d.TestN(), d.K
	probs := d.TestProbs[(d.Epochs-1)*n*k : d.Epochs*n*k]
	thr := d.Thresholds()
	out := make([]clFlag, n)
	for i := range n {
		y := int(d.TestLabels[i])
		row := probs[i*k : (i+1)*k]
		best, bp := -1, -1.0
		for j, v := range row {
			if float64(v) >= thr[j] && float64(v) > bp {
				best, bp = j, float64(v)
			}
		}
		out[i] = clFlag{label: -1}
		if best >= 0 && best != y {
			out[i] = clFlag{label: best, score: bp - float64(row[y])}
		}
	}
	return out
}

// Thresholds are confident learning's per-class thresholds on the last
// epoch's test probabilities: the mean probability of class j over the
// test images labelled j (1 for a class no image has, so none is flagged
// towards it).
func (d *Data) Thresholds() []float64 {
	n, k := d.TestN(), d.K
	thr := make([]float64, k)
	count := make([]int, k)
	if d.Epochs == 0 {
		return thr
	}
	probs := d.TestProbs[(d.Epochs-1)*n*k : d.Epochs*n*k]
	for i := range n {
		y := int(d.TestLabels[i])
		thr[y] += float64(probs[i*k+y])
		count[y]++
	}
	for j := range thr {
		if count[j] == 0 {
			thr[j] = 1
			continue
		}
		thr[j] /= float64(count[j])
	}
	return thr
}

// Suspects returns the suspected label errors of ex, most suspect first:
// training images by AUM (lowest first), test images by confident
// learning's score (highest first).
func Suspects(ex []Example) []Example {
	var out []Example
	for _, e := range ex {
		if e.Suspect() {
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b Example) int {
		if a.Set == Train {
			return cmp.Compare(a.AUM, b.AUM)
		}
		return cmp.Compare(b.CLScore, a.CLScore)
	})
	return out
}

// Summary counts what the examples of one set show.
type Summary struct {
	N            int
	Regions      [3]int // by Region
	LearnedAt    []int  // LearnedAt[e] images first learned (for good) at epoch e+1
	NotLearned   int    // wrong at the last measurement
	NeverLearned int
	Forgotten    []int // Forgotten[f] images forgotten f times (the last bucket: that many or more)
	Suspects     int
}

// Summarize counts ex over epochs epochs.
func Summarize(ex []Example, epochs int) Summary {
	s := Summary{N: len(ex), LearnedAt: make([]int, epochs), Forgotten: make([]int, 6)}
	for _, e := range ex {
		s.Regions[e.Region]++
		switch {
		case e.FirstLearned > 0 && e.FirstLearned <= epochs:
			s.LearnedAt[e.FirstLearned-1]++
		default:
			s.NotLearned++
		}
		if e.NeverLearned {
			s.NeverLearned++
		}
		s.Forgotten[min(e.Forgotten, len(s.Forgotten)-1)]++
		if e.Suspect() {
			s.Suspects++
		}
	}
	return s
}

// Curve is one image's probability of its given label per epoch (NaN where
// it was not measured) and its prediction per epoch (test; -1 for train
// where only right or wrong is known: 1 right, 0 wrong, -1 unmeasured).
func (d *Data) Curve(set Set, i int) (p []float64, pred []int) {
	p, pred = make([]float64, d.Epochs), make([]int, d.Epochs)
	if set == Train {
		n := d.TrainN()
		for e := range d.Epochs {
			p[e], pred[e] = float64(d.TrainP[e*n+i]), -1
			if m := d.TrainM[e*n+i]; !isNaN32(m) {
				pred[e] = 0
				if m > 0 {
					pred[e] = 1
				}
			}
		}
		return p, pred
	}
	n := d.TestN()
	for e := range d.Epochs {
		p[e], pred[e] = float64(d.TestP[e*n+i]), int(d.TestPred[e*n+i])
	}
	return p, pred
}
