package tui

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"convscope/nn"
)

// cellImages are the images of ev of true class r predicted as c, in index order.
func cellImages(ev *nn.Eval, r, c int) []int {
	var ids []int
	for i := range ev.N {
		if int(ev.Labels[i]) == r && int(ev.Pred[i]) == c {
			ids = append(ids, i)
		}
	}
	return ids
}

// moveTo puts the Confusion tab's cursor on cell (r, c) with keys.
func moveTo(m *model, r, c int) {
	for range 12 {
		send(m, press("up"))
		send(m, press("h"))
	}
	for range r {
		send(m, press("j"))
	}
	for range c {
		send(m, press("right"))
	}
}

// TestConfusionDrillDown: enter on every cell opens the Mistakes tab on
// exactly that cell's images.
func TestConfusionDrillDown(t *testing.T) {
	ev := testEval(40)
	m := evalModel(t, 120, 40, "")
	send(m, testEpoch(1, ev))
	ct, mt := m.tabs[tabConfusion].(*confusionTab), m.tabs[tabMistakes].(*mistakesTab)
	for r := range 10 {
		for c := range 10 {
			send(m, press("4"))
			moveTo(m, r, c)
			if ct.row != r || ct.col != c {
				t.Fatalf("the keys put the cursor on (%d, %d), want (%d, %d)", ct.row, ct.col, r, c)
			}
			msgs := drive(m, press("enter"))
			if !slices.Contains(msgs, tea.Msg(showPairMsg{True: r, Pred: c})) {
				t.Fatalf("enter on (%d, %d) sent %v, want showPairMsg{%d, %d}", r, c, msgs, r, c)
			}
			if m.active != tabMistakes {
				t.Fatalf("enter on (%d, %d) shows tab %d, want Mistakes", r, c, m.active)
			}
			want := cellImages(ev, r, c)
			got := slices.Clone(mt.list)
			slices.Sort(got)
			if !slices.Equal(got, want) || len(got) != ev.Confusion[r][c] {
				t.Fatalf("cell (%d, %d) of count %d lists %v, want %v", r, c, ev.Confusion[r][c], mt.list, want)
			}
		}
	}
}

func TestConfusionCursorClamps(t *testing.T) {
	m := evalModel(t, 120, 40, "")
	send(m, testEpoch(1, testEval(40)))
	send(m, press("4"))
	ct := m.tabs[tabConfusion].(*confusionTab)
	for _, k := range []string{"up", "k", "left", "h"} {
		send(m, press(k))
	}
	if ct.row != 0 || ct.col != 0 {
		t.Errorf("up and left from (0, 0) moved the cursor to (%d, %d)", ct.row, ct.col)
	}
	for range 15 {
		send(m, press("down"))
		send(m, press("l"))
	}
	if ct.row != 9 || ct.col != 9 {
		t.Errorf("down and right many times put the cursor on (%d, %d), want (9, 9)", ct.row, ct.col)
	}
	if out := ansi.Strip(content(m)); !strings.Contains(out, "true 9 → predicted 9: 3 of 4 images (75.0%)") {
		t.Errorf("the cell line should describe (9, 9):\n%s", out)
	}
}

// shiftedEval is testEval of another epoch: its first moved 0s (images 0,
// 10, …) are taken for 6s.
func shiftedEval(n, moved int) *nn.Eval {
	wrong := slices.Clone(testWrong)
	for j := range moved {
		wrong = append(wrong, wrongImage{10 * j, 6, 0.6, 0.3})
	}
	return evalWith(n, wrong)
}

