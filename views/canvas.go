package views

import "strings"

// CanvasSize is the cells a rows×cols canvas takes: in half blocks (see
// Digit) cols cells by (rows+1)/2 lines, a cell standing for a pixel above
// another; big, two cells by one line per pixel. Either way a pixel is about
// square on a terminal whose cells are twice as high as wide.
func CanvasSize(rows, cols int, big bool) (w, h int) {
	if big {
		return 2 * cols, rows
	}
	return cols, (rows + 1) / 2
}

// Canvas draws a rows×cols drawing (0 paper, 255 ink, as Digit) in the cells
// of CanvasSize, with the keyboard cursor's pixel (curR, curC) marked in the
// Warn colour (negative for no cursor). Big, each pixel is two cells of its
// shade and the cursor is "[]" over it; without colour the shades are
// characters of " .:-=+*#%@" (two per pixel when big) and the cursor is X
// (or "[]").
func Canvas(px []uint8, rows, cols, curR, curC int, big bool, st Styles) string {
	checkImage("Canvas", len(px), rows, cols)
	on := curR >= 0 && curR < rows && curC >= 0 && curC < cols
	if !big {
		var marks []bool
		if on {
			marks = make([]bool, rows*cols)
			marks[curR*cols+curC] = true
		}
		return shadeMarked(px[:rows*cols], rows, cols, HeatGray, marks, st)
	}
	r := rampFor(HeatGray, st.Dark, st.Profile)
	cursorFg := ""
	if r != nil {
		cursorFg, _ = sgrColor(true, markColor(st), st.Profile)
	}
	var b strings.Builder
	for y := range rows {
		if y > 0 {
			b.WriteByte('\n')
		}
		for x, v := range px[y*cols : (y+1)*cols] {
			cur := on && y == curR && x == curC
			switch {
			case r == nil && cur:
				b.WriteString("[]")
			case r == nil:
				c := asciiGray[v]
				b.WriteByte(c)
				b.WriteByte(c)
			case cur:
				b.WriteString(r.bg[v] + cursorFg + "[]")
			default:
				b.WriteString(r.bg[v] + "  ")
			}
		}
		if r != nil {
			b.WriteString(sgrReset)
		}
	}
	return b.String()
}
