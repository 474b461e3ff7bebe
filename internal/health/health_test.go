package health

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"convscope/mnist"
	"convscope/nn"
)

// tinyNet is dense 4->3, ReLU, dense 3->2 on 2x2 images, by hand: the first
// layer's weights are 0 and its biases -1, so the ReLU sees only negative
// inputs; the second's weights are all 0.5 and its biases 0.
func tinyNet() *nn.Net {
	in := nn.Shape{H: 2, W: 2, C: 1}
	d1 := nn.NewDense(in, 3, nn.InitRNG(1))
	clear(d1.Weight.W)
	for i := range d1.Bias.W {
		d1.Bias.W[i] = -1
	}
	r := nn.NewReLU(d1.Out())
	d2 := nn.NewDense(r.Out(), 2, nn.InitRNG(2))
	for i := range d2.Weight.W {
		d2.Weight.W[i] = 0.5
	}
	net := &nn.Net{Name: "tiny", Input: in, Layers: []nn.Layer{d1, r, d2}}
	net.SetEngine(nil)
	return net
}

func tinySet() *mnist.Set {
	return &mnist.Set{Images: []uint8{255, 0, 0, 255, 0, 255, 255, 0}, Labels: []uint8{0, 0}, N: 2, Rows: 2, Cols: 2}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-6*max(1, math.Abs(b)) }

