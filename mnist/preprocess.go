package mnist

import (
	"fmt"
	"math"
)

// The geometry of MNIST's digits (LeCun et al.): each was scaled to fit a
// 20×20 box, keeping its aspect ratio, and placed in a 28×28 image with its
// centre of mass at the centre.
const (
	// Side is the width and height of an MNIST image.
	Side = 28
	// Box is the largest width and height of a digit inside the image.
	Box = 20
)

// Preprocess returns a rows×cols image px (row-major, 0 paper .. 255 ink)
// normalised the way MNIST's digits were made, as a Side×Side image: the
// bounding box of the ink (pixels above 0) is resampled (anti-aliased) so that
// its longer side is Box pixels, keeping the aspect ratio; the ink is
// stretched so its darkest pixel is 255; and the result is shifted by whole
// pixels so that its centre of mass (see CenterOfMass) is within half a pixel
// of (Side/2, Side/2). A blank image gives a blank one.
//
// Preprocess panics if px holds fewer than rows*cols pixels.
func Preprocess(px []uint8, rows, cols int) []uint8 {
	if rows < 0 || cols < 0 || len(px) < rows*cols {
		panic(fmt.Sprintf("mnist: Preprocess: %d pixels for a %dx%d image", len(px), rows, cols))
	}
	out := make([]uint8, Side*Side)
	r0, c0, r1, c1, ok := BoundingBox(px, rows, cols)
	if !ok {
		return out
	}
	bh, bw := r1-r0+1, c1-c0+1
	s := float64(Box) / float64(max(bh, bw))
	nh := min(Box, max(1, int(math.Round(float64(bh)*s))))
	nw := min(Box, max(1, int(math.Round(float64(bw)*s))))

	// Each output pixel is the mean of 4×4 samples of the box: the pixel
	// under each sample when shrinking (an area mean, exact at scale 1),
	// bilinear when enlarging (smooth rather than blocky).
	const sub = 4
	sy, sx := float64(bh)/float64(nh), float64(bw)/float64(nw)
	at := func(r, c int) float64 {
		if r < 0 || r >= rows || c < 0 || c >= cols {
			return 0
		}
		return float64(px[r*cols+c])
	}
	sample := func(y, x float64) float64 { // pixel (r, c) covers [r, r+1)×[c, c+1)
		if s <= 1 {
			return at(int(math.Floor(y)), int(math.Floor(x)))
		}
		y, x = y-0.5, x-0.5
		fy, fx := math.Floor(y), math.Floor(x)
		ty, tx := y-fy, x-fx
		r, c := int(fy), int(fx)
		return (1-ty)*((1-tx)*at(r, c)+tx*at(r, c+1)) + ty*((1-tx)*at(r+1, c)+tx*at(r+1, c+1))
	}
	small := make([]float64, nh*nw)
	peak := 0.0
	for y := range nh {
		for x := range nw {
			var sum float64
			for i := range sub {
				for j := range sub {
					sum += sample(float64(r0)+(float64(y)+(float64(i)+0.5)/sub)*sy,
						float64(c0)+(float64(x)+(float64(j)+0.5)/sub)*sx)
				}
			}
			v := sum / (sub * sub)
			small[y*nw+x] = v
			peak = max(peak, v)
		}
	}
	q := make([]uint8, nh*nw)
	for i, v := range small {
		q[i] = uint8(math.Round(min(255, v*255/peak)))
	}
	cy, cx, ok := CenterOfMass(q, nh, nw)
	if !ok { // everything rounded to 0: cannot happen, the peak is 255
		return out
	}
	dy, dx := int(math.Round(Side/2-cy)), int(math.Round(Side/2-cx))
	for y := range nh {
		for x := range nw {
			r, c := y+dy, x+dx
			if r >= 0 && r < Side && c >= 0 && c < Side {
				out[r*Side+c] = q[y*nw+x]
			}
		}
	}
	return out
}

// BoundingBox returns the rows r0..r1 and columns c0..c1 (inclusive) holding
// every pixel of px above 0; ok is false for a blank image.
func BoundingBox(px []uint8, rows, cols int) (r0, c0, r1, c1 int, ok bool) {
	r0, c0, r1, c1 = rows, cols, -1, -1
	for r := range rows {
		for c, v := range px[r*cols : (r+1)*cols] {
			if v > 0 {
				r0, r1 = min(r0, r), max(r1, r)
				c0, c1 = min(c0, c), max(c1, c)
			}
		}
	}
	if r1 < 0 {
		return 0, 0, 0, 0, false
	}
	return r0, c0, r1, c1, true
}

// CenterOfMass returns the ink-weighted mean row and column of px, with pixel
// (r, c) at coordinates (r, c); ok is false for a blank image.
func CenterOfMass(px []uint8, rows, cols int) (r, c float64, ok bool) {
	var sum, sr, sc float64
	for y := range rows {
		for x, v := range px[y*cols : (y+1)*cols] {
			w := float64(v)
			sum += w
			sr += w * float64(y)
			sc += w * float64(x)
		}
	}
	if sum == 0 {
		return 0, 0, false
	}
	return sr / sum, sc / sum, true
}
