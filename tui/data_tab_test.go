package tui

import (
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"convscope/internal/dynamics"
	"convscope/nn"
	"convscope/views"
)

// testDynamics is a hand-made history of testSet(40) as training and test
// set over epochs epochs. Training image 0 is right, wrong, right (one
// forgetting event); 1 is always wrong (its label as if flipped: negative
// AUM, never learned, hard); 2 swings from wrong to right and back
// (ambiguous); the rest grow surer (easy). Test image 3 (a 3) is predicted
// as a 5 with confidence 0.9 every epoch, the rest right.
func testDynamics(epochs int) *dynamics.Data {
	train, test := testSet(40), testSet(40)
	d := dynamics.New(train.Labels, test.Labels, 10)
	for e := range epochs {
		for i := range 40 {
			p, m := float32(0.5+0.15*float64(e)), float32(1+e)
			switch i {
			case 0:
				if e == 1 {
					p, m = 0.2, -1
				}
			case 1:
				p, m = 0.05, -3
			case 2:
				if e%2 == 1 {
					p, m = 0.95, 2
				} else {
					p, m = 0.1, -2
				}
			}
			d.TrainP, d.TrainM = append(d.TrainP, p), append(d.TrainM, m)
		}
		for i := range 40 {
			y := int(test.Labels[i])
			pred := y
			if i == 3 {
				pred = 5
			}
			row := make([]float32, 10)
			for j := range row {
				row[j] = 0.1 / 9
			}
			row[pred] = 0.9
			other := float32(0)
			for j, v := range row {
				if j != y {
					other = max(other, v)
				}
			}
			d.TestP = append(d.TestP, row[y])
			d.TestM = append(d.TestM, float32(math.Log(float64(row[y]))-math.Log(float64(other))))
			d.TestPred = append(d.TestPred, uint8(pred))
			d.TestProbs = append(d.TestProbs, row...)
		}
		d.Epochs++
	}
	return d
}

// liveDynamics is epoch 1 in progress: the first seen images of
// testSet(40), the even ones right.
func liveDynamics(seen int) *dynamics.Data {
	d := testDynamics(0)
	d.CurEpoch, d.CurSeen = 1, seen
	for i := range seen {
		d.CurP[i], d.CurM[i] = 0.3, -0.5
		if i%2 == 0 {
			d.CurP[i], d.CurM[i] = 0.7, 0.5
		}
	}
	return d
}

// fakeDynamics returns a copy of what cur holds and counts the calls.
type fakeDynamics struct {
	cur   atomic.Pointer[dynamics.Data]
	calls atomic.Int32
}

func (f *fakeDynamics) get() *dynamics.Data {
	f.calls.Add(1)
	if d := f.cur.Load(); d != nil {
		return d.Clone()
	}
	return nil
}

// dataModel is the root model on testSet(40) for both sets, with the
// dynamics dyn (nil: none), showing the Data tab.
func dataModel(t testing.TB, w, h int, dyn func() *dynamics.Data, explore bool) (*model, *dataTab) {
	t.Helper()
	opts := Options{Data: nn.Data{Train: testSet(40), Test: testSet(40)}, Config: testCfg, Dynamics: dyn, Explore: explore}
	rs := newRunState(opts)
	m := newModel(&fakeCtl{canSave: true}, runInfo{network: "paper-cnn 28x28x1 → 10 classes, 214826 params", cfg: testCfg, explore: explore}, rs, newTabs(newKeyMap(), rs, nil))
	m.profile = colorprofile.TrueColor
	m.restyle()
	send(m, tea.WindowSizeMsg{Width: w, Height: h})
	send(m, press("7"))
	if m.active != tabData {
		t.Fatalf("7 shows tab %d, want the Data tab", m.active)
	}
	return m, m.tabs[tabData].(*dataTab)
}

// keys sends each key and runs what it asks for.
func keys(m *model, ks ...string) []tea.Msg {
	var out []tea.Msg
	for _, k := range ks {
		out = append(out, drive(m, press(k))...)
	}
	return out
}

func TestDataTabKeyIsSeven(t *testing.T) {
	m, _ := newTestModel(t, 120, 40)
	for i, k := range []string{"1", "2", "3", "4", "5", "6", "7"} {
		send(m, press(k))
		if m.active != i {
			t.Errorf("%s shows tab %d, want %d", k, m.active, i)
		}
	}
	if got := m.tabs[tabData].Title(); got != "Data" {
		t.Errorf("tab 7 is %q, want Data", got)
	}
}