// TestTinyFigures: the figures of a batch on the hand-built network equal
// the hand-computed ones. The ReLU is 100% dead; the logits are 0, so each
// probability is 1/2 and the loss ln 2; the only gradient is the second
// layer's bias, mean(p - onehot) = (-1/2, 1/2), norm √½; plain SGD at lr 0.1
// steps by -0.1 of it, norm 0.1·√½, over the second layer's weight norm
// before the step, √(6·¼) = √1.5.
func TestTinyFigures(t *testing.T) {
	cfg := nn.DefaultConfig()
	cfg.Optimizer, cfg.Momentum, cfg.LR, cfg.Batch, cfg.Schedule = nn.OptSGD, 0, 0.1, 2, nn.ScheduleConstant
	cfg.WeightDecay = 0
	tr, err := nn.NewTrainer(tinyNet(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	set := tinySet()
	s := NewSampler(tr, set, 1)
	var got []*Sample
	tr.Observe = func(b nn.Batch) {
		if smp := s.Observe(b); smp != nil {
			got = append(got, smp)
		}
	}
	tr.Step(set, 0, 2)
	if len(got) != 1 {
		t.Fatalf("%d samples, want 1", len(got))
	}
	smp := got[0]
	if !near(float64(smp.Loss), math.Ln2) || smp.Acc != 1 || smp.Step != 1 || smp.Images != 2 {
		t.Errorf("loss %v acc %v step %d images %d, want ln 2, 1 (ties go to class 0), 1, 2", smp.Loss, smp.Acc, smp.Step, smp.Images)
	}
	d1, relu, d2 := smp.Layers[0], smp.Layers[1], smp.Layers[2]
	checks := []struct {
		name      string
		got, want float64
	}{
		{"dense_1 grad norm", float64(d1.GradNorm), 0},
		{"dense_1 weight norm", float64(d1.WeightNorm), math.Sqrt(3)},
		{"dense_1 update ratio", float64(d1.UpdateRatio), 0},
		{"dense_1 act mean", float64(d1.ActMean), -1},
		{"dense_1 act std", float64(d1.ActStd), 0},
		{"relu dead", relu.Dead, 1},
		{"relu act mean", float64(relu.ActMean), 0},
		{"dense_2 grad norm", float64(d2.GradNorm), math.Sqrt(0.5)},
		{"dense_2 update norm", float64(d2.UpdateNorm), 0.1 * math.Sqrt(0.5)},
		{"dense_2 update ratio", float64(d2.UpdateRatio), 0.1 * math.Sqrt(0.5) / math.Sqrt(1.5)},
		{"dense_2 act mean", float64(d2.ActMean), 0}, // after the step: bias ±0.05, mean 0
		{"dense_2 act std", float64(d2.ActStd), 0.05},
	}
	for _, c := range checks {
		if !near(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if relu.Units != 3 || relu.DeadUnits != 3 || !d2.HasUpdate || d1.Params != 15 || relu.Params != 0 {
		t.Errorf("relu %d/%d dead, dense_2 has update %v, dense_1 %d params", relu.DeadUnits, relu.Units, d2.HasUpdate, d1.Params)
	}
	if h := relu.ActHist; h.Total() != 6 || h.Counts[0] != 6 || h.Lo != 0 || h.Hi != 1 {
		t.Errorf("relu histogram %+v, want its 6 zeros in the first bin of [0, 1]", h)
	}
	if h := d1.WeightHist; h == nil || h.Total() != 12 {
		t.Errorf("dense_1 weight histogram %+v, want its 12 weights", h)
	}
	// The dead ReLU is an alert, naming the layer, the figure and the batch.
	var dead *Alert
	for i, a := range smp.Alerts {
		if a.Rule == RuleDead {
			dead = &smp.Alerts[i]
		}
	}
	if dead == nil || dead.Layer != "relu_1" || dead.Figure != "dead" || !strings.Contains(dead.Message, "relu_1: 3 of 3 units dead (100%) at epoch 1 batch 0") {
		t.Errorf("alerts %+v, want relu_1 100%% dead at batch 0", smp.Alerts)
	}
	// dense_2's update ratio (0.058) is within bounds; dense_1 updates nothing
	// and its ratio 0 is under the low bound.
	for _, a := range smp.Alerts {
		if a.Layer == "dense_2" {
			t.Errorf("alert %+v on a healthy layer", a)
		}
	}
}

// TestAlerts: each rule fires on the figure that crosses it.
func TestAlerts(t *testing.T) {
	s := &Sampler{cfg: nn.Config{LR: 1e-3}, peakGrad: []float64{1, 1}}
	smp := &Sample{Epoch: 2, Batch: 400, LR: 1e-3, Loss: Num(math.NaN()), Layers: []Layer{
		{Index: 0, Name: "conv2d_1", Params: 10, GradNorm: 11, WeightNorm: 1, HasUpdate: true, UpdateRatio: 0.5},
		{Index: 1, Name: "dense_1", Params: 10, GradNorm: 1, WeightNorm: Num(math.Inf(1)), HasUpdate: true, UpdateRatio: 1e-3},
	}}
	got := map[string]string{}
	for _, a := range s.alerts(smp) {
		got[a.Layer+" "+a.Rule] = a.Message
	}
	for key, msg := range map[string]string{
		"batch non-finite":     "batch: loss is NaN at epoch 2 batch 400",
		"conv2d_1 update-high": "conv2d_1: update ratio 0.5 over 0.1 at epoch 2 batch 400",
		"conv2d_1 grad-jump":   "conv2d_1: gradient norm 11, 11x its largest before (1) at epoch 2 batch 400",
		"dense_1 non-finite":   "dense_1: weight_norm is +Inf at epoch 2 batch 400",
	} {
		if got[key] != msg {
			t.Errorf("alert %s = %q, want %q", key, got[key], msg)
		}
	}
	if len(got) != 4 {
		t.Errorf("alerts %v, want 4", got)
	}
	// A low ratio alerts, except once the schedule has annealed the rate.
	low := &Sample{LR: 1e-3, Layers: []Layer{{Name: "d", Params: 1, GradNorm: 1, WeightNorm: 1, HasUpdate: true, UpdateRatio: 1e-7}}}
	if a := s.alerts(low); len(a) != 1 || a[0].Rule != RuleUpdateLow {
		t.Errorf("low ratio: %+v", a)
	}
	for _, lr := range []float64{1e-6, 5e-5} { // under a tenth of the base rate
		low.LR = lr
		if a := s.alerts(low); len(a) != 0 {
			t.Errorf("low ratio at an annealed rate %g: %+v", lr, a)
		}
	}
}

// TestGradJump: a gradient norm alerts when it passes ten times the
// largest of the layer's earlier samples, not ten times the one before: a
// late batch whose gradient is large next to the previous (the loss near
// 0) but within what the run has seen is no explosion.
func TestGradJump(t *testing.T) {
	s := &Sampler{cfg: nn.Config{LR: 1e-3}, peakGrad: []float64{0}}
	for i, c := range []struct {
		g     float64
		alert bool
	}{{10, false}, {0.5, false}, {40, false}, {0.1, false}, {399, false}, {4001, true}, {2, false}} {
		smp := &Sample{LR: 1e-3, Layers: []Layer{{Index: 0, Name: "d", Params: 1, GradNorm: Num(c.g), WeightNorm: 1}}}
		a := s.alerts(smp)
		if got := len(a) == 1 && a[0].Rule == RuleGradJump; got != c.alert || len(a) > 1 {
			t.Errorf("sample %d (norm %g): alerts %+v, want a jump: %v", i, c.g, a, c.alert)
		}
		s.peakGrad[0] = max(s.peakGrad[0], c.g) // as measure keeps it
	}
	// A resumed sampler starts from the largest of the kept samples.
	r := &Sampler{peakGrad: make([]float64, 1), wr: make([]span, 1), ar: make([]span, 1)}
	r.Resume([]Sample{{Layers: []Layer{{Index: 0, GradNorm: 7}}}, {Layers: []Layer{{Index: 0, GradNorm: 2}}}})
	if r.peakGrad[0] != 7 {
		t.Errorf("resumed peak %g, want 7", r.peakGrad[0])
	}
}

// TestFile: samples round-trip through health.jsonl, non-finite values
// included; a torn last line is dropped; a resumed run's lines replace the
// ones they repeat; Cut keeps the epochs up to a checkpoint's.
func TestFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), File)
	for _, at := range [][2]int{{1, 0}, {1, 200}, {1, 937}, {2, 0}, {2, 200}} {
		s := &Sample{Epoch: at[0], Batch: at[1], Batches: 938, Loss: Num(math.Inf(1)),
			Layers: []Layer{{Name: "conv2d_1", Kind: nn.KindConv2D, ActMean: Num(math.NaN()), ActHist: Hist{Lo: -1, Hi: 1, Counts: make([]int, Bins)}}}}
		if err := Append(path, s, nil); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Read(path)
	if err != nil || len(got) != 5 {
		t.Fatalf("Read = %d samples, %v; want 5", len(got), err)
	}
	if !math.IsInf(float64(got[0].Loss), 1) || !math.IsNaN(float64(got[0].Layers[0].ActMean)) || got[4].Batch != 200 {
		t.Errorf("first %+v, last %+v", got[0], got[4])
	}
	b, _ := os.ReadFile(path)
	for i, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Errorf("line %d is not a JSON object: %v", i+1, err)
		}
	}
	// A torn line at the end, then a resumed run going on from epoch 2 batch 0.
	os.WriteFile(path, append(b, []byte(`{"epoch":2,"batch":400,"lay`)...), 0o644)
	if got, err := Read(path); err != nil || len(got) != 5 {
		t.Errorf("with a torn last line: %d samples, %v", len(got), err)
	}
	os.WriteFile(path, append(b, []byte(`{"epoch":2,"batch":0,"batches":938,"step":99}`+"\n")...), 0o644)
	if got, err := Read(path); err != nil || len(got) != 4 || got[3].Step != 99 {
		t.Errorf("after a resumed run's line: %d samples, %v", len(got), err)
	}
	// A bad whole line is an error naming it.
	os.WriteFile(path, append(b, []byte("not json\n")...), 0o644)
	if _, err := Read(path); err == nil || !strings.Contains(err.Error(), "line 6") {
		t.Errorf("bad line: %v", err)
	}
	os.WriteFile(path, b, 0o644)
	kept, err := Cut(path, 1, nil)
	if err != nil || len(kept) != 3 {
		t.Fatalf("Cut(1) = %d, %v", len(kept), err)
	}
	if got, err := Read(path); err != nil || len(got) != 3 || got[2].Batch != 937 {
		t.Errorf("after Cut: %d samples, %v", len(got), err)
	}
	if kept, err := Cut(filepath.Join(t.TempDir(), "none"), 1, nil); err != nil || kept != nil {
		t.Errorf("Cut of a missing file = %v, %v", kept, err)
	}
}

// TestSchedule: every Every batches and each epoch's last, with the update
// known for each (the weights were kept at the batch before).
func TestSchedule(t *testing.T) {
	cfg := nn.DefaultConfig()
	cfg.Batch = 1
	tr, err := nn.NewTrainer(tinyNet(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	set := &mnist.Set{Images: make([]uint8, 7*4), Labels: make([]uint8, 7), N: 7, Rows: 2, Cols: 2}
	s := NewSampler(tr, set, 3)
	var at []int
	tr.Observe = func(b nn.Batch) {
		if smp := s.Observe(b); smp != nil {
			at = append(at, smp.Batch)
			if !smp.Layers[2].HasUpdate {
				t.Errorf("batch %d: no update", smp.Batch)
			}
		}
	}
	for range 2 {
		for lo := range 7 {
			tr.Step(set, lo, 1)
		}
	}
	if want := []int{0, 3, 6, 0, 3, 6}; !equal(at, want) {
		t.Errorf("sampled batches %v, want %v", at, want)
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
