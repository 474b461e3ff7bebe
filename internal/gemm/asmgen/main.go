// Command asmgen generates the amd64 micro-kernels of package gemm with avo.
//
// Run it through go generate in the gemm package:
//
//	go generate convscope/internal/gemm
//
// Every kernel computes a rows×cols tile of C from A read in place through
// a row stride and a column stride (in bytes) and B read as kc rows of a
// panel with row stride ldb (in bytes):
//
//	s(r,j) = Σ_p A(r,p)·B(p,j)         (FMAs in order of p, from zero)
//	C(r,j) = s(r,j)                    if !load
//	C(r,j) = s(r,j) + beta·C(r,j)      if load (one FMA)
//
// At each step of p a kernel also prefetches the line at pf and advances pf
// by pfstep bytes: the driver points it at the part of A it will need next.
//
// Names are <isa>R<rows>V<vectors>: avx512R8V2 updates 8 rows of two
// 16-float vectors. The last vector of a row is masked: AVX-512 kernels take
// an opmask, AVX2 kernels whose name ends in M take a pointer to eight
// int32 lane masks. Neither reads nor writes an element outside the tile.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Largest row counts generated.
const (
	maxRows512 = 14
	maxRows256 = 6
)

func main() {
	ConstraintExpr("amd64,!purego")
	for rows := 1; rows <= maxRows512; rows++ {
		for nv := 1; nv <= 2; nv++ {
			avx512(rows, nv)
		}
	}
	for rows := 1; rows <= maxRows256; rows++ {
		for nv := 1; nv <= 2; nv++ {
			avx2(rows, nv, false)
			avx2(rows, nv, true)
		}
	}
	transpose16()
	Generate()
}

// rowAddrs loads the A pointer and row stride and returns, for each row, a
// memory operand addressing A(r, p) for the current p, plus the base
// registers that must advance by csa bytes per step of p.
func rowAddrs(rows int) (addrs []Mem, bases []Register) {
	Load(Param("a"), RAX)
	Load(Param("rsa"), RBX)
	// R8 = 3·rsa; R9, R10, R11 = a + 4, 8, 12 rows.
	if rows > 3 {
		LEAQ(Mem{Base: RBX, Index: RBX, Scale: 2}, R8)
	}
	bases = []Register{RAX}
	for i, r := range []Register{R9, R10, R11} {
		if rows > 4*(i+1) {
			LEAQ(Mem{Base: bases[i], Index: RBX, Scale: 4}, r) // previous base + 4 rows
			bases = append(bases, r)
		}
	}
	for r := range rows {
		base := bases[r/4]
		switch r % 4 {
		case 0:
			addrs = append(addrs, Mem{Base: base})
		case 1:
			addrs = append(addrs, Mem{Base: base, Index: RBX, Scale: 1})
		case 2:
			addrs = append(addrs, Mem{Base: base, Index: RBX, Scale: 2})
		case 3:
			addrs = append(addrs, Mem{Base: base, Index: R8, Scale: 1})
		}
	}
	return addrs, bases
}

const signature = "func(kc int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc int, beta float32, load bool, mask %s, pf uintptr, pfstep int)"

