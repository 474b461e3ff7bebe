package nn

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"time"

	"convscope/mnist"
)

// Config is a training run's settings.
type Config struct {
	Epochs     int           `json:"epochs"`
	Batch      int           `json:"batch"`
	LR         float64       `json:"lr"`
	Optimizer  OptimizerKind `json:"optimizer"`
	Momentum   float64       `json:"momentum"` // for sgd
	Seed       uint64        `json:"seed"`
	TrainLimit int           `json:"train_limit"` // first N training images, 0 = all
	Threads    int           `json:"threads"`     // 0 = GOMAXPROCS
	EvalBatch  int           `json:"eval_batch"`  // images per evaluation batch, 0 = 100

	// Schedule is the learning-rate schedule ("" is constant).
	Schedule    Schedule `json:"schedule,omitempty"`
	StepEvery   int      `json:"step_every,omitempty"`
	StepGamma   float64  `json:"step_gamma,omitempty"`
	WeightDecay float64  `json:"weight_decay,omitempty"` // decoupled (AdamW-style) decay of conv and dense weights
	// Augment shifts each training image by up to MaxShift pixels and rotates it
	// by up to MaxRotate degrees, on the fly (labels unchanged).
	Augment   bool    `json:"augment,omitempty"`
	MaxShift  int     `json:"max_shift,omitempty"`
	MaxRotate float64 `json:"max_rotate,omitempty"`

	// ProgressEvery is the least time between two BatchProgress reports (0 = 100ms).
	ProgressEvery time.Duration `json:"-"`
}

// DefaultConfig is the paper's setting, 10 epochs of batch 64 with Adam at
// 1e-3 and seed 1, except that the learning rate decays from 1e-3 to 0 along a
// cosine over the run. The paper keeps it fixed (Schedule "constant"), and then
// test accuracy swings by a few tenths of a percent from one epoch to the next;
// the decay settles it higher (README, "Results").
func DefaultConfig() Config {
	return Config{Epochs: 10, Batch: 64, LR: 1e-3, Optimizer: OptAdam, Momentum: 0.9, Seed: 1,
		Schedule: ScheduleCosine, StepEvery: 3, StepGamma: 0.5, MaxShift: 2, MaxRotate: 10}
}

// LRAt is the learning rate for batch b of nb in epoch (0-based) under the schedule.
func (c Config) LRAt(epoch, b, nb int) float64 {
	switch c.Schedule {
	case ScheduleStep:
		if c.StepEvery < 1 {
			return c.LR
		}
		return c.LR * math.Pow(c.StepGamma, float64(epoch/c.StepEvery))
	case ScheduleCosine:
		total := float64(c.Epochs * max(nb, 1))
		done := float64(epoch*nb + b)
		return c.LR * 0.5 * (1 + math.Cos(math.Pi*min(done/total, 1)))
	}
	return c.LR
}

// Validate reports the first bad setting.
func (c Config) Validate() error {
	switch {
	case c.Epochs < 1:
		return fmt.Errorf("epochs must be at least 1, got %d", c.Epochs)
	case c.Batch < 1 || c.Batch > 4096:
		return fmt.Errorf("batch must be between 1 and 4096, got %d", c.Batch)
	case !(c.LR > 0) || math.IsInf(c.LR, 0):
		return fmt.Errorf("lr must be a positive number, got %v", c.LR)
	case !validKind(c.Optimizer, OptimizerKinds):
		_, err := ParseOptimizer(string(c.Optimizer))
		return err
	case !(c.Momentum >= 0 && c.Momentum < 1):
		return fmt.Errorf("momentum must be in [0, 1), got %v", c.Momentum)
	case c.TrainLimit < 0:
		return fmt.Errorf("train-limit must be 0 (all) or positive, got %d", c.TrainLimit)
	case c.Threads < 0:
		return fmt.Errorf("threads must be 0 (all cores) or positive, got %d", c.Threads)
	case c.EvalBatch < 0:
		return fmt.Errorf("eval batch must be 0 (default) or positive, got %d", c.EvalBatch)
	case c.Schedule != "" && !validKind(c.Schedule, Schedules):
		_, err := ParseSchedule(string(c.Schedule))
		return err
	case c.Schedule == ScheduleStep && (c.StepEvery < 1 || !(c.StepGamma > 0 && c.StepGamma <= 1)):
		return fmt.Errorf("step schedule needs step-every >= 1 and 0 < step-gamma <= 1, got %d and %v", c.StepEvery, c.StepGamma)
	case !(c.WeightDecay >= 0 && c.WeightDecay < 1):
		return fmt.Errorf("weight decay must be in [0, 1), got %v", c.WeightDecay)
	case c.MaxShift < 0 || c.MaxShift > 8:
		return fmt.Errorf("max shift must be 0..8 pixels, got %d", c.MaxShift)
	case !(c.MaxRotate >= 0 && c.MaxRotate <= 45):
		return fmt.Errorf("max rotate must be 0..45 degrees, got %v", c.MaxRotate)
	}
	return nil
}

