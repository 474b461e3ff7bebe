package views

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"convscope/internal/dynamics"
)

// dynSizes and dynStyles are the sizes and styles every view of the Data tab
// is drawn at in the golden tests.
var dynSizes = []struct {
	name string
	w, h int
}{{"80x24", 80, 24}, {"120x40", 120, 40}, {"200x60", 200, 60}}

var dynStyles = []struct {
	name string
	st   Styles
}{
	{"dark", NewStyles(true, colorprofile.TrueColor)},
	{"light", NewStyles(false, colorprofile.TrueColor)},
	{"nocolour", NewStyles(true, colorprofile.NoTTY)},
}

// eachDyn runs draw at every size and style, checks the block fits w×h and
// compares it with its golden file.
func eachDyn(t *testing.T, exact bool, draw func(w, h int, st Styles) string) {
	t.Helper()
	for _, sz := range dynSizes {
		for _, s := range dynStyles {
			t.Run(sz.name+"_"+s.name, func(t *testing.T) {
				out := draw(sz.w, sz.h, s.st)
				w, h := lipgloss.Size(out)
				if w > sz.w || h > sz.h || exact && (w != sz.w || h != sz.h) {
					t.Errorf("size %dx%d, want %s %dx%d", w, h, map[bool]string{true: "exactly", false: "at most"}[exact], sz.w, sz.h)
				}
				golden.RequireEqual(t, out)
			})
		}
	}
}

// testMapPoints are n images spread like a real map: most easy (high
// confidence, low variability), some ambiguous, a few hard.
func testMapPoints(n int) []MapPoint {
	r := rand.New(rand.NewPCG(1, 2))
	pts := make([]MapPoint, n)
	for i := range pts {
		var v, c float64
		switch u := r.Float64(); {
		case u < 0.7:
			v, c = 0.08*r.Float64(), 0.85+0.15*r.Float64()
		case u < 0.9:
			v, c = 0.2+0.25*r.Float64(), 0.3+0.5*r.Float64()
		default:
			v, c = 0.15*r.Float64(), 0.45*r.Float64()
		}
		p := MapPoint{Variability: v, Confidence: c, Class: i % 10}
		switch {
		case v >= dynamics.AmbiguousVariability:
			p.Region = dynamics.Ambiguous
		case c >= dynamics.EasyConfidence:
			p.Region = dynamics.Easy
		default:
			p.Region = dynamics.Hard
		}
		pts[i] = p
	}
	pts = append(pts, MapPoint{Variability: math.NaN(), Confidence: math.NaN()}) // never measured
	return pts
}

func TestDataMap(t *testing.T) {
	pts := testMapPoints(3000)
	t.Run("class", func(t *testing.T) {
		eachDyn(t, true, func(w, h int, st Styles) string {
			return DataMap(pts, MapOptions{Colour: ByClass, K: 10, CurX: 3, CurY: 2}, w, h, st)
		})
	})
	t.Run("region", func(t *testing.T) {
		eachDyn(t, true, func(w, h int, st Styles) string {
			return DataMap(pts, MapOptions{Colour: ByRegion, K: 10, CurX: -1, CurY: -1}, w, h, st)
		})
	})
}

