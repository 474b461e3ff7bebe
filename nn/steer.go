package nn

import (
	"fmt"
	"math"
)

// LRChange is a change of a run's base learning rate made while it trained
// (the UI's "halve", "double" and "set" keys). From the batch it names on,
// the run trains as if Config.LR had been LR all along: the schedule goes on
// from where it is, scaled by LR/Config.LR (a cosine keeps its shape at the
// new height and still ends at 0; a step schedule keeps decaying every
// StepEvery epochs; a constant rate is LR).
type LRChange struct {
	Epoch int     `json:"epoch"` // 1-based epoch of the first batch at the new rate
	Batch int     `json:"batch"` // 0-based index, in that epoch, of the first batch at the new rate
	Step  int     `json:"step"`  // training batches before it over the whole run (the optimizer's step)
	LR    float64 `json:"lr"`    // the new base rate
	By    string  `json:"by,omitempty"`
}

// MaxLRChanges bounds the changes a run records (a checkpoint holds them all).
const MaxLRChanges = 10_000

// CheckLR reports why lr cannot be a learning rate: it must be a positive,
// finite number.
func CheckLR(lr float64) error {
	if !(lr > 0) || math.IsInf(lr, 0) {
		return fmt.Errorf("learning rate must be a positive number, got %v", lr)
	}
	return nil
}

// BaseLR is the base learning rate in force: the last change's, or
// Config.LR. The batch trains at the schedule's rate for it (LRAt).
func (t *Trainer) BaseLR() float64 {
	if n := len(t.Changes); n > 0 {
		return t.Changes[n-1].LR
	}
	return t.Cfg.LR
}

// lrAt is the rate of batch b of nb in epoch (0-based): the schedule with
// the base rate in force.
func (t *Trainer) lrAt(epoch, b, nb int) float64 {
	c := t.Cfg
	c.LR = t.BaseLR()
	return c.LRAt(epoch, b, nb)
}

// SetLR makes lr the base learning rate from the next batch on, and records
// the change in t.Changes (which a checkpoint saves, so that a resumed run
// goes on at the rate in force). Call it on the training goroutine between
// batches, that is from Run's report callback, or while the trainer does not
// run. by names who asked (may be empty).
//
// A change belongs to the epoch it is made in: a run stopped mid-epoch
// resumes from the checkpoint before it, which replays that epoch at the
// rate in force when the epoch began.
func (t *Trainer) SetLR(lr float64, by string) (LRChange, error) {
	if err := CheckLR(lr); err != nil {
		return LRChange{}, err
	}
	if len(t.Changes) >= MaxLRChanges {
		return LRChange{}, fmt.Errorf("the run has changed its learning rate %d times, the most it records", MaxLRChanges)
	}
	_, step := t.Opt.State()
	c := LRChange{Epoch: t.Epoch + 1, Batch: t.next, Step: step, LR: lr, By: by}
	t.Changes = append(t.Changes, c)
	return c, nil
}
