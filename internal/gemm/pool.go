package gemm

// MaxPoolRow computes one output row of a 2×2, stride-2 max pooling of NHWC
// activations with c channels: for output pixel ow and channel j, the
// maximum of the window whose top-left element is x[2·ow·c + j] (the others
// at +c, +wc and +wc+c, wc being the input's row length in elements), into
// y[ow·c + j], and its index (base + offset in x) into arg. The first of
// equal values wins, and a NaN never replaces a value (as v > best does).
// x must hold wc + 2·ow·c elements.
func MaxPoolRow(y []float32, arg []int32, x []float32, ow, c, wc, base int) {
	if ow <= 0 {
		return
	}
	y, arg = y[:ow*c], arg[:ow*c]
	_ = x[wc+2*ow*c-1]
	if bnAsm && c%8 == 0 && c > 0 {
		maxPoolRow(&y[0], &arg[0], &x[0], ow, c/8, c, wc, base)
		return
	}
	for o := 0; o < ow; o++ {
		b00 := 2 * o * c
		b01, b10 := b00+c, b00+wc
		b11 := b10 + c
		for j := 0; j < c; j++ {
			best, bi := x[b00+j], b00+j
			if v := x[b01+j]; v > best {
				best, bi = v, b01+j
			}
			if v := x[b10+j]; v > best {
				best, bi = v, b10+j
			}
			if v := x[b11+j]; v > best {
				best, bi = v, b11+j
			}
			y[o*c+j], arg[o*c+j] = best, int32(base+bi)
		}
	}
}
