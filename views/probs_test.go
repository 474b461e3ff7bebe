package views

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
)

// testProbs are softmax-like outputs: mostly on class 2, some on 7 and 3.
func testProbs() []float32 {
	return []float32{0.001, 0.002, 0.851, 0.012, 0.0005, 0.0005, 0.001, 0.123, 0.006, 0.003}
}

func TestProbs(t *testing.T) {
	nan := float32(math.NaN())
	cases := []struct {
		name        string
		probs       []float32
		classes     []string
		label, pred int
		w           int
		p           colorprofile.Profile
		dark        bool
	}{
		{"right_TrueColor", testProbs(), nil, 2, 2, 40, colorprofile.TrueColor, true},
		{"wrong_TrueColor_light", testProbs(), nil, 7, 2, 40, colorprofile.TrueColor, false},
		{"wrong_ANSI", testProbs(), nil, 7, 2, 40, colorprofile.ANSI, true},
		{"wrong_Ascii", testProbs(), nil, 7, 2, 40, colorprofile.Ascii, true},
		{"fashion_wide_NoTTY", testProbs(), fashionNames, 7, 2, 60, colorprofile.NoTTY, true},
		{"fashion_narrow_NoTTY", testProbs(), fashionNames, 7, 2, 24, colorprofile.NoTTY, true},
		{"nan_and_unknown_NoTTY", []float32{0.5, nan, 0.5}, nil, -1, 0, 30, colorprofile.NoTTY, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := Probs(c.probs, c.classes, c.label, c.pred, c.w, NewStyles(c.dark, c.p))
			if w, h := lipgloss.Size(out); w > c.w || h != len(c.probs) {
				t.Errorf("Probs size = %dx%d, want width <= %d and %d lines", w, h, c.w, len(c.probs))
			}
			golden.RequireEqual(t, out)
		})
	}
}

func TestProbsBars(t *testing.T) {
	st := NewStyles(true, colorprofile.NoTTY)
	for w := 1; w <= 80; w++ {
		out := Probs(testProbs(), fashionNames, 7, 2, w, st)
		if got := lipgloss.Width(out); got > w {
			t.Errorf("Probs(w=%d) is %d wide", w, got)
		}
	}
	// Full-width bars: 100% fills the bar, 50% half of it.
	out := Probs([]float32{1, 0.5, 0}, nil, 0, 0, 32, st)
	lines := strings.Split(out, "\n")
	barW := 32 - probsFixed - 1
	for i, want := range []int{barW, barW / 2, 0} {
		if got := strings.Count(lines[i], "#"); got != want {
			t.Errorf("bar %d has %d '#', want %d: %q", i, got, want, lines[i])
		}
	}
	if !strings.HasPrefix(lines[0], "TP 0 ") || !strings.HasSuffix(lines[0], "100.0%") {
		t.Errorf("first line = %q, want markers, name, bar and 100.0%%", lines[0])
	}
	for _, c := range []struct {
		p    float64
		w    int
		want string
	}{
		{0, 4, "    "}, {1, 4, "████"}, {0.5, 4, "██  "}, {1.0 / 16, 2, "▏ "}, {0.3, 3, "▉  "}, {2, 2, "██"}, {-1, 2, "  "},
	} {
		if got := probBar(c.p, c.w, colorprofile.TrueColor); got != c.want || ansi.StringWidth(got) != c.w {
			t.Errorf("probBar(%v, %d) = %q, want %q", c.p, c.w, got, c.want)
		}
	}
}

func TestTopK(t *testing.T) {
	p := testProbs()
	if got := fmt.Sprint(topClasses(p, 3)); got != "[2 7 3]" {
		t.Errorf("topClasses = %v, want [2 7 3]", got)
	}
	if got := fmt.Sprint(topClasses([]float32{0.2, float32(math.NaN()), 0.2, 0.6}, 4)); got != "[3 0 2 1]" {
		t.Errorf("topClasses with a tie and NaN = %v, want [3 0 2 1]", got)
	}
	cases := []struct {
		name    string
		classes []string
		w       int
		p       colorprofile.Profile
	}{
		{"line_TrueColor", nil, 60, colorprofile.TrueColor},
		{"line_NoTTY", nil, 60, colorprofile.NoTTY},
		{"lines_fashion_NoTTY", fashionNames, 30, colorprofile.NoTTY},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := TopK(p, c.classes, 7, 3, c.w, NewStyles(true, c.p))
			if w := lipgloss.Width(out); w > c.w {
				t.Errorf("TopK is %d wide, want <= %d", w, c.w)
			}
			golden.RequireEqual(t, out)
		})
	}
}

// testDetail is the detail of a wrong answer: a 7 taken for a 2.
func testDetail() DetailData {
	return DetailData{Pixels: testDigit('7'), Index: 1234, Label: 7, Pred: 2, Probs: testProbs(), Loss: 2.0956}
}

func TestDetail(t *testing.T) {
	withTop := testDetail()
	withTop.TopK = 3
	fashion := testDetail()
	fashion.Classes, fashion.TopK = fashionNames, 3
	salient := testDetail()
	salient.Saliency = testSaliency()
	right := testDetail()
	right.Pred, right.Probs, right.Loss = 7, []float32{0, 0, 0.01, 0, 0, 0, 0, 0.99, 0, 0}, 0.01005
	cases := []struct {
		name string
		d    DetailData
		w, h int
		p    colorprofile.Profile
	}{
		{"beside_x2_TrueColor", withTop, 100, 40, colorprofile.TrueColor},
		{"above_x2_Ascii", fashion, 60, 50, colorprofile.Ascii},
		{"beside_x1_NoTTY", withTop, 70, 20, colorprofile.NoTTY},
		{"above_x1_NoTTY", right, 40, 30, colorprofile.NoTTY},
		{"clipped_NoTTY", withTop, 30, 12, colorprofile.NoTTY},
		{"saliency_TrueColor", salient, 100, 30, colorprofile.TrueColor},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := Detail(c.d, c.w, c.h, NewStyles(true, c.p))
			if w, h := lipgloss.Size(out); w > c.w || h > c.h {
				t.Errorf("Detail size = %dx%d, want at most %dx%d", w, h, c.w, c.h)
			}
			golden.RequireEqual(t, out)
		})
	}
}

func TestDetailFits(t *testing.T) {
	d := testDetail()
	d.TopK, d.Classes = 3, fashionNames
	st := NewStyles(true, colorprofile.TrueColor)
	for w := 0; w <= 130; w += 7 {
		for h := 0; h <= 50; h += 5 {
			out := Detail(d, w, h, st)
			if gw, gh := lipgloss.Size(out); gw > w || gh > h && out != "" {
				t.Errorf("Detail(%dx%d) is %dx%d", w, h, gw, gh)
			}
			if w > 0 && h > 0 && !strings.Contains(ansi.Strip(out), "#1234") && w >= 20 {
				t.Errorf("Detail(%dx%d) lost its header:\n%s", w, h, out)
			}
		}
	}
}
