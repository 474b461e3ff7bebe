package tui

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"convscope/nn"
)

// newSteerModel is newTestModel for a run that can be steered.
func newSteerModel(t testing.TB, w, h int) (*model, *fakeCtl) {
	t.Helper()
	ctl := &fakeCtl{canSave: true}
	rs := newRunState(Options{Config: testCfg})
	m := newModel(ctl, runInfo{network: "paper-cnn 28x28x1 → 10 classes, 214826 params", cfg: testCfg, canSave: true, canSteer: true}, rs, newTabs(newKeyMap(), rs, nil))
	m.profile = colorprofile.TrueColor
	m.restyle()
	send(m, tea.WindowSizeMsg{Width: w, Height: h})
	return m, ctl
}

// steerHooks records what training was asked, on its goroutine.
type steerHooks struct {
	mu    sync.Mutex
	lrs   []float64
	stops []int
	by    []string
}

func (s *steerHooks) options() Options {
	return Options{Config: testCfg,
		SetLR: func(lr float64, by string) (nn.LRChange, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.lrs, s.by = append(s.lrs, lr), append(s.by, by)
			return nn.LRChange{Epoch: 1, Batch: 7, Step: 7, LR: lr, By: by}, nil
		},
		StopAfter: func(epoch int, by string) error {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.stops, s.by = append(s.stops, epoch), append(s.by, by)
			return nil
		},
	}
}

func (s *steerHooks) asked() ([]float64, []int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]float64(nil), s.lrs...), append([]int(nil), s.stops...)
}

// pumpUntil feeds a hub UI its messages until ok holds.
func pumpUntil(t *testing.T, hm *hubModel, what string, ok func() bool) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for !ok() {
		got := make(chan tea.Msg, 1)
		go func() { got <- hm.s.Next()() }()
		select {
		case m := <-got:
			hm.Update(m)
		case <-deadline:
			t.Fatalf("%s: not after 5s", what)
		}
	}
}

// TestHubSteer: a read-only UI's steering keys are refused with the note
// and reach no training; a controller's - halves the rate (training is asked
// for 0.0005 by alice, and every UI's header shows it), X asks to stop
// after the epoch in progress and X again withdraws that.
func TestHubSteer(t *testing.T) {
	var hooks steerHooks
	h := newHub(context.Background(), hooks.options(), heldTrain)
	defer func() { h.Stop(); _ = h.Wait() }()
	roM, roLeave := h.Attach(Viewer{Name: "bob"})
	defer roLeave()
	ctlM, ctlLeave := h.Attach(Viewer{Name: "alice", Control: true})
	defer ctlLeave()
	ro, ctl := hubModelOf(t, roM), hubModelOf(t, ctlM)

	if !strings.Contains(ro.m.keys.LRDown.Help().Desc, "controllers only") {
		t.Errorf("read-only help for - = %q, want it to say controllers only", ro.m.keys.LRDown.Help().Desc)
	}
	for _, k := range []string{"-", "+", "L", "X"} {
		ro.m.note = ""
		ro.Update(press(k))
		if ro.m.note != readOnlyNote || ro.m.lrIn.on {
			t.Errorf("read-only %s: note %q, typing %v; want %q and no input line", k, ro.m.note, ro.m.lrIn.on, readOnlyNote)
		}
	}

	ctl.Update(press("-"))
	pumpUntil(t, ctl, "the controller's header shows the halved rate", func() bool { return ctl.m.rs.baseLR() == 0.0005 })
	pumpUntil(t, ro, "the read-only header shows the halved rate", func() bool { return ro.m.rs.baseLR() == 0.0005 })
	for name, hm := range map[string]*hubModel{"controller": ctl, "read-only": ro} {
		if screen := ansi.Strip(hm.View().Content); !strings.Contains(screen, "lr 0.0005 (changed)") {
			t.Errorf("%s screen lacks \"lr 0.0005 (changed)\":\n%s", name, screen)
		}
	}
	if !strings.Contains(ro.m.note, "by alice") {
		t.Errorf("read-only note = %q, want one saying alice changed the rate", ro.m.note)
	}

	ctl.Update(press("X"))
	pumpUntil(t, ctl, "the stop asked for", func() bool { return ctl.m.rs.stopAfter == 1 })
	if screen := ansi.Strip(ctl.View().Content); !strings.Contains(screen, "stopping after epoch 1") {
		t.Errorf("screen lacks \"stopping after epoch 1\":\n%s", screen)
	}
	ctl.Update(press("X"))
	pumpUntil(t, ctl, "the stop withdrawn", func() bool { return ctl.m.rs.stopAfter == 0 })

	lrs, stops := hooks.asked()
	if len(lrs) != 1 || lrs[0] != 0.0005 || len(stops) != 2 || stops[0] != 1 || stops[1] != 0 {
		t.Errorf("training was asked for rates %v and stops %v, want [0.0005] and [1 0]", lrs, stops)
	}
	hooks.mu.Lock()
	for _, by := range hooks.by {
		if by != "alice" {
			t.Errorf("a request by %q, want only alice's", by)
		}
	}
	hooks.mu.Unlock()
}

