package views

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/golden"
)

// seg is a stroke from (x0, y0) to (x1, y1), in pixel coordinates.
type seg struct{ x0, y0, x1, y1 int }

// Test digits, drawn as strokes on a 28x28 canvas.
var testStrokes = map[rune][]seg{
	'0': {{11, 6, 17, 6}, {17, 6, 20, 10}, {20, 10, 20, 18}, {20, 18, 17, 22}, {17, 22, 11, 22}, {11, 22, 8, 18}, {8, 18, 8, 10}, {8, 10, 11, 6}},
	'1': {{14, 5, 14, 22}, {14, 5, 11, 8}},
	'4': {{16, 5, 8, 16}, {8, 16, 20, 16}, {16, 5, 16, 22}},
	'7': {{7, 6, 20, 6}, {20, 6, 12, 22}},
}

// testDigit draws digit d on a 28x28 canvas with anti-aliased strokes
// 2.5 pixels wide. It uses integer arithmetic only, so the pixels are the same
// on every machine.
func testDigit(d rune) []uint8 {
	return drawStrokes(testStrokes[d], 28, 28, 10)
}

// drawStrokes draws strokes of radius r (in eighths of a pixel) on a rows×cols
// canvas, each pixel sampled 4x4 times.
func drawStrokes(strokes []seg, rows, cols int, r int64) []uint8 {
	px := make([]uint8, rows*cols)
	inside := func(p [2]int64, s seg) bool {
		ax, ay := int64(8*s.x0+4), int64(8*s.y0+4)
		bx, by := int64(8*s.x1+4), int64(8*s.y1+4)
		dx, dy := bx-ax, by-ay
		vx, vy := p[0]-ax, p[1]-ay
		l := dx*dx + dy*dy
		dot := vx*dx + vy*dy
		switch {
		case l == 0 || dot <= 0:
			return vx*vx+vy*vy <= r*r
		case dot >= l:
			wx, wy := p[0]-bx, p[1]-by
			return wx*wx+wy*wy <= r*r
		}
		cross := vx*dy - vy*dx
		return cross*cross <= r*r*l
	}
	for y := range rows {
		for x := range cols {
			n := 0
			for sy := range 4 {
				for sx := range 4 {
					p := [2]int64{int64(8*x + 2*sx + 1), int64(8*y + 2*sy + 1)}
					for _, s := range strokes {
						if inside(p, s) {
							n++
							break
						}
					}
				}
			}
			px[y*cols+x] = uint8(n * 255 / 16)
		}
	}
	return px
}

// testProfiles are the colour profiles goldens cover.
var testProfiles = []colorprofile.Profile{
	colorprofile.TrueColor, colorprofile.ANSI256, colorprofile.ANSI, colorprofile.Ascii, colorprofile.NoTTY,
}

func TestDigit(t *testing.T) {
	seven := testDigit('7')
	for _, p := range testProfiles {
		for _, dark := range []bool{true, false} {
			if p < colorprofile.ANSI && !dark {
				continue // no colour, no theme
			}
			name := p.String()
			if p >= colorprofile.ANSI {
				name += map[bool]string{true: "_dark", false: "_light"}[dark]
			}
			t.Run(name, func(t *testing.T) {
				out := Digit(seven, 28, 28, NewStyles(dark, p))
				if w, h := lipgloss.Size(out); w != 28 || h != 14 {
					t.Errorf("Digit size = %dx%d, want 28x14", w, h)
				}
				golden.RequireEqual(t, out)
			})
		}
	}
	t.Run("x2_TrueColor", func(t *testing.T) {
		out := Digit(Upscale(testDigit('1'), 28, 28, 2), 56, 56, NewStyles(true, colorprofile.TrueColor))
		if w, h := lipgloss.Size(out); w != 56 || h != 28 {
			t.Errorf("Digit size = %dx%d, want 56x28", w, h)
		}
		golden.RequireEqual(t, out)
	})
	t.Run("x2_Ascii", func(t *testing.T) {
		golden.RequireEqual(t, Digit(Upscale(testDigit('4'), 28, 28, 2), 56, 56, NewStyles(true, colorprofile.Ascii)))
	})
	t.Run("odd_rows", func(t *testing.T) {
		px := []uint8{0, 255, 0, 128, 255, 128, 255, 0, 255}
		for _, p := range []colorprofile.Profile{colorprofile.TrueColor, colorprofile.Ascii} {
			out := Digit(px, 3, 3, NewStyles(true, p))
			if w, h := lipgloss.Size(out); w != 3 || h != 2 {
				t.Errorf("%v: Digit size = %dx%d, want 3x2", p, w, h)
			}
		}
		golden.RequireEqual(t, Digit(px, 3, 3, NewStyles(true, colorprofile.TrueColor)))
	})
	t.Run("empty", func(t *testing.T) {
		if out := Digit(nil, 0, 0, NewStyles(true, colorprofile.TrueColor)); out != "" {
			t.Errorf("Digit(nil, 0, 0) = %q, want \"\"", out)
		}
	})
}

