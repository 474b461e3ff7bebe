package tui

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

func TestPickImages(t *testing.T) {
	ev := testEval(40)
	cases := []struct {
		name         string
		trueC, predC int
		order        mistakeOrder
		want         []int
	}{
		{"all by confidence", -1, -1, byConfidence, []int{18, 3, 29, 12, 33, 35, 7, 13, 25}},
		// 3 and 35 have the same loss (true class at 0.05): the more confident first.
		{"all by loss", -1, -1, byLoss, []int{18, 29, 3, 35, 12, 33, 7, 13, 25}},
		{"all by true class", -1, -1, byTrue, []int{12, 3, 33, 13, 35, 25, 7, 18, 29}},
		{"all by predicted class", -1, -1, byPred, []int{7, 18, 35, 25, 29, 3, 13, 12, 33}},
		{"true 3", 3, -1, byConfidence, []int{3, 33, 13}},
		{"true 3 by loss", 3, -1, byLoss, []int{3, 33, 13}},
		{"predicted 3", -1, 3, byConfidence, []int{18, 35, 25}},
		{"predicted 3 by loss", -1, 3, byLoss, []int{18, 35, 25}},
		{"pair 3→5", 3, 5, byConfidence, []int{3, 13}},
		{"pair 5→3", 5, 3, byLoss, []int{35, 25}},
		{"pair 3→3: the right ones", 3, 3, byConfidence, []int{23}},
		{"pair 0→0: the right ones, most confident first", 0, 0, byConfidence, []int{0, 10, 20, 30}},
		{"pair 1→0: none", 1, 0, byConfidence, nil},
		{"true 0: no mistakes", 0, -1, byConfidence, nil},
	}
	for _, c := range cases {
		got := pickImages(ev, c.trueC, c.predC, c.order)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: pickImages(true %d, pred %d, %v) = %v, want %v", c.name, c.trueC, c.predC, c.order, got, c.want)
		}
		// Whatever the order, every listed image matches the filters and
		// every matching image is listed.
		for i := range ev.N {
			l, p := int(ev.Labels[i]), int(ev.Pred[i])
			match := (c.trueC < 0 || l == c.trueC) && (c.predC < 0 || p == c.predC) && (l != p || (c.trueC >= 0 && c.predC >= 0))
			if match != slices.Contains(got, i) {
				t.Errorf("%s: image %d (true %d, pred %d) listed %v, want %v", c.name, i, l, p, !match, match)
			}
		}
	}
}

func TestCycleClass(t *testing.T) {
	c, seen := -1, []int{}
	for range 12 {
		c = cycleClass(c, 10, 1)
		seen = append(seen, c)
	}
	if want := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1, 0}; !slices.Equal(seen, want) {
		t.Errorf("t cycles through %v, want %v", seen, want)
	}
	if got := cycleClass(-1, 10, -1); got != 9 {
		t.Errorf("T from all gives %d, want 9", got)
	}
	if got := cycleClass(0, 10, -1); got != -1 {
		t.Errorf("T from 0 gives %d, want all (-1)", got)
	}
}

// TestMistakesKeys drives the Mistakes tab through the root model.
func TestMistakesKeys(t *testing.T) {
	m := evalModel(t, 120, 40, "")
	send(m, testEpoch(1, testEval(40)))
	send(m, press("3"))
	mt := m.tabs[tabMistakes].(*mistakesTab)
	steps := []struct {
		key  string
		want []int
		says string
	}{
		{"", []int{18, 3, 29, 12, 33, 35, 7, 13, 25}, "9 mistakes in 40 · sorted by confidence · true any · pred any"},
		{"o", []int{18, 29, 3, 35, 12, 33, 7, 13, 25}, "sorted by loss"},
		{"o", []int{12, 3, 33, 13, 35, 25, 7, 18, 29}, "sorted by true class"},
		{"o", []int{7, 18, 35, 25, 29, 3, 13, 12, 33}, "sorted by predicted class"},
		{"o", []int{18, 3, 29, 12, 33, 35, 7, 13, 25}, "sorted by confidence"},
		{"t", nil, "0 of 9 mistakes"},
		{"t", nil, "0 of 9 mistakes · sorted by confidence · true 1"},
		{"t", []int{12}, "true 2"},
		{"t", []int{3, 33, 13}, "3 of 9 mistakes · sorted by confidence · true 3 · pred any"},
		{"g", nil, "0 images: true 3 predicted as 0"},
		{"G", []int{3, 33, 13}, "true 3 · pred any"},
		{"G", nil, "0 images: true 3 predicted as 9"},
		{"G", []int{33}, "1 image: true 3 predicted as 8"},
		{"G", nil, "true 3 predicted as 7"},
		{"x", []int{18, 3, 29, 12, 33, 35, 7, 13, 25}, "true any · pred any"},
		{"G", nil, "0 of 9 mistakes · sorted by confidence · true any · pred 9"},
		{"G", []int{33}, "1 of 9 mistakes · sorted by confidence · true any · pred 8"},
		{"T", nil, "0 images: true 9 predicted as 8"},
		{"esc", []int{18, 3, 29, 12, 33, 35, 7, 13, 25}, "9 mistakes"},
	}
	for _, s := range steps {
		if s.key != "" {
			send(m, press(s.key))
		}
		if !slices.Equal(mt.list, s.want) {
			t.Fatalf("after %q the list is %v, want %v", s.key, mt.list, s.want)
		}
		if out := ansi.Strip(content(m)); !strings.Contains(out, s.says) {
			t.Fatalf("after %q the tab should say %q:\n%s", s.key, s.says, out)
		}
	}
}

