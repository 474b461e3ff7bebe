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

// fmMaps is a made-up layer output: c maps of h×w (NHWC) with a
// different pattern per channel, negative values included when signed.
func fmMaps(h, w, c int, signed bool) FeatureMaps {
	v := make([]float32, h*w*c)
	for y := range h {
		for x := range w {
			for ch := range c {
				a := math.Sin(float64(x*(ch%3+1))/float64(w)*3+float64(ch)) * math.Cos(float64(y*(ch%2+1))/float64(h)*3)
				if !signed {
					a = math.Max(0, a)
				}
				v[(y*w+x)*c+ch] = float32(a * float64(1+ch%4))
			}
		}
	}
	return FeatureMaps{Values: v, H: h, W: w, C: c}
}

// fmFits fails unless every line of s is at most w cells and there are
// at most h lines.
func fmFits(t *testing.T, what, s string, w, h int) {
	t.Helper()
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		t.Errorf("%s has %d lines, want at most %d", what, len(lines), h)
	}
	for i, l := range lines {
		if lw := lipgloss.Width(l); lw > w {
			t.Errorf("%s line %d is %d cells wide, want at most %d", what, i, lw, w)
		}
	}
}

func TestFeatureChannelAndStats(t *testing.T) {
	f := FeatureMaps{Values: []float32{1, -2, 3, 0, 5, 0, 7, -8}, H: 2, W: 2, C: 2}
	if got := fmt.Sprint(f.Channel(1)); got != "[-2 0 0 -8]" {
		t.Errorf("Channel(1) = %s, want [-2 0 0 -8]", got)
	}
	s := FeatureStats(f.Channel(1))
	if s.Min != -8 || s.Max != 0 || s.Mean != -2.5 || s.Zeros != 1 {
		t.Errorf("FeatureStats(channel 1) = %+v, want min -8, max 0, mean -2.5, zeros 1", s)
	}
	s = FeatureStats([]float32{float32(math.NaN()), 2, 0, 4})
	if s.Min != 0 || s.Max != 4 || s.Mean != 2 || math.Abs(s.Zeros-1.0/3) > 1e-12 {
		t.Errorf("FeatureStats with NaN = %+v, want min 0, max 4, mean 2, zeros 1/3", s)
	}
	if HeatModeFor(FeatureStats(f.Channel(0))) != HeatGray || HeatModeFor(FeatureStats(f.Channel(1))) != HeatDiverging {
		t.Error("HeatModeFor: non-negative maps are gray, signed ones diverging")
	}
}

func TestFeatureGridSize(t *testing.T) {
	cases := []struct {
		mh, mw, c, w, h int
		want            FeatureLayout
	}{
		// conv2d_1 at 80x24: halved maps, 3 across and 2 down.
		{26, 26, 32, 51, 18, FeatureLayout{Cols: 3, Rows: 2, Scale: -2, TileW: 13, TileH: 8}},
		// conv2d_1 on a big screen: all 32 fit when halved.
		{26, 26, 32, 170, 45, FeatureLayout{Cols: 12, Rows: 5, Scale: -2, TileW: 13, TileH: 8}},
		// Four 26x26 maps at 120x30: full size.
		{26, 26, 4, 120, 30, FeatureLayout{Cols: 4, Rows: 2, Scale: 1, TileW: 26, TileH: 14}},
		// 2x2x128 maps grow until all fit.
		{2, 2, 128, 170, 45, FeatureLayout{Cols: 19, Rows: 9, Scale: 4, TileW: 8, TileH: 5}},
		// 4x4x64: scale 3 fits all 64.
		{4, 4, 64, 170, 45, FeatureLayout{Cols: 13, Rows: 6, Scale: 3, TileW: 12, TileH: 7}},
		// Nothing fits.
		{26, 26, 32, 10, 3, FeatureLayout{Scale: 8, TileW: 208, TileH: 105}},
	}
	for _, c := range cases {
		got := FeatureGridSize(c.mh, c.mw, c.c, c.w, c.h)
		if got != c.want {
			t.Errorf("FeatureGridSize(%dx%dx%d in %dx%d) = %+v, want %+v", c.mh, c.mw, c.c, c.w, c.h, got, c.want)
		}
	}
}

func TestFeatureGrid(t *testing.T) {
	signed, relu := fmMaps(12, 12, 10, true), fmMaps(12, 12, 10, false)
	cases := []struct {
		name       string
		f          FeatureMaps
		first, cur int
		perChannel bool
		w, h       int
		p          colorprofile.Profile
		dark       bool
	}{
		{"signed_layer_TrueColor_dark", signed, 0, 2, false, 60, 16, colorprofile.TrueColor, true},
		{"signed_channel_TrueColor_dark", signed, 0, 2, true, 60, 16, colorprofile.TrueColor, true},
		{"relu_layer_TrueColor_light", relu, 4, 5, false, 60, 16, colorprofile.TrueColor, false},
		{"relu_ANSI256", relu, 0, 0, false, 40, 16, colorprofile.ANSI256, true},
		{"signed_Ascii", signed, 3, 4, false, 60, 16, colorprofile.Ascii, true},
		{"small_maps_grow", fmMaps(2, 2, 12, false), 0, 11, false, 60, 16, colorprofile.TrueColor, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, l := FeatureGrid(c.f, c.first, c.cur, c.perChannel, c.w, c.h, NewStyles(c.dark, c.p))
			fmFits(t, "FeatureGrid", out, c.w, c.h)
			if l.PerPage() == 0 {
				t.Fatal("no tile fits")
			}
			golden.RequireEqual(t, out)
		})
	}
	if out, _ := FeatureGrid(signed, 10, 0, false, 60, 16, NewStyles(true, colorprofile.TrueColor)); out != "" {
		t.Errorf("a page past the last channel should be empty, got %q", out)
	}
}

