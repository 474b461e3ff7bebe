package health

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"convscope/mnist"
	"convscope/nn"
)

// Sampler takes a Sample every Every batches and at each epoch's last
// batch, from the trainer's Observe hook. For the update-to-weight ratio it
// copies the weights at the batch before a sampled one (and when it is
// made), and compares them with the weights the sampled batch leaves.
//
// Observe runs a forward pass on the network's own buffers, so it must be
// the last observer of a batch: anything reading the batch's logits or
// probabilities has to run before it. It runs on the training goroutine.
type Sampler struct {
	// Every is the batches between two samples (DefaultEvery when < 1).
	Every int

	net  *nn.Net
	set  *mnist.Set
	cfg  nn.Config
	step int // training batches done over the run

	prev     [][]float32 // the weights after batch prevStep, per parameter
	prevStep int         // -1: none

	wr, ar   []span    // per layer: the fixed bins of its weights and activations
	peakGrad []float64 // per layer: the largest gradient norm of the samples before (0: none)
	x        []float32
}

// span is a histogram's range; zero until a layer's first sample sets it.
type span struct{ lo, hi float64 }

// NewSampler samples t's network. train is the set the batches' image
// indices point into (the run's training set, after its train limit).
func NewSampler(t *nn.Trainer, train *mnist.Set, every int) *Sampler {
	_, step := t.Opt.State()
	n := len(t.Net.Layers)
	s := &Sampler{Every: every, net: t.Net, set: train, cfg: t.Cfg, step: step, prevStep: -1,
		wr: make([]span, n), ar: make([]span, n), peakGrad: make([]float64, n)}
	s.copyWeights()
	return s
}

// Resume continues the bins and the gradient-jump check of the earlier
// samples of the same run (those kept in its health.jsonl, oldest first).
func (s *Sampler) Resume(kept []Sample) {
	for _, k := range kept {
		for _, l := range k.Layers {
			if g := float64(l.GradNorm); l.Index >= 0 && l.Index < len(s.peakGrad) && finite(g) {
				s.peakGrad[l.Index] = max(s.peakGrad[l.Index], g)
			}
		}
	}
	if len(kept) == 0 {
		return
	}
	for _, l := range kept[len(kept)-1].Layers {
		if l.Index < 0 || l.Index >= len(s.wr) {
			continue
		}
		if l.WeightHist != nil && l.WeightHist.Hi > l.WeightHist.Lo {
			s.wr[l.Index] = span{l.WeightHist.Lo, l.WeightHist.Hi}
		}
		if l.ActHist.Hi > l.ActHist.Lo {
			s.ar[l.Index] = span{l.ActHist.Lo, l.ActHist.Hi}
		}
	}
}

func (s *Sampler) every() int {
	if s.Every < 1 {
		return DefaultEvery
	}
	return s.Every
}

// Due reports whether batch (0-based) of an epoch of batches is sampled.
func (s *Sampler) Due(batch, batches int) bool {
	return batch%s.every() == 0 || batch == batches-1
}

// Observe counts a training batch and returns its Sample when it is due
// (nil otherwise). Set it as the last of nn.Trainer.Observe's observers.
func (s *Sampler) Observe(b nn.Batch) *Sample {
	s.step++
	var out *Sample
	if s.Due(b.Batch, b.Batches) {
		out = s.measure(b, s.prevStep == s.step-1)
	}
	next := b.Batch + 1
	if next >= b.Batches {
		next = 0
	}
	if s.Due(next, b.Batches) {
		s.copyWeights()
	}
	return out
}

// copyWeights keeps the weights as they are now.
func (s *Sampler) copyWeights() {
	ps := s.net.Params()
	if len(s.prev) != len(ps) {
		s.prev = make([][]float32, len(ps))
	}
	for i, p := range ps {
		if len(s.prev[i]) != len(p.W) {
			s.prev[i] = make([]float32, len(p.W))
		}
		copy(s.prev[i], p.W)
	}
	s.prevStep = s.step
}

