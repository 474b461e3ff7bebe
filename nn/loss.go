package nn

import "math"

// SoftmaxCrossEntropy computes softmax probabilities of the n×k logits into
// probs, the mean cross-entropy against labels, the number of correct argmax
// predictions, and (if dlogits is non-nil) the gradient of the mean loss with
// respect to the logits. Per-image losses go to losses when it is non-nil.
func SoftmaxCrossEntropy(logits []float32, labels []uint8, n, k int, probs, dlogits, losses []float32) (loss float64, correct int) {
	var sum float64
	for i := 0; i < n; i++ {
		row := logits[i*k : (i+1)*k]
		p := probs[i*k : (i+1)*k]
		arg, mx, z := softmaxRow(row, p)
		t := int(labels[i])
		li := math.Log(z) - float64(row[t]-mx)
		sum += li
		if losses != nil {
			losses[i] = float32(li)
		}
		if arg == t {
			correct++
		}
		if dlogits != nil {
			d := dlogits[i*k : (i+1)*k]
			s := float32(1 / float64(n))
			for j := range d {
				d[j] = p[j] * s
			}
			d[t] -= s
		}
	}
	return sum / float64(n), correct
}

// softmaxRow writes the softmax of one row of logits into p (summed in
// float64, shifted by the largest logit) and returns the prediction (the
// logits' argmax, the first on ties), that largest logit and the sum of the
// shifted exponentials. It is the one softmax and the one prediction rule of
// the package: training, Evaluate and the inspection functions all use it.
func softmaxRow(row, p []float32) (arg int, mx float32, z float64) {
	mx = row[0]
	for j, v := range row {
		if v > mx {
			mx, arg = v, j
		}
	}
	for j, v := range row {
		e := math.Exp(float64(v - mx))
		p[j] = float32(e)
		z += e
	}
	inv := 1 / z
	for j := range p {
		p[j] = float32(float64(p[j]) * inv)
	}
	return arg, mx, z
}

// Predict is the class a row of logits predicts: its argmax, the first on
// ties, as the accuracy counts it.
func Predict(logits []float32) int { return argmax(logits) }
