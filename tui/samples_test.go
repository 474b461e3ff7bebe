package tui

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"convscope/mnist"
	"convscope/nn"
)

// glyphs are 5×7 bitmaps of the digits 0..9.
var glyphs = [10][7]string{
	{".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."},
	{"..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."},
	{".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"},
	{"####.", "....#", "....#", ".###.", "....#", "....#", "####."},
	{"...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."},
	{"#####", "#....", "####.", "....#", "....#", "#...#", ".###."},
	{"..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."},
	{"#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."},
	{".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."},
	{".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."},
}

// testSet is n 28×28 images of the digits (image i shows digit i%10, drawn
// three times its glyph size, shifted a little by i) with labels i%10.
func testSet(n int) *mnist.Set {
	const rows, cols, scale = 28, 28, 3
	s := &mnist.Set{N: n, Rows: rows, Cols: cols, Images: make([]uint8, n*rows*cols), Labels: make([]uint8, n),
		Classes: []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}}
	for i := range n {
		d := i % 10
		s.Labels[i] = uint8(d)
		px := s.Images[i*rows*cols : (i+1)*rows*cols]
		dy, dx := 3+i%3, 6+i%4
		for gy, line := range glyphs[d] {
			for gx, c := range line {
				if c != '#' {
					continue
				}
				for y := range scale {
					for x := range scale {
						px[(dy+gy*scale+y)*cols+dx+gx*scale+x] = uint8(200 + 10*((y+x)%2))
					}
				}
			}
		}
	}
	return s
}

// wrongImage is a mistake of a hand-built evaluation: image i predicted as
// pred with probability conf, its true class with trueP.
type wrongImage struct {
	i, pred     int
	conf, trueP float32
}

// testWrong are the mistakes of testEval.
var testWrong = []wrongImage{
	{3, 5, 0.90, 0.05},
	{7, 1, 0.60, 0.35},
	{12, 7, 0.75, 0.20},
	{13, 5, 0.55, 0.40},
	{18, 3, 0.95, 0.01},
	{25, 3, 0.50, 0.45},
	{29, 4, 0.80, 0.02},
	{33, 8, 0.70, 0.25},
	{35, 3, 0.65, 0.05},
}

// testEval is a hand-built evaluation of testSet(n), n >= 36: the
// mistakes of testWrong, every other image right with a confidence just
// under 0.99 that falls with its index.
func testEval(n int) *nn.Eval { return evalWith(n, testWrong) }

// evalWith is a hand-built evaluation of testSet(n) with the given
// mistakes, its matrix and figures tallied from them.
func evalWith(n int, wrong []wrongImage) *nn.Eval {
	const k = 10
	ev := &nn.Eval{N: n, K: k, Labels: make([]uint8, n), Pred: make([]uint8, n),
		Probs: make([]float32, n*k), Losses: make([]float32, n)}
	set := func(i, label, pred int, conf, trueP float32) {
		ev.Labels[i], ev.Pred[i] = uint8(label), uint8(pred)
		p := ev.Probs[i*k : (i+1)*k]
		rest, others := 1-conf, k-1
		if label != pred {
			rest -= trueP
			others--
			p[label] = trueP
		}
		for c := range p {
			if c != label && c != pred {
				p[c] = rest / float32(others)
			}
		}
		p[pred] = conf
		ev.Losses[i] = float32(-math.Log(float64(p[label])))
	}
	for i := range n {
		set(i, i%10, i%10, 0.99-0.001*float32(i), 0)
	}
	for _, w := range wrong {
		set(w.i, w.i%10, w.pred, w.conf, w.trueP)
	}
	ev.Confusion = make([][]int, k)
	for i := range ev.Confusion {
		ev.Confusion[i] = make([]int, k)
	}
	var loss float64
	correct := 0
	for i := range n {
		ev.Confusion[ev.Labels[i]][ev.Pred[i]]++
		loss += float64(ev.Losses[i])
		if ev.Labels[i] == ev.Pred[i] {
			correct++
		}
	}
	ev.Loss = loss / float64(n)
	ev.Acc = float64(correct) / float64(n)
	ev.Classes, ev.Macro = nn.ClassFigures(ev.Confusion)
	return ev
}

// testEpoch is the epoch message of an evaluation.
func testEpoch(epoch int, ev *nn.Eval) epochMsg {
	st := &nn.EpochStats{Epoch: epoch, TrainLoss: 0.21 / float64(epoch), TrainAcc: 1 - 0.06/float64(epoch),
		TestLoss: ev.Loss, TestAcc: ev.Acc, Seconds: 31.5, ImagesPerSec: 1900, EvalSeconds: 1.5, LR: 0.001, Eval: ev}
	return epochMsg{p: nn.Progress{Kind: nn.EpochDone, Epoch: epoch, Epochs: 3, Seen: 3000, Total: 3000,
		TrainLoss: st.TrainLoss, TrainAcc: st.TrainAcc, ImagesPerSec: 1900, Elapsed: 31 * time.Second, Stats: st}}
}