func TestDigitPanicsOnShortImage(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Digit with 10 pixels for 28x28 did not panic")
		}
	}()
	Digit(make([]uint8, 10), 28, 28, NewStyles(true, colorprofile.TrueColor))
}

// decodeHalfBlocks reads back the colour of every pixel from a half-block
// rendering: a canonical colour name per pixel, "" for the terminal default.
func decodeHalfBlocks(t *testing.T, s string, rows, cols int) []string {
	t.Helper()
	out := make([]string, rows*cols)
	for ty, line := range strings.Split(s, "\n") {
		fg, bg, x := "", "", 0
		for i := 0; i < len(line); {
			switch {
			case strings.HasPrefix(line[i:], "\x1b["):
				end := strings.IndexByte(line[i:], 'm')
				fg, bg = applySGR(t, line[i+2:i+end], fg, bg)
				i += end + 1
			case strings.HasPrefix(line[i:], "▀"):
				out[2*ty*cols+x] = fg
				if 2*ty+1 < rows {
					out[(2*ty+1)*cols+x] = bg
				}
				x++
				i += len("▀")
			case line[i] == ' ':
				out[2*ty*cols+x] = bg
				if 2*ty+1 < rows {
					out[(2*ty+1)*cols+x] = bg
				}
				x++
				i++
			default:
				t.Fatalf("line %d: unexpected byte %q at %d", ty, line[i], i)
			}
		}
		if x != cols {
			t.Fatalf("line %d has %d cells, want %d", ty, x, cols)
		}
	}
	return out
}

// applySGR applies the parameters of one SGR sequence to the current colours.
func applySGR(t *testing.T, params, fg, bg string) (string, string) {
	t.Helper()
	if params == "" || params == "0" {
		return "", ""
	}
	f := strings.Split(params, ";")
	n, err := strconv.Atoi(f[0])
	if err != nil {
		t.Fatalf("bad SGR %q", params)
	}
	switch {
	case n == 38 || n == 48:
		c := strings.Join(f[1:], ";")
		if n == 38 {
			return c, bg
		}
		return fg, c
	case n >= 30 && n <= 37, n >= 90 && n <= 97:
		return "16;" + strconv.Itoa(n%10+8*(n/90)), bg
	case n >= 40 && n <= 47, n >= 100 && n <= 107:
		return fg, "16;" + strconv.Itoa(n%10+8*(n/100))
	}
	t.Fatalf("unexpected SGR %q", params)
	return fg, bg
}

// wantColour is the canonical colour name of level l in a ramp, as applySGR names it.
func wantColour(k rampKind, l int, p colorprofile.Profile) string {
	switch p {
	case colorprofile.TrueColor:
		c := rampRGB(k, l)
		return fmt.Sprintf("2;%d;%d;%d", c.R, c.G, c.B)
	case colorprofile.ANSI256:
		return "5;" + strconv.Itoa(int(ramp256(k, l)))
	}
	return "16;" + strconv.Itoa(int(ramp16(k, l)))
}

