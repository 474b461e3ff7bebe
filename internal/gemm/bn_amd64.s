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

// func colSums8(x *float32, stride, rows int, s *float64)
TEXT ·colSums8(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ stride+8(FP), BX
	MOVQ rows+16(FP), CX
	MOVQ s+24(FP), DI
	VMOVUPD (DI), Y0
	VMOVUPD 32(DI), Y1

csloop:
	VCVTPS2PD (SI), Y4
	VCVTPS2PD 16(SI), Y5
	VADDPD    Y4, Y0, Y0
	VADDPD    Y5, Y1, Y1
	ADDQ      BX, SI
	DECQ      CX
	JNZ       csloop
	VMOVUPD   Y0, (DI)
	VMOVUPD   Y1, 32(DI)
	VZEROUPPER
	RET

DATA iota8<>+0(SB)/4, $0
DATA iota8<>+4(SB)/4, $1
DATA iota8<>+8(SB)/4, $2
DATA iota8<>+12(SB)/4, $3
DATA iota8<>+16(SB)/4, $4
DATA iota8<>+20(SB)/4, $5
DATA iota8<>+24(SB)/4, $6
DATA iota8<>+28(SB)/4, $7
GLOBL iota8<>(SB), RODATA|NOPTR, $32

// func maxPoolRow(y *float32, arg *int32, x *float32, ow, groups, c, wc, base int)
TEXT ·maxPoolRow(SB), NOSPLIT, $0-64
	MOVQ y+0(FP), DI
	MOVQ arg+8(FP), R10
	MOVQ x+16(FP), SI
	MOVQ ow+24(FP), CX
	MOVQ groups+32(FP), R8
	MOVQ c+40(FP), R11
	MOVQ wc+48(FP), R12
	MOVQ base+56(FP), AX
	LEAQ 0(R11*4), R13
	LEAQ 0(R12*4), R14
	MOVQ AX, X0
	VPBROADCASTD X0, Y8
	VPADDD iota8<>(SB), Y8, Y8
	MOVQ R11, X0
	VPBROADCASTD X0, Y9
	MOVQ R12, X0
	VPBROADCASTD X0, Y10
	VPADDD Y9, Y10, Y11
	MOVQ $8, AX
	MOVQ AX, X0
	VPBROADCASTD X0, Y12

mppix:
	MOVQ R8, DX
	MOVQ SI, BX

mpgrp:
	VMOVUPS   (BX), Y0
	VMOVDQU   Y8, Y1
	VMOVUPS   (BX)(R13*1), Y2
	VCMPPS    $0x1e, Y0, Y2, Y3
	VBLENDVPS Y3, Y2, Y0, Y0
	VPADDD    Y9, Y8, Y4
	VBLENDVPS Y3, Y4, Y1, Y1
	VMOVUPS   (BX)(R14*1), Y2
	VCMPPS    $0x1e, Y0, Y2, Y3
	VBLENDVPS Y3, Y2, Y0, Y0
	VPADDD    Y10, Y8, Y4
	VBLENDVPS Y3, Y4, Y1, Y1
	LEAQ      (BX)(R14*1), R15
	VMOVUPS   (R15)(R13*1), Y2
	VCMPPS    $0x1e, Y0, Y2, Y3
	VBLENDVPS Y3, Y2, Y0, Y0
	VPADDD    Y11, Y8, Y4
	VBLENDVPS Y3, Y4, Y1, Y1
	VMOVUPS   Y0, (DI)
	VMOVDQU   Y1, (R10)
	ADDQ      $32, BX
	ADDQ      $32, DI
	ADDQ      $32, R10
	VPADDD    Y12, Y8, Y8
	DECQ      DX
	JNZ       mpgrp
	LEAQ      (SI)(R13*2), SI
	VPADDD    Y9, Y8, Y8
	DECQ      CX
	JNZ       mppix
	VZEROUPPER
	RET

// func reluSlice(dst, src *float32, n int)  (n a multiple of 8)
TEXT ·reluSlice(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX

reluloop:
	VMOVUPS (SI), Y0
	VPSRAD  $31, Y0, Y1
	VPANDN  Y0, Y1, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     reluloop
	VZEROUPPER
	RET
