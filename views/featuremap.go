package views

import (
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"

	"github.com/charmbracelet/colorprofile"
)

// FeatureMaps is one layer's output for one image: C maps of H×W values laid
// out as the network keeps them (NHWC): Values[(y*W+x)*C+c].
type FeatureMaps struct {
	Values  []float32
	H, W, C int
}

// Channel returns map c as H×W row-major values (a copy).
func (f FeatureMaps) Channel(c int) []float32 {
	if c < 0 || c >= f.C || len(f.Values) < f.H*f.W*f.C {
		panic(fmt.Sprintf("views: FeatureMaps.Channel(%d) of %d channels, %d values for %dx%dx%d", c, f.C, len(f.Values), f.H, f.W, f.C))
	}
	out := make([]float32, f.H*f.W)
	for i := range out {
		out[i] = f.Values[i*f.C+c]
	}
	return out
}

// MapStats are summary figures of some activations.
type MapStats struct {
	Min, Max, Mean float64
	// Zeros is the share of values at or below 0: exactly 0 after a ReLU,
	// and what a ReLU would zero before one.
	Zeros float64
}

// FeatureStats summarises v; NaN values are skipped.
func FeatureStats(v []float32) MapStats {
	s := MapStats{Min: math.Inf(1), Max: math.Inf(-1)}
	n, zeros := 0, 0
	var sum float64
	for _, x := range v {
		f := float64(x)
		if math.IsNaN(f) {
			continue
		}
		n++
		sum += f
		s.Min, s.Max = math.Min(s.Min, f), math.Max(s.Max, f)
		if f <= 0 {
			zeros++
		}
	}
	if n == 0 {
		return MapStats{}
	}
	s.Mean = sum / float64(n)
	s.Zeros = float64(zeros) / float64(n)
	return s
}

// HeatModeFor is how feature maps with these statistics are coloured: on a
// diverging scale when any value is negative (before a ReLU), else gray from
// 0 (paper) up.
func HeatModeFor(s MapStats) HeatMode {
	if s.Min < 0 {
		return HeatDiverging
	}
	return HeatGray
}

// FeatureLayout says how FeatureGrid lays out one tile per channel.
type FeatureLayout struct {
	Cols, Rows int // tiles across and down
	// Scale is how maps are drawn: each value as Scale×Scale pixels, or for
	// Scale -2 each 2×2 block of values as one pixel (their mean).
	Scale        int
	TileW, TileH int // cells per tile, caption line included
}

// PerPage is the number of tiles that fit: page p shows channels
// [p*PerPage, (p+1)*PerPage).
func (l FeatureLayout) PerPage() int { return l.Cols * l.Rows }

// featureGap is the number of blank columns between two tiles.
const featureGap = 1

// featureMaxScale is the largest enlargement of small maps in a grid.
const featureMaxScale = 8

// scaled is the size in pixels of an h×w map drawn at scale s (see FeatureLayout).
func scaled(h, w, s int) (int, int) {
	if s < 0 {
		return (h + 1) / 2, (w + 1) / 2
	}
	return h * s, w * s
}

// featureTile is the layout of c maps of mh×mw at scale s in a w×h area.
func featureTile(mh, mw, c, s, w, h int) FeatureLayout {
	ph, pw := scaled(mh, mw, s)
	l := FeatureLayout{Scale: s, TileW: max(pw, len(strconv.Itoa(max(0, c-1)))), TileH: (ph+1)/2 + 1}
	if w >= l.TileW && h >= l.TileH {
		l.Cols = (w + featureGap) / (l.TileW + featureGap)
		l.Rows = h / l.TileH
	}
	return l
}

// featureHalveMin is the smallest map side a grid may draw at half size.
const featureHalveMin = 20