// TestShadeRoundTrip decodes the escape codes of rendered images and checks
// every pixel got its ramp colour, whatever codes the renderer skipped.
func TestShadeRoundTrip(t *testing.T) {
	imgs := map[string][]uint8{"seven": testDigit('7'), "zero": testDigit('0'), "odd": testDigit('4')[:27*28]}
	ramp := make([]uint8, 256)
	for i := range ramp {
		ramp[i] = uint8(i)
	}
	imgs["ramp"] = ramp
	for name, px := range imgs {
		rows := len(px) / 28
		if name == "ramp" {
			rows = 16
		}
		cols := len(px) / rows
		for _, mode := range []HeatMode{HeatGray, HeatDiverging} {
			for _, p := range testProfiles[:3] {
				for _, dark := range []bool{true, false} {
					st := NewStyles(dark, p)
					got := decodeHalfBlocks(t, shade(px, rows, cols, mode, st), rows, cols)
					k := rampKind{mode: mode, dark: dark}
					for i, l := range px {
						if want := wantColour(k, int(l), p); got[i] != want {
							t.Fatalf("%s mode %d %v dark=%v: pixel %d (level %d) = %q, want %q", name, mode, p, dark, i, l, got[i], want)
						}
					}
				}
			}
		}
	}
}

func TestRamps(t *testing.T) {
	gray := rampKind{mode: HeatGray, dark: true}
	if a, b := ramp256(gray, 0), ramp256(gray, 255); a != 232 || b != 255 {
		t.Errorf("256-colour gray ramp runs %d..%d, want 232..255", a, b)
	}
	light := rampKind{mode: HeatGray}
	if a, b := ramp256(light, 0), ramp256(light, 255); a != 255 || b != 232 {
		t.Errorf("light 256-colour gray ramp runs %d..%d, want 255..232", a, b)
	}
	div := rampKind{mode: HeatDiverging, dark: true}
	if c := rampRGB(div, 128); c != black {
		t.Errorf("diverging 0 = %v, want black paper", c)
	}
	if c := rampRGB(div, 1); c.B <= c.R {
		t.Errorf("diverging -1 = %v, want blue", c)
	}
	if c := rampRGB(div, 255); c.R <= c.B {
		t.Errorf("diverging +1 = %v, want red", c)
	}
	if a, b := asciiGray[0], asciiGray[255]; a != ' ' || b != '@' {
		t.Errorf("ascii ramp runs %q..%q, want ' '..'@'", a, b)
	}
	if a, b, c := asciiDiverging[1], asciiDiverging[128], asciiDiverging[255]; a != 'O' || b != ' ' || c != '#' {
		t.Errorf("ascii diverging ramp = %q %q %q, want 'O' ' ' '#'", a, b, c)
	}
}

func TestQuantize(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	tests := []struct {
		name   string
		values []float32
		lo, hi float32
		mode   HeatMode
		want   []uint8
	}{
		{"gray", []float32{-1, 0, 0.5, 1, 2, nan}, 0, 1, HeatGray, []uint8{0, 0, 128, 255, 255, 0}},
		{"gray empty range", []float32{1, 2}, 1, 1, HeatGray, []uint8{0, 0}},
		{"gray infinite range", []float32{1, 2}, 0, inf, HeatGray, []uint8{0, 0}},
		{"diverging", []float32{-2, -1, -0.5, 0, 0.5, 1, 3, nan}, -1, 0.5, HeatDiverging, []uint8{1, 1, 64, 128, 192, 255, 255, 128}},
		{"diverging zero range", []float32{-1, 1}, 0, 0, HeatDiverging, []uint8{128, 128}},
		{"diverging inf", []float32{-1, inf}, -1, inf, HeatDiverging, []uint8{128, 128}},
	}
	for _, tt := range tests {
		got := make([]uint8, len(tt.values))
		quantize(got, tt.values, tt.lo, tt.hi, tt.mode)
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s: quantize(%v, %v, %v) = %v, want %v", tt.name, tt.values, tt.lo, tt.hi, got, tt.want)
		}
	}
}

// testFeatureMap is a smooth signed 12x12 map, like a conv feature map.
func testFeatureMap() []float32 {
	v := make([]float32, 12*12)
	for y := range 12 {
		for x := range 12 {
			v[y*12+x] = float32(x-y) / 11 * float32(1+(x*y)%3) / 3
		}
	}
	return v
}