// TestDataMapCells: every point is drawn in the cell Cell says, and the
// thresholds fall where the regions change.
func TestDataMapCells(t *testing.T) {
	l := DataMapLayout(45, 23)
	if l.Cols != 40 || l.Rows != 20 {
		t.Fatalf("DataMapLayout(45, 23) = %+v, want 40x20 cells", l)
	}
	for _, c := range []struct {
		v, conf float64
		cx, cy  int
	}{{0, 1, 0, 0}, {0.5, 0, 39, 19}, {0.25, 0.5, 20, 10}, {0.01, 0.99, 0, 0}, {0.7, -1, 39, 19}, {math.NaN(), 0.5, -1, -1}} {
		if cx, cy := l.Cell(c.v, c.conf); cx != c.cx || cy != c.cy {
			t.Errorf("Cell(%g, %g) = (%d, %d), want (%d, %d)", c.v, c.conf, cx, cy, c.cx, c.cy)
		}
	}
	v0, v1, c0, c1 := l.CellRange(20, 10)
	if math.Abs(v0-0.25) > 1e-12 || math.Abs(v1-0.2625) > 1e-12 || math.Abs(c0-0.45) > 1e-12 || math.Abs(c1-0.5) > 1e-12 {
		t.Errorf("CellRange(20, 10) = %g..%g, %g..%g", v0, v1, c0, c1)
	}
	// One point: its cell holds a dot, every other plot cell is blank or a threshold line.
	st := NewStyles(true, colorprofile.NoTTY)
	out := strings.Split(DataMap([]MapPoint{{Variability: 0.26, Confidence: 0.47, Region: dynamics.Ambiguous}}, MapOptions{Colour: ByRegion, CurX: -1, CurY: -1}, 45, 23, st), "\n")
	cx, cy := l.Cell(0.26, 0.47)
	for y := range l.Rows {
		line := []rune(ansi.Strip(out[l.Y+y]))
		for x := range l.Cols {
			r := line[l.X+x]
			dot := r >= 0x2801 && r <= 0x28ff
			if dot != (x == cx && y == cy) {
				t.Errorf("cell (%d, %d) is %q", x, y, r)
			}
		}
	}
}

func TestSparkline(t *testing.T) {
	for _, c := range []struct {
		v    []float64
		per  int
		want string
	}{
		{[]float64{0, 0.5, 1}, 1, "▁▅█"},
		{[]float64{math.NaN(), 1.5, -1}, 2, "··██▁▁"},
		{nil, 1, ""},
	} {
		if got := Sparkline(c.v, 0, 1, c.per); got != c.want {
			t.Errorf("Sparkline(%v, %d) = %q, want %q", c.v, c.per, got, c.want)
		}
	}
	st := NewStyles(true, colorprofile.NoTTY)
	if got := ansi.Strip(PredHistory([]int{1, 0, -1}, 3, true, nil, 1, st)); got != "✓✗·" {
		t.Errorf("PredHistory(train) = %q, want ✓✗·", got)
	}
	if got := ansi.Strip(PredHistory([]int{3, 5, 3}, 3, false, nil, 2, st)); got != "3 5 3 " {
		t.Errorf("PredHistory(test) = %q, want %q", got, "3 5 3 ")
	}
}

func TestCountList(t *testing.T) {
	rows := []CountRow{{Label: "first learned at epoch", Head: true}}
	for e, n := range []int{41200, 9800, 3100, 1200, 640, 310} {
		rows = append(rows, CountRow{Label: "epoch " + string(rune('1'+e)), N: n})
	}
	rows = append(rows, CountRow{Label: "not learned", N: 3750}, CountRow{Label: "never learned", N: 120},
		CountRow{Label: "forgetting events", Head: true},
		CountRow{Label: "0 times", N: 52000}, CountRow{Label: "1 time", N: 6000}, CountRow{Label: "2 times", N: 1500},
		CountRow{Label: "3 times", N: 400}, CountRow{Label: "4 times", N: 80}, CountRow{Label: "5+ times", N: 20},
		CountRow{Label: "suspected label errors", Head: true}, CountRow{Label: "AUM < 0", N: 212, Note: "of 60,000"})
	eachDyn(t, false, func(w, h int, st Styles) string {
		return CountList(rows, 9, w/3, h-2, st)
	})
}

func testExample(px []uint8) ExampleData {
	return ExampleData{
		Pixels: px, Rows: 28, Cols: 28, Set: "train", Index: 1234, Label: 7, Pred: 1, PredWhat: "suggested",
		Region: "ambiguous", Confidence: 0.4213, Variability: 0.3102, Correctness: 0.6, Score: -0.82, ScoreName: "AUM", Suspect: true,
		Measurements: 5, FirstLearned: 0, Forgotten: 2,
		Curve:   []float64{0.1, 0.8, 0.3, 0.9, 0.2},
		History: []int{0, 1, 0, 1, 0}, RightWrong: true,
	}
}