// Data is the training and test sets.
type Data struct {
	Train, Test *mnist.Set
}

// InitRNG returns the generator that initialises the weights for seed.
func InitRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x636f6e76)) }

// Trainer holds everything a run needs to go on: the network, the optimizer,
// the shuffling generator, and the history of finished epochs.
type Trainer struct {
	Net     *Net
	Opt     Optimizer
	Cfg     Config
	Epoch   int          // epochs completed
	History []EpochStats // one entry per completed epoch
	// Changes are the learning-rate changes made while the run trained
	// (SetLR), in order; the last one's LR is the base rate in force.
	Changes []LRChange

	// Observe, if set, is called on the training goroutine after every
	// training batch with what the forward pass saw (see Batch). The run
	// loop records each image's learning dynamics with it.
	Observe func(Batch)

	pcg     *rand.PCG
	rng     *rand.Rand
	logits  []float32 // the last step's logits (owned by the last layer)
	stepIdx []int     // Step's image indices, for Observe
	next    int       // 0-based index, in epoch Epoch+1, of the next batch to train (SetLR)
	x       []float32
	lbl     []uint8
	perm    []int
	prob    []float32
	dlog    []float32
}

// NewTrainer prepares a run of cfg on net (whose weights are used as they are).
func NewTrainer(net *Net, cfg Config) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	opt, err := NewOptimizer(cfg.Optimizer, cfg.Momentum)
	if err != nil {
		return nil, err
	}
	pcg := rand.NewPCG(cfg.Seed, 0x73687566)
	return &Trainer{Net: net, Opt: opt, Cfg: cfg, pcg: pcg, rng: rand.New(pcg)}, nil
}

// RNGState returns the shuffling generator's state (for checkpoints).
func (t *Trainer) RNGState() ([]byte, error) { return t.pcg.MarshalBinary() }

// SetRNGState restores a state returned by RNGState.
func (t *Trainer) SetRNGState(b []byte) error { return t.pcg.UnmarshalBinary(b) }

// Train runs cfg.Epochs epochs of training of net on data.Train, evaluating on
// data.Test after each, and reports progress through report (which runs on the
// caller's goroutine, between batches). It returns ctx.Err() when cancelled.
func Train(ctx context.Context, net *Net, data Data, cfg Config, report func(Progress)) error {
	t, err := NewTrainer(net, cfg)
	if err != nil {
		return err
	}
	return t.Run(ctx, data, report)
}

