package gemm

// A kernel is a micro-kernel and the tile sizes it is built for.
type kernel struct {
	name string
	mr   int // rows of C per micro-tile
	nr   int // columns per packed B panel (a multiple of 16 for the SIMD kernels)

	// tile updates a rows×cols block of C (any rows, cols <= nr), mr rows
	// at a time. With A(r,p) = a[r*rsa+p*csa] and B(p,j) = b[p*ldb+j], it
	// computes
	//
	//	s = A(r,0)·B(0,j) + A(r,1)·B(1,j) + ... + A(r,kc-1)·B(kc-1,j)
	//	c[r*ldc+j] = s             if mode == modeStore or modeStream
	//	c[r*ldc+j] = s + beta·c[…] if mode == modeLoad
	//
	// accumulating in the order of p, from zero. Every call of one kernel
	// rounds the same way for every element, whatever rows and cols are; that
	// is what makes results independent of how C is cut into tiles. tile reads
	// nothing outside those elements of a, b and c.
	//
	// The SIMD kernels also prefetch one cache line per step of p, starting
	// pfoff bytes after the first element of A of each mr-row tile and moving
	// by pfstep bytes. Prefetches never fault, so they may point anywhere.
	tile func(rows, cols, kc int, a []float32, rsa, csa int, b []float32, ldb int, c []float32, ldc int, beta float32, mode, pfoff, pfstep int)

	// transpose, if not nil, stores the transpose of the tsize×tsize block
	// at src (row stride lds elements) at dst (row stride ldd elements). It
	// speeds up packing a transposed B.
	transpose func(dst []float32, ldd int, src []float32, lds int)
	tsize     int

	// align is the C alignment in bytes that modeStream needs (full tiles
	// only), and fence orders streamed stores before later ones. A kernel
	// with align == 0 has no modeStream.
	align int
	fence func()
}

// Modes of kernel.tile.
const (
	modeStore  = iota // C = A·B
	modeLoad          // C = A·B + beta·C
	modeStream        // C = A·B with non-temporal stores (full, aligned tiles)
)

// goKernel is the plain-Go micro-kernel. It never fuses a multiply and an
// add (the explicit float32 conversions forbid it), so it rounds the same way
// on every architecture.
var goKernel = &kernel{name: "go", mr: 4, nr: 16, tile: goTile}

// chosen is the best kernel for this CPU and build, picked at init.
var chosen = bestKernel()

// kern is the kernel Sgemm uses: chosen, unless a test swaps it to exercise
// another available kernel.
var kern = chosen

// Kernel names the micro-kernel chosen at init from the CPU features:
// "avx512", "avx2" or "go" (always "go" under -tags purego).
func Kernel() string { return chosen.name }

func goTile(rows, cols, kc int, a []float32, rsa, csa int, b []float32, ldb int, c []float32, ldc int, beta float32, mode, _, _ int) {
	load := mode == modeLoad
	r := 0
	for ; r+2 <= rows; r += 2 {
		a0, a1 := a[r*rsa:], a[(r+1)*rsa:]
		c0, c1 := c[r*ldc:r*ldc+cols], c[(r+1)*ldc:(r+1)*ldc+cols]
		j := 0
		for ; j+4 <= cols; j += 4 {
			var s00, s01, s02, s03, s10, s11, s12, s13 float32
			for p := range kc {
				x0, x1 := a0[p*csa], a1[p*csa]
				bp := b[p*ldb+j : p*ldb+j+4]
				y0, y1, y2, y3 := bp[0], bp[1], bp[2], bp[3]
				s00 += float32(x0 * y0)
				s01 += float32(x0 * y1)
				s02 += float32(x0 * y2)
				s03 += float32(x0 * y3)
				s10 += float32(x1 * y0)
				s11 += float32(x1 * y1)
				s12 += float32(x1 * y2)
				s13 += float32(x1 * y3)
			}
			store4(c0[j:j+4], s00, s01, s02, s03, beta, load)
			store4(c1[j:j+4], s10, s11, s12, s13, beta, load)
		}
		for ; j < cols; j++ {
			var s0, s1 float32
			for p := range kc {
				y := b[p*ldb+j]
				s0 += float32(a0[p*csa] * y)
				s1 += float32(a1[p*csa] * y)
			}
			store1(&c0[j], s0, beta, load)
			store1(&c1[j], s1, beta, load)
		}
	}
	if r < rows {
		a0 := a[r*rsa:]
		c0 := c[r*ldc : r*ldc+cols]
		for j := range cols {
			var s float32
			for p := range kc {
				s += float32(a0[p*csa] * b[p*ldb+j])
			}
			store1(&c0[j], s, beta, load)
		}
	}
}

func store1(c *float32, s, beta float32, load bool) {
	if load {
		s += float32(beta * *c)
	}
	*c = s
}

func store4(c []float32, s0, s1, s2, s3, beta float32, load bool) {
	c = c[:4]
	if load {
		s0 += float32(beta * c[0])
		s1 += float32(beta * c[1])
		s2 += float32(beta * c[2])
		s3 += float32(beta * c[3])
	}
	c[0], c[1], c[2], c[3] = s0, s1, s2, s3
}
