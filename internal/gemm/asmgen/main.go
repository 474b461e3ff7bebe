// Command asmgen generates the amd64 micro-kernels of package gemm with avo.
//
// Run it through go generate in the gemm package:
//
//	go generate convscope/internal/gemm
//
// Every kernel computes ntiles tiles of rows×cols elements of C, one below
// the other, from A read in place through a row stride rsa and a column
// stride csa and B read as kc rows of a panel with row stride ldb (strides
// in bytes). For each tile:
//
//	s(r,j) = Σ_p A(r,p)·B(p,j)         (FMAs in order of p, from zero)
//	C(r,j) = s(r,j)                    if mode == 0
//	C(r,j) = s(r,j) + beta·C(r,j)      if mode == 1 (one FMA)
//	C(r,j) = s(r,j)                    if mode == 2, with non-temporal stores
//
// Mode 2 is only for full tiles whose rows of C are aligned to the vector
// size; it keeps a large C that is only written from evicting the caches.
//
// At each step of p a kernel also prefetches one line, starting pfoff bytes
// after the tile's first element of A and moving by pfstep bytes, so that
// the driver can fetch the part of A it will need next.
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

// Largest row counts generated: 8×32 (16 zmm accumulators) for AVX-512 and
// 6×16 (12 ymm accumulators) for AVX2.
const (
	maxRows512 = 8
	maxRows256 = 6
)

func main() {
	ConstraintExpr("amd64,!purego")
	for rows := 1; rows <= maxRows512; rows++ {
		for nv := 1; nv <= 2; nv++ {
			kernel(avx512, rows, nv, true)
		}
	}
	for rows := 1; rows <= maxRows256; rows++ {
		for nv := 1; nv <= 2; nv++ {
			kernel(avx2, rows, nv, false)
			kernel(avx2, rows, nv, true)
		}
	}
	transpose16()
	transpose8()

	TEXT("sfence", NOSPLIT, "func()")
	Doc("sfence orders earlier non-temporal stores before later stores.")
	SFENCE()
	RET()

	Generate()
}

// isa describes one vector extension.
type isa struct {
	name   string
	vbytes int            // bytes per vector
	acc    []VecPhysical  // accumulators
	bv     [2]VecPhysical // B vectors
	bc     []VecPhysical  // broadcast registers, used in turn
	beta   VecPhysical    // beta in the epilogue
	tmp    VecPhysical    // C vector in the epilogue
	mask   string         // Go type of the mask argument
	zero   func(VecPhysical)
}

var avx512 = isa{
	name:   "avx512",
	vbytes: 64,
	acc: []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
		Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27},
	bv:   [2]VecPhysical{Z28, Z29},
	bc:   []VecPhysical{Z30, Z31},
	beta: Z30,
	tmp:  Z31,
	mask: "uint16",
	zero: func(v VecPhysical) { VPXORD(v, v, v) },
}

var avx2 = isa{
	name:   "avx2",
	vbytes: 32,
	acc:    []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11},
	bv:     [2]VecPhysical{Y12, Y13},
	bc:     []VecPhysical{Y14}, // Y15 holds the lane mask
	beta:   Y12,
	tmp:    Y13,
	mask:   "*int32",
	zero:   func(v VecPhysical) { VXORPS(v, v, v) },
}

const signature = "func(kc int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc int, beta float32, mode int, mask %s, pfoff, pfstep, ntiles int)"