// TestMistakesShowPair: showPairMsg filters to exactly the pair, the first
// image selected; a new evaluation keeps the filters and the selection.
func TestMistakesShowPair(t *testing.T) {
	m := evalModel(t, 120, 40, "")
	send(m, testEpoch(1, testEval(40)))
	mt := m.tabs[tabMistakes].(*mistakesTab)
	mt.cursor = 4
	send(m, showPairMsg{True: 5, Pred: 3})
	if !slices.Equal(mt.list, []int{35, 25}) || mt.cursor != 0 {
		t.Fatalf("showPairMsg{5, 3}: list %v cursor %d, want [35 25] from the first", mt.list, mt.cursor)
	}
	send(m, press("3"))
	send(m, press("right"))
	send(m, testEpoch(2, testEval(40)))
	if !slices.Equal(mt.list, []int{35, 25}) || mt.cursor != 1 {
		t.Errorf("after a new evaluation: list %v cursor %d, want [35 25] with 25 still selected", mt.list, mt.cursor)
	}
	send(m, showPairMsg{True: 7, Pred: 7})
	if !slices.Equal(mt.list, []int{17, 27, 37}) {
		t.Errorf("showPairMsg{7, 7}: list %v, want the right 7s [17 27 37]", mt.list)
	}
	if out := ansi.Strip(content(m)); !strings.Contains(out, "3 images: true 7 predicted as 7 (right)") {
		t.Errorf("a right pair should say so:\n%s", out)
	}
}

func TestMistakesEnterInspects(t *testing.T) {
	m := evalModel(t, 120, 40, "")
	send(m, testEpoch(1, testEval(40)))
	send(m, press("3"))
	send(m, press("right")) // the second most confident mistake: image 3
	var got []inspectMsg
	for _, msg := range drive(m, press("enter")) {
		if in, ok := msg.(inspectMsg); ok {
			got = append(got, in)
		}
	}
	if len(got) != 1 || got[0].Source != "test #3" || got[0].Label != 3 {
		t.Fatalf("enter sent %v, want one inspectMsg of test #3, label 3", got)
	}
	if m.active != tabLayers {
		t.Errorf("after enter the active tab is %d, want Layers", m.active)
	}
}

// TestMistakesDetail checks the detail pane shows the selected image's
// figures and its top 3.
func TestMistakesDetail(t *testing.T) {
	m := evalModel(t, 120, 40, "")
	send(m, testEpoch(1, testEval(40)))
	send(m, press("3"))
	out := ansi.Strip(content(m))
	for _, want := range []string{"#18", "true 8", "pred 3 ✗", fmt.Sprintf("loss %.3f", -math.Log(0.01)), "1. 3  95.0%", "2. 8   1.0%"} {
		if !strings.Contains(out, want) {
			t.Errorf("the detail of image 18 lacks %q:\n%s", want, out)
		}
	}
}

func TestMistakesBeforeEvaluation(t *testing.T) {
	m := evalModel(t, 80, 24, "")
	send(m, press("3"))
	for _, k := range []string{"right", "o", "t", "g", "x", "enter", "n"} {
		if msgs := drive(m, press(k)); len(msgs) != 1 {
			t.Errorf("%q before any evaluation gave %v", k, msgs[1:])
		}
	}
	if out := ansi.Strip(content(m)); !strings.Contains(out, "no predictions yet") {
		t.Errorf("before any evaluation the Mistakes tab should say there are no predictions:\n%s", out)
	}
}