// measure computes the Sample of batch b, with the update when the weights
// before it were kept.
func (s *Sampler) measure(b nn.Batch, update bool) *Sample {
	net := s.net
	n := len(b.Images)
	pix := s.set.Rows * s.set.Cols
	if cap(s.x) < n*pix {
		s.x = make([]float32, n*pix)
	}
	x := s.x[:n*pix]
	for i, idx := range b.Images {
		src := s.set.Images[idx*pix : (idx+1)*pix]
		dst := x[i*pix : (i+1)*pix]
		for j, v := range src {
			dst[j] = float32(v) * (1.0 / 255)
		}
	}
	smp := &Sample{Epoch: b.Epoch, Batch: b.Batch, Batches: b.Batches, Step: s.step, EpochEnd: b.Batch == b.Batches-1,
		Images: n, LR: s.cfg.LRAt(b.Epoch-1, b.Batch, b.Batches)}
	smp.Loss, smp.Acc = batchLoss(b)
	var outs [][]float32
	if n > 0 {
		outs = net.ForwardTrace(x, n)
	}
	// The layers' figures are independent: they are measured in parallel
	// (training waits for the sample, so its threads are free).
	smp.Layers = make([]Layer, len(net.Layers))
	firstParam := make([]int, len(net.Layers))
	pi := 0
	for i, l := range net.Layers {
		firstParam[i] = pi
		pi += len(l.Params())
		// The bins are fixed at a layer's first sample.
		if ps := l.Params(); len(ps) > 0 && s.wr[i] == (span{}) {
			s.wr[i] = spanOf(ps[0].W)
		}
		if outs != nil && s.ar[i] == (span{}) {
			s.ar[i] = spanOf(outs[i])
		}
	}
	work := make(chan int, len(net.Layers))
	for i := range net.Layers {
		work <- i
	}
	close(work)
	var wg sync.WaitGroup
	for range min(s.threads(), len(net.Layers)) {
		wg.Go(func() {
			for i := range work {
				smp.Layers[i] = s.layer(i, firstParam[i], outs, update)
			}
		})
	}
	wg.Wait()
	smp.Alerts = s.alerts(smp)
	for i, l := range smp.Layers {
		if l.Params > 0 && finite(float64(l.GradNorm)) {
			s.peakGrad[i] = max(s.peakGrad[i], float64(l.GradNorm))
		}
	}
	return smp
}

// threads is how many goroutines measure a sample's layers.
func (s *Sampler) threads() int {
	if s.cfg.Threads > 0 {
		return s.cfg.Threads
	}
	return runtime.GOMAXPROCS(0)
}

// layer measures layer i (its parameters start at pi in the network's
// list; outs are the batch's outputs, nil for none).
func (s *Sampler) layer(i, pi int, outs [][]float32, update bool) Layer {
	net := s.net
	l := net.Layers[i]
	L := Layer{Index: i, Name: net.LayerName(i), Kind: l.Kind()}
	{
		if ps := l.Params(); len(ps) > 0 {
			var g2, w2, u2, b2 float64
			for j, p := range ps {
				L.Params += len(p.W)
				before := s.prev[pi+j]
				for k, w := range p.W {
					g, wf := float64(p.G[k]), float64(w)
					g2 += g * g
					w2 += wf * wf
					if update {
						bf := float64(before[k])
						d := wf - bf
						u2 += d * d
						b2 += bf * bf
					}
				}
			}
			L.GradNorm, L.WeightNorm = Num(math.Sqrt(g2)), Num(math.Sqrt(w2))
			if update {
				L.HasUpdate = true
				L.UpdateNorm = Num(math.Sqrt(u2))
				L.UpdateRatio = Num(math.Sqrt(u2) / math.Sqrt(b2))
				if b2 == 0 && u2 == 0 {
					L.UpdateRatio = 0
				}
			}
			h := newHist(s.wr[i])
			h.addAll(ps[0].W)
			L.WeightHist = h
		}
		if outs != nil {
			vals := outs[i]
			h := newHist(s.ar[i])
			sum, sq := h.addAll(vals)
			m := float64(len(vals))
			mean := sum / m
			L.ActMean, L.ActStd = Num(mean), Num(math.Sqrt(max(sq/m-mean*mean, 0)))
			if math.IsNaN(sq) || math.IsInf(sq, 0) {
				L.ActStd = Num(sq)
			}
			L.ActHist = *h
			if l.Kind() == nn.KindReLU {
				L.Units, L.DeadUnits = deadUnits(vals, l.Out().C)
				L.Dead = float64(L.DeadUnits) / float64(L.Units)
			}
		}
	}
	return L
}

// batchLoss is the mean cross-entropy and the accuracy of a batch from its
// probabilities.
func batchLoss(b nn.Batch) (Num, float64) {
	n, k := len(b.Labels), b.K
	if n == 0 || k == 0 || len(b.Probs) < n*k {
		return 0, 0
	}
	var sum float64
	correct := 0
	for i := range n {
		row := b.Probs[i*k : (i+1)*k]
		y := int(b.Labels[i])
		sum -= math.Log(float64(row[y]))
		best := 0
		for j, p := range row {
			if p > row[best] {
				best = j
			}
		}
		if best == y {
			correct++
		}
	}
	return Num(sum / float64(n)), float64(correct) / float64(n)
}

// deadUnits counts the channels of ReLU outputs vals (rows of c values)
// that are zero in every row.
func deadUnits(vals []float32, c int) (units, dead int) {
	alive := make([]bool, c)
	live := 0
	for r := 0; r+c <= len(vals) && live < c; r += c { // done once every unit is alive
		for j, v := range vals[r : r+c] {
			if v != 0 && !alive[j] {
				alive[j] = true
				live++
			}
		}
	}
	for _, a := range alive {
		if !a {
			dead++
		}
	}
	return c, dead
}

