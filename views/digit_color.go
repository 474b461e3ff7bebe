package views

import (
	"image/color"
	"math"
	"strconv"
	"sync"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
)

// This file holds the colour machinery of the image renderers (Digit, Heat,
// Overlay) and the confusion matrix: SGR escape codes written by hand for the
// profile in Styles.Profile, because a lipgloss style per cell is far too slow
// for a 28x28 image drawn dozens of times a frame.

// shadeLevels is the number of quantised levels of a colour ramp.
const shadeLevels = 256

// shadeRamp is one colour ramp (256 levels) encoded for one colour profile:
// the escape codes that set each level as foreground and as background, and a
// key per level that is equal for levels the profile draws in the same colour,
// so the renderer can skip repeated codes.
type shadeRamp struct {
	fg, bg [shadeLevels]string
	key    [shadeLevels]uint8
}

// rampKind names a ramp: a HeatMode on a dark or light background.
type rampKind struct {
	mode HeatMode
	dark bool
}

// ramps holds lazily built, immutable ramps, indexed by mode, theme and
// profile (ANSI, ANSI256, TrueColor). They are lookup tables, not state.
var ramps = func() (r [2][2][3]func() *shadeRamp) {
	for m := range 2 {
		for d := range 2 {
			for p := range 3 {
				k := rampKind{mode: HeatMode(m), dark: d == 1}
				prof := colorprofile.ANSI + colorprofile.Profile(p)
				r[m][d][p] = sync.OnceValue(func() *shadeRamp { return buildRamp(k, prof) })
			}
		}
	}
	return r
}()

// rampFor returns the ramp for mode on a dark or light background in profile
// p, or nil when p has no colour (NoTTY, Ascii).
func rampFor(mode HeatMode, dark bool, p colorprofile.Profile) *shadeRamp {
	if p < colorprofile.ANSI {
		return nil
	}
	if p > colorprofile.TrueColor {
		p = colorprofile.TrueColor
	}
	m, d := 0, 0
	if mode == HeatDiverging {
		m = 1
	}
	if dark {
		d = 1
	}
	return ramps[m][d][p-colorprofile.ANSI]()
}

// Diverging endpoints: negative values shade towards blue, positive towards red.
var (
	divNegDark  = color.RGBA{R: 0x4f, G: 0x8f, B: 0xff, A: 0xff}
	divPosDark  = color.RGBA{R: 0xff, G: 0x4f, B: 0x4f, A: 0xff}
	divNegLight = color.RGBA{R: 0x10, G: 0x40, B: 0xc0, A: 0xff}
	divPosLight = color.RGBA{R: 0xc0, G: 0x10, B: 0x10, A: 0xff}
	black       = color.RGBA{A: 0xff}
	white       = color.RGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}
)

// rampRGB is the 24-bit colour of level l of a ramp.
//
// Gray: level 0 is the paper and 255 the ink; on a dark background the paper
// is black and the ink white, on a light one the other way round.
// Diverging: level 128 is 0 (the paper), 1 is the most negative value (blue)
// and 255 the most positive (red).
func rampRGB(k rampKind, l int) color.RGBA {
	if k.mode == HeatGray {
		v := uint8(l)
		if !k.dark {
			v = 255 - v
		}
		return color.RGBA{R: v, G: v, B: v, A: 0xff}
	}
	paper, neg, pos := white, divNegLight, divPosLight
	if k.dark {
		paper, neg, pos = black, divNegDark, divPosDark
	}
	t := float64(l-128) / 127
	if t < 0 {
		return mixRGB(paper, neg, -t)
	}
	return mixRGB(paper, pos, t)
}

// ramp16 is the 16-colour palette index of level l: four grays, or five steps
// of blue, paper and red.
func ramp16(k rampKind, l int) uint8 {
	if k.mode == HeatGray {
		grays := [4]uint8{0, 8, 7, 15} // black, bright black, white, bright white
		i := l * 4 / shadeLevels
		if !k.dark {
			i = 3 - i
		}
		return grays[i]
	}
	paper, negHi, negLo, posLo, posHi := uint8(0), uint8(12), uint8(4), uint8(1), uint8(9)
	if !k.dark {
		paper, negHi, negLo, posLo, posHi = 15, 4, 12, 9, 1
	}
	switch t := l - 128; {
	case t <= -80:
		return negHi
	case t <= -26:
		return negLo
	case t < 26:
		return paper
	case t < 80:
		return posLo
	default:
		return posHi
	}
}

