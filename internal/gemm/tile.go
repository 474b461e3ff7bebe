package gemm

// Tile computes C = A·B (acc false) or C += A·B (acc true) for an m×n block
// of C on the calling goroutine, with the chosen micro-kernel and no packing:
// A(i,p) = a[i*rsa + p*csa] is read in place through its strides (so rows
// may overlap, as in an implicit im2col, and A may be transposed), B is k×n
// with row stride ldb, read in place, and C has row stride ldc.
//
// It is meant for small, cache-resident blocks that a caller cuts out of a
// larger computation and spreads over threads itself (implicit-GEMM
// convolutions, per-image weight gradients). Every element is computed by
// the same operations whichever goroutine calls it: sums run over p in
// order, from zero, in passes of at most 384 steps of p, each pass added to
// C. Tile does not allocate. It panics with a "gemm: ..." message when a
// slice is too short for the sizes and strides given.
func Tile(m, n, k int, a []float32, rsa, csa int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	if m <= 0 || n <= 0 {
		return
	}
	if k < 0 || rsa < 0 || csa < 0 || ldb < n || ldc < n {
		panic("gemm: Tile: bad size or stride")
	}
	if len(c) < (m-1)*ldc+n {
		panic("gemm: Tile: c too short")
	}
	if k == 0 {
		if !acc {
			scaleC(m, n, 0, c, ldc)
		}
		return
	}
	if len(a) < (m-1)*rsa+(k-1)*csa+1 {
		panic("gemm: Tile: a too short")
	}
	if len(b) < (k-1)*ldb+n {
		panic("gemm: Tile: b too short")
	}
	kn := kern
	nr := kn.nr
	// Prefetch as block does: the next tile's rows for a row-major A, A
	// pfDist steps of p ahead for a column-major one.
	for pc := 0; pc < k; pc += blockK {
		kc := min(blockK, k-pc)
		mode := modeLoad
		if pc == 0 && !acc {
			mode = modeStore
		}
		pfoff, pfstep := kn.mr*rsa*4, min(64, ((kn.mr-1)*rsa+kc)*4/kc)
		if csa != 1 {
			pfoff, pfstep = pfDist*csa*4, csa*4
		}
		ap := a[pc*csa:]
		for jr := 0; jr < n; jr += nr {
			kn.tile(m, min(nr, n-jr), kc, ap, rsa, csa, b[pc*ldb+jr:], ldb, c[jr:], ldc, 1, mode, pfoff, pfstep)
		}
	}
}

// TileRows is the number of rows of C the chosen micro-kernel computes at
// once; Tile is most efficient when m is a multiple of it.
func TileRows() int { return kern.mr }
