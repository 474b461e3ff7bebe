package mnist

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"slices"
)

// IDX magic numbers: two zero bytes, the element type (0x08 is unsigned
// byte), and the number of dimensions.
const (
	imagesMagic = 0x00000803
	labelsMagic = 0x00000801
)

const (
	// maxDim bounds the rows and columns of an image.
	maxDim = 4096
	// maxLabel is the largest label accepted. 255 is rejected, so that
	// max label+1 classes always fit in a byte.
	maxLabel = 254
	// chunkSize caps the first allocation for data of unknown length.
	chunkSize = 1 << 20
	// maxDeflateRatio is the most deflate can compress: 258 bytes from
	// about 2 bits.
	maxDeflateRatio = 1032
)

// ReadImages reads an IDX3 image file (magic 0x00000803) from r, raw or
// gzipped (detected by the gzip magic bytes 1f 8b). It returns the
// pixels of all n images, row-major, rows*cols bytes per image.
//
// ReadImages reads r to its end: bytes after the last image are an
// error, because they mean the header's count is wrong (for gzip, reading
// to the end also verifies the checksum). A header that claims more data
// than r holds fails with a "truncated" error; memory is allocated as the
// data arrives, so a tiny file claiming billions of images costs little.
// Dimensions of 0 or above 4096 are rejected.
func ReadImages(r io.Reader) (pix []uint8, n, rows, cols int, err error) {
	pix, n, rows, cols, err = readImages(r)
	if err != nil {
		return nil, 0, 0, 0, fmt.Errorf("mnist: read images: %w", err)
	}
	return pix, n, rows, cols, nil
}

// ReadLabels reads an IDX1 label file (magic 0x00000801) from r, raw or
// gzipped, and returns one label per item. Labels must be at most 254.
// Like ReadImages it reads r to its end and rejects trailing bytes and
// truncated data.
func ReadLabels(r io.Reader) (labels []uint8, err error) {
	labels, err = readLabels(r)
	if err != nil {
		return nil, fmt.Errorf("mnist: read labels: %w", err)
	}
	return labels, nil
}

// readImages is ReadImages without the "mnist:" prefix on errors, so
// callers can name the file instead.
func readImages(r io.Reader) (pix []uint8, n, rows, cols int, err error) {
	src, err := open(r)
	if err != nil {
		return nil, 0, 0, 0, err
	}
	h, err := readHeader(src.r, imagesMagic, 3)
	if err != nil {
		return nil, 0, 0, 0, err
	}
	n, rows, cols = int(h[0]), int(h[1]), int(h[2])
	if rows < 1 || rows > maxDim || cols < 1 || cols > maxDim {
		return nil, 0, 0, 0, fmt.Errorf("bad image size %dx%d, want rows and cols in 1..%d", rows, cols, maxDim)
	}
	size := uint64(h[0]) * uint64(rows) * uint64(cols)
	if size > math.MaxInt {
		return nil, 0, 0, 0, fmt.Errorf("header claims %d images of %dx%d, too large for this platform", n, rows, cols)
	}
	pix, err = src.payload(int(size), 16)
	if err != nil {
		return nil, 0, 0, 0, describe(err, fmt.Sprintf("%d images of %dx%d", n, rows, cols), int(size))
	}
	if err := src.end(); err != nil {
		return nil, 0, 0, 0, describe(err, fmt.Sprintf("%d images of %dx%d", n, rows, cols), int(size))
	}
	return pix, n, rows, cols, nil
}

// readLabels is ReadLabels without the "mnist:" prefix on errors.
func readLabels(r io.Reader) ([]uint8, error) {
	src, err := open(r)
	if err != nil {
		return nil, err
	}
	h, err := readHeader(src.r, labelsMagic, 1)
	if err != nil {
		return nil, err
	}
	if uint64(h[0]) > math.MaxInt {
		return nil, fmt.Errorf("header claims %d labels, too many for this platform", h[0])
	}
	n := int(h[0])
	labels, err := src.payload(n, 8)
	if err != nil {
		return nil, describe(err, fmt.Sprintf("%d labels", n), n)
	}
	if err := src.end(); err != nil {
		return nil, describe(err, fmt.Sprintf("%d labels", n), n)
	}
	if i := slices.IndexFunc(labels, func(l uint8) bool { return l > maxLabel }); i >= 0 {
		return nil, fmt.Errorf("label %d at index %d, want at most %d", labels[i], i, maxLabel)
	}
	return labels, nil
}