// FeatureGridSize picks the layout of c maps of mh×mw values in a w×h area:
// the largest scale (up to 8) at which every map fits on one page; else the
// largest at which at least min(c, 12) fit; else the one that fits most.
// Maps of at least 20×20 may be drawn at half size. Cols or Rows is 0 when
// not even one fits.
func FeatureGridSize(mh, mw, c, w, h int) FeatureLayout {
	var all, some, most FeatureLayout
	found := false
	for s := featureMaxScale; s >= -2; s-- {
		if s == 0 || s == -1 || (s == -2 && min(mh, mw) < featureHalveMin) {
			continue
		}
		l := featureTile(mh, mw, c, s, w, h)
		n := l.PerPage()
		if n >= c && all.PerPage() == 0 {
			all = l
		}
		if n >= min(c, 12) && some.PerPage() == 0 {
			some = l
		}
		if !found || n > most.PerPage() {
			most, found = l, true
		}
	}
	switch {
	case all.PerPage() > 0:
		return all
	case some.PerPage() > 0:
		return some
	}
	return most
}

// resample returns an h×w map drawn at scale s (see FeatureLayout) and its size.
func resample(v []float32, h, w, s int) ([]float32, int, int) {
	if s >= 1 {
		return Upscale(v, h, w, s), h * s, w * s
	}
	ph, pw := scaled(h, w, s)
	out := make([]float32, ph*pw)
	for y := range ph {
		for x := range pw {
			var sum float32
			n := 0
			for dy := range 2 {
				for dx := range 2 {
					if r, c := 2*y+dy, 2*x+dx; r < h && c < w {
						sum += v[r*w+c]
						n++
					}
				}
			}
			out[y*pw+x] = sum / float32(n)
		}
	}
	return out, ph, pw
}

// featureRange is the colour scale of map c: the layer's, or the channel's
// own when perChannel. Gray scales start at 0.
func featureRange(f FeatureMaps, c int, layer MapStats, perChannel bool) (lo, hi float32, mode HeatMode) {
	mode = HeatModeFor(layer)
	s := layer
	if perChannel {
		s = FeatureStats(f.Channel(c))
	}
	if mode == HeatGray {
		return 0, float32(s.Max), mode
	}
	return float32(s.Min), float32(s.Max), mode
}

// FeatureGrid draws the channels of f from first on as tiles, as many as fit
// in w×h (see FeatureGridSize): each map a heat map (see Heat) over its
// channel number. Maps of a layer with negative values use the diverging
// scale (blue negative, red positive, 0 the paper), others gray from 0. The
// scale spans the whole layer, or each map's own range when perChannel. The
// channel cursor (-1 for none) has its caption in the Selected style (in
// [brackets] without colour). The result is at most w×h cells.
func FeatureGrid(f FeatureMaps, first, cursor int, perChannel bool, w, h int, st Styles) (string, FeatureLayout) {
	l := FeatureGridSize(f.H, f.W, f.C, w, h)
	first = max(0, first)
	n := min(f.C-first, l.PerPage())
	if n <= 0 {
		return "", l
	}
	layer := FeatureStats(f.Values[:f.H*f.W*f.C])
	gap := strings.Repeat(" ", featureGap)
	var b strings.Builder
	for r := 0; r*l.Cols < n; r++ {
		var tiles [][]string
		for c := first + r*l.Cols; c < first+min(n, (r+1)*l.Cols); c++ {
			lo, hi, mode := featureRange(f, c, layer, perChannel)
			v, ph, pw := resample(f.Channel(c), f.H, f.W, l.Scale)
			img := strings.Split(Heat(v, ph, pw, lo, hi, mode, st), "\n")
			for i := range img {
				img[i] = PadEnd(img[i], l.TileW)
			}
			for len(img) < l.TileH-1 {
				img = append(img, strings.Repeat(" ", l.TileW))
			}
			tiles = append(tiles, append(img, featureCaption(strconv.Itoa(c), l.TileW, c == cursor, st)))
		}
		writeTileRow(&b, tiles, l.TileH, gap, r == 0)
	}
	return b.String(), l
}

// featureCaption is a tile's caption, exactly w cells wide.
func featureCaption(text string, w int, selected bool, st Styles) string {
	if !selected {
		return PadEnd(st.Muted.Render(Truncate(text, w)), w)
	}
	if st.Profile < colorprofile.ANSI {
		text = "[" + text + "]"
	}
	return st.Selected.Render(PadEnd(Truncate(text, w), w))
}

