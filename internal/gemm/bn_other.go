//go:build !amd64 || purego

package gemm

var bnAsm = false

func bnSums8(x *float32, stride, rows int, s1, s2 *float64)                                {}
func bnAffine(y, x *float32, rows, groups int, co *float32, relu int)                      {}
func bnBackSums8(dy, x *float32, stride, rows int, co *float32, relu int, s1, s2 *float64) {}
func bnBackDx(dx, dy, x *float32, rows, groups int, co *float32, relu int)                 {}

func colSums8(x *float32, stride, rows int, s *float64) {}

func maxPoolRow(y *float32, arg *int32, x *float32, ow, groups, c, wc, base int) {}

func reluSlice(dst, src *float32, n int) {}
