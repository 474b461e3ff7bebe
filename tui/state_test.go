package tui

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"convscope/nn"
	"convscope/views"
)

// TestOneRunState: the root updates one run state and every tab reads it;
// the wrong predictions are counted once per evaluation.
func TestOneRunState(t *testing.T) {
	m := evalModel(t, 120, 40, "")
	send(m, historyMsg{{Epoch: 1, TestAcc: 0.5}})
	ev := testEval(40)
	send(m, testEpoch(2, ev))
	want := 0
	for i, l := range ev.Labels {
		if ev.Pred[i] != l {
			want++
		}
	}
	if got := len(m.rs.stats); got != 2 {
		t.Errorf("the run state has %d epochs, want 2 (one resumed, one trained)", got)
	}
	if e := m.rs.latest(); e == nil || e.epoch != 2 || e.wrong != want || e.ev != ev {
		t.Fatalf("latest evaluation %+v, want epoch 2 of ev with %d wrong", e, want)
	}
	rs := []*runState{
		m.tabs[tabTrain].(*trainTab).rs, m.tabs[tabSamples].(*samplesTab).rs, m.tabs[tabMistakes].(*mistakesTab).rs,
		m.tabs[tabConfusion].(*confusionTab).rs, m.tabs[tabLayers].(*layersTab).rs, m.tabs[tabDraw].(*drawTab).rs,
	}
	for i, r := range rs {
		if r != m.rs {
			t.Errorf("tab %d reads a run state of its own", i)
		}
	}
	send(m, press("3"))
	if out := ansi.Strip(content(m)); !strings.Contains(out, views.Plural(want, "mistake")) {
		t.Errorf("the Mistakes tab should list the %d wrong predictions:\n%s", want, out)
	}
}

// TestViewChangesNothing: drawing twice gives the same screen and leaves
// the click targets as Update made them.
func TestViewChangesNothing(t *testing.T) {
	m, _ := newTestModel(t, 120, 40)
	feed(m, 2, 3)
	spans := append([]views.Span(nil), m.spans...)
	if len(spans) != len(m.tabs) {
		t.Fatalf("after Update there are %d tab click targets, want %d", len(spans), len(m.tabs))
	}
	a, b := content(m), content(m)
	if a != b {
		t.Error("two draws differ")
	}
	for i := range spans {
		if m.spans[i] != spans[i] {
			t.Errorf("View changed the click target of tab %d", i)
		}
	}
}

// TestLayersOpensOnFirstImage: pressing 5 first shows the first test
// image's feature maps, without choosing a digit on another tab; an image
// sent from another tab replaces it.
func TestLayersOpensOnFirstImage(t *testing.T) {
	m := evalModel(t, 120, 40, "")
	update := func(msg tea.Msg) tea.Cmd { _, c := m.Update(msg); return c }
	lt := m.tabs[tabLayers].(*layersTab)
	runCmds(t, update, update(eventsMsg{snapshotMsg{net: inspectNet(t)}}))
	runCmds(t, update, update(press("5")))
	out := ansi.Strip(content(m))
	if strings.Contains(out, "no image yet") || !strings.Contains(out, "test #0") {
		t.Errorf("the Layers tab should open on test image 0:\n%s", out)
	}
	if !lt.current() {
		t.Error("the activations of test image 0 were not computed")
	}
	runCmds(t, update, update(press("2")))
	runCmds(t, update, update(press("right")))
	runCmds(t, update, update(press("enter")))
	if m.active != tabLayers || lt.img == nil || lt.img.Source != "test #1" || !lt.current() {
		t.Errorf("after enter on test image 1 the Layers tab shows %v (tab %d)", lt.img, m.active)
	}
	runCmds(t, update, update(eventsMsg{snapshotMsg{net: inspectNet(t)}}))
	if lt.img.Source != "test #1" {
		t.Errorf("a new network replaced the chosen image with %q", lt.img.Source)
	}
}