// FeatureZoomScale is the largest scale at which an mh×mw map fits in w×h
// cells, at least 1.
func FeatureZoomScale(mh, mw, w, h int) int {
	if mh <= 0 || mw <= 0 {
		return 1
	}
	return max(1, min(w/mw, 2*h/mh))
}

// FeatureZoom draws channel c of f as large as fits in w×h (see
// FeatureZoomScale), coloured as FeatureGrid does, with the value at
// (row, col) marked in the Warn colour (row < 0 for none). It returns the
// drawing and the scale: value (y, x) covers columns x*scale.. and pixel
// rows y*scale.. (two pixel rows a line).
func FeatureZoom(f FeatureMaps, c, row, col int, perChannel bool, w, h int, st Styles) (string, int) {
	s := FeatureZoomScale(f.H, f.W, w, h)
	layer := FeatureStats(f.Values[:f.H*f.W*f.C])
	lo, hi, mode := featureRange(f, c, layer, perChannel)
	v := Upscale(f.Channel(c), f.H, f.W, s)
	ph, pw := f.H*s, f.W*s
	lv := make([]uint8, len(v))
	quantize(lv, v, lo, hi, mode)
	var marks []bool
	if row >= 0 && row < f.H && col >= 0 && col < f.W {
		marks = make([]bool, len(v))
		for y := row * s; y < (row+1)*s; y++ {
			for x := col * s; x < (col+1)*s; x++ {
				marks[y*pw+x] = true
			}
		}
	}
	return ClipBlock(shadeMarked(lv, ph, pw, mode, marks, st), w, h), s
}

// DigitField draws a grayscale image (as Digit) with the pixels of rows
// r0..r1 and columns c0..c1 tinted in the Warn colour: a receptive field.
// An empty rectangle (r1 < r0) draws the plain digit.
func DigitField(px []uint8, rows, cols, r0, c0, r1, c1 int, st Styles) string {
	checkImage("DigitField", len(px), rows, cols)
	if r1 < r0 || c1 < c0 {
		return Digit(px, rows, cols, st)
	}
	marks := make([]bool, rows*cols)
	for y := max(0, r0); y <= min(rows-1, r1); y++ {
		for x := max(0, c0); x <= min(cols-1, c1); x++ {
			marks[y*cols+x] = true
		}
	}
	return shadeMarked(px[:rows*cols], rows, cols, HeatGray, marks, st)
}

// markMix is how far a marked pixel's colour moves towards the mark colour.
const markMix = 0.6

// markColor is the colour marks are tinted with: the Warn style's.
func markColor(st Styles) color.RGBA {
	if c, ok := toRGBA(st.Warn.GetForeground()); ok {
		return c
	}
	if st.Dark {
		return color.RGBA{R: 0xff, G: 0xd7, B: 0x5f, A: 0xff}
	}
	return color.RGBA{R: 0x8a, G: 0x5a, B: 0x00, A: 0xff}
}

// shadeMarked renders levels like shade, with the pixels where marks is true
// tinted by the mark colour; without colour they show as 'X'. A nil marks
// marks nothing.
func shadeMarked(lv []uint8, rows, cols int, mode HeatMode, marks []bool, st Styles) string {
	if marks == nil {
		return shade(lv, rows, cols, mode, st)
	}
	if st.Profile < colorprofile.ANSI {
		out := []byte(shade(lv, rows, cols, mode, st))
		for ty := range (rows + 1) / 2 {
			for x := range cols {
				i := 2*ty*cols + x
				if marks[i] || (2*ty+1 < rows && marks[i+cols]) {
					out[ty*(cols+1)+x] = 'X'
				}
			}
		}
		return string(out)
	}
	k := rampKind{mode: mode, dark: st.Dark}
	mc := markColor(st)
	cs := make([]color.RGBA, rows*cols)
	for i, l := range lv[:rows*cols] {
		cs[i] = rampRGB(k, int(l))
		if marks[i] {
			cs[i] = mixRGB(cs[i], mc, markMix)
		}
	}
	return shadeRGB(cs, rows, cols, st.Profile)
}

// stripBarRows is the height of the bars of one band of a FeatureStrip.
const stripBarRows = 2