func TestConfusionEpochs(t *testing.T) {
	m := evalModel(t, 200, 60, "")
	ct := m.tabs[tabConfusion].(*confusionTab)
	send(m, press("4"))
	if out := ansi.Strip(content(m)); !strings.Contains(out, "no evaluation yet") {
		t.Errorf("before any evaluation the tab should say so:\n%s", out)
	}
	send(m, historyMsg{{Epoch: 1, TestAcc: 0.5}}) // a resumed run's epoch: no matrix
	ev1 := shiftedEval(40, 2)
	send(m, testEpoch(2, ev1))
	send(m, testEpoch(3, shiftedEval(40, 1)))
	send(m, testEpoch(4, testEval(40)))
	ev1.Confusion[0][0] = 999 // the tab keeps copies
	if eps := ct.epochs(); len(eps) != 3 || ct.shown(len(eps)) != 2 {
		t.Fatalf("after 3 evaluations the tab has %d epochs and shows #%d, want 3 and the last", len(eps), ct.shown(len(eps)))
	}
	show := func(key string, epoch, row0 int) {
		t.Helper()
		if key != "" {
			send(m, press(key))
		}
		eps := ct.epochs()
		e := newConfEpoch(eps[ct.shown(len(eps))])
		if e.epoch != epoch || e.conf[0][0] != row0 {
			t.Fatalf("after %q the tab shows epoch %d with conf[0][0] = %d, want epoch %d with %d", key, e.epoch, e.conf[0][0], epoch, row0)
		}
		if out := ansi.Strip(content(m)); !strings.Contains(out, fmt.Sprintf("Epoch %d (", epoch)) {
			t.Fatalf("after %q the status line should name epoch %d:\n%s", key, epoch, out)
		}
	}
	show("", 4, 4)
	show("[", 3, 3)
	show("[", 2, 2)
	show("[", 2, 2)
	if out := ansi.Strip(content(m)); !strings.Contains(out, "an earlier epoch") {
		t.Errorf("an earlier epoch should be marked:\n%s", out)
	}
	// Enter on an earlier epoch: its images are gone.
	if msgs := drive(m, press("enter")); len(msgs) != 1 {
		t.Errorf("enter on an earlier epoch sent %v", msgs[1:])
	}
	if out := ansi.Strip(content(m)); !strings.Contains(out, "the images are kept for the latest epoch only (4)") {
		t.Errorf("enter on an earlier epoch should say why nothing happens:\n%s", out)
	}
	// A new evaluation while looking at an earlier one leaves the view alone.
	send(m, testEpoch(5, testEval(40)))
	show("", 2, 2)
	show("]", 3, 3)
	show("]", 4, 4)
	show("]", 5, 4)
	show("]", 5, 4)
	// While looking at the latest, a new evaluation is shown.
	send(m, testEpoch(6, shiftedEval(40, 3)))
	show("", 6, 1)
}

// mnistConfusion is a real run's test-set confusion matrix (10,000 images).
var mnistConfusion = [][]int{
	{971, 0, 2, 0, 0, 0, 3, 4, 0, 0},
	{1, 1125, 1, 0, 0, 3, 1, 3, 0, 1},
	{11, 0, 999, 0, 0, 0, 1, 18, 2, 1},
	{0, 0, 4, 979, 0, 8, 0, 14, 1, 4},
	{0, 2, 1, 0, 969, 0, 3, 4, 1, 2},
	{8, 1, 0, 10, 0, 859, 1, 6, 2, 5},
	{12, 4, 1, 1, 2, 4, 931, 0, 3, 0},
	{1, 4, 12, 1, 2, 0, 0, 1003, 0, 5},
	{13, 0, 4, 4, 6, 2, 7, 7, 910, 21},
	{5, 0, 1, 3, 29, 7, 2, 20, 0, 942},
}

// TestConfusionLayouts draws a full-size matrix (without per-image
// results) at the sizes where the tab lays it out differently: the class
// card beside it, the table beside it, the table below it.
func TestConfusionLayouts(t *testing.T) {
	ev := &nn.Eval{N: 10000, K: 10, Loss: 0.103, Acc: 0.9688, Confusion: mnistConfusion}
	ev.Classes, ev.Macro = nn.ClassFigures(ev.Confusion)
	for _, sz := range []struct{ w, h int }{{80, 24}, {100, 30}, {120, 40}, {200, 60}} {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m := evalModel(t, sz.w, sz.h, "")
			send(m, testEpoch(3, ev))
			send(m, press("4"))
			moveTo(m, 9, 4)
			checkScreen(t, m, sz.w, sz.h)
			golden.RequireEqual(t, content(m))
			if msgs := drive(m, press("enter")); len(msgs) != 1 {
				t.Errorf("enter without per-image results sent %v", msgs[1:])
			}
			if out := ansi.Strip(content(m)); !strings.Contains(out, "no per-image results") {
				t.Errorf("enter without per-image results should say so:\n%s", out)
			}
		})
	}
}

func TestConfusedPairs(t *testing.T) {
	got := confusedPairs(mnistConfusion, 4)
	want := [][2]int{{9, 4}, {8, 9}, {9, 7}, {2, 7}}
	if !slices.Equal(got, want) {
		t.Errorf("confusedPairs = %v, want %v", got, want)
	}
}