func TestHeat(t *testing.T) {
	fm := testFeatureMap()
	cases := []struct {
		name string
		mode HeatMode
		p    colorprofile.Profile
		dark bool
	}{
		{"gray_TrueColor", HeatGray, colorprofile.TrueColor, true},
		{"diverging_TrueColor_dark", HeatDiverging, colorprofile.TrueColor, true},
		{"diverging_TrueColor_light", HeatDiverging, colorprofile.TrueColor, false},
		{"diverging_ANSI256", HeatDiverging, colorprofile.ANSI256, true},
		{"diverging_ANSI", HeatDiverging, colorprofile.ANSI, true},
		{"diverging_Ascii", HeatDiverging, colorprofile.Ascii, true},
		{"gray_Ascii", HeatGray, colorprofile.Ascii, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := Heat(Upscale(fm, 12, 12, 2), 24, 24, -1, 1, c.mode, NewStyles(c.dark, c.p))
			if w, h := lipgloss.Size(out); w != 24 || h != 12 {
				t.Errorf("Heat size = %dx%d, want 24x12", w, h)
			}
			golden.RequireEqual(t, out)
		})
	}
}

// testSaliency is a blob of positive heat over the stem of the 7, and a
// weaker negative one at its top left.
func testSaliency() []float32 {
	h := make([]float32, 28*28)
	for y := range 28 {
		for x := range 28 {
			dx, dy := x-16, y-14
			if d := dx*dx + dy*dy; d < 49 {
				h[y*28+x] = float32(49-d) / 49
			}
			dx, dy = x-7, y-5
			if d := dx*dx + dy*dy; d < 16 {
				h[y*28+x] = -float32(16-d) / 32
			}
		}
	}
	h[0] = float32(math.NaN())
	h[1] = float32(math.Inf(1))
	return h
}

func TestOverlay(t *testing.T) {
	px, heat := testDigit('7'), testSaliency()
	for _, p := range []colorprofile.Profile{colorprofile.TrueColor, colorprofile.ANSI256, colorprofile.ANSI, colorprofile.Ascii} {
		t.Run(p.String(), func(t *testing.T) {
			out := Overlay(px, heat, 28, 28, NewStyles(true, p))
			if w, h := lipgloss.Size(out); w != 28 || h != 14 {
				t.Errorf("Overlay size = %dx%d, want 28x14", w, h)
			}
			golden.RequireEqual(t, out)
		})
	}
	t.Run("no heat is the digit", func(t *testing.T) {
		st := NewStyles(true, colorprofile.TrueColor)
		got := decodeHalfBlocks(t, Overlay(px, make([]float32, len(px)), 28, 28, st), 28, 28)
		want := decodeHalfBlocks(t, Digit(px, 28, 28, st), 28, 28)
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Error("Overlay with zero heat differs from Digit")
		}
	})
}

func TestUpscale(t *testing.T) {
	got := Upscale([]int{1, 2, 3, 4, 5, 6}, 2, 3, 2)
	want := []int{1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 4, 4, 5, 5, 6, 6}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Upscale = %v, want %v", got, want)
	}
	if got := Upscale([]int{1, 2}, 1, 2, 1); fmt.Sprint(got) != "[1 2]" {
		t.Errorf("Upscale by 1 = %v, want [1 2]", got)
	}
}

func BenchmarkDigit(b *testing.B) {
	px := testDigit('7')
	big := Upscale(px, 28, 28, 2)
	for _, p := range testProfiles[:4] {
		st := NewStyles(true, p)
		b.Run(p.String(), func(b *testing.B) {
			for b.Loop() {
				Digit(px, 28, 28, st)
			}
		})
		b.Run(p.String()+"_x2", func(b *testing.B) {
			for b.Loop() {
				Digit(big, 56, 56, st)
			}
		})
	}
}

func BenchmarkOverlay(b *testing.B) {
	px, heat := testDigit('7'), testSaliency()
	st := NewStyles(true, colorprofile.TrueColor)
	for b.Loop() {
		Overlay(px, heat, 28, 28, st)
	}
}