// rowAddrs loads the A pointer and row stride and returns, for each row, a
// memory operand addressing A(r, p) for the current p, plus the base
// registers that must advance by csa bytes per step of p.
func rowAddrs(rows int) (addrs []Mem, bases []Register) {
	Load(Param("a"), RAX)
	Load(Param("rsa"), RBX)
	// R8 = 3·rsa; R9 = a + 4 rows.
	if rows > 3 {
		LEAQ(Mem{Base: RBX, Index: RBX, Scale: 2}, R8)
	}
	bases = []Register{RAX}
	if rows > 4 {
		LEAQ(Mem{Base: RAX, Index: RBX, Scale: 4}, R9)
		bases = append(bases, R9)
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

// kernel generates <isa>R<rows>V<nv>, with an M suffix for a masked AVX2
// kernel. AVX-512 kernels are always masked (by K1), which costs nothing.
func kernel(is isa, rows, nv int, masked bool) {
	name := fmt.Sprintf("%sR%dV%d", is.name, rows, nv)
	if masked && is.name == "avx2" {
		name += "M"
	}
	TEXT(name, NOSPLIT, fmt.Sprintf(signature, is.mask))
	Pragma("noescape")
	lanes := is.vbytes / 4
	switch {
	case is.name == "avx512":
		Doc(fmt.Sprintf("%s updates ntiles tiles of %d rows and up to %d columns with AVX-512; mask selects the valid lanes of the last vector.", name, rows, lanes*nv))
	case masked:
		Doc(fmt.Sprintf("%s updates ntiles tiles of %d rows and up to %d columns with AVX2 and FMA; mask points to the lane masks of the last vector.", name, rows, lanes*nv))
	default:
		Doc(fmt.Sprintf("%s updates ntiles tiles of %d rows and %d columns with AVX2 and FMA; mask is not used.", name, rows, lanes*nv))
	}

	// Loads and stores of the last vector of a row.
	loadLast := func(m Mem, dst VecPhysical) { VMOVUPS(m, dst) }
	storeLast := func(src VecPhysical, m Mem) { VMOVUPS(src, m) }
	switch {
	case is.name == "avx512":
		Load(Param("mask"), ECX)
		KMOVW(ECX, K1)
		loadLast = func(m Mem, dst VecPhysical) { VMOVUPS_Z(m, K1, dst) }
		storeLast = func(src VecPhysical, m Mem) { VMOVUPS(src, K1, m) }
	case masked:
		Load(Param("mask"), RCX)
		VMOVDQU(Mem{Base: RCX}, Y15)
		loadLast = func(m Mem, dst VecPhysical) { VMASKMOVPS(m, Y15, dst) }
		storeLast = func(src VecPhysical, m Mem) { VMASKMOVPS(src, Y15, m) }
	}
	// Store of vector v of a row whose first element is at base.
	store := func(v int, src VecPhysical, base Register) {
		m := Mem{Base: base, Disp: is.vbytes * v}
		if v == nv-1 {
			storeLast(src, m)
		} else {
			VMOVUPS(src, m)
		}
	}

	Label("tile")
	Load(Param("kc"), RDI)
	addrs, bases := rowAddrs(rows)
	Load(Param("csa"), RCX)
	Load(Param("b"), RDX)
	Load(Param("ldb"), RSI)
	Load(Param("pfoff"), R12)
	ADDQ(RAX, R12)
	Load(Param("pfstep"), R13)

	acc := func(r, v int) VecPhysical { return is.acc[r*nv+v] }
	for r := range rows {
		for v := range nv {
			is.zero(acc(r, v))
		}
	}

	Label("loop")
	for v := range nv {
		m := Mem{Base: RDX, Disp: is.vbytes * v}
		if v == nv-1 {
			loadLast(m, is.bv[v])
		} else {
			VMOVUPS(m, is.bv[v])
		}
	}
	for r := range rows {
		x := is.bc[r%len(is.bc)]
		VBROADCASTSS(addrs[r], x)
		for v := range nv {
			VFMADD231PS(is.bv[v], x, acc(r, v))
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

	// Epilogue: RAX walks the rows of C.
	Load(Param("c"), RAX)
	Load(Param("ldc"), RBX)
	Load(Param("mode"), RCX)
	CMPQ(RCX, U8(1))
	JB(LabelRef("store"))
	JA(LabelRef("stream"))

	beta, _ := Param("beta").Resolve()
	VBROADCASTSS(beta.Addr, is.beta)
	for r := range rows {
		for v := range nv {
			m := Mem{Base: RAX, Disp: is.vbytes * v}
			if v == nv-1 {
				loadLast(m, is.tmp)
				VFMADD231PS(is.tmp, is.beta, acc(r, v))
			} else {
				VFMADD231PS(m, is.beta, acc(r, v))
			}
			store(v, acc(r, v), RAX)
		}
		if r < rows-1 {
			ADDQ(RBX, RAX)
		}
	}
	JMP(LabelRef("next"))

	Label("store")
	for r := range rows {
		for v := range nv {
			store(v, acc(r, v), RAX)
		}
		if r < rows-1 {
			ADDQ(RBX, RAX)
		}
	}
	JMP(LabelRef("next"))

	Label("stream")
	for r := range rows {
		for v := range nv {
			VMOVNTPS(acc(r, v), Mem{Base: RAX, Disp: is.vbytes * v})
		}
		if r < rows-1 {
			ADDQ(RBX, RAX)
		}
	}

	// Next tile: a += rows·rsa, c += rows·ldc.
	Label("next")
	ntiles, _ := Param("ntiles").Resolve()
	DECQ(ntiles.Addr)
	JZ(LabelRef("done"))
	ADDQ(RBX, RAX)
	Store(RAX, Param("c"))
	Load(Param("a"), RAX)
	Load(Param("rsa"), RBX)
	IMUL3Q(U32(rows), RBX, RBX)
	ADDQ(RBX, RAX)
	Store(RAX, Param("a"))
	JMP(LabelRef("tile"))

	Label("done")
	VZEROUPPER()
	RET()
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

// transpose8 writes the transpose of an 8×8 block with AVX.
func transpose8() {
	TEXT("transpose8x8", NOSPLIT, "func(dst *float32, ldd int, src *float32, lds int)")
	Pragma("noescape")
	Doc("transpose8x8 stores the transpose of the 8×8 block at src (row stride lds bytes) at dst (row stride ldd bytes).")
	Load(Param("src"), RSI)
	Load(Param("lds"), RBX)
	Load(Param("dst"), RDI)
	Load(Param("ldd"), RDX)
	y := []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}
	r, t := y[:8], y[8:]
	for i := range 8 {
		VMOVUPS(Mem{Base: RSI}, r[i])
		if i < 7 {
			ADDQ(RBX, RSI)
		}
	}
	for i := 0; i < 8; i += 2 {
		VUNPCKLPS(r[i+1], r[i], t[i])
		VUNPCKHPS(r[i+1], r[i], t[i+1])
	}
	for i := 0; i < 8; i += 4 {
		VSHUFPS(U8(0x44), t[i+2], t[i], r[i])
		VSHUFPS(U8(0xEE), t[i+2], t[i], r[i+1])
		VSHUFPS(U8(0x44), t[i+3], t[i+1], r[i+2])
		VSHUFPS(U8(0xEE), t[i+3], t[i+1], r[i+3])
	}
	for i := range 4 {
		VPERM2F128(U8(0x20), r[4+i], r[i], t[i])
		VPERM2F128(U8(0x31), r[4+i], r[i], t[4+i])
	}
	for i := range 8 {
		VMOVUPS(t[i], Mem{Base: RDI})
		if i < 7 {
			ADDQ(RDX, RDI)
		}
	}
	VZEROUPPER()
	RET()
}

func zmmAny(i int) VecPhysical {
	return append(append([]VecPhysical{}, avx512.acc...), Z28, Z29, Z30, Z31)[i]
}
