package views

import (
	"fmt"
	"strings"
)

// Digit renders a rows×cols grayscale image (0 paper, 255 ink, row-major, as
// MNIST stores it) in cols columns and (rows+1)/2 lines.
//
// With colour each line holds two pixel rows as half blocks (▀, foreground the
// upper pixel, background the lower) in true colour, the 24-step gray ramp of
// the 256-colour palette, or four grays of the 16-colour palette, following
// st.Profile. On a dark background the ink is light, on a light one dark.
// Without colour (colorprofile.NoTTY, Ascii) each character stands for the mean
// of two pixels on the ramp " .:-=+*#%@". Every line ends with a reset, so
// lines can be joined and padded freely. For a bigger picture, pass the
// image through Upscale first.
//
// Digit panics if px holds fewer than rows*cols pixels.
func Digit(px []uint8, rows, cols int, st Styles) string {
	checkImage("Digit", len(px), rows, cols)
	return shade(px, rows, cols, HeatGray, st)
}

// Upscale returns px (rows×cols, row-major) enlarged s times in both directions:
// a (rows*s)×(cols*s) image in which each pixel is an s×s block. s < 1 counts as 1.
func Upscale[T any](px []T, rows, cols, s int) []T {
	checkImage("Upscale", len(px), rows, cols)
	if s <= 1 {
		return px
	}
	out := make([]T, 0, rows*s*cols*s)
	for y := range rows {
		start := len(out)
		for _, v := range px[y*cols : y*cols+cols] {
			for range s {
				out = append(out, v)
			}
		}
		line := out[start:]
		for range s - 1 {
			out = append(out, line...)
		}
	}
	return out
}

// checkImage panics when an image slice is shorter than its stated size: a
// programmer error.
func checkImage(fn string, n, rows, cols int) {
	if rows < 0 || cols < 0 || n < rows*cols {
		panic(fmt.Sprintf("views: %s: %d values for a %dx%d image", fn, n, rows, cols))
	}
}

// Character ramps for terminals without colour, indexed by level 0..255.
var (
	// asciiGray runs from paper to ink.
	asciiGray = asciiRamp(" .:-=+*#%@", 0, shadeLevels)
	// asciiDiverging uses " .,-oO" below level 128 (negative) and " .:+*#" above it.
	asciiDiverging = func() (t [shadeLevels]byte) {
		neg, pos := " .,-oO", " .:+*#"
		for l := range shadeLevels {
			m := l - 128
			ramp := pos
			if m < 0 {
				m, ramp = -m, neg
			}
			i := (m*len(ramp) + 64) / 128
			if i >= len(ramp) {
				i = len(ramp) - 1
			}
			t[l] = ramp[i]
		}
		return t
	}()
)

// asciiRamp spreads the characters of ramp evenly over levels lo..hi-1.
func asciiRamp(ramp string, lo, hi int) (t [shadeLevels]byte) {
	for l := lo; l < hi; l++ {
		t[l] = ramp[(l-lo)*len(ramp)/(hi-lo)]
	}
	return t
}

// shade renders an image of levels with the ramp of mode, as described at Digit.
func shade(lv []uint8, rows, cols int, mode HeatMode, st Styles) string {
	if rows <= 0 || cols <= 0 {
		return ""
	}
	r := rampFor(mode, st.Dark, st.Profile)
	if r == nil {
		chars := &asciiGray
		if mode == HeatDiverging {
			chars = &asciiDiverging
		}
		return shadeASCII(lv, rows, cols, chars)
	}
	lines := (rows + 1) / 2
	var b strings.Builder
	b.Grow(lines * (cols*24 + 8))
	for ty := range lines {
		if ty > 0 {
			b.WriteByte('\n')
		}
		top := lv[2*ty*cols : 2*ty*cols+cols]
		var bot []uint8
		if 2*ty+1 < rows {
			bot = lv[(2*ty+1)*cols : (2*ty+1)*cols+cols]
		}
		pf, pb := -1, -1 // keys of the current foreground and background
		for x, t := range top {
			kt := int(r.key[t])
			if bot == nil { // odd last row: upper half only, terminal background below
				if kt != pf {
					b.WriteString(r.fg[t])
					pf = kt
				}
				b.WriteString("▀")
				continue
			}
			u := bot[x]
			kb := int(r.key[u])
			if kt == kb { // one colour: a space on that background is enough
				if kb != pb {
					b.WriteString(r.bg[u])
					pb = kb
				}
				b.WriteByte(' ')
				continue
			}
			if kt != pf {
				b.WriteString(r.fg[t])
				pf = kt
			}
			if kb != pb {
				b.WriteString(r.bg[u])
				pb = kb
			}
			b.WriteString("▀")
		}
		b.WriteString(sgrReset)
	}
	return b.String()
}

// shadeASCII renders an image of levels as characters, one per pixel column,
// each the mean of two pixel rows.
func shadeASCII(lv []uint8, rows, cols int, chars *[shadeLevels]byte) string {
	lines := (rows + 1) / 2
	b := make([]byte, 0, lines*(cols+1))
	for ty := range lines {
		if ty > 0 {
			b = append(b, '\n')
		}
		top := lv[2*ty*cols : 2*ty*cols+cols]
		if 2*ty+1 >= rows {
			for _, t := range top {
				b = append(b, chars[t])
			}
			continue
		}
		bot := lv[(2*ty+1)*cols : (2*ty+1)*cols+cols]
		for x, t := range top {
			b = append(b, chars[(int(t)+int(bot[x])+1)/2])
		}
	}
	return string(b)
}
