package views

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/golden"

	"convscope/nn"
)

// trainRun makes a deterministic run: epochs finished epochs with per
// training points each, loss falling and accuracy rising like MNIST's.
func trainRun(epochs, per int) TrainData {
	d := TrainData{TableTop: -1}
	for e := 0; e < epochs; e++ {
		var loss, acc float64
		for i := 1; i <= per; i++ {
			x := float64(e) + float64(i)/float64(per)
			// The running mean restarts each epoch: noisy at first.
			loss = (2.3*math.Exp(-3*x) + 0.03) * (1 + 0.5*math.Sin(float64(i))/float64(i+1))
			acc = math.Max(0, 1-loss/2.4)
			d.LossTrain = append(d.LossTrain, Point{x, loss})
			d.AccTrain = append(d.AccTrain, Point{x, acc})
		}
		x := float64(e + 1)
		tl := 1.9*math.Exp(-3*x) + 0.035 + 0.002*float64(e)
		ta := 1 - tl/2.6
		d.LossTest = append(d.LossTest, Point{x, tl})
		d.AccTest = append(d.AccTest, Point{x, ta})
		d.Epochs = append(d.Epochs, nn.EpochStats{
			Epoch: e + 1, TrainLoss: loss, TrainAcc: acc, TestLoss: tl, TestAcc: ta,
			Seconds: 28.5 + float64(e), ImagesPerSec: 2100,
		})
	}
	d.XMax = math.Max(1, float64(epochs))
	return d
}

// trainCases are the data the golden tests draw.
func trainCases() []struct {
	name string
	data TrainData
} {
	single := TrainData{TableTop: -1, XMax: 1,
		LossTrain: []Point{{0.1, 2.1}}, AccTrain: []Point{{0.1, 0.31}}}
	nan := trainRun(3, 40)
	nan.LossTrain = append(nan.LossTrain, Point{3.1, math.NaN()}, Point{3.2, math.Inf(1)}, Point{3.3, 0.05})
	nan.AccTrain = append(nan.AccTrain, Point{3.1, math.NaN()}, Point{3.2, math.Inf(-1)}, Point{3.3, 0.98})
	nan.Epochs = append(nan.Epochs, nn.EpochStats{Epoch: 4, TrainLoss: math.NaN(), TestLoss: math.Inf(1)})
	nan.LossTest = append(nan.LossTest, Point{4, math.Inf(1)})
	nan.XMax = 4
	midEpoch := trainRun(2, 60)
	for i := 1; i <= 20; i++ {
		x := 2 + float64(i)/60
		midEpoch.LossTrain = append(midEpoch.LossTrain, Point{x, 0.06 + 0.01*math.Cos(float64(i))})
		midEpoch.AccTrain = append(midEpoch.AccTrain, Point{x, 0.982 + 0.002*math.Sin(float64(i))})
	}
	midEpoch.XMax = 3
	zoom := trainRun(10, 200)
	zoom.Zoom = true
	lrChanged := trainRun(4, 60)
	lrChanged.LRMarks = []float64{1.5, 3}
	return []struct {
		name string
		data TrainData
	}{
		{"empty", TrainData{TableTop: -1}},
		{"single", single},
		{"nan", nan},
		{"mid_epoch", midEpoch},
		{"ten_epochs", trainRun(10, 200)},
		{"zoom", zoom},
		{"lr_changed", lrChanged},
	}
}

var goldenSizes = []struct{ w, h int }{{80, 24}, {120, 40}, {200, 60}}

// TestTrain draws the Train tab's body at the program's usual sizes (less
// the tab bar, header and footer), dark and light.
func TestTrain(t *testing.T) {
	for _, c := range trainCases() {
		for _, sz := range goldenSizes {
			for _, dark := range []bool{true, false} {
				name := fmt.Sprintf("%s_%dx%d_%s", c.name, sz.w, sz.h, theme(dark))
				t.Run(name, func(t *testing.T) {
					st := NewStyles(dark, colorprofile.TrueColor)
					w, h := sz.w, sz.h-5
					out := Train(c.data, w, h, st)
					checkBlock(t, out, w, h)
					golden.RequireEqual(t, out)
				})
			}
		}
	}
}