// spanOf is the fixed range of a layer's histograms, from its first
// sample: [0, R] for values that are all non-negative (ReLU outputs), else
// [-R, R], R being twice the largest magnitude rounded up to 1, 2 or 5
// times a power of ten (1 when all are zero or none is finite).
func spanOf(v []float32) span {
	var big float64
	neg := false
	for _, x := range v {
		f := float64(x)
		if !finite(f) {
			continue
		}
		if f < 0 {
			neg = true
		}
		big = max(big, math.Abs(f))
	}
	r := nice(2 * big)
	if neg {
		return span{-r, r}
	}
	return span{0, r}
}

// nice rounds v > 0 up to 1, 2 or 5 times a power of ten (1 for v <= 0).
func nice(v float64) float64 {
	if !(v > 0) || !finite(v) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func newHist(s span) *Hist { return &Hist{Lo: s.lo, Hi: s.hi, Counts: make([]int, Bins)} }

// addAll adds every value of vs and returns their sum and sum of squares
// (over all of them: a non-finite value makes them non-finite).
func (h *Hist) addAll(vs []float32) (sum, sq float64) {
	lo, hi := h.Lo, h.Hi
	scale := Bins / (hi - lo)
	var counts [Bins + 1]int // the last: values equal to hi
	var sum2, sq2 float64    // two chains of additions, not one
	for len(vs) >= 2 {
		f, g := float64(vs[0]), float64(vs[1])
		vs = vs[2:]
		sum += f
		sq += f * f
		sum2 += g
		sq2 += g * g
		if f >= lo && f <= hi {
			counts[int((f-lo)*scale)]++
		} else {
			h.outside(f)
		}
		if g >= lo && g <= hi {
			counts[int((g-lo)*scale)]++
		} else {
			h.outside(g)
		}
	}
	for _, v := range vs {
		f := float64(v)
		sum += f
		sq += f * f
		if f >= lo && f <= hi {
			counts[int((f-lo)*scale)]++
		} else {
			h.outside(f)
		}
	}
	counts[Bins-1] += counts[Bins]
	for i, c := range counts[:Bins] {
		h.Counts[i] += c
	}
	return sum + sum2, sq + sq2
}

// outside counts a value that is not within the bins.
func (h *Hist) outside(f float64) {
	switch {
	case f-f != 0: // NaN or ±Inf
		h.NaN++
	case f < h.Lo:
		h.Under++
	default:
		h.Over++
	}
}

// alerts are the figures of smp past their thresholds.
func (s *Sampler) alerts(smp *Sample) []Alert {
	var out []Alert
	add := func(layer, figure, rule string, v float64, msg string) {
		out = append(out, Alert{Epoch: smp.Epoch, Batch: smp.Batch, Layer: layer, Figure: figure, Rule: rule, Value: Num(v),
			Message: fmt.Sprintf("%s: %s at epoch %d batch %d", layer, msg, smp.Epoch, smp.Batch)})
	}
	if l := float64(smp.Loss); !finite(l) {
		add(BatchLayer, "loss", RuleNonFinite, l, fmt.Sprintf("loss is %v", l))
	}
	annealed := smp.LR < AnnealedLR*s.cfg.LR
	for i, l := range smp.Layers {
		figs := []struct {
			name string
			v    Num
			on   bool
		}{{"grad_norm", l.GradNorm, l.Params > 0}, {"weight_norm", l.WeightNorm, l.Params > 0},
			{"update_ratio", l.UpdateRatio, l.HasUpdate}, {"act_mean", l.ActMean, true}, {"act_std", l.ActStd, true}}
		bad := false
		for _, f := range figs {
			if v := float64(f.v); f.on && !finite(v) {
				add(l.Name, f.name, RuleNonFinite, v, fmt.Sprintf("%s is %v", f.name, v))
				bad = true
			}
		}
		if bad {
			continue
		}
		if r := float64(l.UpdateRatio); l.HasUpdate && l.Params > 0 {
			switch {
			case r > MaxUpdateRatio:
				add(l.Name, "update_ratio", RuleUpdateHigh, r, fmt.Sprintf("update ratio %.3g over %g", r, MaxUpdateRatio))
			case r < MinUpdateRatio && !annealed:
				add(l.Name, "update_ratio", RuleUpdateLow, r, fmt.Sprintf("update ratio %.3g under %g", r, MinUpdateRatio))
			}
		}
		if l.Units > 0 && l.Dead > MaxDead {
			add(l.Name, "dead", RuleDead, l.Dead, fmt.Sprintf("%d of %d units dead (%.0f%%)", l.DeadUnits, l.Units, 100*l.Dead))
		}
		if g, p := float64(l.GradNorm), s.peakGrad[i]; l.Params > 0 && p > 0 && g > GradJump*p {
			add(l.Name, "grad_norm", RuleGradJump, g, fmt.Sprintf("gradient norm %.3g, %.0fx its largest before (%.3g)", g, g/p, p))
		}
	}
	return out
}