// evalModel is the root model with the evaluation tabs on testSet(40) and
// the run folder dir.
func evalModel(t testing.TB, w, h int, dir string) *model {
	t.Helper()
	opts := Options{Data: nn.Data{Test: testSet(40)}, OutDir: dir, Config: testCfg}
	rs := newRunState(opts)
	m := newModel(&fakeCtl{canSave: true}, runInfo{network: "paper-cnn 28x28x1 → 10 classes, 214826 params", cfg: testCfg, canSave: true, outDir: dir},
		rs, newTabs(newKeyMap(), rs, nil))
	m.profile = colorprofile.TrueColor
	m.restyle()
	send(m, tea.WindowSizeMsg{Width: w, Height: h})
	return m
}

// drive sends msg and then, like the program, the messages its command gives
// (sequences and batches included), until none is left; it returns them.
func drive(m *model, msg tea.Msg) []tea.Msg {
	var got []tea.Msg
	queue := []tea.Msg{msg}
	for len(queue) > 0 {
		msg, queue = queue[0], queue[1:]
		got = append(got, msg)
		cmd := send(m, msg)
		queue = append(queue, expand(cmd)...)
	}
	return got
}

// expand runs cmd and flattens the messages of batches and sequences. A
// command that takes more than a few seconds (a tick, such as the header's
// note timer) is left out.
func expand(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-done:
	case <-time.After(3 * time.Second): // a tick
		return nil
	}
	if msg == nil {
		return nil
	}
	// tea.BatchMsg, and tea.Sequence's unexported type, are slices of commands.
	if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeFor[tea.Cmd]() {
		var out []tea.Msg
		for i := range v.Len() {
			out = append(out, expand(v.Index(i).Interface().(tea.Cmd))...)
		}
		return out
	}
	return []tea.Msg{msg}
}

func TestShrink(t *testing.T) {
	px := []uint8{
		0, 255, 10, 20, 7,
		255, 255, 30, 40, 9,
		100, 0, 0, 0, 50,
	}
	got := shrink(px, 3, 5, 2)
	want := []uint8{191, 25, 8, 50, 0, 50}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("shrink = %v, want %v", got, want)
	}
}

func TestSamplesKeys(t *testing.T) {
	m := evalModel(t, 200, 60, "")
	send(m, press("2"))
	s := m.tabs[tabSamples].(*samplesTab)
	l := s.gridLayout()
	if l.Cols < 4 || l.PerPage() < 20 {
		t.Fatalf("at 200x60 the grid is %d×%d tiles, want it to fill the screen", l.Cols, l.Rows)
	}
	steps := []struct {
		key  string
		want int
	}{
		{"right", 1}, {"l", 2}, {"down", 2 + l.Cols}, {"j", 2 + 2*l.Cols}, {"k", 2 + l.Cols}, {"up", 2},
		{"h", 1}, {"left", 0}, {"left", 0}, {"up", 0}, {"end", 39}, {"down", 39}, {"right", 39}, {"home", 0},
	}
	for _, st := range steps {
		send(m, press(st.key))
		if s.cursor != st.want {
			t.Fatalf("after %q the cursor is on %d, want %d", st.key, s.cursor, st.want)
		}
	}

	// At 80x24 a page holds a few images: n and p turn pages.
	send(m, tea.WindowSizeMsg{Width: 80, Height: 24})
	l = s.gridLayout()
	per := l.PerPage()
	if per < 2 || per >= 40 {
		t.Fatalf("at 80x24 a page holds %d images, want a few", per)
	}
	send(m, press("right"))
	send(m, press("n"))
	if s.cursor != 1+per {
		t.Errorf("n moved the cursor from 1 to %d, want %d", s.cursor, 1+per)
	}
	send(m, press("p"))
	send(m, press("p"))
	if s.cursor != 0 {
		t.Errorf("p twice from page 2 moved the cursor to %d, want 0", s.cursor)
	}
	for range 100 {
		send(m, press("n"))
	}
	if last := 39 / per * per; pageStart(s.cursor, l) != last {
		t.Errorf("after many n the page starts at %d, want the last page at %d", pageStart(s.cursor, l), last)
	}
}

func TestSamplesClick(t *testing.T) {
	m := evalModel(t, 200, 60, "")
	send(m, press("2"))
	s := m.tabs[tabSamples].(*samplesTab)
	l := s.gridLayout()
	// The second tile of the second row, below the tab's status line.
	send(m, tea.MouseClickMsg{X: l.TileW + 2, Y: m.bodyTop() + 1 + l.TileH + 1, Button: tea.MouseLeft})
	if s.cursor != l.Cols+1 {
		t.Errorf("a click on the second tile of the second row selects %d, want %d", s.cursor, l.Cols+1)
	}
}

