package views

import (
	"image/color"
	"math"
	"strings"

	"github.com/charmbracelet/colorprofile"
)

// HeatMode selects how Heat maps values to colours.
type HeatMode int

const (
	// HeatGray maps lo to the paper (background) and hi to the ink, like Digit.
	HeatGray HeatMode = iota
	// HeatDiverging maps 0 to the paper, negative values to blue and positive
	// values to red, on a scale symmetric about 0.
	HeatDiverging
)

// Heat renders a rows×cols grid of values (row-major) like Digit does pixels.
//
// With HeatGray, values from lo to hi run from paper to ink. With
// HeatDiverging the scale is symmetric: ±max(|lo|, |hi|) are full blue and full
// red, 0 is the paper. Values outside the range are clamped; NaN is drawn as
// paper (0 on the diverging scale), and so is everything when the range is
// empty. Without colour the characters of " .:-=+*#%@" stand for gray levels,
// and " .,-oO" (negative) and " .:+*#" (positive) for diverging ones. Upscale
// the values first for a bigger picture.
//
// Heat panics if values holds fewer than rows*cols entries.
func Heat(values []float32, rows, cols int, lo, hi float32, mode HeatMode, st Styles) string {
	checkImage("Heat", len(values), rows, cols)
	lv := make([]uint8, rows*cols)
	quantize(lv, values[:rows*cols], lo, hi, mode)
	return shade(lv, rows, cols, mode, st)
}

// quantize maps values to ramp levels 0..255 as described at Heat.
func quantize(dst []uint8, values []float32, lo, hi float32, mode HeatMode) {
	if mode == HeatDiverging {
		m := math.Max(math.Abs(float64(lo)), math.Abs(float64(hi)))
		for i, v := range values {
			x := float64(v) / m
			switch {
			case !(m > 0) || math.IsInf(m, 0) || math.IsNaN(x):
				dst[i] = 128
			case x <= -1:
				dst[i] = 1
			case x >= 1:
				dst[i] = 255
			default:
				dst[i] = uint8(128 + math.Round(x*127))
			}
		}
		return
	}
	span := float64(hi) - float64(lo)
	for i, v := range values {
		x := (float64(v) - float64(lo)) / span
		switch {
		case !(span > 0) || math.IsInf(span, 0) || math.IsNaN(x) || x <= 0:
			dst[i] = 0
		case x >= 1:
			dst[i] = 255
		default:
			dst[i] = uint8(math.Round(x * 255))
		}
	}
}

// overlayAlpha is how strongly the largest heat value covers the image.
const overlayAlpha = 0.85

// Overlay renders a rows×cols grayscale image (as Digit) with a heat map of
// the same size laid over it, e.g. a saliency map. Heat is scaled by its
// largest magnitude: positive values tint the image red, negative ones blue,
// in proportion; NaN and Inf count as 0. Without colour, heat of at least a
// fifth of the largest shows as " +*#@" by strength and ink as '.' elsewhere.
//
// Overlay panics if px or heat holds fewer than rows*cols entries.
func Overlay(px []uint8, heat []float32, rows, cols int, st Styles) string {
	checkImage("Overlay", len(px), rows, cols)
	checkImage("Overlay", len(heat), rows, cols)
	if rows <= 0 || cols <= 0 {
		return ""
	}
	n := rows * cols
	var m float64
	for _, h := range heat[:n] {
		if a := math.Abs(float64(h)); a > m && !math.IsInf(a, 0) {
			m = a
		}
	}
	alpha := make([]float64, n) // signed share of the largest magnitude
	if m > 0 {
		for i, h := range heat[:n] {
			a := float64(h) / m
			if !math.IsNaN(a) && !math.IsInf(a, 0) {
				alpha[i] = a
			}
		}
	}
	if st.Profile < colorprofile.ANSI {
		return overlayASCII(px, alpha, rows, cols)
	}
	gray := rampKind{mode: HeatGray, dark: st.Dark}
	neg, pos := divNegLight, divPosLight
	if st.Dark {
		neg, pos = divNegDark, divPosDark
	}
	cs := make([]color.RGBA, n)
	for i, a := range alpha {
		hot := pos
		if a < 0 {
			hot, a = neg, -a
		}
		cs[i] = mixRGB(rampRGB(gray, int(px[i])), hot, a*overlayAlpha)
	}
	return shadeRGB(cs, rows, cols, st.Profile)
}

// overlayASCII is Overlay without colour.
func overlayASCII(px []uint8, alpha []float64, rows, cols int) string {
	const heatChars = " +*#@"
	lines := (rows + 1) / 2
	b := make([]byte, 0, lines*(cols+1))
	for ty := range lines {
		if ty > 0 {
			b = append(b, '\n')
		}
		for x := range cols {
			i, j := 2*ty*cols+x, 2*ty*cols+x
			if 2*ty+1 < rows {
				j += cols
			}
			ink := (int(px[i]) + int(px[j])) / 2
			a := (math.Abs(alpha[i]) + math.Abs(alpha[j])) / 2
			switch {
			case a >= 0.2:
				k := 1 + int((a-0.2)/0.8*float64(len(heatChars)-1))
				b = append(b, heatChars[min(k, len(heatChars)-1)])
			case ink >= 96:
				b = append(b, '.')
			default:
				b = append(b, ' ')
			}
		}
	}
	return string(b)
}

// shadeRGB renders a rows×cols image of 24-bit colours as half blocks in
// profile p (which must have colour). It is the slow path behind Overlay.
func shadeRGB(cs []color.RGBA, rows, cols int, p colorprofile.Profile) string {
	type code struct {
		fg, bg string
		key    uint32
	}
	memo := make(map[color.RGBA]code)
	codeOf := func(c color.RGBA) code {
		if k, ok := memo[c]; ok {
			return k
		}
		fg, key := sgrColor(true, c, p)
		bg, _ := sgrColor(false, c, p)
		k := code{fg: fg, bg: bg, key: key}
		memo[c] = k
		return k
	}
	lines := (rows + 1) / 2
	var b strings.Builder
	b.Grow(lines * (cols*24 + 8))
	for ty := range lines {
		if ty > 0 {
			b.WriteByte('\n')
		}
		var pf, pb int64 = -1, -1
		for x := range cols {
			t := codeOf(cs[2*ty*cols+x])
			if 2*ty+1 >= rows {
				if int64(t.key) != pf {
					b.WriteString(t.fg)
					pf = int64(t.key)
				}
				b.WriteString("▀")
				continue
			}
			u := codeOf(cs[(2*ty+1)*cols+x])
			if t.key == u.key {
				if int64(u.key) != pb {
					b.WriteString(u.bg)
					pb = int64(u.key)
				}
				b.WriteByte(' ')
				continue
			}
			if int64(t.key) != pf {
				b.WriteString(t.fg)
				pf = int64(t.key)
			}
			if int64(u.key) != pb {
				b.WriteString(u.bg)
				pb = int64(u.key)
			}
			b.WriteString("▀")
		}
		b.WriteString(sgrReset)
	}
	return b.String()
}
