// Package health samples how a network's training is going, cheaply, every
// few hundred batches and at each epoch's end: per layer with parameters
// the gradient norm, the weight norm and the update-to-weight ratio (the
// norm of the optimizer's step over the weight norm); per layer the mean,
// standard deviation and a histogram of its activations on the sampled
// batch, and for each ReLU the share of its units that were zero for every
// image (dead units); histograms of each layer's weights; and alerts when a
// figure crosses a threshold a practitioner would recognise. The run loop
// appends each sample to health.jsonl in the run folder, one JSON object a
// line; Read reads it back.
//
// A sample's activations come from a forward pass of the sampled batch's
// images in evaluation mode (batch norm uses its running statistics),
// without augmentation, after the batch's update: the figures describe the
// network the batch left behind, as a prediction would see it.
package health

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"convscope/nn"
)

// File is the health file in a run folder.
const File = "health.jsonl"

// DefaultEvery is the batches between two samples (each epoch's last batch
// is sampled too).
const DefaultEvery = 200

// Bins is the number of bins of every histogram.
const Bins = 32

// The alert thresholds.
const (
	// MinUpdateRatio and MaxUpdateRatio bound a healthy update-to-weight
	// ratio (about 1e-3 is the rule of thumb). The low bound is not
	// checked once the schedule has taken the learning rate below
	// AnnealedLR of its base: an annealing schedule's last steps are
	// meant to be small.
	MinUpdateRatio = 1e-5
	MaxUpdateRatio = 1e-1
	AnnealedLR     = 0.1
	// MaxDead is the share of a ReLU layer's units that may be dead.
	MaxDead = 0.5
	// GradJump is the factor by which a layer's gradient norm may exceed
	// the largest of its earlier samples (an explosion; a late batch's
	// gradient that is large next to the one before, as one hard image
	// makes it when the loss is near 0, is not one).
	GradJump = 10.0
)

// Alert rules: what an Alert's Rule says.
const (
	RuleNonFinite  = "non-finite"  // a figure is NaN or infinite
	RuleUpdateHigh = "update-high" // update ratio over MaxUpdateRatio
	RuleUpdateLow  = "update-low"  // update ratio under MinUpdateRatio
	RuleDead       = "dead-units"  // more than MaxDead of a ReLU's units dead
	RuleGradJump   = "grad-jump"   // gradient norm GradJump times the largest of the earlier samples
)

// BatchLayer is the Layer of an alert about the whole batch (its loss).
const BatchLayer = "batch"

// Sample is one line of health.jsonl: the figures of one training batch.
type Sample struct {
	Epoch   int `json:"epoch"`   // 1-based
	Batch   int `json:"batch"`   // 0-based index in the epoch
	Batches int `json:"batches"` // batches per epoch
	// Step is the training batches done over the run, this one included.
	Step     int     `json:"step"`
	EpochEnd bool    `json:"epoch_end,omitempty"` // the epoch's last batch
	Images   int     `json:"images"`              // in the batch
	LR       float64 `json:"lr"`                  // the batch's learning rate
	Loss     Num     `json:"loss"`                // the batch's mean cross-entropy, training mode, before its update
	Acc      float64 `json:"acc"`                 // the batch's accuracy, 0..1, likewise
	Layers   []Layer `json:"layers"`              // one per layer of the network, in order
	Alerts   []Alert `json:"alerts,omitempty"`
}

// Layer is one layer's figures in a Sample.
type Layer struct {
	Index int          `json:"index"`
	Name  string       `json:"name"` // nn.Net.LayerName, e.g. "conv2d_1"
	Kind  nn.LayerKind `json:"kind"`

	// Params is the layer's trainable values (0 for a layer without: then
	// the norms are 0 and WeightHist is nil). The norms are over all of
	// the layer's parameters (weight and bias, or gamma and beta).
	Params     int `json:"params,omitempty"`
	GradNorm   Num `json:"grad_norm,omitempty"`   // of the batch's gradient
	WeightNorm Num `json:"weight_norm,omitempty"` // before the batch's update
	// UpdateNorm is the norm of the batch's update (the optimizer's step,
	// weight decay included), and UpdateRatio UpdateNorm/WeightNorm, when
	// HasUpdate (the sampler saw the weights before the batch).
	HasUpdate   bool `json:"has_update,omitempty"`
	UpdateNorm  Num  `json:"update_norm,omitempty"`
	UpdateRatio Num  `json:"update_ratio,omitempty"`
	// WeightHist is the histogram of the layer's first parameter (conv
	// and dense weights, batch-norm gamma) after the update.
	WeightHist *Hist `json:"weight_hist,omitempty"`

	// The layer's outputs on the batch: mean, standard deviation and
	// histogram over every value of every image.
	ActMean Num  `json:"act_mean"`
	ActStd  Num  `json:"act_std"`
	ActHist Hist `json:"act_hist"`

	// For a ReLU: Units is its channels (a feature map counts as one
	// unit; a dense layer's units are its neurons), DeadUnits those zero
	// at every position of every image of the batch, Dead their share.
	Units     int     `json:"units,omitempty"`
	DeadUnits int     `json:"dead_units,omitempty"`
	Dead      float64 `json:"dead,omitempty"`
}

// Hist is a histogram of Bins equal bins from Lo to Hi. A layer keeps its
// bins for the whole run (set at its first sample), so a sequence of them
// draws as a heat strip; Under and Over count the values outside, NaN the
// non-finite ones.
type Hist struct {
	Lo     float64 `json:"lo"`
	Hi     float64 `json:"hi"`
	Counts []int   `json:"counts"`
	Under  int     `json:"under,omitempty"`
	Over   int     `json:"over,omitempty"`
	NaN    int     `json:"nan,omitempty"`
}

// Total is the number of values counted, outside the bins included.
func (h *Hist) Total() int {
	t := h.Under + h.Over + h.NaN
	for _, c := range h.Counts {
		t += c
	}
	return t
}

// Alert is a figure past its threshold.
type Alert struct {
	Epoch   int    `json:"epoch"`
	Batch   int    `json:"batch"`
	Layer   string `json:"layer"`  // the layer's name, or "batch" for the batch's loss
	Figure  string `json:"figure"` // the figure's JSON name, e.g. "update_ratio"
	Rule    string `json:"rule"`   // one of the Rule constants
	Value   Num    `json:"value"`
	Message string `json:"message"` // one line for people, naming the layer, the figure and the batch
}

// Num is a float64 that JSON holds as a number, or as the string "NaN",
// "+Inf" or "-Inf" (a non-finite figure is what an alert is about).
type Num float64

// MarshalJSON writes a finite value as a number with 6 significant digits.
func (n Num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	switch {
	case math.IsNaN(f):
		return []byte(`"NaN"`), nil
	case math.IsInf(f, 1):
		return []byte(`"+Inf"`), nil
	case math.IsInf(f, -1):
		return []byte(`"-Inf"`), nil
	}
	return strconv.AppendFloat(nil, f, 'g', 6, 64), nil
}

// UnmarshalJSON reads what MarshalJSON writes.
func (n *Num) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		switch s {
		case "NaN":
			*n = Num(math.NaN())
		case "+Inf", "Inf":
			*n = Num(math.Inf(1))
		case "-Inf":
			*n = Num(math.Inf(-1))
		default:
			return fmt.Errorf("health: number %q, want a number, \"NaN\", \"+Inf\" or \"-Inf\"", s)
		}
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*n = Num(f)
	return nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