func TestSamplesEnterInspects(t *testing.T) {
	m := evalModel(t, 120, 40, "")
	send(m, press("2"))
	send(m, press("right"))
	got := drive(m, press("enter"))
	var in *inspectMsg
	for _, msg := range got {
		if msg, ok := msg.(inspectMsg); ok {
			in = &msg
		}
	}
	if in == nil {
		t.Fatalf("enter sent no inspectMsg: %v", got)
	}
	set := testSet(40)
	if in.Label != 1 || in.Rows != 28 || in.Cols != 28 || in.Source != "test #1" || string(in.Pixels) != string(set.Image(1)) {
		t.Errorf("enter on image 1 sent %+v, want image 1 with label 1", *in)
	}
	if m.active != tabLayers {
		t.Errorf("after enter the active tab is %d, want Layers (%d)", m.active, tabLayers)
	}
}

func TestSamplesWithoutPredictions(t *testing.T) {
	m := evalModel(t, 80, 24, "")
	send(m, press("2"))
	out := ansi.Strip(content(m))
	for _, want := range []string{"no predictions yet", "Test images 1–", "#0", "0→?"} {
		if !strings.Contains(out, want) {
			t.Errorf("before any evaluation the Samples tab lacks %q:\n%s", want, out)
		}
	}
	send(m, press("right"))
	if s := m.tabs[tabSamples].(*samplesTab); s.cursor != 1 {
		t.Errorf("before any evaluation → moved the cursor to %d, want 1: the grid stays browsable", s.cursor)
	}
	checkScreen(t, m, 80, 24)
}

// TestEvalTabsView draws each evaluation tab at the golden sizes, before
// and after an evaluation.
func TestEvalTabsView(t *testing.T) {
	sizes := []struct{ w, h int }{{80, 24}, {200, 60}}
	tabs := []struct {
		name string
		i    int
	}{{"samples", tabSamples}, {"mistakes", tabMistakes}, {"confusion", tabConfusion}}
	for _, tb := range tabs {
		for _, sz := range sizes {
			for _, evald := range []bool{false, true} {
				name := fmt.Sprintf("%s_%dx%d_%s", tb.name, sz.w, sz.h, map[bool]string{false: "before", true: "epoch_2"}[evald])
				t.Run(name, func(t *testing.T) {
					m := evalModel(t, sz.w, sz.h, "")
					if evald {
						send(m, testEpoch(1, testEval(40)))
						send(m, testEpoch(2, testEval(40)))
					}
					send(m, press(fmt.Sprint(tb.i+1)))
					send(m, press("right"))
					send(m, press("down"))
					checkScreen(t, m, sz.w, sz.h)
					golden.RequireEqual(t, content(m))
				})
			}
		}
	}
}

// TestEvalTabsASCII draws the tabs without colour, where the cursor is in
// brackets and digits are characters.
func TestEvalTabsASCII(t *testing.T) {
	for _, tb := range []int{tabSamples, tabMistakes, tabConfusion} {
		t.Run(fmt.Sprint(tb+1), func(t *testing.T) {
			m := evalModel(t, 100, 30, "")
			send(m, tea.ColorProfileMsg{Profile: colorprofile.Ascii})
			send(m, testEpoch(1, testEval(40)))
			send(m, press(fmt.Sprint(tb+1)))
			send(m, press("right"))
			checkScreen(t, m, 100, 30)
			golden.RequireEqual(t, content(m))
		})
	}
}

// TestEvalTabsSizes checks every tab fills the screen exactly at many
// sizes, with and without an evaluation, and with a short test set.
func TestEvalTabsSizes(t *testing.T) {
	for _, sz := range []struct{ w, h int }{{60, 20}, {61, 21}, {80, 24}, {100, 30}, {120, 40}, {150, 45}, {200, 60}, {300, 90}, {59, 19}} {
		for _, evald := range []bool{false, true} {
			m := evalModel(t, sz.w, sz.h, "")
			if evald {
				send(m, testEpoch(1, testEval(40)))
			}
			for _, tb := range []int{tabSamples, tabMistakes, tabConfusion} {
				send(m, press(fmt.Sprint(tb+1)))
				for _, k := range []string{"end", "down", "right", "enter", "1", fmt.Sprint(tb + 1)} {
					drive(m, press(k))
				}
				send(m, press(fmt.Sprint(tb+1)))
				checkScreen(t, m, sz.w, sz.h)
			}
		}
	}
}

// TestNoTestSet: without test images the tabs say so, and keys do nothing.
func TestNoTestSet(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	send(m, testEpoch(1, testEval(40)))
	for _, tb := range []int{tabSamples, tabMistakes} {
		send(m, press(fmt.Sprint(tb+1)))
		for _, k := range []string{"right", "down", "n", "enter", "o", "t"} {
			if cmd := send(m, press(k)); cmd != nil {
				if msgs := expand(cmd); len(msgs) > 0 {
					t.Errorf("tab %d: %q without a test set gave %v", tb+1, k, msgs)
				}
			}
		}
		if out := ansi.Strip(content(m)); !strings.Contains(out, "no test images") {
			t.Errorf("tab %d without a test set should say so:\n%s", tb+1, out)
		}
	}
}