func TestDataTabNoDynamics(t *testing.T) {
	for _, explore := range []bool{false, true} {
		m, _ := dataModel(t, 80, 24, nil, explore)
		out := ansi.Strip(content(m))
		if !strings.Contains(out, "No learning dynamics") || explore && !strings.Contains(out, "dynamics.safetensors") {
			t.Errorf("explore %v: without dynamics the tab should say so:\n%s", explore, out)
		}
		if cmd := m.rs.dynamicsCmd(epochMsg{}); cmd != nil {
			t.Error("without dynamics an epoch asks for them")
		}
		checkScreen(t, m, 80, 24)
	}
	// A run that turns out to record none (a resumed run whose file could not continue it).
	m, _ := dataModel(t, 80, 24, (&fakeDynamics{}).get, false)
	drive(m, testEpoch(1, testEval(40)))
	if out := ansi.Strip(content(m)); !strings.Contains(out, "No learning dynamics") || !strings.Contains(out, "the run records none") {
		t.Errorf("dynamics that come back nil should say the run records none:\n%s", out)
	}
}

// TestDataTabLive: before an epoch ends the tab says so; a batch report in
// epoch 1 brings the training set's figures so far, at most once a second.
func TestDataTabLive(t *testing.T) {
	fd := &fakeDynamics{}
	fd.cur.Store(testDynamics(0))
	m, dt := dataModel(t, 120, 40, fd.get, false)
	clock := time.Unix(1000, 0)
	m.rs.dyn.now = func() time.Time { return clock }
	report := progressMsg(nn.Progress{Kind: nn.BatchProgress, Epoch: 1, Epochs: 3, Seen: 0, Total: 40})
	drive(m, report)
	if out := ansi.Strip(content(m)); !strings.Contains(out, "No epoch has ended yet") {
		t.Errorf("before any image is seen the tab should say no epoch has ended:\n%s", out)
	}
	fd.cur.Store(liveDynamics(20))
	drive(m, report) // within the second: not asked again
	if n := fd.calls.Load(); n != 1 {
		t.Fatalf("two reports within a second read the dynamics %d times, want 1", n)
	}
	clock = clock.Add(1100 * time.Millisecond)
	drive(m, report)
	if n := fd.calls.Load(); n != 2 {
		t.Fatalf("a report a second later read the dynamics %d times in all, want 2", n)
	}
	out := ansi.Strip(content(m))
	if !strings.Contains(out, "live: epoch 1, 20 of 40 seen") {
		t.Errorf("the status should say the figures are live:\n%s", out)
	}
	// The hard region (the default selection) holds the odd images seen: p 0.3.
	want := []int{1, 3, 5, 7, 9, 11, 13, 15, 17, 19}
	if !slices.Equal(dt.list, want) {
		t.Errorf("live hard region lists %v, want %v", dt.list, want)
	}
	keys(m, "t")
	if out := ansi.Strip(content(m)); !strings.Contains(out, "The test set is measured at the end of each epoch") {
		t.Errorf("the test set before epoch 1 ends should say why it is empty:\n%s", out)
	}
	checkScreen(t, m, 120, 40)
	// An epoch's end reads them at once, and the live figures give way.
	fd.cur.Store(testDynamics(1))
	drive(m, testEpoch(1, testEval(40)))
	if f := m.rs.dyn.f; f == nil || f.live || f.epochs != 1 || len(f.calib) != 1 {
		t.Fatalf("after epoch 1 the figures are %+v, want one finished epoch with its calibration", f)
	}
}

// TestDataTabLists: the lists count the hand-made histories, and each row's
// gallery is exactly its images.
func TestDataTabLists(t *testing.T) {
	fd := &fakeDynamics{}
	fd.cur.Store(testDynamics(3))
	m, dt := dataModel(t, 120, 40, fd.get, false)
	drive(m, testEpoch(3, testEval(40)))
	keys(m, "v")
	if dt.view != viewLists {
		t.Fatalf("v shows view %v, want lists", dt.view)
	}
	rows := dt.listRows(dt.figures())
	count := func(label string) int {
		for _, r := range rows {
			if r.Label == label {
				return r.N
			}
		}
		t.Fatalf("no row %q in %v", label, rows)
		return 0
	}
	for label, want := range map[string]int{"epoch 1": 37, "epoch 3": 1, "never learned": 1, "not learned, wrong now": 2,
		"1 time": 2, "0 times": 38, "AUM < 0": 2, "ambiguous": 2, "hard-to-learn": 1, "easy-to-learn": 37} {
		if got := count(label); got != want {
			t.Errorf("row %q counts %d, want %d", label, got, want)
		}
	}
	// Down to the forgetting events' "1 time" row.
	for dt.listRows(dt.figures())[dt.row].Label != "1 time" {
		before := dt.row
		keys(m, "down")
		if dt.row == before {
			t.Fatal("down never reached the row 1 time")
		}
	}
	if !slices.Equal(dt.list, []int{2, 0}) {
		t.Errorf("forgotten once lists %v, want [2 0] (least confident first)", dt.list)
	}
	keys(m, "o")
	if dt.order != ordVariability || !slices.Equal(dt.list, []int{2, 0}) {
		t.Errorf("by variability the list is %v, want [2 0]", dt.list)
	}
	out := ansi.Strip(content(m))
	for _, want := range []string{"2 images: forgetting events 1 time", "train #2", "AUM", "right ✗   ✓   ✗"} {
		if !strings.Contains(out, want) {
			t.Errorf("the lists view should show %q:\n%s", want, out)
		}
	}
	checkScreen(t, m, 120, 40)
}

