package nn

import (
	"math"
	"testing"
)

// TestLRAt checks the learning rate of each schedule at the start, the middle
// and the end of a run of 4 epochs of 10 batches.
func TestLRAt(t *testing.T) {
	const lr, epochs, nb = 0.01, 4, 10
	cos := func(frac float64) float64 { return lr * 0.5 * (1 + math.Cos(math.Pi*frac)) }
	tests := []struct {
		name     string
		schedule Schedule
		every    int
		gamma    float64
		epoch, b int
		want     float64
	}{
		{"empty start", "", 0, 0, 0, 0, lr},
		{"empty end", "", 0, 0, 3, 9, lr},
		{"constant start", "constant", 3, 0.5, 0, 0, lr},
		{"constant middle", "constant", 3, 0.5, 2, 0, lr},
		{"constant end", "constant", 3, 0.5, 3, 9, lr},

		{"step start", "step", 2, 0.1, 0, 0, lr},
		{"step before first decay", "step", 2, 0.1, 1, 9, lr},
		{"step first decay", "step", 2, 0.1, 2, 0, lr * 0.1},
		{"step middle of batches", "step", 2, 0.1, 2, 5, lr * 0.1},
		{"step end", "step", 2, 0.1, 3, 9, lr * 0.1},
		{"step every epoch", "step", 1, 0.5, 3, 9, lr * 0.125},
		{"step gamma 1", "step", 1, 1, 3, 9, lr},

		{"cosine start", "cosine", 0, 0, 0, 0, lr},
		{"cosine quarter", "cosine", 0, 0, 1, 0, cos(0.25)},
		{"cosine middle", "cosine", 0, 0, 2, 0, lr / 2},
		{"cosine inside an epoch", "cosine", 0, 0, 2, 5, cos(25.0 / 40)},
		{"cosine last batch", "cosine", 0, 0, 3, 9, cos(39.0 / 40)},
		{"cosine past the end", "cosine", 0, 0, 4, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			c.LR, c.Epochs = lr, epochs
			c.Schedule, c.StepEvery, c.StepGamma = tt.schedule, tt.every, tt.gamma
			got := c.LRAt(tt.epoch, tt.b, nb)
			if math.Abs(got-tt.want) > 1e-15 {
				t.Errorf("%s: LRAt(%d, %d, %d) = %.17g, want %.17g", tt.schedule, tt.epoch, tt.b, nb, got, tt.want)
			}
		})
	}
}

// TestLRAtCosineShape checks that the cosine schedule falls monotonically
// from LR, stays positive on every batch that trains, and depends on the total
// number of epochs (which is why a sweep runs each epoch count separately
// under it), while constant and step do not.
func TestLRAtCosineShape(t *testing.T) {
	const nb = 7
	c := DefaultConfig()
	c.Schedule, c.Epochs = "cosine", 5
	prev := math.Inf(1)
	for e := 0; e < c.Epochs; e++ {
		for b := 0; b < nb; b++ {
			lr := c.LRAt(e, b, nb)
			if !(lr > 0) || lr > c.LR || lr > prev {
				t.Fatalf("cosine LRAt(%d, %d) = %g after %g: want a positive, falling rate <= %g", e, b, lr, prev, c.LR)
			}
			prev = lr
		}
	}

	for _, s := range []Schedule{"constant", "step", "cosine"} {
		short, long := DefaultConfig(), DefaultConfig()
		short.Schedule, long.Schedule = s, s
		short.Epochs, long.Epochs = 5, 10
		a, b := short.LRAt(3, 2, nb), long.LRAt(3, 2, nb)
		if dependsOnTotal := a != b; dependsOnTotal != (s == "cosine") {
			t.Errorf("%s: LRAt(3, 2) is %g with 5 epochs and %g with 10; want equal unless cosine", s, a, b)
		}
	}
}

// TestValidateSchedule checks that Validate rejects bad schedule, weight-decay
// and augmentation settings and accepts good ones.
func TestValidateSchedule(t *testing.T) {
	tests := []struct {
		name string
		set  func(*Config)
		ok   bool
	}{
		{"default", func(*Config) {}, true},
		{"empty schedule", func(c *Config) { c.Schedule = "" }, true},
		{"cosine", func(c *Config) { c.Schedule = "cosine" }, true},
		{"step", func(c *Config) { c.Schedule, c.StepEvery, c.StepGamma = "step", 2, 0.1 }, true},
		{"step gamma 1", func(c *Config) { c.Schedule, c.StepGamma = "step", 1 }, true},
		{"constant ignores step settings", func(c *Config) { c.StepEvery, c.StepGamma = 0, 0 }, true},
		{"unknown schedule", func(c *Config) { c.Schedule = "linear" }, false},
		{"schedule case", func(c *Config) { c.Schedule = "Cosine" }, false},
		{"step every 0", func(c *Config) { c.Schedule, c.StepEvery = "step", 0 }, false},
		{"step every negative", func(c *Config) { c.Schedule, c.StepEvery = "step", -1 }, false},
		{"step gamma 0", func(c *Config) { c.Schedule, c.StepGamma = "step", 0 }, false},
		{"step gamma negative", func(c *Config) { c.Schedule, c.StepGamma = "step", -0.5 }, false},
		{"step gamma above 1", func(c *Config) { c.Schedule, c.StepGamma = "step", 1.5 }, false},
		{"step gamma NaN", func(c *Config) { c.Schedule, c.StepGamma = "step", math.NaN() }, false},
		{"weight decay", func(c *Config) { c.WeightDecay = 1e-4 }, true},
		{"weight decay negative", func(c *Config) { c.WeightDecay = -1e-4 }, false},
		{"weight decay 1", func(c *Config) { c.WeightDecay = 1 }, false},
		{"augment", func(c *Config) { c.Augment, c.MaxShift, c.MaxRotate = true, 3, 15 }, true},
		{"max shift negative", func(c *Config) { c.MaxShift = -1 }, false},
		{"max shift 9", func(c *Config) { c.MaxShift = 9 }, false},
		{"max rotate negative", func(c *Config) { c.MaxRotate = -1 }, false},
		{"max rotate 46", func(c *Config) { c.MaxRotate = 46 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.set(&c)
			err := c.Validate()
			if tt.ok && err != nil {
				t.Errorf("Validate(%+v) = %v, want nil", c, err)
			}
			if !tt.ok && err == nil {
				t.Errorf("Validate(%+v) = nil, want an error", c)
			}
		})
	}
}
