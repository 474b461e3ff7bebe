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

	"convscope/nn"
)

// kernelSet is n made-up 3×3 kernels: edge detectors of both signs and
// smaller ones.
func kernelSet(n int) [][]float32 {
	ks := make([][]float32, n)
	for i := range ks {
		k := make([]float32, 9)
		for j := range k {
			k[j] = float32(math.Cos(float64(j*(i+1))/3)) * float32(1+i%3) / 3
		}
		ks[i] = k
	}
	return ks
}

func TestKernels(t *testing.T) {
	cases := []struct {
		name string
		n    int
		w, h int
		p    colorprofile.Profile
		dark bool
	}{
		{"TrueColor_dark", 10, 40, 8, colorprofile.TrueColor, true},
		{"TrueColor_light", 10, 40, 8, colorprofile.TrueColor, false},
		{"ANSI256", 4, 40, 8, colorprofile.ANSI256, true},
		{"ANSI", 4, 40, 8, colorprofile.ANSI, true},
		{"Ascii", 10, 40, 8, colorprofile.Ascii, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, l := Kernels(kernelSet(c.n), 3, nil, 0, c.w, c.h, NewStyles(c.dark, c.p))
			if l.TileW != 6 || l.TileH != 4 || l.Cols != 5 || l.Rows != 2 {
				t.Errorf("layout %+v, want 5x2 tiles of 6x4", l)
			}
			fmFits(t, "Kernels", out, c.w, c.h)
			golden.RequireEqual(t, out)
		})
	}
	t.Run("captions_and_fixed_scale", func(t *testing.T) {
		out, _ := Kernels(kernelSet(3), 3, []string{"c12", "c3", "c30"}, 4, 30, 4, NewStyles(true, colorprofile.TrueColor))
		golden.RequireEqual(t, out)
	})
	if out, l := Kernels(kernelSet(3), 3, nil, 0, 5, 10, NewStyles(true, colorprofile.TrueColor)); out != "" || l.PerPage() != 0 {
		t.Errorf("no kernel fits in 5 cells: got %q, %+v", out, l)
	}
}

// TestKernelsColours decodes a kernel's cells: the sign and size of each
// weight decide its colour on the diverging scale.
func TestKernelsColours(t *testing.T) {
	k := []float32{-1, -0.5, 0, 0.5, 1, 0.25, -0.25, 0, 0}
	st := NewStyles(true, colorprofile.TrueColor)
	out, _ := Kernels([][]float32{k}, 3, nil, 0, 6, 4, st)
	lines := strings.Split(out, "\n")
	lv := make([]uint8, 9)
	quantize(lv, k, -1, 1, HeatDiverging)
	r := rampFor(HeatDiverging, true, colorprofile.TrueColor)
	for y := range 3 {
		var want strings.Builder
		for x := range 3 {
			want.WriteString(r.bg[lv[y*3+x]] + "  ")
		}
		want.WriteString(sgrReset)
		if lines[y] != want.String() {
			t.Errorf("kernel row %d = %q, want %q", y, lines[y], want.String())
		}
	}
	if lv[0] != 1 || lv[4] != 255 || lv[2] != 128 {
		t.Errorf("levels %v: -1 should be full blue (1), +1 full red (255), 0 the paper (128)", lv)
	}
}

// testCell is a made-up 3×3 convolution cell over c input channels.
func testCell(c int) nn.ConvCell {
	cell := nn.ConvCell{Row: 4, Col: 7, Out: 2, K: 3, InC: c, Field: make([]float32, 9*c), Kernel: make([]float32, 9*c),
		Partial: make([]float64, c), Bias: 0.125}
	for i := range cell.Field {
		cell.Field[i] = float32(i%5) / 4
		cell.Kernel[i] = float32(math.Sin(float64(i))) / 2
		cell.Partial[i%c] += float64(cell.Field[i]) * float64(cell.Kernel[i])
	}
	cell.Sum = float64(cell.Bias)
	for _, p := range cell.Partial {
		cell.Sum += p
	}
	return cell
}

func TestConvMath(t *testing.T) {
	cases := []struct {
		name   string
		cell   nn.ConvCell
		actual float32
		w, h   int
		p      colorprofile.Profile
	}{
		{"one_channel", testCell(1), float32(testCell(1).Sum), 50, 12, colorprofile.TrueColor},
		{"32_channels", testCell(32), float32(testCell(32).Sum), 50, 16, colorprofile.TrueColor},
		{"32_channels_short", testCell(32), float32(testCell(32).Sum), 50, 8, colorprofile.TrueColor},
		{"32_channels_narrow_Ascii", testCell(32), float32(testCell(32).Sum), 36, 12, colorprofile.Ascii},
		{"mismatch", testCell(2), 99, 50, 12, colorprofile.TrueColor},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := ConvMath(c.cell, c.actual, c.w, c.h, NewStyles(true, c.p))
			fmFits(t, "ConvMath", out, c.w, c.h)
			text := ansi.Strip(out)
			if ok := !strings.Contains(c.name, "mismatch"); strings.Contains(text, "✓") != ok {
				t.Errorf("the check mark should be %v:\n%s", ok, text)
			}
			golden.RequireEqual(t, out)
		})
	}
}

// TestConvMathListsAllOrSums checks every input channel is either listed or
// counted in the "others" line.
func TestConvMathListsAllOrSums(t *testing.T) {
	for h := 5; h <= 40; h++ {
		text := ansi.Strip(ConvMath(testCell(8), 0, 40, h, NewStyles(true, colorprofile.Ascii)))
		listed := strings.Count(text, "  ch ")
		others := 0
		for _, l := range strings.Split(text, "\n") {
			var n int
			if _, err := fmt.Sscanf(strings.TrimSpace(l), "%d others", &n); err == nil {
				others = n
			}
		}
		if listed+others != 8 {
			t.Errorf("h=%d: %d channels listed and %d in others, want 8 in all:\n%s", h, listed, others, text)
		}
	}
}

func TestConvMathMatch(t *testing.T) {
	if !ConvMathMatch(1.00001, 1) || ConvMathMatch(1.01, 1) || !ConvMathMatch(1000.01, 1000) {
		t.Error("ConvMathMatch allows 1e-4 relative (absolute below 1)")
	}
	if w, _ := lipgloss.Size(ConvMath(testCell(1), 0, 0, 10, NewStyles(true, colorprofile.TrueColor))); w != 0 {
		t.Error("ConvMath in no room should be empty")
	}
}