// errTruncated and errTrailing are internal markers that describe turns
// into messages with the counts.
var (
	errTruncated = errors.New("truncated")
	errTrailing  = errors.New("trailing data")
)

// truncation records how many payload bytes arrived before the data
// ended.
type truncation struct{ got int }

func (t *truncation) Error() string { return fmt.Sprintf("truncated after %d bytes", t.got) }
func (t *truncation) Unwrap() error { return errTruncated }

// describe turns the internal markers into messages that say what the
// header claimed; other errors pass through.
func describe(err error, claim string, size int) error {
	var t *truncation
	switch {
	case errors.As(err, &t):
		return fmt.Errorf("truncated: header claims %s (%d bytes), data ends after %d bytes", claim, size, t.got)
	case errors.Is(err, errTrailing):
		return fmt.Errorf("data continues after the %s the header claims (%d bytes); wrong count in the header?", claim, size)
	case errors.Is(err, io.ErrUnexpectedEOF):
		// The gzip trailer is cut off.
		return fmt.Errorf("truncated gzip stream after %s: %w", claim, err)
	}
	return err
}

// source is the decoded stream of an IDX file.
type source struct {
	r    io.Reader
	gzip bool
	// left is the number of bytes left in the underlying reader, or -1
	// when unknown. For gzip it counts compressed bytes.
	left int64
	// isize is the gzip trailer's claim of the uncompressed length, mod
	// 2^32, if it could be read.
	isize   uint32
	isizeOK bool
}

// open detects gzip by its magic bytes and returns the decoded stream.
func open(r io.Reader) (*source, error) {
	left := remaining(r)
	var magic [2]byte
	k, err := io.ReadFull(r, magic[:])
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, err
	}
	whole := io.MultiReader(bytes.NewReader(magic[:k]), r)
	if k < 2 || magic != [2]byte{0x1f, 0x8b} {
		// Too short for gzip: readHeader reports the truncated header.
		return &source{r: whole, left: left}, nil
	}
	br := bufio.NewReader(whole)
	zr, err := gzip.NewReader(br)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, errors.New("truncated gzip header")
	}
	if err != nil {
		return nil, err // the gzip errors say "gzip: ..."
	}
	zr.Multistream(false)
	isize, ok := gzipSize(r)
	return &source{r: &members{br: br, zr: zr}, gzip: true, left: left, isize: isize, isizeOK: ok}, nil
}

// members reads the members of a gzip file one after another, as
// gzip.Reader does in multistream mode, but tells junk after the last
// member apart from a member that is cut off.
type members struct {
	br *bufio.Reader // gzip reads it directly, as it is an io.ByteReader
	zr *gzip.Reader
}

func (m *members) Read(p []byte) (int, error) {
	for {
		n, err := m.zr.Read(p)
		if err != io.EOF {
			return n, err
		}
		if n > 0 {
			return n, nil // the next Read sees io.EOF again
		}
		// The member ended and its checksum matched.
		if _, err := m.br.Peek(1); err != nil {
			return 0, err // io.EOF at the end of the file
		}
		err = m.zr.Reset(m.br)
		if errors.Is(err, gzip.ErrHeader) || errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, errors.New("unexpected data after the gzip stream")
		}
		if err != nil {
			return 0, err
		}
		m.zr.Multistream(false)
	}
}