// Run trains from epoch t.Epoch+1 up to t.Cfg.Epochs on the network's own
// engine (see Net.SetEngine: the caller owns it and picks its thread count;
// Cfg.Threads is only recorded).
func (t *Trainer) Run(ctx context.Context, data Data, report func(Progress)) error {
	if report == nil {
		report = func(Progress) {}
	}
	if data.Train == nil || data.Test == nil || data.Train.N == 0 || data.Test.N == 0 {
		return errors.New("nn: training and test sets must both hold images")
	}
	in := t.Net.Input
	if data.Train.Rows != in.H || data.Train.Cols != in.W || data.Test.Rows != in.H || data.Test.Cols != in.W {
		return fmt.Errorf("nn: network takes %dx%d images, data has %dx%d (train) and %dx%d (test)",
			in.H, in.W, data.Train.Rows, data.Train.Cols, data.Test.Rows, data.Test.Cols)
	}
	train := data.Train.Subset(t.Cfg.TrainLimit)
	for t.Epoch < t.Cfg.Epochs {
		if err := ctx.Err(); err != nil {
			return err
		}
		st, err := t.epoch(ctx, train, report)
		if err != nil {
			return err
		}
		evStart := time.Now()
		ev := Evaluate(t.Net, data.Test, t.Cfg.EvalBatch)
		st.TestLoss, st.TestAcc = ev.Loss, ev.Acc
		st.EvalSeconds = time.Since(evStart).Seconds()
		st.Eval = ev
		t.Epoch++
		t.next = 0
		h := st
		h.Eval = nil
		t.History = append(t.History, h)
		report(Progress{Kind: EpochDone, Epoch: st.Epoch, Epochs: t.Cfg.Epochs, Batch: 0, Batches: 0,
			Seen: train.N, Total: train.N, TrainLoss: st.TrainLoss, TrainAcc: st.TrainAcc,
			ImagesPerSec: st.ImagesPerSec, Elapsed: time.Duration(st.Seconds * float64(time.Second)), Stats: &st})
	}
	return nil
}

// Batch is what one training batch's forward pass saw, for Trainer.Observe:
// the images' indices in the training set, their labels, and the logits
// and softmax probabilities the loss was computed from (one row of K per
// image, in training mode, before the batch's update). The slices are only
// valid during the call.
type Batch struct {
	Epoch          int // 1-based
	Batch, Batches int // 0-based index of this batch, and batches per epoch
	Images         []int
	Labels         []uint8
	Logits, Probs  []float32
	K              int
}

// divergeAfter is the number of batches an epoch's running loss is
// averaged over before it is compared with DivergeLoss.
const divergeAfter = 10

// DivergeLoss is the running training loss past which a run has diverged:
// 100 times ln(k), the cross-entropy of a uniform guess over k classes. A
// healthy run starts near ln(k) and falls; one that lost its way (Adam at
// lr 1e3 reaches 1e15) is stopped as a NaN loss is.
func DivergeLoss(k int) float64 { return 100 * math.Log(float64(k)) }

// epoch trains one pass over set and returns its training figures.
func (t *Trainer) epoch(ctx context.Context, set *mnist.Set, report func(Progress)) (EpochStats, error) {
	n := set.N
	if len(t.perm) != n {
		t.perm = make([]int, n)
	}
	for i := range t.perm {
		t.perm[i] = i
	}
	t.rng.Shuffle(n, func(i, j int) { t.perm[i], t.perm[j] = t.perm[j], t.perm[i] })
	bs := t.Cfg.Batch
	batches := (n + bs - 1) / bs
	pix := set.Rows * set.Cols
	t.buffers(bs, pix)
	params := t.Net.Params()
	epoch := t.Epoch + 1
	every := t.Cfg.ProgressEvery
	if every <= 0 {
		every = 100 * time.Millisecond
	}
	start := time.Now()
	var paused time.Duration
	lastReport := start
	var lossSum float64
	correct, seen := 0, 0
	lr := t.BaseLR()
	t.next = 0
	for b := 0; b < batches; b++ {
		if err := ctx.Err(); err != nil {
			return EpochStats{}, err
		}
		lo, hi := b*bs, min((b+1)*bs, n)
		m := hi - lo
		x, lbl := t.x[:m*pix], t.lbl[:m]
		for i := 0; i < m; i++ {
			idx := t.perm[lo+i]
			if t.Cfg.Augment {
				Augment(x[i*pix:(i+1)*pix], set.Image(idx), set.Rows, set.Cols, t.Cfg.MaxShift, t.Cfg.MaxRotate, t.rng)
			} else {
				toFloat(x[i*pix:(i+1)*pix], set.Images[idx*pix:(idx+1)*pix])
			}
			lbl[i] = set.Labels[idx]
		}
		lr = t.lrAt(epoch-1, b, batches)
		loss, c := t.step(x, lbl, m, params, lr)
		t.next = b + 1
		if t.Observe != nil {
			k := t.Net.Classes()
			t.Observe(Batch{Epoch: epoch, Batch: b, Batches: batches, Images: t.perm[lo:hi], Labels: lbl,
				Logits: t.logits[:m*k], Probs: t.prob[:m*k], K: k})
		}
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return EpochStats{}, fmt.Errorf("nn: training loss became %v in epoch %d at batch %d of %d; lower the learning rate", loss, epoch, b+1, batches)
		}
		lossSum += loss * float64(m)
		correct += c
		seen += m
		if run := lossSum / float64(seen); b+1 >= min(divergeAfter, batches) && run > DivergeLoss(t.Net.Classes()) {
			return EpochStats{}, fmt.Errorf("nn: training diverged: the running loss is %.3g in epoch %d at batch %d of %d, over %.0f (100 times ln %d, the loss of a guess); lower the learning rate",
				run, epoch, b+1, batches, DivergeLoss(t.Net.Classes()), t.Net.Classes())
		}
		if now := time.Now(); now.Sub(lastReport) >= every && b+1 < batches {
			el := now.Sub(start) - paused
			report(Progress{Kind: BatchProgress, Epoch: epoch, Epochs: t.Cfg.Epochs, Batch: b + 1, Batches: batches,
				Seen: seen, Total: n, LR: lr, TrainLoss: lossSum / float64(seen), TrainAcc: float64(correct) / float64(seen),
				ImagesPerSec: float64(seen) / el.Seconds(), Elapsed: el})
			after := time.Now()
			paused += after.Sub(now)
			lastReport = after
		}
	}
	el := time.Since(start) - paused
	return EpochStats{Epoch: epoch, TrainLoss: lossSum / float64(seen), TrainAcc: float64(correct) / float64(seen),
		Seconds: el.Seconds(), ImagesPerSec: float64(seen) / el.Seconds(), LR: lr}, nil
}