// TestDataTabRegions: E, A, H select exactly the images of a region, the
// class filter and the order apply, and enter sends a digit to Layers.
func TestDataTabRegions(t *testing.T) {
	fd := &fakeDynamics{}
	fd.cur.Store(testDynamics(3))
	m, dt := dataModel(t, 120, 40, fd.get, false)
	drive(m, testEpoch(3, testEval(40)))
	for _, c := range []struct {
		key  string
		want []int
	}{{"A", []int{2, 0}}, {"H", []int{1}}} {
		keys(m, c.key)
		if !slices.Equal(dt.list, c.want) {
			t.Errorf("%s lists %v, want %v", c.key, dt.list, c.want)
		}
	}
	keys(m, "E", "f", "f") // class 1
	for _, i := range dt.list {
		if i%10 != 1 || i == 1 {
			t.Errorf("easy images of class 1 list %d", i)
		}
	}
	if len(dt.list) != 3 {
		t.Errorf("easy images of class 1: %v, want 11, 21, 31", dt.list)
	}
	keys(m, "x", "H", "enter")
	if !dt.gallery {
		t.Fatal("enter did not open the gallery")
	}
	msgs := keys(m, "enter")
	var got *inspectMsg
	for _, msg := range msgs {
		if im, ok := msg.(inspectMsg); ok {
			got = &im
		}
	}
	if got == nil || got.Source != "train #1" || got.Label != 1 || m.active != tabLayers {
		t.Fatalf("enter in the gallery sent %+v and shows tab %d, want train #1 on Layers", got, m.active)
	}
	// The test set: image 3 is confident learning's suspect, suggested 5.
	keys(m, "7", "t", "v")
	rows := dt.listRows(dt.figures())
	for dt.listRows(dt.figures())[dt.row].Label != "confident learning" {
		keys(m, "down")
	}
	if !slices.Equal(dt.list, []int{3}) {
		t.Errorf("the test set's suspects are %v, want [3]", dt.list)
	}
	_ = rows
	keys(m, "enter")
	out := ansi.Strip(content(m))
	if !strings.Contains(out, "test #3  label 3  suggested 5") {
		t.Errorf("the suspect's detail should give the label and the suggestion:\n%s", out)
	}
	msgs = keys(m, "enter")
	if !slices.ContainsFunc(msgs, func(msg tea.Msg) bool { im, ok := msg.(inspectMsg); return ok && im.Source == "test #3" }) {
		t.Errorf("enter on a test image should send it to Layers: %v", msgs)
	}
}

// TestDataTabMapCursor: the arrows move the cell cursor, whose gallery is
// exactly the images in that cell.
func TestDataTabMapCursor(t *testing.T) {
	fd := &fakeDynamics{}
	fd.cur.Store(testDynamics(3))
	m, dt := dataModel(t, 120, 40, fd.get, false)
	drive(m, testEpoch(3, testEval(40)))
	ml := dt.mapLayout()
	f := dt.figures()
	// Walk to the cell of image 5 (an easy one).
	cx, cy := ml.Cell(f.ex[5].Variability, f.ex[5].Confidence)
	keys(m, "left") // leave the region selection for the cursor
	for dt.curX > 0 {
		keys(m, "left")
	}
	for dt.curY > 0 {
		keys(m, "up")
	}
	for range cx {
		keys(m, "right")
	}
	for range cy {
		keys(m, "down")
	}
	if dt.region != selNone || dt.curX != cx || dt.curY != cy {
		t.Fatalf("the cursor is at (%d, %d) region %d, want (%d, %d)", dt.curX, dt.curY, dt.region, cx, cy)
	}
	var want []int
	for i := range f.ex {
		if x, y := ml.Cell(f.ex[i].Variability, f.ex[i].Confidence); x == cx && y == cy {
			want = append(want, i)
		}
	}
	got := slices.Sorted(slices.Values(dt.list))
	if !slices.Equal(got, want) || len(want) < 30 {
		t.Errorf("the cell lists %v, want %v", got, want)
	}
	keys(m, "c")
	if dt.colour != views.ByRegion || !strings.Contains(ansi.Strip(content(m)), "■ easy 37") {
		t.Errorf("c should colour by region, with a legend of counts:\n%s", ansi.Strip(content(m)))
	}
}

