//go:build amd64 && !purego

#include "textflag.h"

// Offsets of the rows of BNCoef (512 float32 each).
#define SC 0
#define SH 2048
#define YS 4096
#define YB 6144
#define K1 8192
#define K2 10240
#define K3 12288

// RELUMASK(v, d, t, zero): d &= (Relu(v) != 0), with v clobbered.
#define RELUMASK(v, d, t, zero) \
	VPSRAD $31, v, t; \
	VPANDN v, t, v; \
	VPSUBD v, zero, t; \
	VPSRAD $31, t, t; \
	VPAND  t, d, d

// func bnSums8(x *float32, stride, rows int, s1, s2 *float64)
TEXT ·bnSums8(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ stride+8(FP), BX
	MOVQ rows+16(FP), CX
	MOVQ s1+24(FP), DI
	MOVQ s2+32(FP), DX
	VMOVUPD (DI), Y0
	VMOVUPD 32(DI), Y1
	VMOVUPD (DX), Y2
	VMOVUPD 32(DX), Y3

sumsloop:
	VCVTPS2PD (SI), Y4
	VCVTPS2PD 16(SI), Y5
	VADDPD    Y4, Y0, Y0
	VADDPD    Y5, Y1, Y1
	VMULPD    Y4, Y4, Y4
	VMULPD    Y5, Y5, Y5
	VADDPD    Y4, Y2, Y2
	VADDPD    Y5, Y3, Y3
	ADDQ      BX, SI
	DECQ      CX
	JNZ       sumsloop
	VMOVUPD   Y0, (DI)
	VMOVUPD   Y1, 32(DI)
	VMOVUPD   Y2, (DX)
	VMOVUPD   Y3, 32(DX)
	VZEROUPPER
	RET

// func bnAffine(y, x *float32, rows, groups int, co *float32, relu int)
TEXT ·bnAffine(SB), NOSPLIT, $0-48
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ rows+16(FP), CX
	MOVQ groups+24(FP), R8
	MOVQ co+32(FP), R9
	MOVQ relu+40(FP), R11

affrow:
	MOVQ R8, DX
	MOVQ R9, R12

affgrp:
	VMOVUPS (SI), Y0
	VMULPS  YS(R12), Y0, Y0
	VADDPS  YB(R12), Y0, Y0
	TESTQ   R11, R11
	JZ      affstore
	VPSRAD  $31, Y0, Y1
	VPANDN  Y0, Y1, Y0

affstore:
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	ADDQ    $32, R12
	DECQ    DX
	JNZ     affgrp
	DECQ    CX
	JNZ     affrow
	VZEROUPPER
	RET

// func bnBackSums8(dy, x *float32, stride, rows int, co *float32, relu int, s1, s2 *float64)
TEXT ·bnBackSums8(SB), NOSPLIT, $0-64
	MOVQ dy+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ stride+16(FP), BX
	MOVQ rows+24(FP), CX
	MOVQ co+32(FP), R9
	MOVQ relu+40(FP), R11
	MOVQ s1+48(FP), R13
	MOVQ s2+56(FP), R14
	VMOVUPS SC(R9), Y8
	VMOVUPS SH(R9), Y9
	VMOVUPS YS(R9), Y10
	VMOVUPS YB(R9), Y11
	VMOVUPD (R13), Y12
	VMOVUPD 32(R13), Y13
	VMOVUPD (R14), Y14
	VMOVUPD 32(R14), Y15
	VPXOR   Y4, Y4, Y4

bsloop:
	VMOVUPS (SI), Y0
	VMOVUPS (DI), Y1
	TESTQ   R11, R11
	JZ      bsnomask
	VMULPS  Y10, Y0, Y2
	VADDPS  Y11, Y2, Y2
	RELUMASK(Y2, Y1, Y3, Y4)

bsnomask:
	VMULPS       Y8, Y0, Y5
	VADDPS       Y9, Y5, Y5
	VMULPS       Y5, Y1, Y5
	VCVTPS2PD    X5, Y6
	VEXTRACTF128 $1, Y5, X5
	VCVTPS2PD    X5, Y5
	VADDPD       Y6, Y12, Y12
	VADDPD       Y5, Y13, Y13
	VCVTPS2PD    X1, Y6
	VEXTRACTF128 $1, Y1, X1
	VCVTPS2PD    X1, Y1
	VADDPD       Y6, Y14, Y14
	VADDPD       Y1, Y15, Y15
	ADDQ         BX, SI
	ADDQ         BX, DI
	DECQ         CX
	JNZ          bsloop
	VMOVUPD      Y12, (R13)
	VMOVUPD      Y13, 32(R13)
	VMOVUPD      Y14, (R14)
	VMOVUPD      Y15, 32(R14)
	VZEROUPPER
	RET

// func bnBackDx(dx, dy, x *float32, rows, groups int, co *float32, relu int)
TEXT ·bnBackDx(SB), NOSPLIT, $0-56
	MOVQ dx+0(FP), R10
	MOVQ dy+8(FP), DI
	MOVQ x+16(FP), SI
	MOVQ rows+24(FP), CX
	MOVQ groups+32(FP), R8
	MOVQ co+40(FP), R9
	MOVQ relu+48(FP), R11
	VPXOR Y4, Y4, Y4

bdrow:
	MOVQ R8, DX
	MOVQ R9, R12

bdgrp:
	VMOVUPS (SI), Y0
	VMOVUPS (DI), Y1
	TESTQ   R11, R11
	JZ      bdnomask
	VMULPS  YS(R12), Y0, Y2
	VADDPS  YB(R12), Y2, Y2
	RELUMASK(Y2, Y1, Y3, Y4)

bdnomask:
	VMULPS  SC(R12), Y0, Y5
	VADDPS  SH(R12), Y5, Y5
	VMULPS  K1(R12), Y1, Y6
	VSUBPS  K2(R12), Y6, Y6
	VMULPS  K3(R12), Y5, Y5
	VSUBPS  Y5, Y6, Y6
	VMOVUPS Y6, (R10)
	ADDQ    $32, SI
	ADDQ    $32, DI
	ADDQ    $32, R10
	ADDQ    $32, R12
	DECQ    DX
	JNZ     bdgrp
	DECQ    CX
	JNZ     bdrow
	VZEROUPPER
	RET
