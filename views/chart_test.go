package views

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/golden"
)

// TestChart draws edge cases of one chart, dark and light.
func TestChart(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	run := trainRun(3, 30)
	cases := []struct {
		name string
		spec ChartSpec
	}{
		{"empty", ChartSpec{Title: "loss"}},
		{"single_train", ChartSpec{Title: "loss", Train: []Point{{0.5, 1.7}}, XMax: 1}},
		{"single_test", ChartSpec{Title: "accuracy", Test: []Point{{1, 0.97}}, XMax: 1, Percent: true}},
		{"all_nan", ChartSpec{Title: "loss", Train: []Point{{0.2, nan}, {0.4, nan}}, Test: []Point{{1, inf}}, XMax: 1}},
		{"nan_inside", ChartSpec{Title: "loss", Train: []Point{{0.1, 2}, {0.2, nan}, {0.3, 1.5}, {0.4, inf}, {0.5, 1.2}, {0.6, math.Inf(-1)}, {0.7, 1}}, XMax: 1}},
		{"nan_x", ChartSpec{Title: "loss", Train: []Point{{nan, 2}, {inf, 1}, {0.5, 1.5}}, XMax: 1}},
		{"diverged", ChartSpec{Title: "loss", Train: []Point{{0.1, 2.3}, {0.5, 40}, {0.9, 3e7}}, XMax: 1}},
		{"constant", ChartSpec{Title: "accuracy", Train: []Point{{0.1, 1}, {0.5, 1}, {1, 1}}, Test: []Point{{1, 1}}, XMax: 1, Percent: true}},
		{"zero", ChartSpec{Title: "loss", Train: []Point{{0.1, 0}, {0.9, 0}}, XMax: 1}},
		{"negative", ChartSpec{Title: "loss", Train: []Point{{0.1, -0.5}, {0.9, 0.5}}, XMax: 2}},
		{"three_epochs", ChartSpec{Title: "loss", Train: run.LossTrain, Test: run.LossTest, XMax: 3}},
		{"three_epochs_acc", ChartSpec{Title: "accuracy", Train: run.AccTrain, Test: run.AccTest, XMax: 3, Percent: true}},
		{"zoom", ChartSpec{Title: "accuracy", Train: run.AccTrain, Test: run.AccTest, XMax: 3, Percent: true, YFrom: 1}},
		{"xmax_fits_data", ChartSpec{Title: "loss", Train: run.LossTrain, Test: run.LossTest}},
		{"many_epochs", ChartSpec{Title: "loss", Train: trainRun(47, 5).LossTrain, XMax: 47}},
		{"lr_marks", ChartSpec{Title: "loss", Train: run.LossTrain, Test: run.LossTest, XMax: 3, Marks: []float64{1.5, 2, math.NaN(), 9}}},
	}
	for _, c := range cases {
		for _, dark := range []bool{true, false} {
			t.Run(c.name+"_"+theme(dark), func(t *testing.T) {
				out := Chart(c.spec, 60, 14, NewStyles(dark, colorprofile.TrueColor))
				checkBlock(t, out, 60, 14)
				golden.RequireEqual(t, out)
			})
		}
	}
}

// TestChartNeverPanics draws random series, with NaN, ±Inf, huge and tiny
// values, at many sizes, and checks each block is exactly w x h.
func TestChartNeverPanics(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	st := NewStyles(true, colorprofile.TrueColor)
	specials := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1), 1e300, -1e300, 1e-300, math.MaxFloat64, math.SmallestNonzeroFloat64}
	series := func() []Point {
		n := rng.IntN(6)
		if rng.IntN(3) == 0 {
			n = rng.IntN(500)
		}
		pts := make([]Point, n)
		for i := range pts {
			pts[i] = Point{X: rng.Float64() * 5, Y: rng.NormFloat64()}
			if rng.IntN(8) == 0 {
				pts[i].Y = specials[rng.IntN(len(specials))]
			}
			if rng.IntN(40) == 0 {
				pts[i].X = specials[rng.IntN(len(specials))]
			}
		}
		return pts
	}
	for i := range 400 {
		spec := ChartSpec{Title: "loss", Train: series(), Test: series(), XMax: float64(rng.IntN(12)) - 1, Percent: rng.IntN(2) == 0}
		if rng.IntN(4) == 0 {
			spec.YFrom = rng.Float64() * 3
		}
		w, h := rng.IntN(120), rng.IntN(50)
		out := func() (out string) {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("case %d: Chart(%+v, %d, %d) panicked: %v", i, spec, w, h, r)
				}
			}()
			return Chart(spec, w, h, st)
		}()
		if w == 0 || h == 0 {
			continue
		}
		checkBlockf(t, out, w, h, "case %d: Chart(%d x %d)", i, w, h)
	}
}