func (t *Trainer) buffers(bs, pix int) {
	k := t.Net.Classes()
	t.x = grow(t.x, bs*pix)
	if cap(t.lbl) < bs {
		t.lbl = make([]uint8, bs)
	}
	t.prob = grow(t.prob, bs*k)
	t.dlog = grow(t.dlog, bs*k)
}

// step trains one batch x [m, rows, cols, 1] with labels lbl and returns its
// mean loss and number of correct predictions.
func (t *Trainer) step(x []float32, lbl []uint8, m int, params []*Param, lr float64) (float64, int) {
	k := t.Net.Classes()
	t.Net.ZeroGrad()
	logits := t.Net.Forward(x, m, true)
	t.logits = logits
	loss, c := SoftmaxCrossEntropy(logits, lbl, m, k, t.prob[:m*k], t.dlog[:m*k], nil)
	t.Net.Backward(t.dlog[:m*k])
	if wd := t.Cfg.WeightDecay; wd > 0 {
		for _, p := range params {
			if p.Decay {
				f := float32(1 - lr*wd)
				for i := range p.W {
					p.W[i] *= f
				}
			}
		}
	}
	t.Opt.Step(params, lr)
	return loss, c
}

// Step trains one batch made of images lo..lo+n-1 of set, in order (no
// shuffling; for benchmarks and tests), and returns its loss and correct count.
func (t *Trainer) Step(set *mnist.Set, lo, n int) (float64, int) {
	pix := set.Rows * set.Cols
	t.buffers(n, pix)
	toFloat(t.x[:n*pix], set.Images[lo*pix:(lo+n)*pix])
	copy(t.lbl[:n], set.Labels[lo:lo+n])
	loss, c := t.step(t.x[:n*pix], t.lbl[:n], n, t.Net.Params(), t.BaseLR())
	if t.Observe != nil {
		if cap(t.stepIdx) < n {
			t.stepIdx = make([]int, n)
		}
		idx := t.stepIdx[:n]
		for i := range idx {
			idx[i] = lo + i
		}
		k := t.Net.Classes()
		t.Observe(Batch{Epoch: t.Epoch + 1, Batch: lo / max(n, 1), Batches: (set.N + n - 1) / max(n, 1), Images: idx, Labels: t.lbl[:n],
			Logits: t.logits[:n*k], Probs: t.prob[:n*k], K: k})
	}
	return loss, c
}

// toFloat scales pixels to [0, 1].
func toFloat(dst []float32, src []uint8) {
	for i, v := range src {
		dst[i] = float32(v) * (1.0 / 255)
	}
}