// TestFeatureGridValues decodes the tiles of a per-layer grid and checks
// each pixel's colour is its value's: the grid shows the data it is given.
func TestFeatureGridValues(t *testing.T) {
	f := fmMaps(6, 6, 3, true)
	st := NewStyles(true, colorprofile.TrueColor)
	out, l := FeatureGrid(f, 0, -1, false, 40, 8, st)
	if l.Scale != 2 || l.Cols != 3 || l.Rows != 1 {
		t.Fatalf("layout %+v, want three 12-wide tiles at scale 2", l)
	}
	layer := FeatureStats(f.Values)
	lines := strings.Split(out, "\n")
	for c := range 3 {
		var tile []string
		for _, line := range lines[:l.TileH-1] {
			tile = append(tile, fmCut(line, c*(l.TileW+featureGap), l.TileW))
		}
		got := decodeHalfBlocks(t, strings.Join(tile, "\n"), 12, 12)
		want := decodeHalfBlocks(t, Heat(Upscale(f.Channel(c), 6, 6, 2), 12, 12, float32(layer.Min), float32(layer.Max), HeatDiverging, st), 12, 12)
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("tile %d differs from the heat map of channel %d", c, c)
		}
	}
}

// fmCut returns cells [from, from+n) of an ANSI line, with the colours
// in force at from.
func fmCut(line string, from, n int) string {
	return ansi.Cut(line, from, from+n)
}

func TestFeatureZoom(t *testing.T) {
	f := fmMaps(8, 8, 4, true)
	for _, p := range []colorprofile.Profile{colorprofile.TrueColor, colorprofile.Ascii} {
		t.Run(p.String(), func(t *testing.T) {
			out, s := FeatureZoom(f, 1, 2, 5, false, 40, 12, NewStyles(true, p))
			if s != 3 {
				t.Errorf("scale %d, want 3 (8 rows in 12 lines)", s)
			}
			if w, h := lipgloss.Size(out); w != 24 || h != 12 {
				t.Errorf("FeatureZoom size %dx%d, want 24x12", w, h)
			}
			golden.RequireEqual(t, out)
		})
	}
	if s := FeatureZoomScale(26, 26, 30, 10); s != 1 {
		t.Errorf("FeatureZoomScale(26x26 in 30x10) = %d, want 1", s)
	}
}

func TestDigitField(t *testing.T) {
	px := testDigit('7')
	for _, p := range []colorprofile.Profile{colorprofile.TrueColor, colorprofile.ANSI, colorprofile.Ascii} {
		t.Run(p.String(), func(t *testing.T) {
			out := DigitField(px, 28, 28, 4, 10, 13, 19, NewStyles(true, p))
			if w, h := lipgloss.Size(out); w != 28 || h != 14 {
				t.Errorf("DigitField size %dx%d, want 28x14", w, h)
			}
			golden.RequireEqual(t, out)
		})
	}
	st := NewStyles(true, colorprofile.TrueColor)
	if DigitField(px, 28, 28, 5, 5, 4, 4, st) != Digit(px, 28, 28, st) {
		t.Error("DigitField with an empty rectangle should be Digit")
	}
}

func TestFeatureStrip(t *testing.T) {
	v := make([]float32, 64)
	for i := range v {
		v[i] = float32(math.Sin(float64(i)/5)) * float32(i%7) / 6
	}
	v[10] = float32(math.NaN())
	for _, p := range []colorprofile.Profile{colorprofile.TrueColor, colorprofile.Ascii} {
		t.Run(p.String(), func(t *testing.T) {
			out, l := FeatureStrip(v, 0, 37, 30, 10, NewStyles(true, p))
			if l.PerBand != 30 || l.Bands != 3 {
				t.Errorf("layout %+v, want 3 bands of 30", l)
			}
			fmFits(t, "FeatureStrip", out, 30, 10)
			golden.RequireEqual(t, out)
		})
	}
	if l := FeatureStripSize(10, 30, 10); l.Bands != 1 {
		t.Errorf("10 units in bands of 30 need 1 band, got %d", l.Bands)
	}
}

func TestCellMath(t *testing.T) {
	st := NewStyles(true, colorprofile.TrueColor)
	bn := BatchNormMath("conv2d_1", 0.5, 0.1, 0.25, 1e-3, 2, -0.5, float32((0.5-0.1)/math.Sqrt(0.251)*2-0.5), 50, 10, st)
	relu := ReLUMath("batch_norm_1", -0.25, 0, 50, 10, st)
	pool := PoolMath("relu_2", []float32{0.1, 0.7, 0, 0.3}, 2, 8, 4, 0.7, 50, 10, st)
	wrong := ReLUMath("batch_norm_1", 0.5, 0.25, 30, 10, NewStyles(true, colorprofile.Ascii))
	for name, out := range map[string]string{"bn": bn, "relu": relu, "pool": pool, "wrong": wrong} {
		t.Run(name, func(t *testing.T) {
			fmFits(t, name, out, 50, 10)
			text := ansi.Strip(out)
			if ok := name != "wrong"; strings.Contains(text, "✓") != ok {
				t.Errorf("the check mark should be %v:\n%s", ok, text)
			}
			golden.RequireEqual(t, out)
		})
	}
}
