package views

import (
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
)

// testItems are n tiles cycling through the test digits, every third one
// wrong.
func testItems(n int) []DigitItem {
	digits := []rune{'7', '1', '4', '0'}
	labels := []int{7, 1, 4, 0}
	items := make([]DigitItem, n)
	for i := range items {
		d := i % len(digits)
		it := DigitItem{Pixels: testDigit(digits[d]), Label: labels[d], Pred: labels[d]}
		if i%3 == 2 {
			it.Pred = (it.Label + 2) % 10
		}
		items[i] = it
	}
	return items
}

func TestGrid(t *testing.T) {
	cases := []struct {
		name           string
		items          []DigitItem
		classes        []string
		cursor, w, h   int
		p              colorprofile.Profile
		dark           bool
		wantCols, wRow int
	}{
		{"90x32_TrueColor", testItems(12), nil, 2, 90, 32, colorprofile.TrueColor, true, 3, 2},
		{"90x32_ANSI256_light", testItems(12), nil, 4, 90, 32, colorprofile.ANSI256, false, 3, 2},
		{"60x16_Ascii_cursor", testItems(5), nil, 1, 60, 16, colorprofile.Ascii, true, 2, 1},
		{"partial_last_row_NoTTY", testItems(4), nil, 3, 90, 45, colorprofile.NoTTY, true, 3, 3},
		{"fashion_names_NoTTY", testItems(3), fashionNames, 2, 90, 15, colorprofile.NoTTY, true, 3, 1},
		{"fashion_names_TrueColor", testItems(3), fashionNames, 0, 90, 15, colorprofile.TrueColor, true, 3, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, l := Grid(c.items, c.classes, c.cursor, c.w, c.h, NewStyles(c.dark, c.p))
			if l.Cols != c.wantCols || l.Rows != c.wRow {
				t.Errorf("Grid layout = %d×%d tiles, want %d×%d", l.Cols, l.Rows, c.wantCols, c.wRow)
			}
			if w, h := lipgloss.Size(out); w > c.w || h > c.h {
				t.Errorf("Grid size = %dx%d, want at most %dx%d", w, h, c.w, c.h)
			}
			golden.RequireEqual(t, out)
		})
	}
}

// TestGridFits checks at many sizes that the grid stays within w×h, that as
// many tiles as fit are drawn, and that one more column or row would not fit.
func TestGridFits(t *testing.T) {
	items := testItems(40)
	st := NewStyles(true, colorprofile.TrueColor)
	for w := 0; w <= 200; w++ {
		for h := 0; h <= 70; h++ {
			l := GridSize(w, h, 28, 28)
			if l.TileW != 28 || l.TileH != 15 {
				t.Fatalf("%dx%d: tile %dx%d, want 28x15", w, h, l.TileW, l.TileH)
			}
			if l.Cols*l.TileW+max(l.Cols-1, 0)*GridGap > w || l.Rows*l.TileH > h {
				t.Errorf("%dx%d: layout %+v does not fit", w, h, l)
			}
			if fits := w >= l.TileW && h >= l.TileH; fits != (l.PerPage() > 0) {
				t.Errorf("%dx%d: layout %+v, want tiles iff one fits", w, h, l)
			}
			if l.PerPage() > 0 && ((l.Cols+1)*l.TileW+l.Cols*GridGap <= w || (l.Rows+1)*l.TileH <= h) {
				t.Errorf("%dx%d: layout %+v leaves room for more tiles", w, h, l)
			}
			if w%11 != 0 && w != 56 && w != 57 || h%6 != 0 && h != 29 && h != 30 {
				continue // draw a sample of the sizes, including the edges of two tiles
			}
			out, gl := Grid(items, nil, 0, w, h, st)
			if gl != l {
				t.Fatalf("%dx%d: Grid layout %+v, GridSize %+v", w, h, gl, l)
			}
			if l.PerPage() == 0 {
				if out != "" {
					t.Errorf("%dx%d: no tile fits but Grid drew %q", w, h, out)
				}
				continue
			}
			if gw, gh := lipgloss.Size(out); gw > w || gh > h {
				t.Errorf("%dx%d: Grid is %dx%d", w, h, gw, gh)
			}
			if n := strings.Count(ansi.Strip(out), "→"); n != min(len(items), l.PerPage()) {
				t.Errorf("%dx%d: %d captions, want %d", w, h, n, min(len(items), l.PerPage()))
			}
		}
	}
}

func TestGridEdges(t *testing.T) {
	st := NewStyles(true, colorprofile.NoTTY)
	if out, l := Grid(nil, nil, 0, 100, 40, st); out != "" || l.PerPage() != 6 {
		t.Errorf("Grid(nil) = %q, %+v; want \"\" and the 28x28 layout (9 tiles)", out, l)
	}
	// Square images of other sizes are inferred; Rows/Cols win when set.
	small := DigitItem{Pixels: make([]uint8, 14*14), Label: 1, Pred: 1}
	if _, l := Grid([]DigitItem{small}, nil, 0, 100, 40, st); l.TileW != 14 || l.TileH != 8 {
		t.Errorf("14x14 tile = %dx%d, want 14x8", l.TileW, l.TileH)
	}
	wide := DigitItem{Pixels: make([]uint8, 10*20), Rows: 10, Cols: 20, Label: 1, Pred: -1}
	out, l := Grid([]DigitItem{wide}, nil, 0, 100, 40, st)
	if l.TileW != 20 || l.TileH != 6 {
		t.Errorf("10x20 tile = %dx%d, want 20x6", l.TileW, l.TileH)
	}
	if !strings.Contains(out, "[1→?]") {
		t.Errorf("unpredicted caption missing in\n%s", out)
	}
	// Captions are cut to the tile.
	it := DigitItem{Pixels: make([]uint8, 6*6), Label: 0, Pred: 9}
	out, _ = Grid([]DigitItem{it}, fashionNames, -1, 10, 10, st)
	last := out[strings.LastIndexByte(out, '\n')+1:]
	if want := "T…→… ✗"; last != want {
		t.Errorf("6-cell caption = %q, want %q", last, want)
	}
}

func BenchmarkGrid(b *testing.B) {
	items := testItems(40)
	st := NewStyles(true, colorprofile.TrueColor)
	for b.Loop() {
		Grid(items, nil, 3, 200, 60, st)
	}
}
