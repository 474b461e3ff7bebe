package nn

import (
	"math"
	"math/rand/v2"
)

// Augment writes into dst (rows·cols floats in [0, 1]) the image src shifted by
// a random whole number of pixels in [-maxShift, maxShift] on each axis and
// rotated by a random angle in [-maxRotate, maxRotate] degrees about the
// centre, with bilinear sampling and black outside the image. With maxShift 0
// and maxRotate 0 it is a plain conversion.
func Augment(dst []float32, src []uint8, rows, cols, maxShift int, maxRotate float64, rng *rand.Rand) {
	dx, dy := 0, 0
	if maxShift > 0 {
		dx = rng.IntN(2*maxShift+1) - maxShift
		dy = rng.IntN(2*maxShift+1) - maxShift
	}
	angle := 0.0
	if maxRotate > 0 {
		angle = (rng.Float64()*2 - 1) * maxRotate * math.Pi / 180
	}
	Transform(dst, src, rows, cols, float64(dx), float64(dy), angle)
}

// Transform writes src rotated by angle radians about the image centre and then
// shifted by (dx, dy) pixels into dst, scaled to [0, 1], with bilinear sampling.
func Transform(dst []float32, src []uint8, rows, cols int, dx, dy, angle float64) {
	if angle == 0 && dx == float64(int(dx)) && dy == float64(int(dy)) {
		ix, iy := int(dx), int(dy)
		for r := 0; r < rows; r++ {
			sr := r - iy
			for c := 0; c < cols; c++ {
				sc := c - ix
				v := float32(0)
				if sr >= 0 && sr < rows && sc >= 0 && sc < cols {
					v = float32(src[sr*cols+sc]) * (1.0 / 255)
				}
				dst[r*cols+c] = v
			}
		}
		return
	}
	cy, cx := float64(rows-1)/2, float64(cols-1)/2
	sin, cos := math.Sincos(-angle)
	at := func(r, c int) float64 {
		if r < 0 || r >= rows || c < 0 || c >= cols {
			return 0
		}
		return float64(src[r*cols+c])
	}
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			// Inverse map: undo the shift, then the rotation.
			y, x := float64(r)-dy-cy, float64(c)-dx-cx
			sy, sx := sin*x+cos*y+cy, cos*x-sin*y+cx
			r0, c0 := int(math.Floor(sy)), int(math.Floor(sx))
			fy, fx := sy-float64(r0), sx-float64(c0)
			v := (1-fy)*((1-fx)*at(r0, c0)+fx*at(r0, c0+1)) + fy*((1-fx)*at(r0+1, c0)+fx*at(r0+1, c0+1))
			dst[r*cols+c] = float32(v / 255)
		}
	}
}
