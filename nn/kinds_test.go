package nn

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestKindsParse checks that every kind reads back from its String, that
// unknown names are refused with the list of known ones, and that a config
// keeps the same JSON text as when these were bare strings.
func TestKindsParse(t *testing.T) {
	for _, k := range OptimizerKinds {
		if got, err := ParseOptimizer(k.String()); err != nil || got != k {
			t.Errorf("ParseOptimizer(%q) = %q, %v", k, got, err)
		}
	}
	for _, k := range Schedules {
		if got, err := ParseSchedule(k.String()); err != nil || got != k {
			t.Errorf("ParseSchedule(%q) = %q, %v", k, got, err)
		}
	}
	for _, k := range LayerKinds {
		if got, err := ParseLayerKind(k.String()); err != nil || got != k {
			t.Errorf("ParseLayerKind(%q) = %q, %v", k, got, err)
		}
	}
	if s, err := ParseSchedule(""); err != nil || s != ScheduleConstant {
		t.Errorf(`ParseSchedule("") = %q, %v; want constant`, s, err)
	}
	if _, err := ParseOptimizer("rmsprop"); err == nil || !strings.Contains(err.Error(), "adam or sgd") {
		t.Errorf("ParseOptimizer(rmsprop) error = %v, want one naming adam or sgd", err)
	}
	if _, err := ParseSchedule("linear"); err == nil || !strings.Contains(err.Error(), "constant, step or cosine") {
		t.Errorf("ParseSchedule(linear) error = %v", err)
	}
	if _, err := ParseLayerKind("conv2d"); err == nil {
		t.Error("ParseLayerKind accepted a kind in the wrong case")
	}

	b, err := json.Marshal(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"optimizer":"adam"`) || !strings.Contains(string(b), `"schedule":"cosine"`) {
		t.Errorf("config JSON %s lost the plain names", b)
	}
	var c Config
	if err := json.Unmarshal([]byte(`{"optimizer":"sgd","schedule":"step"}`), &c); err != nil || c.Optimizer != OptSGD || c.Schedule != ScheduleStep {
		t.Errorf("unmarshal: %+v, %v", c, err)
	}
	if err := json.Unmarshal([]byte(`{"optimizer":"lion"}`), &c); err == nil {
		t.Error("unmarshal accepted an unknown optimizer")
	}
	c = DefaultConfig()
	c.Optimizer = "lion"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), `"lion"`) {
		t.Errorf("Validate of optimizer lion: %v", err)
	}
}

// TestTracePredictsFromLogits checks that TraceImage's prediction is the
// logits' argmax (the rule Evaluate and the accuracy use), on a network.
func TestTracePredictsFromLogits(t *testing.T) {
	net, err := NewPaper(28, 28, 10, InitRNG(3))
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, 28*28)
	for i := range x {
		x[i] = float32(i%7) / 7
	}
	tr := net.TraceImage(x)
	logits := tr.Outs[len(tr.Outs)-1]
	if tr.Pred != Predict(logits) {
		t.Errorf("Trace.Pred = %d, Predict(logits) = %d", tr.Pred, Predict(logits))
	}
	if Predict([]float32{1, 3, 3, 2}) != 1 {
		t.Error("Predict does not take the first of tied logits")
	}
}
