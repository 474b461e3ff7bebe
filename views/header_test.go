package views

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"convscope/nn"
)

func headerCase(s RunState) HeaderData {
	d := HeaderData{
		Network: "paper-cnn 28x28x1 → 10 classes, 214826 params", Optimizer: "adam", LR: 0.001, Schedule: "cosine", LRNow: 0.000654, Batch: 64, Seed: 1,
		State: s, Epoch: 4, Epochs: 10, Seen: 38400, Total: 60000,
		Elapsed: 17*time.Second + 300*time.Millisecond, ImagesPerSec: 2219.6,
		TrainLoss: 0.04127, TrainAcc: 0.98734, Done: 3, RunTime: 95 * time.Second,
		BestAcc: 0.9912, BestEpoch: 3,
	}
	switch s {
	case StateStarting:
		d.LRNow = 0
		d.Epoch, d.Seen, d.Total, d.Elapsed, d.ImagesPerSec, d.TrainLoss, d.TrainAcc, d.Done, d.BestEpoch = 0, 0, 0, 0, 0, 0, 0, 0, 0
	case StateFinished:
		d.LRNow = 0
		d.Epoch, d.Done, d.Seen, d.RunTime = 10, 10, 60000, 5*time.Minute+32*time.Second
		d.TestLoss, d.TestAcc = 0.0291, 0.9907
	case StateStopped:
		d.TestLoss, d.TestAcc = 0.031, 0.9899
	case StateFailed:
		d.Err = "nn: training loss became NaN in epoch 4; lower the learning rate"
		d.TrainLoss = math.NaN()
	}
	return d
}

// TestHeader draws the header in each state at three widths, dark and light.
func TestHeader(t *testing.T) {
	states := []struct {
		name string
		s    RunState
		note string
		bad  bool
	}{
		{"starting", StateStarting, "", false},
		{"training", StateTraining, "saved out/checkpoint-4.safetensors", false},
		{"paused", StatePaused, "", false},
		{"finished", StateFinished, "", false},
		{"stopped", StateStopped, "save failed: disk full", true},
		{"failed", StateFailed, "", false},
	}
	for _, c := range states {
		for _, w := range []int{80, 120, 200} {
			for _, dark := range []bool{true, false} {
				t.Run(fmt.Sprintf("%s_%d_%s", c.name, w, theme(dark)), func(t *testing.T) {
					d := headerCase(c.s)
					d.Note, d.NoteBad = c.note, c.bad
					out := Header(d, w, NewStyles(dark, colorprofile.TrueColor))
					checkBlock(t, out, w, HeaderHeight(d, w))
					golden.RequireEqual(t, out)
				})
			}
		}
	}
}

// TestHeaderSays checks the words a person looks for in each state.
func TestHeaderSays(t *testing.T) {
	st := NewStyles(true, colorprofile.Ascii)
	cases := []struct {
		s    RunState
		want []string
	}{
		{StateStarting, []string{"epoch 1/10", "starting", "train loss –"}},
		{StateTraining, []string{"epoch 4/10", "64%", "elapsed 0:17", "ETA 0:10", "2,220 img/s", "train loss 0.0413", "acc 98.73%", "best test 99.12% (epoch 3)", "● training", "adam lr 0.001 cosine now 0.00065", "batch 64", "seed 1"}},
		{StatePaused, []string{"❚❚ paused", "epoch 4/10"}},
		{StateFinished, []string{"training finished", "10 epochs in 5:32", "best test accuracy 99.12% (epoch 3)", "epoch 10: train loss"}},
		{StateStopped, []string{"training stopped after 3 of 10 epochs", "best test accuracy 99.12%"}},
		{StateFailed, []string{"training failed: nn: training loss became NaN"}},
	}
	for _, c := range cases {
		out := Header(headerCase(c.s), 200, st)
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("Header(state %d) lacks %q:\n%s", c.s, w, out)
			}
		}
	}
}

// TestHeaderConstantRate checks that a fixed rate shows as the rate alone.
func TestHeaderConstantRate(t *testing.T) {
	st := NewStyles(true, colorprofile.Ascii)
	for _, sched := range []string{"", "constant"} {
		d := headerCase(StateTraining)
		d.Schedule = sched
		out := Header(d, 200, st)
		if !strings.Contains(out, "adam lr 0.001 · batch 64") || strings.Contains(out, "now") {
			t.Errorf("schedule %q: header should show the rate alone:\n%s", sched, out)
		}
	}
}

// TestHeaderNarrow checks every width down to 1 gives exact lines.
func TestHeaderNarrow(t *testing.T) {
	st := NewStyles(false, colorprofile.TrueColor)
	for _, s := range []RunState{StateStarting, StateTraining, StatePaused, StateFinished, StateStopped, StateFailed} {
		for w := 1; w <= 90; w++ {
			d := headerCase(s)
			d.Note = "saved somewhere/with/a/long/path.safetensors"
			h := HeaderHeight(d, w)
			if h < HeaderLines || (w >= 48 && s != StateFailed && h != HeaderLines) {
				t.Errorf("HeaderHeight(state %d, w %d) = %d, want %d (the note fits its line)", s, w, h, HeaderLines)
			}
			checkBlockf(t, Header(d, w, st), w, h, "Header(state %d, w %d)", s, w)
		}
	}
}