// TestDataTabSearch: / and digits go to an image (no tab switches while
// typing); a bad index says so.
func TestDataTabSearch(t *testing.T) {
	fd := &fakeDynamics{}
	fd.cur.Store(testDynamics(2))
	m, dt := dataModel(t, 80, 24, fd.get, false)
	drive(m, testEpoch(2, testEval(40)))
	keys(m, "/", "1", "2")
	if m.active != tabData || dt.query != "12" {
		t.Fatalf("typing 12 shows tab %d with query %q", m.active, dt.query)
	}
	keys(m, "enter")
	if !slices.Equal(dt.list, []int{12}) || !dt.gallery || !strings.Contains(ansi.Strip(content(m)), "train #12") {
		t.Errorf("searching 12 lists %v:\n%s", dt.list, ansi.Strip(content(m)))
	}
	keys(m, "/", "9", "9", "enter")
	if !strings.Contains(ansi.Strip(content(m)), "no train image #99") {
		t.Errorf("a bad index should say so:\n%s", ansi.Strip(content(m)))
	}
	keys(m, "x")
	if dt.search != -1 {
		t.Error("x should clear the search")
	}
	checkScreen(t, m, 80, 24)
}

// TestDataTabCalibration: the calibration view steps through the epochs.
func TestDataTabCalibration(t *testing.T) {
	fd := &fakeDynamics{}
	fd.cur.Store(testDynamics(3))
	m, dt := dataModel(t, 120, 40, fd.get, false)
	keys(m, "v", "v")
	if out := ansi.Strip(content(m)); !strings.Contains(out, "calibration comes when epoch 1 ends") {
		t.Errorf("before an epoch the calibration view should say when it comes:\n%s", out)
	}
	drive(m, testEpoch(3, testEval(40)))
	if out := ansi.Strip(content(m)); !strings.Contains(out, "Reliability, epoch 3") || !strings.Contains(out, "ECE") {
		t.Errorf("the calibration view should show the latest epoch:\n%s", out)
	}
	keys(m, "[", "[", "[")
	if dt.calPin != 0 || !strings.Contains(ansi.Strip(content(m)), "Reliability, epoch 1") {
		t.Errorf("[ three times shows pin %d:\n%s", dt.calPin, ansi.Strip(content(m)))
	}
	keys(m, "]", "]")
	if dt.calPin != -1 {
		t.Errorf("] back to the last should follow the latest, pin %d", dt.calPin)
	}
}

// TestDataTabHelp: the help names every figure's source and the thresholds.
func TestDataTabHelp(t *testing.T) {
	m, _ := dataModel(t, 200, 60, (&fakeDynamics{}).get, false)
	keys(m, "?")
	out := ansi.Strip(content(m))
	for _, want := range []string{"Toneva et al., ICLR 2019", "Swayamdipta et al., EMNLP 2020", "Pleiss et al., NeurIPS 2020",
		"Northcutt et al., JAIR 2021", "Guo et al., ICML 2017", "variability ≥ 0.2", "confidence ≥ 0.5"} {
		if !strings.Contains(out, want) {
			t.Errorf("the help should name %q:\n%s", want, out)
		}
	}
}

// TestDataTabView: goldens of every view at the three sizes, and each
// screen exactly its size.
func TestDataTabView(t *testing.T) {
	sizes := []struct{ w, h int }{{80, 24}, {120, 40}, {200, 60}}
	for _, sz := range sizes {
		for _, v := range []struct {
			name string
			keys []string
		}{{"map", nil}, {"map_gallery", []string{"A", "enter", "right"}}, {"lists", []string{"v", "down"}}, {"calibration", []string{"v", "v"}}, {"test", []string{"t", "c"}}} {
			name := v.name + "_" + itoa(sz.w) + "x" + itoa(sz.h)
			t.Run(name, func(t *testing.T) {
				fd := &fakeDynamics{}
				fd.cur.Store(testDynamics(3))
				m, _ := dataModel(t, sz.w, sz.h, fd.get, false)
				drive(m, testEpoch(3, testEval(40)))
				keys(m, v.keys...)
				checkScreen(t, m, sz.w, sz.h)
				golden.RequireEqual(t, content(m))
			})
		}
	}
	t.Run("nocolour_120x40", func(t *testing.T) {
		fd := &fakeDynamics{}
		fd.cur.Store(testDynamics(3))
		m, _ := dataModel(t, 120, 40, fd.get, false)
		m.profile = colorprofile.NoTTY
		m.restyle()
		drive(m, testEpoch(3, testEval(40)))
		keys(m, "H", "enter")
		golden.RequireEqual(t, content(m))
	})
}

func itoa(n int) string { return views.GroupInt(n) }