// gzipSize reads ISIZE, the last 4 bytes of a gzip file: the length of
// the uncompressed data mod 2^32 (of the last member only). It needs r to
// be an io.ReaderAt whose size it can learn (*os.File, *bytes.Reader).
func gzipSize(r io.Reader) (uint32, bool) {
	ra, ok := r.(io.ReaderAt)
	if !ok {
		return 0, false
	}
	var end int64
	switch r := r.(type) {
	case interface{ Size() int64 }:
		end = r.Size()
	case interface{ Stat() (fs.FileInfo, error) }:
		fi, err := r.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return 0, false
		}
		end = fi.Size()
	default:
		return 0, false
	}
	var b [4]byte
	if end < 4 {
		return 0, false
	}
	if _, err := ra.ReadAt(b[:], end-4); err != nil {
		return 0, false
	}
	return binary.LittleEndian.Uint32(b[:]), true
}

// remaining returns how many bytes are left to read in r, or -1 when it
// cannot tell cheaply. It knows *bytes.Reader, *strings.Reader and
// *bytes.Buffer (via Len) and regular files (via Stat and Seek).
func remaining(r io.Reader) int64 {
	switch r := r.(type) {
	case interface{ Len() int }:
		return int64(r.Len())
	case interface {
		Stat() (fs.FileInfo, error)
		io.Seeker
	}:
		fi, err := r.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return -1
		}
		pos, err := r.Seek(0, io.SeekCurrent)
		if err != nil || pos > fi.Size() {
			return -1
		}
		return fi.Size() - pos
	}
	return -1
}

// readHeader reads the magic number and then dims big-endian uint32
// dimensions.
func readHeader(r io.Reader, magic uint32, dims int) ([]uint32, error) {
	var b [4 * 4]byte
	if k, err := io.ReadFull(r, b[:4]); err != nil {
		return nil, headerError(err, k, 4+4*dims)
	}
	if got := binary.BigEndian.Uint32(b[:4]); got != magic {
		return nil, magicError(got, magic)
	}
	if k, err := io.ReadFull(r, b[4:4+4*dims]); err != nil {
		return nil, headerError(err, 4+k, 4+4*dims)
	}
	h := make([]uint32, dims)
	for i := range h {
		h[i] = binary.BigEndian.Uint32(b[4+4*i:])
	}
	return h, nil
}

func headerError(err error, got, want int) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("truncated header: got %d bytes, want %d", got, want)
	}
	return err
}

func magicError(got, want uint32) error {
	hint := ""
	switch got {
	case imagesMagic:
		hint = " (an IDX3 image file)"
	case labelsMagic:
		hint = " (an IDX1 label file)"
	}
	return fmt.Errorf("bad magic 0x%08x%s, want 0x%08x", got, hint, want)
}

// payload reads exactly size bytes after a header of header bytes.
//
// It never trusts the header alone with memory. The first allocation is
// the whole size only when the input backs the claim: a raw input whose
// known length holds the data (if it is too short, payload fails before
// reading), or a gzip file whose trailer agrees with the header and whose
// compressed length could hold the data at deflate's best ratio (a real
// file that small could demand as much). Otherwise the first allocation
// is at most chunkSize or the compressed length, and the buffer doubles
// only as data arrives.
func (s *source) payload(size, header int) ([]byte, error) {
	first := chunkSize
	switch {
	case s.left >= 0 && !s.gzip:
		have := max(s.left-int64(header), 0)
		if int64(size) > have {
			return nil, &truncation{got: int(have)}
		}
		first = size
	case s.left >= 0 && s.isizeOK && s.isize == uint32(header+size) && int64(size)/maxDeflateRatio <= s.left:
		first = size
	case s.left >= 0:
		// Deflate hardly ever makes data bigger.
		first = int(min(max(s.left, int64(chunkSize)), math.MaxInt))
	}
	buf := make([]byte, min(size, first))
	got := 0
	for {
		k, err := io.ReadFull(s.r, buf[got:])
		got += k
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, &truncation{got: got}
			}
			return nil, err
		}
		if got == size {
			return buf, nil
		}
		next := make([]byte, min(size, 2*len(buf)))
		copy(next, buf)
		buf = next
	}
}

// end checks that the stream ends here. For gzip, reading to the end
// verifies the checksum and length.
func (s *source) end() error {
	var b [1]byte
	k, err := io.ReadFull(s.r, b[:])
	if k > 0 {
		return errTrailing
	}
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}
