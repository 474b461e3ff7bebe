package dynamics

import (
	"math"
)

// Bins is the number of equal-width confidence bins of the reliability
// diagram.
const Bins = 15

// Bin is one bar of a reliability diagram: the images whose confidence
// (largest probability) falls in [Lo, Hi).
type Bin struct {
	Lo, Hi     float64
	Count      int
	Confidence float64 // mean confidence of the bin's images (NaN when empty)
	Accuracy   float64 // share of them predicted right (NaN when empty)
}

// Calibration is how well one evaluation's probabilities match its
// accuracy (Guo et al., ICML 2017).
type Calibration struct {
	Epoch int
	Bins  []Bin
	ECE   float64 // expected calibration error: Σ n_b/N |acc_b - conf_b|
	MCE   float64 // maximum calibration error over non-empty bins
	NLL   float64 // mean negative log-likelihood of the given labels
	Brier float64 // mean over images of Σ_j (p_j - [j = label])²
	// Temperature is the T that minimises the NLL of softmax(log p / T),
	// and ECEScaled the ECE after scaling by it.
	Temperature float64
	ECEScaled   float64
}

// Calibrate computes the calibration of n rows of k probabilities against
// labels; pred are the predictions (argmax of the logits).
func Calibrate(probs []float32, labels, pred []uint8, k int) Calibration {
	n := len(labels)
	c := Calibration{}
	c.Bins, c.ECE, c.MCE = reliability(probs, labels, pred, k, 1)
	for i := range n {
		row := probs[i*k : (i+1)*k]
		y := int(labels[i])
		c.NLL -= math.Log(max(float64(row[y]), 1e-38))
		for j, v := range row {
			d := float64(v)
			if j == y {
				d--
			}
			c.Brier += d * d
		}
	}
	if n > 0 {
		c.NLL /= float64(n)
		c.Brier /= float64(n)
	}
	c.Temperature = fitTemperature(probs, labels, k)
	_, c.ECEScaled, _ = reliability(probs, labels, pred, k, c.Temperature)
	return c
}

// reliability bins the images by confidence after scaling the log
// probabilities by 1/t (t = 1: as they are) and returns the bins, ECE and
// MCE. Scaling keeps every prediction: it changes confidences only.
func reliability(probs []float32, labels, pred []uint8, k int, t float64) ([]Bin, float64, float64) {
	n := len(labels)
	bins := make([]Bin, Bins)
	sumConf := make([]float64, Bins)
	right := make([]int, Bins)
	buf := make([]float64, k)
	for i := range n {
		row := probs[i*k : (i+1)*k]
		conf := maxProb(row, t, buf)
		b := min(int(conf*Bins), Bins-1)
		bins[b].Count++
		sumConf[b] += conf
		if pred[i] == labels[i] {
			right[b]++
		}
	}
	var ece, mce float64
	for b := range bins {
		bins[b].Lo, bins[b].Hi = float64(b)/Bins, float64(b+1)/Bins
		if bins[b].Count == 0 {
			bins[b].Confidence, bins[b].Accuracy = math.NaN(), math.NaN()
			continue
		}
		cnt := float64(bins[b].Count)
		bins[b].Confidence, bins[b].Accuracy = sumConf[b]/cnt, float64(right[b])/cnt
		gap := math.Abs(bins[b].Accuracy - bins[b].Confidence)
		ece += cnt / float64(max(n, 1)) * gap
		mce = max(mce, gap)
	}
	return bins, ece, mce
}

// maxProb is the largest probability of row after temperature t.
func maxProb(row []float32, t float64, buf []float64) float64 {
	if t == 1 {
		m := 0.0
		for _, v := range row {
			m = max(m, float64(v))
		}
		return m
	}
	softmaxT(row, t, buf)
	m := 0.0
	for _, v := range buf {
		m = max(m, v)
	}
	return m
}

// softmaxT writes softmax(log p / t) into out.
func softmaxT(row []float32, t float64, out []float64) {
	mx := math.Inf(-1)
	for j, v := range row {
		out[j] = math.Log(max(float64(v), 1e-38)) / t
		mx = max(mx, out[j])
	}
	var z float64
	for j := range out {
		out[j] = math.Exp(out[j] - mx)
		z += out[j]
	}
	for j := range out {
		out[j] /= z
	}
}

// nllAt is the mean NLL after temperature t.
func nllAt(probs []float32, labels []uint8, k int, t float64) float64 {
	buf := make([]float64, k)
	var s float64
	for i, y := range labels {
		softmaxT(probs[i*k:(i+1)*k], t, buf)
		s -= math.Log(max(buf[y], 1e-300))
	}
	return s / float64(max(len(labels), 1))
}

// fitTemperature finds the temperature in [0.05, 20] that minimises the
// NLL, by golden-section search on log t (the NLL is convex in 1/t).
func fitTemperature(probs []float32, labels []uint8, k int) float64 {
	if len(labels) == 0 {
		return 1
	}
	lo, hi := math.Log(0.05), math.Log(20)
	g := (math.Sqrt(5) - 1) / 2
	a, b := hi-g*(hi-lo), lo+g*(hi-lo)
	fa, fb := nllAt(probs, labels, k, math.Exp(a)), nllAt(probs, labels, k, math.Exp(b))
	for hi-lo > 1e-6 {
		if fa < fb {
			hi, b, fb = b, a, fa
			a = hi - g*(hi-lo)
			fa = nllAt(probs, labels, k, math.Exp(a))
		} else {
			lo, a, fa = a, b, fb
			b = lo + g*(hi-lo)
			fb = nllAt(probs, labels, k, math.Exp(b))
		}
	}
	return math.Exp((lo + hi) / 2)
}

// Calibrations is the calibration of the test set after every recorded epoch.
func (d *Data) Calibrations() []Calibration {
	n, k := d.TestN(), d.K
	out := make([]Calibration, d.Epochs)
	for e := range d.Epochs {
		c := Calibrate(d.TestProbs[e*n*k:(e+1)*n*k], d.TestLabels, d.TestPred[e*n:(e+1)*n], k)
		c.Epoch = e + 1
		out[e] = c
	}
	return out
}