func avx512(rows, nv int) {
	name := fmt.Sprintf("avx512R%dV%d", rows, nv)
	TEXT(name, NOSPLIT, fmt.Sprintf(signature, "uint16"))
	Pragma("noescape")
	Doc(fmt.Sprintf("%s updates a %d-row tile of up to %d columns with AVX-512; mask selects the valid lanes of the last vector.", name, rows, 16*nv))

	Load(Param("mask"), ECX)
	KMOVW(ECX, K1)
	Load(Param("kc"), RDI)
	addrs, bases := rowAddrs(rows)
	Load(Param("csa"), RCX)
	Load(Param("b"), RDX)
	Load(Param("ldb"), RSI)
	Load(Param("pf"), R12)
	Load(Param("pfstep"), R13)

	acc := func(r, v int) VecPhysical { return zmm(r*nv + v) }
	for r := range rows {
		for v := range nv {
			VPXORD(acc(r, v), acc(r, v), acc(r, v))
		}
	}
	bv := []VecPhysical{Z28, Z29}
	bc := []VecPhysical{Z30, Z31}

	Label("loop")
	for v := range nv {
		if v == nv-1 {
			VMOVUPS_Z(Mem{Base: RDX, Disp: 64 * v}, K1, bv[v])
		} else {
			VMOVUPS(Mem{Base: RDX, Disp: 64 * v}, bv[v])
		}
	}
	for r := range rows {
		x := bc[r%2]
		VBROADCASTSS(addrs[r], x)
		for v := range nv {
			VFMADD231PS(bv[v], x, acc(r, v))
		}
	}
	PREFETCHT0(Mem{Base: R12})
	ADDQ(R13, R12)
	for _, base := range bases {
		ADDQ(RCX, base)
	}
	ADDQ(RSI, RDX)
	DECQ(RDI)
	JNZ(LabelRef("loop"))

	Load(Param("c"), RAX)
	Load(Param("ldc"), RBX)
	Load(Param("load"), CL)
	TESTB(CL, CL)
	JZ(LabelRef("store"))

	beta, _ := Param("beta").Resolve()
	VBROADCASTSS(beta.Addr, Z30)
	for r := range rows {
		for v := range nv {
			m := Mem{Base: RAX, Disp: 64 * v}
			if v == nv-1 {
				VMOVUPS_Z(m, K1, Z31)
				VFMADD231PS(Z31, Z30, acc(r, v))
				VMOVUPS(acc(r, v), K1, m)
			} else {
				VFMADD231PS(m, Z30, acc(r, v))
				VMOVUPS(acc(r, v), m)
			}
		}
		if r < rows-1 {
			ADDQ(RBX, RAX)
		}
	}
	VZEROUPPER()
	RET()

	Label("store")
	for r := range rows {
		for v := range nv {
			m := Mem{Base: RAX, Disp: 64 * v}
			if v == nv-1 {
				VMOVUPS(acc(r, v), K1, m)
			} else {
				VMOVUPS(acc(r, v), m)
			}
		}
		if r < rows-1 {
			ADDQ(RBX, RAX)
		}
	}
	VZEROUPPER()
	RET()
}

func avx2(rows, nv int, masked bool) {
	name := fmt.Sprintf("avx2R%dV%d", rows, nv)
	if masked {
		name += "M"
	}
	TEXT(name, NOSPLIT, fmt.Sprintf(signature, "*int32"))
	Pragma("noescape")
	if masked {
		Doc(fmt.Sprintf("%s updates a %d-row tile of up to %d columns with AVX2 and FMA; mask points to the lane masks of the last vector.", name, rows, 8*nv))
	} else {
		Doc(fmt.Sprintf("%s updates a %d-row tile of %d columns with AVX2 and FMA; mask is not used.", name, rows, 8*nv))
	}

	if masked {
		Load(Param("mask"), RCX)
		VMOVDQU(Mem{Base: RCX}, Y15)
	}
	Load(Param("kc"), RDI)
	addrs, bases := rowAddrs(rows)
	Load(Param("csa"), RCX)
	Load(Param("b"), RDX)
	Load(Param("ldb"), RSI)
	Load(Param("pf"), R12)
	Load(Param("pfstep"), R13)

	acc := func(r, v int) VecPhysical { return ymm(r*nv + v) }
	for r := range rows {
		for v := range nv {
			VXORPS(acc(r, v), acc(r, v), acc(r, v))
		}
	}
	bv := []VecPhysical{Y12, Y13}
	bc := Y14

	loadLast := func(m Mem, dst VecPhysical) {
		if masked {
			VMASKMOVPS(m, Y15, dst)
		} else {
			VMOVUPS(m, dst)
		}
	}
	storeLast := func(src VecPhysical, m Mem) {
		if masked {
			VMASKMOVPS(src, Y15, m)
		} else {
			VMOVUPS(src, m)
		}
	}

	Label("loop")
	for v := range nv {
		m := Mem{Base: RDX, Disp: 32 * v}
		if v == nv-1 {
			loadLast(m, bv[v])
		} else {
			VMOVUPS(m, bv[v])
		}
	}
	for r := range rows {
		VBROADCASTSS(addrs[r], bc)
		for v := range nv {
			VFMADD231PS(bv[v], bc, acc(r, v))
		}
	}
	PREFETCHT0(Mem{Base: R12})
	ADDQ(R13, R12)
	for _, base := range bases {
		ADDQ(RCX, base)
	}
	ADDQ(RSI, RDX)
	DECQ(RDI)
	JNZ(LabelRef("loop"))

	Load(Param("c"), RAX)
	Load(Param("ldc"), RBX)
	Load(Param("load"), CL)
	TESTB(CL, CL)
	JZ(LabelRef("store"))

	beta, _ := Param("beta").Resolve()
	VBROADCASTSS(beta.Addr, Y12)
	for r := range rows {
		for v := range nv {
			m := Mem{Base: RAX, Disp: 32 * v}
			if v == nv-1 {
				loadLast(m, Y13)
				VFMADD231PS(Y13, Y12, acc(r, v))
				storeLast(acc(r, v), m)
			} else {
				VFMADD231PS(m, Y12, acc(r, v))
				VMOVUPS(acc(r, v), m)
			}
		}
		if r < rows-1 {
			ADDQ(RBX, RAX)
		}
	}
	VZEROUPPER()
	RET()

	Label("store")
	for r := range rows {
		for v := range nv {
			m := Mem{Base: RAX, Disp: 32 * v}
			if v == nv-1 {
				storeLast(acc(r, v), m)
			} else {
				VMOVUPS(acc(r, v), m)
			}
		}
		if r < rows-1 {
			ADDQ(RBX, RAX)
		}
	}
	VZEROUPPER()
	RET()
}