// ramp256 is the xterm 256-colour index of level l. Grays use the 24-step
// gray ramp 232..255; diverging colours use the nearest palette entry.
func ramp256(k rampKind, l int) uint8 {
	if k.mode == HeatGray {
		v := l
		if !k.dark {
			v = 255 - v
		}
		return uint8(232 + (v*23+127)/255)
	}
	return uint8(ansi.Convert256(rampRGB(k, l)))
}

func buildRamp(k rampKind, p colorprofile.Profile) *shadeRamp {
	r := new(shadeRamp)
	for l := range shadeLevels {
		switch p {
		case colorprofile.TrueColor:
			c := rampRGB(k, l)
			r.fg[l] = sgrRGB(true, c)
			r.bg[l] = sgrRGB(false, c)
			r.key[l] = uint8(l)
		case colorprofile.ANSI256:
			i := ramp256(k, l)
			r.fg[l] = sgr256(true, i)
			r.bg[l] = sgr256(false, i)
			r.key[l] = i
		default:
			i := ramp16(k, l)
			r.fg[l] = sgr16(true, i)
			r.bg[l] = sgr16(false, i)
			r.key[l] = i
		}
	}
	return r
}

// sgrRGB is the escape code setting c as a 24-bit foreground (fg) or background.
func sgrRGB(fg bool, c color.RGBA) string {
	b := make([]byte, 0, 20)
	if fg {
		b = append(b, "\x1b[38;2;"...)
	} else {
		b = append(b, "\x1b[48;2;"...)
	}
	b = strconv.AppendUint(b, uint64(c.R), 10)
	b = append(b, ';')
	b = strconv.AppendUint(b, uint64(c.G), 10)
	b = append(b, ';')
	b = strconv.AppendUint(b, uint64(c.B), 10)
	return string(append(b, 'm'))
}

// sgr256 is the escape code setting xterm colour i as foreground or background.
func sgr256(fg bool, i uint8) string {
	if fg {
		return "\x1b[38;5;" + strconv.Itoa(int(i)) + "m"
	}
	return "\x1b[48;5;" + strconv.Itoa(int(i)) + "m"
}

// sgr16 is the escape code setting ANSI colour i (0..15) as foreground or background.
func sgr16(fg bool, i uint8) string {
	base := 30
	if !fg {
		base = 40
	}
	if i >= 8 {
		base += 60
		i -= 8
	}
	return "\x1b[" + strconv.Itoa(base+int(i)) + "m"
}

// sgrColor is the escape code setting c as foreground or background in
// profile p, and a key that is equal for colours p draws alike. It is "" for
// profiles without colour. It is the slow path for colours computed per cell.
func sgrColor(fg bool, c color.RGBA, p colorprofile.Profile) (string, uint32) {
	switch {
	case p >= colorprofile.TrueColor:
		return sgrRGB(fg, c), uint32(c.R)<<16 | uint32(c.G)<<8 | uint32(c.B)
	case p == colorprofile.ANSI256:
		i := uint8(ansi.Convert256(c))
		return sgr256(fg, i), uint32(i)
	case p == colorprofile.ANSI:
		i := uint8(ansi.Convert16(c))
		return sgr16(fg, i), uint32(i)
	}
	return "", 0
}

// sgrReset ends all attributes.
const sgrReset = "\x1b[m"

// toRGBA converts any colour to 8-bit RGBA; nil (no colour) becomes ok=false.
func toRGBA(c color.Color) (color.RGBA, bool) {
	if c == nil {
		return color.RGBA{}, false
	}
	if _, isNo := c.(lipgloss.NoColor); isNo {
		return color.RGBA{}, false
	}
	r, g, b, a := c.RGBA()
	if a == 0 {
		return color.RGBA{}, false
	}
	return color.RGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 0xff}, true
}

// mixRGB blends a towards b by t in [0, 1].
func mixRGB(a, b color.RGBA, t float64) color.RGBA {
	t = math.Max(0, math.Min(1, t))
	f := func(x, y uint8) uint8 {
		// The explicit conversion stops fused multiply-add, so goldens agree across CPUs.
		return uint8(math.Round(float64(x) + float64((float64(y)-float64(x))*t)))
	}
	return color.RGBA{R: f(a.R, b.R), G: f(a.G, b.G), B: f(a.B, b.B), A: 0xff}
}

// luma is the perceived brightness of c in [0, 255] (Rec. 601 weights).
func luma(c color.RGBA) int {
	return (299*int(c.R) + 587*int(c.G) + 114*int(c.B)) / 1000
}