// TestTrainNoColor checks that without colour the two series still differ
// (thin and heavy lines) and no escape sequence but bold is left.
func TestTrainNoColor(t *testing.T) {
	st := NewStyles(true, colorprofile.Ascii)
	out := Train(trainRun(3, 50), 80, 19, st)
	checkBlock(t, out, 80, 19)
	plain := strings.NewReplacer("\x1b[1m", "", "\x1b[m", "", "\x1b[0m", "", "\x1b[22m", "").Replace(out)
	if strings.Contains(plain, "\x1b[") {
		t.Errorf("Train with the Ascii profile has colour escapes:\n%q", out)
	}
	if !strings.ContainsAny(out, "━┃┏┓┗┛") || !strings.ContainsAny(out, "─│╭╮╰╯") {
		t.Errorf("Train without colour should draw the test series heavy and the training series thin:\n%s", out)
	}
	golden.RequireEqual(t, out)
}

// TestTrainSizes draws every size from tiny to large with awkward data and
// checks the block is exactly w x h and nothing panics.
func TestTrainSizes(t *testing.T) {
	st := NewStyles(true, colorprofile.TrueColor)
	var cases []struct {
		name string
		data TrainData
	}
	for _, c := range trainCases() {
		if c.name == "empty" || c.name == "nan" || c.name == "ten_epochs" {
			cases = append(cases, c)
		}
	}
	for w := 0; w <= 210; w += 11 {
		for h := 0; h <= 62; h += 6 {
			for _, c := range cases {
				out := Train(c.data, w, h, st)
				if w == 0 || h == 0 {
					if out != "" {
						t.Errorf("Train(%s, %d, %d) = %q, want empty", c.name, w, h, out)
					}
					continue
				}
				checkBlockf(t, out, w, h, "Train(%s, %d, %d)", c.name, w, h)
			}
		}
	}
}

// TestTrainTableRows checks the table shows as many rows as TrainTableRows
// says, following the last epoch or from a given row.
func TestTrainTableRows(t *testing.T) {
	st := NewStyles(true, colorprofile.Ascii)
	d := trainRun(30, 3)
	row := regexp.MustCompile(`(\d+) +\d+\.\d{4} +\d+\.\d{2}%`)
	for _, sz := range goldenSizes {
		h := sz.h - 5
		want := TrainTableRows(len(d.Epochs), sz.w, h)
		for _, top := range []int{-1, 0, 3} {
			d.TableTop = top
			out := Train(d, sz.w, h, st)
			rows := row.FindAllStringSubmatch(out, -1)
			if len(rows) != want {
				t.Errorf("Train at %dx%d shows %d table rows, TrainTableRows says %d", sz.w, h, len(rows), want)
				continue
			}
			first := fmt.Sprint(min(top, 30-want) + 1)
			if top < 0 {
				first = fmt.Sprint(30 - want + 1)
			}
			if rows[0][1] != first {
				t.Errorf("Train at %dx%d with TableTop %d starts at epoch %s, want %s", sz.w, h, top, rows[0][1], first)
			}
		}
	}
}

func theme(dark bool) string {
	if dark {
		return "dark"
	}
	return "light"
}

// checkBlock fails unless s is exactly h lines, each exactly w cells wide.
func checkBlock(t *testing.T, s string, w, h int) {
	t.Helper()
	checkBlockf(t, s, w, h, "block")
}

func checkBlockf(t *testing.T, s string, w, h int, format string, args ...any) {
	t.Helper()
	lines := strings.Split(s, "\n")
	if len(lines) != h {
		t.Errorf("%s has %d lines, want %d", fmt.Sprintf(format, args...), len(lines), h)
		return
	}
	for i, l := range lines {
		if lw := lipgloss.Width(l); lw != w {
			t.Errorf("%s line %d is %d wide, want %d: %q", fmt.Sprintf(format, args...), i, lw, w, l)
			return
		}
	}
}

func BenchmarkTrain(b *testing.B) {
	st := NewStyles(true, colorprofile.TrueColor)
	d := trainRun(10, 1000)
	b.ReportAllocs()
	for b.Loop() {
		Train(d, 200, 55, st)
	}
}