func zmm(i int) VecPhysical {
	return []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
		Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27}[i]
}

func ymm(i int) VecPhysical {
	return []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11}[i]
}

// transpose16 writes the transpose of a 16×16 block: dst row p, column j
// gets src row j, column p. Strides are in bytes.
func transpose16() {
	TEXT("transpose16x16", NOSPLIT, "func(dst *float32, ldd int, src *float32, lds int)")
	Pragma("noescape")
	Doc("transpose16x16 stores the transpose of the 16×16 block at src (row stride lds bytes) at dst (row stride ldd bytes).")
	Load(Param("src"), RSI)
	Load(Param("lds"), RBX)
	Load(Param("dst"), RDI)
	Load(Param("ldd"), RDX)
	r := make([]VecPhysical, 32)
	for i := range r {
		r[i] = zmmAny(i)
	}
	// Rows 0..15 into r[0..15].
	for i := range 16 {
		VMOVUPS(Mem{Base: RSI}, r[i])
		if i < 15 {
			ADDQ(RBX, RSI)
		}
	}
	// Stage 1: interleave pairs of rows: t[2i], t[2i+1] from rows 2i, 2i+1.
	t := r[16:]
	for i := 0; i < 16; i += 2 {
		VUNPCKLPS(r[i+1], r[i], t[i])
		VUNPCKHPS(r[i+1], r[i], t[i+1])
	}
	// Stage 2: 4×4 transposes within 128-bit lanes.
	for i := 0; i < 16; i += 4 {
		VSHUFPS(U8(0x44), t[i+2], t[i], r[i])
		VSHUFPS(U8(0xEE), t[i+2], t[i], r[i+1])
		VSHUFPS(U8(0x44), t[i+3], t[i+1], r[i+2])
		VSHUFPS(U8(0xEE), t[i+3], t[i+1], r[i+3])
	}
	// Stage 3: combine 128-bit lanes of row groups 0-3 with 4-7, 8-11 with 12-15.
	for g := 0; g < 16; g += 8 {
		for i := range 4 {
			VSHUFF32X4(U8(0x88), r[g+4+i], r[g+i], t[g+i])
			VSHUFF32X4(U8(0xDD), r[g+4+i], r[g+i], t[g+4+i])
		}
	}
	// Stage 4: combine the two halves.
	for i := range 8 {
		VSHUFF32X4(U8(0x88), t[8+i], t[i], r[i])
		VSHUFF32X4(U8(0xDD), t[8+i], t[i], r[8+i])
	}
	for i := range 16 {
		VMOVUPS(r[i], Mem{Base: RDI})
		if i < 15 {
			ADDQ(RDX, RDI)
		}
	}
	VZEROUPPER()
	RET()
}

func zmmAny(i int) VecPhysical {
	return []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
		Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31}[i]
}