// TestTypeLR: L opens the input line, bad rates are refused with a message
// and leave it open, esc closes it, and a good rate is asked for.
func TestTypeLR(t *testing.T) {
	m, ctl := newSteerModel(t, 120, 40)
	typeText := func(s string) {
		for _, r := range s {
			send(m, press(string(r)))
		}
	}
	send(m, press("L"))
	if !m.lrIn.on || !strings.Contains(ansi.Strip(content(m)), "base learning rate:") {
		t.Fatalf("L did not open the input line:\n%s", ansi.Strip(content(m)))
	}
	for _, c := range []struct{ text, want string }{
		{"abc", `"abc" is not a number`},
		{"0", "must be a positive, finite number"},
		{"-1", "must be a positive, finite number"},
		{"NaN", "must be a positive, finite number"},
		{"1e999", "not a number"},
		{"", "type a learning rate"},
	} {
		m.lrIn.text = ""
		typeText(c.text)
		send(m, press("enter"))
		if !m.lrIn.on || !m.noteBad || !strings.Contains(m.note, c.want) {
			t.Errorf("typed %q: typing %v, note %q (bad %v); want the line open and a note with %q", c.text, m.lrIn.on, m.note, m.noteBad, c.want)
		}
	}
	send(m, press("esc"))
	if m.lrIn.on || len(ctl.lrs) != 0 {
		t.Fatalf("esc: typing %v, rates asked %v; want closed, none", m.lrIn.on, ctl.lrs)
	}
	send(m, press("L"))
	typeText("5e-44")
	send(m, tea.KeyPressMsg{Code: tea.KeyBackspace})
	send(m, press("enter"))
	if m.lrIn.on || len(ctl.lrs) != 1 || ctl.lrs[0] != 5e-4 {
		t.Errorf("typed 5e-4: typing %v, rates asked %v; want closed and [0.0005]", m.lrIn.on, ctl.lrs)
	}
	send(m, press("-"))
	send(m, press("+"))
	if len(ctl.lrs) != 3 || ctl.lrs[1] != 0.0005 || ctl.lrs[2] != 0.002 {
		t.Errorf("- then + asked for %v, want the configured 0.001 halved and doubled (no answer came yet)", ctl.lrs[1:])
	}
}

// TestSteerKeysNotInExplore: a saved model offers no steering; - reaches
// the tab instead.
func TestSteerKeysNotInExplore(t *testing.T) {
	rs := newRunState(Options{Config: testCfg, Explore: true})
	ctl := &fakeCtl{}
	m := newModel(ctl, runInfo{cfg: testCfg, explore: true, canSteer: true}, rs, newTabs(newKeyMap(), rs, nil))
	send(m, tea.WindowSizeMsg{Width: 100, Height: 30})
	for _, k := range []string{"-", "+", "L", "X"} {
		send(m, press(k))
	}
	if len(ctl.lrs)+len(ctl.stopAfter) != 0 || m.lrIn.on {
		t.Errorf("explore: asked rates %v, stops %v, typing %v; want nothing", ctl.lrs, ctl.stopAfter, m.lrIn.on)
	}
}

// TestTrainTabLRMark draws the Train tab after the rate was halved in
// epoch 2 and a stop asked for: the charts mark the change, the header
// shows the rate in force and the stop.
func TestTrainTabLRMark(t *testing.T) {
	for _, sz := range []struct{ w, h int }{{120, 40}, {200, 60}} {
		m, _ := newSteerModel(t, sz.w, sz.h)
		feed(m, 2, 30)
		send(m, eventsMsg{lrMsg{c: nn.LRChange{Epoch: 2, Batch: 469, Step: 1407, LR: 0.0005, By: "alice"}}})
		feed2 := progressMsg(nn.Progress{Kind: nn.BatchProgress, Epoch: 3, Epochs: 10, Batch: 400, Batches: 938,
			Seen: 25600, Total: 60000, TrainLoss: 0.041, TrainAcc: 0.9871, ImagesPerSec: 2150, Elapsed: 12 * time.Second})
		send(m, feed2)
		send(m, stopAfterMsg{epoch: 3, by: "alice"})
		checkScreen(t, m, sz.w, sz.h)
		screen := ansi.Strip(content(m))
		for _, want := range []string{"lr 0.0005 (changed)", "stopping after epoch 3", "▲", "┊"} {
			if !strings.Contains(screen, want) {
				t.Errorf("%dx%d: screen lacks %q", sz.w, sz.h, want)
			}
		}
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			golden.RequireEqual(t, content(m))
		})
	}
}

// TestParseLR reads typed rates.
func TestParseLR(t *testing.T) {
	for _, c := range []struct {
		s    string
		want float64
		ok   bool
	}{
		{"0.001", 0.001, true}, {" 5e-4 ", 5e-4, true}, {"1", 1, true},
		{"abc", 0, false}, {"0", 0, false}, {"-1", 0, false}, {"NaN", 0, false}, {"Inf", 0, false}, {"", 0, false}, {"1e999", 0, false},
	} {
		got, err := ParseLR(c.s)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseLR(%q) = %v, %v; want %v, ok %v", c.s, got, err, c.want, c.ok)
		}
	}
}