// stripEighths are the lower blocks of a bar line, by eighths of a cell.
var stripEighths = [9]string{" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"}

// FeatureStripLayout says how FeatureStrip lays out a vector: PerBand units
// a band (one column each), Bands bands a page, each stripBarRows lines of
// bars over an axis line.
type FeatureStripLayout struct {
	PerBand, Bands int
	BandH          int // lines a band takes, its axis included
}

// PerPage is the number of units a page shows.
func (l FeatureStripLayout) PerPage() int { return l.PerBand * l.Bands }

// FeatureStripSize is the layout of n units in w×h cells.
func FeatureStripSize(n, w, h int) FeatureStripLayout {
	l := FeatureStripLayout{PerBand: max(0, w), Bands: h / (stripBarRows + 1), BandH: stripBarRows + 1}
	if n > 0 && l.PerBand > 0 {
		l.Bands = min(l.Bands, (n+l.PerBand-1)/l.PerBand)
	}
	return l
}

// FeatureStrip draws the values of a vector (a dense layer's units) from
// first on as bands of vertical bars, one column per unit: the height is
// |v| over the largest |v| of the whole vector, red (Bad) for positive and
// blue (Accent) for negative values ('#' and '=' without colour). Under each
// band an axis line numbers every tenth unit and marks the cursor unit with
// ▲ (^ without colour). The result is at most w×h cells.
func FeatureStrip(v []float32, first, cursor, w, h int, st Styles) (string, FeatureStripLayout) {
	l := FeatureStripSize(len(v)-max(0, first), w, h)
	if l.PerPage() == 0 || first >= len(v) {
		return "", l
	}
	first = max(0, first)
	var m float64
	for _, x := range v {
		if a := math.Abs(float64(x)); a > m && !math.IsInf(a, 0) {
			m = a
		}
	}
	color := st.Profile >= colorprofile.ANSI
	var lines []string
	for band := range l.Bands {
		lo := first + band*l.PerBand
		if lo >= len(v) {
			break
		}
		units := v[lo:min(len(v), lo+l.PerBand)]
		for row := stripBarRows - 1; row >= 0; row-- { // top line first
			var b, run strings.Builder
			runSign := 0 // 1 positive, -1 negative, 0 blank
			flush := func() {
				switch runSign {
				case 1:
					b.WriteString(st.Bad.Render(run.String()))
				case -1:
					b.WriteString(st.Accent.Render(run.String()))
				default:
					b.WriteString(run.String())
				}
				run.Reset()
			}
			for _, x := range units {
				f := float64(x)
				e := 0
				if m > 0 && !math.IsNaN(f) {
					e = int(math.Round(math.Min(1, math.Abs(f)/m) * stripBarRows * 8))
				}
				e = min(8, max(0, e-8*row)) // eighths in this line
				sign, cell := 0, " "
				switch {
				case e == 0:
				case !color && f > 0:
					cell = "#"
				case !color:
					cell = "="
				case f > 0:
					sign, cell = 1, stripEighths[e]
				default:
					sign, cell = -1, stripEighths[e]
				}
				if sign != runSign {
					flush()
					runSign = sign
				}
				run.WriteString(cell)
			}
			flush()
			lines = append(lines, b.String())
		}
		lines = append(lines, stripAxis(lo, len(units), cursor, st))
	}
	return ClipBlock(strings.Join(lines, "\n"), w, h), l
}

// stripAxis numbers every tenth unit of units lo..lo+n-1 and marks the cursor.
func stripAxis(lo, n, cursor int, st Styles) string {
	axis := []rune(strings.Repeat(" ", n))
	for i := 0; i < n; i++ {
		if u := lo + i; u%10 == 0 {
			s := strconv.Itoa(u)
			if i+len(s) <= n {
				copy(axis[i:], []rune(s))
			}
		}
	}
	text := string(axis)
	ci := cursor - lo
	if ci < 0 || ci >= n {
		return st.Muted.Render(text)
	}
	mark := "▲"
	if st.Profile < colorprofile.ANSI {
		mark = "^"
	}
	return st.Muted.Render(string(axis[:ci])) + st.Warn.Render(mark) + st.Muted.Render(string(axis[ci+1:]))
}
