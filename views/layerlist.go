package views

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/colorprofile"
)

// LayerRow is one line of a model summary.
type LayerRow struct {
	Name   string // e.g. "conv2d_1"
	Shape  string // output shape, e.g. "26x26x32" or "128"
	Params int    // trainable values
}

// LayerListTop is the first of n rows LayerList shows in h lines (the first
// is a header) when row cur is selected: cur stays in view, in the middle
// when the list is longer than the room.
func LayerListTop(n, cur, h int) int {
	vis := h - 1
	if vis <= 0 || n <= vis {
		return 0
	}
	return max(0, min(cur-(vis-1)/2, n-vis))
}

// LayerList draws rows as a model summary in at most w×h cells: a header
// and one line per layer with its name, output shape and parameter count,
// the columns from the right dropped when w is short. Row cur is in the
// Selected style (marked with > without colour). When the rows do not fit
// the list scrolls to keep cur in view (see LayerListTop).
func LayerList(rows []LayerRow, cur, w, h int, st Styles) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	names, shapes, params := []string{"layer"}, []string{"output"}, []string{"params"}
	for _, r := range rows {
		names = append(names, r.Name)
		shapes = append(shapes, r.Shape)
		params = append(params, layerParams(r.Params))
	}
	mark := 0
	if st.Profile < colorprofile.ANSI {
		mark = 2
	}
	nw, sw, pw := MaxWidth(names), MaxWidth(shapes), MaxWidth(params)
	showShape, showParams := true, true
	if mark+nw+1+sw+1+pw > w {
		showParams = false
	}
	if mark+nw+1+sw > w {
		showShape = false
	}
	nw = min(nw, w-mark)
	line := func(i int) string {
		s := PadEnd(Truncate(names[i], nw), nw)
		if showShape {
			s += " " + PadStart(shapes[i], sw)
		}
		if showParams {
			s += " " + PadStart(params[i], pw)
		}
		return s
	}
	out := []string{st.Muted.Render(strings.Repeat(" ", mark) + line(0))}
	top := LayerListTop(len(rows), cur, h)
	for i := top; i < len(rows) && len(out) < h; i++ {
		text := line(i + 1)
		switch {
		case i == cur && mark > 0:
			out = append(out, "> "+text)
		case i == cur:
			out = append(out, st.Selected.Render(text))
		default:
			out = append(out, strings.Repeat(" ", mark)+st.Text.Render(text))
		}
	}
	return ClipBlock(strings.Join(out, "\n"), w, h)
}

// layerParams formats n with commas between groups of three digits.
func layerParams(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(s[i])
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
