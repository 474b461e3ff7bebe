package views

import (
	"math"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
)

// DigitItem is one tile of a Grid: an image with its true and predicted class.
type DigitItem struct {
	Pixels []uint8 // Rows×Cols, row-major, 0 paper, 255 ink
	// Rows and Cols are the image size; 0 means a square image of len(Pixels).
	Rows, Cols int
	Label      int // true class
	Pred       int // predicted class; negative when there is no prediction yet
}

// Wrong reports whether the item has a prediction and it is not the label.
func (it DigitItem) Wrong() bool { return it.Pred >= 0 && it.Pred != it.Label }

// size is the image size, inferring a square when Rows or Cols is 0.
func (it DigitItem) size() (rows, cols int) {
	if it.Rows > 0 && it.Cols > 0 {
		return it.Rows, it.Cols
	}
	s := int(math.Sqrt(float64(len(it.Pixels))))
	for s*s > len(it.Pixels) {
		s--
	}
	for (s+1)*(s+1) <= len(it.Pixels) {
		s++
	}
	return s, s
}

// GridLayout says how Grid lays out tiles: Cols×Rows tiles of TileW×TileH
// cells, with GridGap blank columns between tiles.
type GridLayout struct {
	Cols, Rows   int // tiles across and down
	TileW, TileH int // cells per tile, caption line included
}

// PerPage is the number of tiles that fit: page p shows items
// [p*PerPage, (p+1)*PerPage).
func (l GridLayout) PerPage() int { return l.Cols * l.Rows }

// GridGap is the number of blank columns between two tiles.
const GridGap = 1

// GridSize is the layout of tiles of rows×cols images in a w×h area: each
// tile is cols cells wide and (rows+1)/2 image lines plus a caption line high.
// Cols or Rows is 0 when not even one tile fits.
func GridSize(w, h, rows, cols int) GridLayout {
	l := GridLayout{TileW: cols, TileH: (rows+1)/2 + 1}
	if cols <= 0 || rows <= 0 || w < l.TileW || h < l.TileH {
		return l
	}
	l.Cols = (w + GridGap) / (l.TileW + GridGap)
	l.Rows = h / l.TileH
	return l
}

// Grid draws as many of items as fit in w×h as tiles, row by row: each tile is
// the digit (see Digit) over a caption "label→pred", with names from classes
// when given. Right answers are in the Good style, wrong ones in Bad with a ✗.
// The tile at index cursor (into items; -1 for none) has its caption drawn
// in the Selected style across the tile, and in [brackets] when the profile
// has no colour. Items past the page are ignored: slice items per page with
// the returned layout (or GridSize beforehand). Every item should have the
// size of the first. The result is at most w×h cells; it is "" when no tile
// fits or items is empty.
func Grid(items []DigitItem, classes []string, cursor, w, h int, st Styles) (string, GridLayout) {
	rows, cols := 28, 28
	if len(items) > 0 {
		rows, cols = items[0].size()
	}
	l := GridSize(w, h, rows, cols)
	n := min(len(items), l.PerPage())
	if n == 0 {
		return "", l
	}
	var b strings.Builder
	tiles := make([][]string, l.Cols)
	gap := strings.Repeat(" ", GridGap)
	for r := 0; r*l.Cols < n; r++ {
		row := items[r*l.Cols : min(n, (r+1)*l.Cols)]
		for c, it := range row {
			img := Digit(it.Pixels, rows, cols, st)
			tiles[c] = append(strings.Split(img, "\n"), gridCaption(it, classes, l.TileW, r*l.Cols+c == cursor, st))
		}
		writeTileRow(&b, tiles[:len(row)], l.TileH, gap, r == 0)
	}
	return b.String(), l
}

// writeTileRow writes one row of tiles, each h lines, side by side with gap
// between them, starting on a new line unless it is the first row.
func writeTileRow(b *strings.Builder, tiles [][]string, h int, gap string, first bool) {
	for y := range h {
		if !first || y > 0 {
			b.WriteByte('\n')
		}
		for i, t := range tiles {
			if i > 0 {
				b.WriteString(gap)
			}
			b.WriteString(t[y])
		}
	}
}

// gridCaption is a tile's caption, exactly w cells wide.
func gridCaption(it DigitItem, classes []string, w int, selected bool, st Styles) string {
	lab, pred := ClassName(classes, it.Label), ClassName(classes, it.Pred)
	mark, style := "", st.Good
	switch {
	case it.Pred < 0:
		style = st.Muted
	case it.Wrong():
		mark, style = " ✗", st.Bad
	}
	brackets := selected && st.Profile < colorprofile.ANSI
	room := w - 1 - lipgloss.Width(mark) // 1 for the arrow
	if brackets {
		room -= 2
	}
	lw, pw := lipgloss.Width(lab), lipgloss.Width(pred)
	if lw+pw > room { // share the room, giving spare cells to the longer name
		half := room / 2
		switch {
		case lw <= half:
			pred = Truncate(pred, room-lw)
		case pw <= room-half:
			lab = Truncate(lab, room-pw)
		default:
			lab, pred = Truncate(lab, room-half), Truncate(pred, half)
		}
	}
	text := lab + "→" + pred + mark
	if brackets {
		text = "[" + text + "]"
	}
	if selected {
		return Truncate(style.Inherit(st.Selected).Render(PadEnd(text, w)), w)
	}
	return PadEnd(Truncate(style.Render(text), w), w)
}
