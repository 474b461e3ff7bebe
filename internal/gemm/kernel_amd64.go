//go:build amd64 && !purego

package gemm

import (
	"os"

	"golang.org/x/sys/cpu"
)

// The generated assembly kernels (see asmgen), by rows and by vectors.
type (
	asmFunc  = func(kc int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc int, beta float32, mode int, mask uint16, pfoff, pfstep, ntiles int)
	asm2Func = func(kc int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc int, beta float32, mode int, mask *int32, pfoff, pfstep, ntiles int)
)

var avx512Funcs = [9][3]asmFunc{
	1: {1: avx512R1V1, 2: avx512R1V2},
	2: {1: avx512R2V1, 2: avx512R2V2},
	3: {1: avx512R3V1, 2: avx512R3V2},
	4: {1: avx512R4V1, 2: avx512R4V2},
	5: {1: avx512R5V1, 2: avx512R5V2},
	6: {1: avx512R6V1, 2: avx512R6V2},
	7: {1: avx512R7V1, 2: avx512R7V2},
	8: {1: avx512R8V1, 2: avx512R8V2},
}

// avx2Funcs[masked][rows][vectors]
var avx2Funcs = [2][7][3]asm2Func{
	{
		1: {1: avx2R1V1, 2: avx2R1V2},
		2: {1: avx2R2V1, 2: avx2R2V2},
		3: {1: avx2R3V1, 2: avx2R3V2},
		4: {1: avx2R4V1, 2: avx2R4V2},
		5: {1: avx2R5V1, 2: avx2R5V2},
		6: {1: avx2R6V1, 2: avx2R6V2},
	},
	{
		1: {1: avx2R1V1M, 2: avx2R1V2M},
		2: {1: avx2R2V1M, 2: avx2R2V2M},
		3: {1: avx2R3V1M, 2: avx2R3V2M},
		4: {1: avx2R4V1M, 2: avx2R4V2M},
		5: {1: avx2R5V1M, 2: avx2R5V2M},
		6: {1: avx2R6V1M, 2: avx2R6V2M},
	},
}

var (
	avx512Kernel = &kernel{name: "avx512", mr: 8, nr: 32, tile: avx512Tile,
		transpose: avx512Transpose, tsize: 16, fence: sfence, align: 64}
	avx2Kernel = &kernel{name: "avx2", mr: 6, nr: 16, tile: avx2Tile,
		transpose: avx2Transpose, tsize: 8, fence: sfence, align: 32}
)

var (
	hasAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ
	hasAVX2   = cpu.X86.HasAVX2 && cpu.X86.HasFMA
)

// bestKernel picks the fastest kernel the CPU has. The environment variable
// GEMM_KERNEL=avx2 or GEMM_KERNEL=go (read once, at init) picks a slower one
// instead, to measure the AVX2 path on an AVX-512 machine; it cannot pick a
// kernel the CPU lacks.
func bestKernel() *kernel {
	switch os.Getenv("GEMM_KERNEL") {
	case "go":
		return goKernel
	case "avx2":
		if hasAVX2 {
			return avx2Kernel
		}
	}
	switch {
	case hasAVX512:
		return avx512Kernel
	case hasAVX2:
		return avx2Kernel
	}
	return goKernel
}

// kernels lists the kernels this build can run on this CPU.
func kernels() []*kernel {
	ks := []*kernel{goKernel}
	if hasAVX2 {
		ks = append(ks, avx2Kernel)
	}
	if hasAVX512 {
		ks = append(ks, avx512Kernel)
	}
	return ks
}

func avx512Tile(rows, cols, kc int, a []float32, rsa, csa int, b []float32, ldb int, c []float32, ldc int, beta float32, mode, pfoff, pfstep int) {
	nv := (cols + 15) >> 4
	mask := uint16(1<<(cols-16*(nv-1)) - 1)
	if n := rows / 8; n > 0 {
		avx512Funcs[8][nv](kc, &a[0], rsa*4, csa*4, &b[0], ldb*4, &c[0], ldc*4, beta, mode, mask, pfoff, pfstep, n)
	}
	if r := rows % 8; r > 0 {
		i := rows - r
		avx512Funcs[r][nv](kc, &a[i*rsa], rsa*4, csa*4, &b[0], ldb*4, &c[i*ldc], ldc*4, beta, mode, mask, pfoff, pfstep, 1)
	}
}

// laneMasks[8-n:16-n] are the AVX2 lane masks of the first n of 8 lanes.
var laneMasks = [16]int32{-1, -1, -1, -1, -1, -1, -1, -1}

func avx2Tile(rows, cols, kc int, a []float32, rsa, csa int, b []float32, ldb int, c []float32, ldc int, beta float32, mode, pfoff, pfstep int) {
	nv := (cols + 7) >> 3
	last := cols - 8*(nv-1)
	masked := 0
	if last < 8 {
		masked = 1
	}
	mask := &laneMasks[8-last]
	if n := rows / 6; n > 0 {
		avx2Funcs[masked][6][nv](kc, &a[0], rsa*4, csa*4, &b[0], ldb*4, &c[0], ldc*4, beta, mode, mask, pfoff, pfstep, n)
	}
	if r := rows % 6; r > 0 {
		i := rows - r
		avx2Funcs[masked][r][nv](kc, &a[i*rsa], rsa*4, csa*4, &b[0], ldb*4, &c[i*ldc], ldc*4, beta, mode, mask, pfoff, pfstep, 1)
	}
}

func avx512Transpose(dst []float32, ldd int, src []float32, lds int) {
	_ = dst[15*ldd+15]
	_ = src[15*lds+15]
	transpose16x16(&dst[0], ldd*4, &src[0], lds*4)
}

func avx2Transpose(dst []float32, ldd int, src []float32, lds int) {
	_ = dst[7*ldd+7]
	_ = src[7*lds+7]
	transpose8x8(&dst[0], ldd*4, &src[0], lds*4)
}
