package nn

import (
	"fmt"
	"strings"
)

// OptimizerKind names an optimizer. Its text form ("adam", "sgd") is what
// flags, checkpoints and metrics files hold.
type OptimizerKind string

// The optimizers.
const (
	OptAdam OptimizerKind = "adam"
	OptSGD  OptimizerKind = "sgd"
)

// OptimizerKinds lists every optimizer, in the order help texts name them.
var OptimizerKinds = []OptimizerKind{OptAdam, OptSGD}

// ParseOptimizer reads an optimizer's name.
func ParseOptimizer(s string) (OptimizerKind, error) {
	for _, k := range OptimizerKinds {
		if s == string(k) {
			return k, nil
		}
	}
	return "", fmt.Errorf("optimizer must be %s, got %q", orList(OptimizerKinds), s)
}

func (k OptimizerKind) String() string { return string(k) }

// Set parses a flag value (flag.Value).
func (k *OptimizerKind) Set(s string) error {
	v, err := ParseOptimizer(s)
	if err == nil {
		*k = v
	}
	return err
}

// UnmarshalText reads a checkpoint's or a file's optimizer name.
func (k *OptimizerKind) UnmarshalText(b []byte) error { return k.Set(string(b)) }

// Schedule names a learning-rate schedule.
type Schedule string

// The schedules. The zero value ("") is read as constant.
const (
	ScheduleConstant Schedule = "constant"
	ScheduleStep     Schedule = "step"   // multiply by StepGamma every StepEvery epochs
	ScheduleCosine   Schedule = "cosine" // from LR down to 0 over all epochs, per batch
)

// Schedules lists every schedule.
var Schedules = []Schedule{ScheduleConstant, ScheduleStep, ScheduleCosine}

// ParseSchedule reads a schedule's name ("" is constant).
func ParseSchedule(s string) (Schedule, error) {
	if s == "" {
		return ScheduleConstant, nil
	}
	for _, k := range Schedules {
		if s == string(k) {
			return k, nil
		}
	}
	return "", fmt.Errorf("schedule must be %s, got %q", orList(Schedules), s)
}

// String is the schedule's name; the zero value reads "constant".
func (s Schedule) String() string {
	if s == "" {
		return string(ScheduleConstant)
	}
	return string(s)
}

// Set parses a flag value (flag.Value).
func (s *Schedule) Set(v string) error {
	k, err := ParseSchedule(v)
	if err == nil {
		*s = k
	}
	return err
}

// UnmarshalText reads a checkpoint's or a file's schedule name.
func (s *Schedule) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*s = ""
		return nil
	}
	return s.Set(string(b))
}

// LayerKind is a layer's type.
type LayerKind string

// The layer kinds.
const (
	KindConv2D      LayerKind = "Conv2D"
	KindBatchNorm2D LayerKind = "BatchNorm2D"
	KindReLU        LayerKind = "ReLU"
	KindMaxPool2D   LayerKind = "MaxPool2D"
	KindFlatten     LayerKind = "Flatten"
	KindDense       LayerKind = "Dense"
)

// LayerKinds lists every layer kind.
var LayerKinds = []LayerKind{KindConv2D, KindBatchNorm2D, KindReLU, KindMaxPool2D, KindFlatten, KindDense}

// ParseLayerKind reads a layer kind's name, exactly as String writes it.
func ParseLayerKind(s string) (LayerKind, error) {
	for _, k := range LayerKinds {
		if s == string(k) {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown layer kind %q, want one of %s", s, orList(LayerKinds))
}

func (k LayerKind) String() string { return string(k) }

// UnmarshalText reads a layer kind from a checkpoint's architecture.
func (k *LayerKind) UnmarshalText(b []byte) error {
	v, err := ParseLayerKind(string(b))
	if err == nil {
		*k = v
	}
	return err
}

// orList joins names as "a, b or c".
func orList[T ~string](names []T) string {
	var b strings.Builder
	for i, n := range names {
		switch {
		case i == 0:
		case i == len(names)-1:
			b.WriteString(" or ")
		default:
			b.WriteString(", ")
		}
		b.WriteString(string(n))
	}
	return b.String()
}

// validKind reports whether k is one of ks.
func validKind[T comparable](k T, ks []T) bool {
	for _, v := range ks {
		if v == k {
			return true
		}
	}
	return false
}
