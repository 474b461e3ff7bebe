package views

import (
	"fmt"
	"math"
	"strings"
)

// mathLine is one "label  number" line of the arithmetic panels.
func mathLine(label string, v float64, st Styles) string {
	s := fmt.Sprintf("%+.4f", v)
	style := st.Bad
	if v < 0 {
		style = st.Accent
	}
	return st.Muted.Render(PadEnd(label, convMathLabel)) + style.Render(s)
}

// mathTotal is the last line of an arithmetic panel: the result, and the
// value the layer gave with ✓ when they agree.
func mathTotal(label string, v float64, actual float32, w int, st Styles) string {
	s := st.Muted.Render(PadEnd(label, convMathLabel)) + st.Title.Render(fmt.Sprintf("%+.4f", v))
	check := st.Good.Render("✓")
	if !ConvMathMatch(v, actual) {
		check = st.Bad.Render("✗")
	}
	if layer := fmt.Sprintf("  layer %+.4f ", actual); convMathLabel+7+len(layer)+1 <= w {
		return s + st.Muted.Render(layer) + check
	}
	return s + " " + check
}

// BatchNormMath shows how batch norm (in evaluation mode, with its running
// statistics) turns x, from the layer named from, into a value:
// (x − mean) / √(variance + eps) · gamma + beta, beside the value the layer
// gave (actual). The result is at most w×h cells.
func BatchNormMath(from string, x, mean, variance, eps, gamma, beta float64, actual float32, w, h int, st Styles) string {
	inv := 1 / math.Sqrt(variance+eps)
	y := (x-mean)*inv*gamma + beta
	lines := []string{
		st.Muted.Render(Truncate("batch norm with the running statistics", w)),
		mathLine("x ("+Truncate(from, convMathLabel-5)+")", x, st),
		mathLine("− mean", mean, st),
		mathLine("× 1/√(var+ε)", inv, st) + st.Muted.Render(fmt.Sprintf("  var %.4g", variance)),
		mathLine("× γ", gamma, st),
		mathLine("+ β", beta, st),
		mathTotal("= value", y, actual, w, st),
	}
	return ClipBlock(strings.Join(lines, "\n"), w, h)
}

// ReLUMath shows max(0, x) for x from the layer named from, beside the
// value the layer gave (actual).
func ReLUMath(from string, x float64, actual float32, w, h int, st Styles) string {
	lines := []string{
		mathLine("x ("+Truncate(from, convMathLabel-5)+")", x, st),
		mathTotal("= max(0, x)", math.Max(0, x), actual, w, st),
	}
	if x <= 0 {
		lines = append(lines, st.Muted.Render(Truncate("negative: the ReLU zeroes it", w)))
	}
	return ClipBlock(strings.Join(lines, "\n"), w, h)
}

// PoolMath shows a k×k window (row-major) of the layer named from, at rows
// r0.. and columns c0.., and its maximum, beside the value the layer gave
// (actual). The largest value is in the Title style.
func PoolMath(from string, window []float32, k, r0, c0 int, actual float32, w, h int, st Styles) string {
	lines := []string{st.Muted.Render(Truncate(fmt.Sprintf("%d×%d window of %s at rows %d–%d, columns %d–%d", k, k, from, r0, r0+k-1, c0, c0+k-1), w))}
	best := 0
	for i, v := range window[:k*k] {
		if v > window[best] {
			best = i
		}
	}
	for y := range k {
		var b strings.Builder
		b.WriteString(strings.Repeat(" ", 2))
		for x := range k {
			s := fmt.Sprintf("%9.4f", window[y*k+x])
			if y*k+x == best {
				b.WriteString(st.Title.Render(s))
			} else {
				b.WriteString(st.Text.Render(s))
			}
		}
		lines = append(lines, b.String())
	}
	lines = append(lines, mathTotal("= max", float64(window[best]), actual, w, st))
	return ClipBlock(strings.Join(lines, "\n"), w, h)
}
