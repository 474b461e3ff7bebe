//go:build amd64 && !purego

package gemm

// bnAsm says the AVX2 batch-norm kernels can run (GEMM_KERNEL=go turns them off).
var bnAsm = hasAVX2 && kern != goKernel

// bnSums8 adds Σx and Σx² over rows (row stride bytes) of 8 channels into s1[0:8], s2[0:8].
//
//go:noescape
func bnSums8(x *float32, stride, rows int, s1, s2 *float64)

// bnAffine is BNAffine over rows of groups·8 channels; co points at BNCoef[0][0].
//
//go:noescape
func bnAffine(y, x *float32, rows, groups int, co *float32, relu int)

// bnBackSums8 is BNBackSums for 8 channels; co points at BNCoef[0][j].
//
//go:noescape
func bnBackSums8(dy, x *float32, stride, rows int, co *float32, relu int, s1, s2 *float64)

// bnBackDx is BNBackDx over rows of groups·8 channels.
//
//go:noescape
func bnBackDx(dx, dy, x *float32, rows, groups int, co *float32, relu int)

// colSums8 adds Σx over rows (row stride bytes) of 8 columns into s[0:8].
//
//go:noescape
func colSums8(x *float32, stride, rows int, s *float64)

// maxPoolRow is MaxPoolRow for c a multiple of 8 (groups = c/8).
//
//go:noescape
func maxPoolRow(y *float32, arg *int32, x *float32, ow, groups, c, wc, base int)

// reluSlice writes Relu(src[i]) into dst[i] for i < n, n a multiple of 8.
//
//go:noescape
func reluSlice(dst, src *float32, n int)