// PredictImages is net's prediction (Predict of the logits) for images idx
// of set, in inference mode; nil when an index is out of range. The report
// and the UI use it for the label they suggest for a suspect image.
func PredictImages(net *Net, set *mnist.Set, idx []int) []int {
	if len(idx) == 0 {
		return nil
	}
	pix := set.Rows * set.Cols
	sub := &mnist.Set{Images: make([]uint8, 0, len(idx)*pix), Labels: make([]uint8, len(idx)), N: len(idx), Rows: set.Rows, Cols: set.Cols}
	for i, k := range idx {
		if k < 0 || k >= set.N {
			return nil
		}
		sub.Images = append(sub.Images, set.Image(k)...)
		sub.Labels[i] = set.Labels[k]
	}
	out := make([]int, len(idx))
	for i, p := range Evaluate(net, sub, 0).Pred {
		out[i] = int(p)
	}
	return out
}

// Evaluate runs net in inference mode over set in batches of batch images
// (0 = 100) and returns the loss, accuracy, confusion matrix, per-class
// figures and each image's prediction and probabilities.
func Evaluate(net *Net, set *mnist.Set, batch int) *Eval {
	if batch <= 0 {
		batch = 100
	}
	k := net.Classes()
	n := set.N
	pix := set.Rows * set.Cols
	ev := &Eval{N: n, K: k, Labels: append([]uint8(nil), set.Labels[:n]...), Pred: make([]uint8, n),
		Probs: make([]float32, n*k), Losses: make([]float32, n)}
	x := make([]float32, min(batch, n)*pix)
	var lossSum float64
	correct := 0
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		m := hi - lo
		toFloat(x[:m*pix], set.Images[lo*pix:hi*pix])
		logits := net.Forward(x[:m*pix], m, false)
		l, c := SoftmaxCrossEntropy(logits, set.Labels[lo:hi], m, k, ev.Probs[lo*k:hi*k], nil, ev.Losses[lo:hi])
		lossSum += l * float64(m)
		correct += c
		// The class the loss counted as the answer: argmax of the logits
		// (two probabilities may round to the same float32).
		for i := lo; i < hi; i++ {
			ev.Pred[i] = uint8(Predict(logits[(i-lo)*k : (i-lo+1)*k]))
		}
	}
	ev.Loss = lossSum / float64(n)
	ev.Acc = float64(correct) / float64(n)
	ev.Confusion = make([][]int, k)
	for i := range ev.Confusion {
		ev.Confusion[i] = make([]int, k)
	}
	for i := 0; i < n; i++ {
		ev.Confusion[ev.Labels[i]][ev.Pred[i]]++
	}
	ev.Classes, ev.Macro = ClassFigures(ev.Confusion)
	return ev
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// ClassFigures derives each class's one-vs-rest TP, FP, FN, TN, precision,
// recall, F1 and accuracy from a confusion matrix conf[true][pred], and their
// unweighted (macro) means. A ratio with a zero denominator is 0.
func ClassFigures(conf [][]int) ([]ClassStats, ClassStats) {
	k := len(conf)
	total := 0
	for _, row := range conf {
		for _, v := range row {
			total += v
		}
	}
	out := make([]ClassStats, k)
	var macro ClassStats
	for c := 0; c < k; c++ {
		tp := conf[c][c]
		fn, fp := 0, 0
		for j := 0; j < k; j++ {
			if j != c {
				fn += conf[c][j]
				fp += conf[j][c]
			}
		}
		s := ClassStats{TP: tp, FP: fp, FN: fn, TN: total - tp - fp - fn}
		s.Precision = ratio(tp, tp+fp)
		s.Recall = ratio(tp, tp+fn)
		if s.Precision+s.Recall > 0 {
			s.F1 = 2 * s.Precision * s.Recall / (s.Precision + s.Recall)
		}
		s.Accuracy = ratio(s.TP+s.TN, total)
		out[c] = s
		macro.Precision += s.Precision / float64(k)
		macro.Recall += s.Recall / float64(k)
		macro.F1 += s.F1 / float64(k)
		macro.Accuracy += s.Accuracy / float64(k)
	}
	return out, macro
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