func TestExampleDetail(t *testing.T) {
	eachDyn(t, false, func(w, h int, st Styles) string {
		return ExampleDetail(testExample(testDigit('7')), w/2, h/2, st)
	})
	t.Run("test_set_no_image", func(t *testing.T) {
		d := testExample(nil)
		d.Set, d.Score, d.ScoreName, d.RightWrong, d.History = "test", 0.61, "CL", false, []int{7, 1, 1, 7, 1}
		d.Live, d.FirstLearned, d.NeverLearned = "", 0, false
		out := ExampleDetail(d, 60, 12, NewStyles(true, colorprofile.NoTTY))
		golden.RequireEqual(t, out)
	})
	t.Run("unmeasured", func(t *testing.T) {
		d := ExampleData{Set: "train", Index: 3, Label: 2, Pred: -1, Live: "epoch 1 in progress"}
		if out := ansi.Strip(ExampleDetail(d, 40, 6, NewStyles(true, colorprofile.NoTTY))); !strings.Contains(out, "not measured yet") {
			t.Errorf("an unmeasured image should say so:\n%s", out)
		}
	})
}

// testCalibrations are three epochs growing better calibrated.
func testCalibrations() []dynamics.Calibration {
	out := make([]dynamics.Calibration, 3)
	for e := range out {
		c := dynamics.Calibration{Epoch: e + 1, Bins: make([]dynamics.Bin, dynamics.Bins)}
		for b := range c.Bins {
			bin := &c.Bins[b]
			bin.Lo, bin.Hi = float64(b)/dynamics.Bins, float64(b+1)/dynamics.Bins
			if b < 2 {
				bin.Confidence, bin.Accuracy = math.NaN(), math.NaN()
				continue
			}
			bin.Count = 10 * (b + 1) * (b + 1) * (e + 1)
			bin.Confidence = (bin.Lo + bin.Hi) / 2
			bin.Accuracy = bin.Confidence - 0.15/float64(e+1) + 0.1*float64(b%3-1)
		}
		bin := &c.Bins[dynamics.Bins-1]
		bin.Count, bin.Accuracy = 9400, 0.991
		c.ECE, c.MCE, c.NLL, c.Brier = 0.031/float64(e+1), 0.21/float64(e+1), 0.12/float64(e+1), 0.05/float64(e+1)
		c.Temperature, c.ECEScaled = 1+0.4/float64(e+1), 0.008
		out[e] = c
	}
	return out
}

func TestReliability(t *testing.T) {
	c := testCalibrations()[0]
	eachDyn(t, false, func(w, h int, st Styles) string {
		out := Reliability(c, w*2/3, h-8, st)
		if gw, gh := lipgloss.Size(out); gw != w*2/3 || gh != h-8 {
			t.Errorf("Reliability at %dx%d is %dx%d", w*2/3, h-8, gw, gh)
		}
		return out
	})
	t.Run("tiny", func(t *testing.T) {
		out := Reliability(c, 20, 5, NewStyles(true, colorprofile.NoTTY))
		if w, h := lipgloss.Size(out); w != 20 || h != 5 {
			t.Errorf("Reliability at 20x5 is %dx%d", w, h)
		}
	})
}

func TestCalibrationTable(t *testing.T) {
	cs := testCalibrations()
	eachDyn(t, false, func(w, h int, st Styles) string {
		return CalibrationTable(cs, 1, w/2, h/4, st) + "\n\n" + CalibrationSummary(cs[1], w/2, st)
	})
	if out := ansi.Strip(CalibrationTable(nil, 0, 60, 5, NewStyles(true, colorprofile.NoTTY))); !strings.Contains(out, "no epochs yet") {
		t.Errorf("an empty table should say so:\n%s", out)
	}
}