func TestProgressBar(t *testing.T) {
	plain := NewStyles(true, colorprofile.Ascii)
	cases := []struct {
		frac float64
		w    int
		want string
	}{
		{0, 4, "░░░░"},
		{1, 4, "████"},
		{0.5, 4, "██░░"},
		{0.5625, 4, "██▎░"},
		{2, 3, "███"},
		{-1, 3, "░░░"},
		{math.NaN(), 3, "░░░"},
		{0.5, 0, ""},
	}
	for _, c := range cases {
		if got := progressBar(c.frac, c.w, plain.Accent, plain.Border); got != c.want {
			t.Errorf("progressBar(%v, %d) = %q, want %q", c.frac, c.w, got, c.want)
		}
	}
}

// TestEpochs draws the table: empty, a few rows, scrolled, and narrow.
func TestEpochs(t *testing.T) {
	run := trainRun(12, 2).Epochs
	run[7].Seconds = 75.4
	cases := []struct {
		name  string
		stats []nn.EpochStats
		top   int
		w, h  int
	}{
		{"empty", nil, -1, 70, 4},
		{"three", run[:3], -1, 70, 6},
		{"tail", run, -1, 70, 6},
		{"top", run, 0, 70, 6},
		{"middle", run, 4, 70, 6},
		{"narrow", run[:3], -1, 40, 5},
		{"header_only", run, -1, 70, 1},
		{"nan", []nn.EpochStats{{Epoch: 1, TrainLoss: math.NaN(), TestLoss: math.Inf(1), Seconds: math.NaN()}}, -1, 70, 3},
	}
	for _, c := range cases {
		for _, dark := range []bool{true, false} {
			t.Run(c.name+"_"+theme(dark), func(t *testing.T) {
				out := Epochs(c.stats, c.top, c.w, c.h, NewStyles(dark, colorprofile.TrueColor))
				checkBlock(t, out, c.w, c.h)
				golden.RequireEqual(t, out)
			})
		}
	}
}

// TestEpochsBest checks the star marks the best test accuracy.
func TestEpochsBest(t *testing.T) {
	stats := []nn.EpochStats{{Epoch: 1, TestAcc: 0.97}, {Epoch: 2, TestAcc: 0.99}, {Epoch: 3, TestAcc: 0.98}}
	out := Epochs(stats, -1, 70, 4, NewStyles(true, colorprofile.Ascii))
	for i, l := range strings.Split(out, "\n")[1:] {
		if star := strings.Contains(l, "★"); star != (i == 1) {
			t.Errorf("Epochs row %d star = %v, want %v:\n%s", i+1, star, i == 1, out)
		}
	}
}

// TestTabs checks the bar and the spans a click is matched against.
func TestTabs(t *testing.T) {
	titles := []string{"Train", "Samples", "Mistakes", "Confusion", "Layers", "Draw"}
	for _, w := range []int{60, 80, 120} {
		for _, active := range []int{0, 3} {
			t.Run(fmt.Sprintf("%d_%d", w, active), func(t *testing.T) {
				st := NewStyles(true, colorprofile.TrueColor)
				bar, spans := Tabs(titles, active, "", w, st)
				checkBlock(t, bar, w, 1)
				plain := ansi.Strip(bar)
				for i, s := range spans {
					text := string([]rune(plain)[s.Start:s.End])
					if !strings.Contains(text, fmt.Sprint(i+1)) {
						t.Errorf("Tabs(w %d) span %d = %v covers %q, want tab %d", w, i, s, text, i+1)
					}
					if i == active && !strings.Contains(text, titles[i]) {
						t.Errorf("Tabs(w %d) active span covers %q, want %q", w, text, titles[i])
					}
				}
				golden.RequireEqual(t, bar)
			})
		}
	}
}

func TestTooSmall(t *testing.T) {
	st := NewStyles(true, colorprofile.Ascii)
	for _, sz := range []struct{ w, h int }{{59, 19}, {30, 5}, {10, 3}, {1, 1}} {
		out := TooSmall(sz.w, sz.h, 60, 20, st)
		checkBlockf(t, out, sz.w, sz.h, "TooSmall(%d, %d)", sz.w, sz.h)
		if sz.w >= 30 && !strings.Contains(out, "60x20") {
			t.Errorf("TooSmall(%d, %d) does not say the size it needs:\n%s", sz.w, sz.h, out)
		}
	}
}

// TestHeaderLongError: a 300-character failure or note at width 80 is
// wrapped whole (spreadLine dropped a note wider than the line, and the
// failure was cut at the line's end).
func TestHeaderLongError(t *testing.T) {
	var words []string
	for i := 0; len(strings.Join(words, " ")) < 300; i++ {
		words = append(words, fmt.Sprintf("part%d", i))
	}
	msg := strings.Join(words, " ")
	st := NewStyles(true, colorprofile.Ascii)
	for _, c := range []struct {
		name string
		d    HeaderData
	}{
		{"failed", HeaderData{State: StateFailed, Err: msg, Done: 1}},
		{"note", HeaderData{State: StateTraining, Note: "save failed: " + msg, NoteBad: true}},
	} {
		out := Header(c.d, 80, st)
		checkBlockf(t, out, 80, HeaderHeight(c.d, 80), "Header(%s)", c.name)
		lines := strings.Split(ansi.Strip(out), "\n")
		for i := range lines {
			lines[i] = strings.TrimSpace(lines[i])
		}
		if all := strings.Join(lines, " "); !strings.Contains(all, msg) {
			t.Errorf("%s: the header lacks some of the message:\n%s", c.name, ansi.Strip(out))
		}
	}
}
