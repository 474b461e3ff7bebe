package views

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
)

// paperRows is the paper's network as a layer list.
func paperRows() []LayerRow {
	kinds := []struct {
		name, shape string
		params      int
	}{
		{"conv2d_1", "26x26x32", 320}, {"batch_norm_1", "26x26x32", 64}, {"relu_1", "26x26x32", 0},
		{"conv2d_2", "24x24x32", 9248}, {"batch_norm_2", "24x24x32", 64}, {"relu_2", "24x24x32", 0},
		{"max_pool_1", "12x12x32", 0},
		{"conv2d_3", "10x10x64", 18496}, {"batch_norm_3", "10x10x64", 128}, {"relu_3", "10x10x64", 0},
		{"conv2d_4", "8x8x64", 36928}, {"batch_norm_4", "8x8x64", 128}, {"relu_4", "8x8x64", 0},
		{"max_pool_2", "4x4x64", 0},
		{"conv2d_5", "2x2x128", 73856}, {"batch_norm_5", "2x2x128", 256}, {"relu_5", "2x2x128", 0},
		{"conv2d_6", "2x2x256", 33024}, {"batch_norm_6", "2x2x256", 512}, {"relu_6", "2x2x256", 0},
		{"max_pool_3", "1x1x256", 0}, {"flatten_1", "256", 0},
		{"dense_1", "128", 32896}, {"relu_7", "128", 0}, {"dense_2", "64", 8256}, {"relu_8", "64", 0}, {"dense_3", "10", 650},
	}
	rows := make([]LayerRow, len(kinds))
	for i, k := range kinds {
		rows[i] = LayerRow{Name: k.name, Shape: k.shape, Params: k.params}
	}
	return rows
}

func TestLayerList(t *testing.T) {
	rows := paperRows()
	cases := []struct {
		cur, w, h int
		p         colorprofile.Profile
	}{
		{0, 40, 30, colorprofile.TrueColor},
		{3, 28, 10, colorprofile.TrueColor},
		{14, 28, 10, colorprofile.TrueColor},
		{26, 28, 10, colorprofile.TrueColor},
		{5, 21, 8, colorprofile.TrueColor},
		{5, 10, 8, colorprofile.TrueColor},
		{7, 30, 8, colorprofile.Ascii},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("cur%d_%dx%d_%s", c.cur, c.w, c.h, c.p), func(t *testing.T) {
			out := LayerList(rows, c.cur, c.w, c.h, NewStyles(true, c.p))
			fmFits(t, "LayerList", out, c.w, c.h)
			lines := strings.Split(ansi.Strip(out), "\n")
			top := LayerListTop(len(rows), c.cur, c.h)
			line := lines[1+c.cur-top]
			if !strings.Contains(line, rows[c.cur].Name[:min(len(rows[c.cur].Name), c.w-3)]) {
				t.Errorf("line %d should be the selected layer %s: %q", 1+c.cur-top, rows[c.cur].Name, line)
			}
			golden.RequireEqual(t, out)
		})
	}
}

func TestLayerListTop(t *testing.T) {
	cases := []struct{ n, cur, h, want int }{
		{27, 0, 10, 0}, {27, 4, 10, 0}, {27, 5, 10, 1}, {27, 26, 10, 18}, {5, 4, 10, 0}, {27, 3, 1, 0},
	}
	for _, c := range cases {
		if got := LayerListTop(c.n, c.cur, c.h); got != c.want {
			t.Errorf("LayerListTop(%d, %d, %d) = %d, want %d", c.n, c.cur, c.h, got, c.want)
		}
	}
}
