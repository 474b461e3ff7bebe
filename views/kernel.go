package views

import (
	"math"
	"strconv"
	"strings"
)

// KernelLayout says how Kernels lays out its tiles.
type KernelLayout struct {
	Cols, Rows   int // tiles across and down
	TileW, TileH int // cells per tile, caption line included
}

// PerPage is the number of kernels that fit.
func (l KernelLayout) PerPage() int { return l.Cols * l.Rows }

// KernelSize is the layout of k×k kernels with captions up to capW cells
// wide in w×h: each weight is two cells wide and one line high.
func KernelSize(k, capW, w, h int) KernelLayout {
	l := KernelLayout{TileW: max(2*k, capW), TileH: k + 1}
	if k > 0 && w >= l.TileW && h >= l.TileH {
		l.Cols = (w + featureGap) / (l.TileW + featureGap)
		l.Rows = h / l.TileH
	}
	return l
}

// Kernels draws kernels (each k×k weights, row-major) as tiles, left to
// right and top to bottom, as many as fit in w×h (see KernelSize). Each
// weight is two cells of colour on the diverging scale: blue for negative,
// red for positive, stronger for a larger magnitude relative to scale (the
// largest |weight| of all kernels when scale <= 0); 0 is the paper. Without
// colour each weight is two characters of the diverging ramp. Every tile
// stands over its caption (from captions, else its number). The result is at
// most w×h cells.
func Kernels(ks [][]float32, k int, captions []string, scale float32, w, h int, st Styles) (string, KernelLayout) {
	names := make([]string, len(ks))
	for i := range ks {
		if i < len(captions) {
			names[i] = captions[i]
		} else {
			names[i] = strconv.Itoa(i)
		}
	}
	l := KernelSize(k, MaxWidth(names), w, h)
	n := min(len(ks), l.PerPage())
	if n == 0 {
		return "", l
	}
	if !(scale > 0) {
		for _, kv := range ks {
			for _, v := range kv[:k*k] {
				if a := float32(math.Abs(float64(v))); a > scale && !math.IsInf(float64(a), 0) {
					scale = a
				}
			}
		}
	}
	r := rampFor(HeatDiverging, st.Dark, st.Profile)
	lv := make([]uint8, k*k)
	gap := strings.Repeat(" ", featureGap)
	var b strings.Builder
	for row := 0; row*l.Cols < n; row++ {
		tiles := make([][]string, 0, l.Cols)
		for i := row * l.Cols; i < min(n, (row+1)*l.Cols); i++ {
			quantize(lv, ks[i][:k*k], -scale, scale, HeatDiverging)
			t := make([]string, 0, l.TileH)
			for y := range k {
				var line strings.Builder
				for x := range k {
					v := lv[y*k+x]
					if r == nil {
						line.WriteByte(asciiDiverging[v])
						line.WriteByte(asciiDiverging[v])
						continue
					}
					line.WriteString(r.bg[v])
					line.WriteString("  ")
				}
				if r != nil {
					line.WriteString(sgrReset)
				}
				t = append(t, PadEnd(line.String(), l.TileW))
			}
			t = append(t, PadEnd(st.Muted.Render(Truncate(names[i], l.TileW)), l.TileW))
			tiles = append(tiles, t)
		}
		writeTileRow(&b, tiles, l.TileH, gap, row == 0)
	}
	return b.String(), l
}