// exploreModel is the root model on a saved model with settings cfg.
func exploreModel(t *testing.T, cfg nn.Config, w, h int) *model {
	t.Helper()
	opts := Options{Config: cfg, Explore: true}
	rs := newRunState(opts)
	m := newModel(&fakeCtl{}, runInfo{network: "paper-cnn", cfg: cfg, explore: true}, rs, newTabs(newKeyMap(), rs, nil))
	m.profile = colorprofile.Ascii
	m.restyle()
	send(m, tea.WindowSizeMsg{Width: w, Height: h})
	return m
}

// TestExploreHeader: explore shows the checkpoint's own settings and says
// it is a saved model; a file without them says so; nothing offers pause or
// save.
func TestExploreHeader(t *testing.T) {
	cfg := nn.Config{Epochs: 4, Batch: 32, LR: 0.002, Optimizer: nn.OptSGD, Schedule: nn.ScheduleStep, Seed: 7}
	m := exploreModel(t, cfg, 120, 40)
	send(m, historyMsg{{Epoch: 1, TestAcc: 0.97}, {Epoch: 2, TestAcc: 0.98}, {Epoch: 3, TestAcc: 0.985}})
	send(m, eventsMsg{epochMsg{p: nn.Progress{Kind: nn.EpochDone, Epoch: 4, Epochs: 4,
		Stats: &nn.EpochStats{Epoch: 4, TestAcc: 0.99}}}, trainDoneMsg{}})
	out := ansi.Strip(content(m))
	head := strings.Join(strings.Split(out, "\n")[1:4], "\n")
	for _, want := range []string{"seed 7", "0.002", "sgd", "step", "batch 32", "saved model", "4 epochs trained"} {
		if !strings.Contains(head, want) {
			t.Errorf("explore header lacks %q:\n%s", want, head)
		}
	}
	for _, not := range []string{"training finished", "evaluating", "seed 1 ", "0.001", "adam"} {
		if strings.Contains(head, not) {
			t.Errorf("explore header says %q:\n%s", not, head)
		}
	}
	footer := out[strings.LastIndex(out, "\n")+1:]
	if strings.Contains(footer, "pause") || strings.Contains(footer, "save") {
		t.Errorf("explore footer offers keys that do nothing: %q", footer)
	}
	send(m, press("?"))
	if out := ansi.Strip(content(m)); strings.Contains(out, "not yet") || !strings.Contains(out, "nothing to pause or save") {
		t.Errorf("explore help should say saving and pausing do not apply:\n%s", out)
	}

	m = exploreModel(t, nn.Config{Epochs: 1}, 120, 40)
	head = strings.Join(strings.Split(ansi.Strip(content(m)), "\n")[1:4], "\n")
	if !strings.Contains(head, "settings not recorded") || strings.Contains(head, "seed") || strings.Contains(head, "lr ") {
		t.Errorf("a model without its settings should say so, not invent them:\n%s", head)
	}
}

// TestLongErrorReadable: a failed run's message of 300 characters is shown
// whole at 80x24 (it was cut at the line's end).
func TestLongErrorReadable(t *testing.T) {
	words := make([]string, 0, 40)
	for i := 0; len(strings.Join(words, " ")) < 300; i++ {
		words = append(words, fmt.Sprintf("w%d", i)+strings.Repeat("x", i%5))
	}
	msg := strings.Join(words, " ")
	m, _ := newTestModel(t, 80, 24)
	feed(m, 1, 2)
	send(m, eventsMsg{trainDoneMsg{err: errors.New(msg)}})
	checkScreen(t, m, 80, 24)
	if out := ansi.Strip(content(m)); !strings.Contains(joined(out), msg) {
		t.Errorf("the screen lacks some of the error %q:\n%s", msg, out)
	}
	// A save failure's note, wider than the line, too.
	m, _ = newTestModel(t, 80, 24)
	feed(m, 1, 2)
	send(m, eventsMsg{savedMsg{err: errors.New(msg)}})
	checkScreen(t, m, 80, 24)
	if out := ansi.Strip(content(m)); !strings.Contains(joined(out), "save failed: "+msg) {
		t.Errorf("the screen lacks some of the save failure %q:\n%s", msg, out)
	}
}

// joined is the screen's lines, trimmed, joined by single spaces: wrapped
// text reads as one line again.
func joined(screen string) string {
	lines := strings.Split(screen, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.Join(lines, " ")
}