// TestYRange checks the y axis holds the data in rows round steps without
// wasting most of the height, and keeps percentages under 100% when it can.
func TestYRange(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 2000 {
		rows := 2 + rng.IntN(50)
		percent := rng.IntN(2) == 0
		scale := math.Pow(10, float64(rng.IntN(12)-6))
		a, b := rng.Float64()*scale, rng.Float64()*scale
		if percent {
			a, b = rng.Float64()*100, rng.Float64()*100
		}
		if rng.IntN(10) == 0 {
			a = -a
		}
		if rng.IntN(10) == 0 {
			b = a
		}
		pts := []Point{{0, a}, {1, b}}
		lo, hi, step := yRange(pts, nil, rows, percent)
		dlo, dhi := math.Min(a, b), math.Max(a, b)
		if lo > dlo || hi < dhi {
			t.Fatalf("case %d: yRange(%v, %v, rows %d, percent %v) = [%v, %v], does not hold the data", i, a, b, rows, percent, lo, hi)
		}
		if d := math.Abs(hi - lo - float64(rows)*step); d > 1e-6*math.Abs(hi-lo) {
			t.Fatalf("case %d: yRange = [%v, %v] step %v, not %d steps", i, lo, hi, step, rows)
		}
		if dhi-dlo > 0 && (hi-lo) > 4*(dhi-dlo)+4*step {
			t.Errorf("case %d: yRange(%v, %v, rows %d, percent %v) = [%v, %v] step %v wastes most of the height", i, a, b, rows, percent, lo, hi, step)
		}
		if percent && dlo >= 0 && dhi <= 100 && hi > 100+1e-9 {
			t.Errorf("case %d: yRange(%v, %v, rows %d) = [%v, %v] goes above 100%%", i, a, b, rows, lo, hi)
		}
	}
}

// TestChartResample checks the resampling onto columns: means in a column,
// lines between columns, steps carried on, and nothing past the data.
func TestChartResample(t *testing.T) {
	nan := math.NaN()
	cases := []struct {
		name string
		pts  []Point
		xmax float64
		cols int
		hold int
		want []float64
	}{
		{"empty", nil, 1, 4, -1, []float64{nan, nan, nan, nan}},
		{"one", []Point{{0.5, 2}}, 1, 3, -1, []float64{nan, 2, nan}},
		{"mean", []Point{{0, 1}, {0.1, 3}, {1, 5}}, 1, 3, -1, []float64{2, 3.5, 5}},
		{"between", []Point{{0, 0}, {1, 4}}, 1, 5, -1, []float64{0, 1, 2, 3, 4}},
		{"hold", []Point{{1, 0.9}, {2, 0.95}}, 4, 5, 4, []float64{nan, 0.9, 0.95, 0.95, 0.95}},
		{"hold_short", []Point{{1, 0.9}}, 4, 5, 2, []float64{nan, 0.9, 0.9, nan, nan}},
		{"beyond", []Point{{9, 1}}, 4, 3, -1, []float64{nan, nan, 1}},
	}
	for _, c := range cases {
		got := chartResample(c.pts, c.xmax, c.cols, c.hold)
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: chartResample(%v, %v, %d, %d) = %v, want %v", c.name, c.pts, c.xmax, c.cols, c.hold, got, c.want)
		}
	}
}

// TestChartLegend checks the title carries the latest values when there is room.
func TestChartLegend(t *testing.T) {
	st := NewStyles(true, colorprofile.Ascii)
	spec := ChartSpec{Title: "accuracy", Train: []Point{{0.5, 0.9}, {1, 0.9712}}, Test: []Point{{1, 0.9801}}, XMax: 1, Percent: true}
	wide := strings.Split(Chart(spec, 70, 10, st), "\n")[0]
	for _, want := range []string{"accuracy", "── train 97.12%", "━━ test 98.01%"} {
		if !strings.Contains(wide, want) {
			t.Errorf("Chart title %q lacks %q", wide, want)
		}
	}
	narrow := strings.Split(Chart(spec, 32, 10, st), "\n")[0]
	if strings.Contains(narrow, "%") || !strings.Contains(narrow, "train") {
		t.Errorf("narrow Chart title %q should keep the legend and drop the values", narrow)
	}
}
