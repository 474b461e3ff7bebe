package views

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"convscope/nn"
)

// convMathLabel is the width of the labels before the numbers.
const convMathLabel = 15

// convMathNum is the width of one number of the field and kernel grids.
const convMathNum = 7

// ConvMathMatch reports whether an explained sum agrees with the value the
// layer computed, allowing for float32 rounding in a long sum.
func ConvMathMatch(sum float64, actual float32) bool {
	return math.Abs(sum-float64(actual)) <= 1e-4*math.Max(1, math.Abs(float64(actual)))
}

// ConvMath shows how one output of a convolution is computed (see
// nn.ConvCell), in at most w×h cells. With one input channel it shows Σ
// field·kernel; with more, the partial sums of the input channels, largest
// magnitude first (as many as fit, the rest summed on one line). Then the
// bias and the total, beside the value the layer gave (actual) with ✓ when
// they agree (see ConvMathMatch). When there is room it ends with the K×K
// field and kernel numbers of the input channel that contributes most.
func ConvMath(cell nn.ConvCell, actual float32, w, h int, st Styles) string {
	if w <= 0 || h <= 0 || cell.InC == 0 {
		return ""
	}
	order := make([]int, cell.InC)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(math.Abs(cell.Partial[b]), math.Abs(cell.Partial[a]))
	})
	num := func(v float64) string { return fmt.Sprintf("%+.4f", v) }
	label := func(s string) string { return st.Muted.Render(PadEnd(s, convMathLabel)) }
	signed := func(v float64, s string) string {
		if v < 0 {
			return st.Accent.Render(s)
		}
		return st.Bad.Render(s)
	}

	grid := cell.K*(2*convMathNum) + 3
	gridLines := 0
	if w >= grid {
		gridLines = cell.K + 1
	}
	fixed := 3 // bias, total, and the Σ line or the "others" line
	var lines []string
	if cell.InC == 1 {
		lines = append(lines, label("Σ field·kernel")+signed(cell.Partial[0], num(cell.Partial[0])))
	} else {
		room := h - fixed - 1
		if room-gridLines >= min(cell.InC, 3) {
			room -= gridLines
		} else {
			gridLines = 0
		}
		top := max(0, min(cell.InC, room))
		if top == cell.InC-1 { // one line either way: show the channel
			top = cell.InC
		}
		lines = append(lines, st.Muted.Render(Truncate(fmt.Sprintf("Σ field·kernel of %d input channels", cell.InC), w)))
		peak := math.Abs(cell.Partial[order[0]])
		barW := max(0, w-convMathLabel-8-1)
		for _, c := range order[:top] {
			p := cell.Partial[c]
			bar := ""
			if peak > 0 && barW > 0 {
				bar = " " + probBar(math.Abs(p)/peak, barW, st.Profile)
			}
			lines = append(lines, label(fmt.Sprintf("  ch %d", c))+signed(p, num(p)+strings.TrimRight(bar, " ")))
		}
		if rest := order[top:]; len(rest) > 0 {
			var s float64
			for _, c := range rest {
				s += cell.Partial[c]
			}
			lines = append(lines, label(fmt.Sprintf("  %d others", len(rest)))+signed(s, num(s)))
		}
	}
	lines = append(lines, label("+ bias")+signed(float64(cell.Bias), num(float64(cell.Bias))))
	check := st.Good.Render("✓")
	if !ConvMathMatch(cell.Sum, actual) {
		check = st.Bad.Render("✗")
	}
	total := label("= value") + st.Title.Render(num(cell.Sum))
	if layer := fmt.Sprintf("  layer %+.4f ", actual); convMathLabel+7+len(layer)+1 <= w {
		total += st.Muted.Render(layer) + check
	} else {
		total += " " + check
	}
	lines = append(lines, total)

	if gridLines > 0 && len(lines)+gridLines <= h {
		c := order[0]
		head := fmt.Sprintf("field (input ch %d)", c)
		lines = append(lines, st.Muted.Render(PadEnd(head, cell.K*convMathNum+3)+"× kernel"))
		for kh := range cell.K {
			var b strings.Builder
			for kw := range cell.K {
				b.WriteString(st.Text.Render(fmt.Sprintf("%*.3f", convMathNum, cell.Field[(kh*cell.K+kw)*cell.InC+c])))
			}
			b.WriteString("   ")
			for kw := range cell.K {
				v := float64(cell.Kernel[(kh*cell.K+kw)*cell.InC+c])
				b.WriteString(signed(v, fmt.Sprintf("%+*.3f", convMathNum, v)))
			}
			lines = append(lines, b.String())
		}
	}
	return ClipBlock(strings.Join(lines, "\n"), w, h)
}
