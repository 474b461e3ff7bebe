package gemm

import "math"

// Batch-norm kernels: passes over an [rows, C] matrix (NHWC activations)
// with per-channel coefficients. They compute exactly what the plain-Go
// loops below compute (same operations in the same order, float64 sums
// over rows in row order), with AVX2 on amd64 when C is a multiple of 8.

// BNCoef holds a batch norm's per-channel coefficients, for up to 512
// channels; the rows are indexed by the BN* constants.
type BNCoef [7][512]float32

// Rows of BNCoef.
const (
	BNScale = iota // x̂ = x·scale + shift
	BNShift
	BNYScale // y = x·yscale + yshift
	BNYShift
	BNK1 // dx = k1·dy - k2 - k3·x̂
	BNK2
	BNK3
)

// BNSums adds, for each channel j of the [rows, c] matrix x, Σx into s1[j]
// and Σx² into s2[j], in float64.
func BNSums(x []float32, c int, s1, s2 []float64) {
	rows := bnRows(len(x), c)
	s1, s2 = s1[:c], s2[:c]
	if bnAsm && c%8 == 0 && rows > 0 {
		for j := 0; j < c; j += 8 {
			bnSums8(&x[j], c*4, rows, &s1[j], &s2[j])
		}
		return
	}
	for r := 0; r < rows; r++ {
		for j, v := range x[r*c : (r+1)*c] {
			fv := float64(v)
			s1[j] += fv
			s2[j] += fv * fv
		}
	}
}

// BNAffine writes y = x·yscale + yshift, rectified (max(0, ·), -0 as +0)
// when relu is set.
func BNAffine(y, x []float32, c int, co *BNCoef, relu bool) {
	rows := bnRows(len(x), c)
	y = y[:len(x)]
	if bnAsm && c%8 == 0 && rows > 0 {
		bnAffine(&y[0], &x[0], rows, c/8, &co[0][0], b2i(relu))
		return
	}
	ys, yb := &co[BNYScale], &co[BNYShift]
	for r := 0; r < rows; r++ {
		xr, yr := x[r*c:(r+1)*c], y[r*c:(r+1)*c]
		for j, v := range xr {
			v = v*ys[j] + yb[j]
			if relu {
				v = Relu(v)
			}
			yr[j] = v
		}
	}
}

// BNBackSums adds Σ d·x̂ into s1[j] and Σ d into s2[j], where d is dy, or dy
// masked by the ReLU of x·yscale + yshift when relu is set.
func BNBackSums(dy, x []float32, c int, co *BNCoef, relu bool, s1, s2 []float64) {
	rows := bnRows(len(dy), c)
	x = x[:len(dy)]
	s1, s2 = s1[:c], s2[:c]
	if bnAsm && c%8 == 0 && rows > 0 {
		for j := 0; j < c; j += 8 {
			bnBackSums8(&dy[j], &x[j], c*4, rows, &co[0][j], b2i(relu), &s1[j], &s2[j])
		}
		return
	}
	sc, sh, ys, yb := &co[BNScale], &co[BNShift], &co[BNYScale], &co[BNYShift]
	for r := 0; r < rows; r++ {
		dr, xr := dy[r*c:(r+1)*c], x[r*c:(r+1)*c]
		for j, d := range dr {
			if relu {
				d = ReluMask(d, xr[j]*ys[j]+yb[j])
			}
			s1[j] += float64(d * (xr[j]*sc[j] + sh[j]))
			s2[j] += float64(d)
		}
	}
}

// BNBackDx writes dx = k1·d - k2 - k3·x̂, d as in BNBackSums.
func BNBackDx(dx, dy, x []float32, c int, co *BNCoef, relu bool) {
	rows := bnRows(len(dy), c)
	x, dx = x[:len(dy)], dx[:len(dy)]
	if bnAsm && c%8 == 0 && rows > 0 {
		bnBackDx(&dx[0], &dy[0], &x[0], rows, c/8, &co[0][0], b2i(relu))
		return
	}
	sc, sh, ys, yb := &co[BNScale], &co[BNShift], &co[BNYScale], &co[BNYShift]
	k1, k2, k3 := &co[BNK1], &co[BNK2], &co[BNK3]
	for r := 0; r < rows; r++ {
		dr, xr, or := dy[r*c:(r+1)*c], x[r*c:(r+1)*c], dx[r*c:(r+1)*c]
		for j, d := range dr {
			if relu {
				d = ReluMask(d, xr[j]*ys[j]+yb[j])
			}
			or[j] = k1[j]*d - k2[j] - k3[j]*(xr[j]*sc[j]+sh[j])
		}
	}
}

// Relu is max(0, v) without a branch: the sign bit, smeared over the word,
// masks the value out (-0 becomes +0; NaN with the sign bit set becomes 0).
func Relu(v float32) float32 {
	b := math.Float32bits(v)
	return math.Float32frombits(b &^ uint32(int32(b)>>31))
}

// ReluMask is d where Relu(v) > 0, else 0 (the ReLU's backward, from its output).
func ReluMask(d, v float32) float32 {
	b := math.Float32bits(Relu(v))
	mask := uint32(int32(-b) >> 31)
	return math.Float32frombits(math.Float32bits(d) & mask)
}

func bnRows(n, c int) int {
	if c <= 0 || c > 512 || n%c != 0 {
		panic("gemm: batch-norm kernel: bad channel count")
	}
	return n / c
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ColSums adds the column sums of the [rows, c] matrix x into s, in float64
// and row order (the bias gradient of a layer).
func ColSums(x []float32, c int, s []float64) {
	if c <= 0 || len(x)%c != 0 {
		panic("gemm: ColSums: bad column count")
	}
	rows := len(x) / c
	s = s[:c]
	if bnAsm && c%8 == 0 && rows > 0 {
		for j := 0; j < c; j += 8 {
			colSums8(&x[j], c*4, rows, &s[j])
		}
		return
	}
	for r := 0; r < rows; r++ {
		for j, v := range x[r*c : (r+1)*c] {
			s[j] += float64(v)
		}
	}
}

// ReluSlice writes Relu(src[i]) into dst[i].
func ReluSlice(dst, src []float32) {
	dst = dst[:len(src)]
	i := 0
	if bnAsm && len(src) >= 8 {
		i = len(src) &^ 7
		reluSlice(&dst[0], &src[0], i)
	}
	for ; i < len(src); i++ {
		dst[i] = Relu(src[i])
	}
}
