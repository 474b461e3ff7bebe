package mnist

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// idx builds an IDX file: the magic, the dimensions, then data.
func idx(magic uint32, dims []uint32, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, magic)
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, data...)
}

// imagesFile builds an IDX3 file of n images of rows x cols whose pixels
// count up from 0.
func imagesFile(n, rows, cols int) []byte {
	return idx(imagesMagic, []uint32{uint32(n), uint32(rows), uint32(cols)}, ramp(n*rows*cols))
}

func labelsFile(labels ...uint8) []byte {
	return idx(labelsMagic, []uint32{uint32(len(labels))}, labels)
}

func ramp(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = uint8(i)
	}
	return b
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		panic(err)
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// opaque hides everything but Read, so the length of the input is
// unknown to the reader under test.
type opaque struct{ r io.Reader }

func (o opaque) Read(p []byte) (int, error) { return o.r.Read(p) }

// readers returns the ways the tests feed data: with a known length and
// without.
func readers(data []byte) map[string]func() io.Reader {
	return map[string]func() io.Reader{
		"bytes":  func() io.Reader { return bytes.NewReader(data) },
		"opaque": func() io.Reader { return opaque{bytes.NewReader(data)} },
	}
}

func badChecksum(b []byte) []byte {
	b = slices.Clone(b)
	b[len(b)-8] ^= 0xff // the CRC-32 in the gzip trailer
	return b
}

func TestReadImages(t *testing.T) {
	good := imagesFile(3, 2, 4)
	tests := []struct {
		name          string
		data          []byte
		n, rows, cols int
		wantErr       string // substring; "" means success
	}{
		{name: "good raw", data: good, n: 3, rows: 2, cols: 4},
		{name: "good gz", data: gz(good), n: 3, rows: 2, cols: 4},
		{name: "no images", data: imagesFile(0, 28, 28), n: 0, rows: 28, cols: 28},
		{name: "max size", data: imagesFile(1, 1, maxDim), n: 1, rows: 1, cols: maxDim},
		{name: "two gzip members", data: append(gz(good[:10]), gz(good[10:])...), n: 3, rows: 2, cols: 4},
		{name: "empty", data: nil, wantErr: "truncated header: got 0 bytes, want 16"},
		{name: "one byte", data: []byte{0x1f}, wantErr: "truncated header: got 1 bytes, want 16"},
		{name: "short header", data: good[:10], wantErr: "truncated header: got 10 bytes, want 16"},
		{name: "bad magic", data: idx(0xdeadbeef, []uint32{1, 1, 1}, []byte{0}), wantErr: "bad magic 0xdeadbeef, want 0x00000803"},
		{name: "labels file", data: labelsFile(1, 2), wantErr: "bad magic 0x00000801 (an IDX1 label file), want 0x00000803"},
		{name: "zero rows", data: imagesFile(1, 0, 28), wantErr: "bad image size 0x28, want rows and cols in 1..4096"},
		{name: "zero cols", data: imagesFile(1, 28, 0), wantErr: "bad image size 28x0"},
		{name: "huge rows", data: idx(imagesMagic, []uint32{1, maxDim + 1, 1}, nil), wantErr: "bad image size 4097x1"},
		{name: "truncated raw", data: good[:len(good)-1], wantErr: "truncated: header claims 3 images of 2x4 (24 bytes), data ends after 23 bytes"},
		{name: "truncated gz data", data: gz(good[:len(good)-5]), wantErr: "truncated: header claims 3 images of 2x4 (24 bytes), data ends after 19 bytes"},
		{name: "truncated gz stream", data: gz(good)[:20], wantErr: "truncated"},
		{name: "gz trailer cut", data: func() []byte { b := gz(good); return b[:len(b)-3] }(), wantErr: "truncated gzip stream after 3 images of 2x4"},
		{name: "trailing raw", data: append(slices.Clone(good), 0), wantErr: "data continues after the 3 images of 2x4 the header claims"},
		{name: "trailing gz", data: gz(append(slices.Clone(good), 0)), wantErr: "data continues after the 3 images"},
		{name: "short junk after gz", data: append(gz(good), "junk"...), wantErr: "unexpected data after the gzip stream"},
		{name: "long junk after gz", data: append(gz(good), strings.Repeat("junk", 10)...), wantErr: "unexpected data after the gzip stream"},
		{name: "zeros after gz", data: append(gz(good), make([]byte, 512)...), wantErr: "unexpected data after the gzip stream"},
		{name: "bad gz checksum", data: badChecksum(gz(good)), wantErr: "gzip: invalid checksum"},
		{name: "bad gz header", data: []byte{0x1f, 0x8b, 0, 0, 0, 0, 0, 0, 0, 0, 0}, wantErr: "gzip: invalid header"},
	}
	for _, tt := range tests {
		for how, r := range readers(tt.data) {
			t.Run(tt.name+"/"+how, func(t *testing.T) {
				pix, n, rows, cols, err := ReadImages(r())
				if tt.wantErr != "" {
					if err == nil {
						t.Fatalf("ReadImages() = %d images of %dx%d, want error %q", n, rows, cols, tt.wantErr)
					}
					if !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "mnist: read images: ") {
						t.Fatalf("ReadImages() error = %q, want it to start with \"mnist: read images: \" and contain %q", err, tt.wantErr)
					}
					if pix != nil || n != 0 || rows != 0 || cols != 0 {
						t.Errorf("ReadImages() on error = %d bytes, %d, %d, %d, want zero values", len(pix), n, rows, cols)
					}
					return
				}
				if err != nil {
					t.Fatalf("ReadImages() error = %v", err)
				}
				if n != tt.n || rows != tt.rows || cols != tt.cols {
					t.Errorf("ReadImages() = %d images of %dx%d, want %d of %dx%d", n, rows, cols, tt.n, tt.rows, tt.cols)
				}
				if want := ramp(tt.n * tt.rows * tt.cols); !bytes.Equal(pix, want) {
					t.Errorf("ReadImages() pixels = % x, want % x", pix, want)
				}
			})
		}
	}
}

func TestReadLabels(t *testing.T) {
	good := labelsFile(5, 0, 4, 1, 9)
	tests := []struct {
		name    string
		data    []byte
		want    []uint8
		wantErr string
	}{
		{name: "good raw", data: good, want: []uint8{5, 0, 4, 1, 9}},
		{name: "good gz", data: gz(good), want: []uint8{5, 0, 4, 1, 9}},
		{name: "no labels", data: labelsFile(), want: []uint8{}},
		{name: "label 254", data: labelsFile(254), want: []uint8{254}},
		{name: "label 255", data: labelsFile(3, 255), wantErr: "label 255 at index 1, want at most 254"},
		{name: "empty", data: nil, wantErr: "truncated header: got 0 bytes, want 8"},
		{name: "short header", data: good[:6], wantErr: "truncated header: got 6 bytes, want 8"},
		{name: "bad magic", data: idx(0x00000802, []uint32{0}, nil), wantErr: "bad magic 0x00000802, want 0x00000801"},
		{name: "images file", data: imagesFile(1, 1, 1), wantErr: "bad magic 0x00000803 (an IDX3 image file), want 0x00000801"},
		{name: "truncated raw", data: good[:len(good)-2], wantErr: "truncated: header claims 5 labels (5 bytes), data ends after 3 bytes"},
		{name: "truncated gz", data: gz(good[:len(good)-2]), wantErr: "truncated: header claims 5 labels (5 bytes), data ends after 3 bytes"},
		{name: "trailing raw", data: append(slices.Clone(good), 7), wantErr: "data continues after the 5 labels the header claims"},
		{name: "trailing gz", data: gz(append(slices.Clone(good), 7)), wantErr: "data continues after the 5 labels"},
		{name: "bad gz checksum", data: badChecksum(gz(good)), wantErr: "gzip: invalid checksum"},
	}
	for _, tt := range tests {
		for how, r := range readers(tt.data) {
			t.Run(tt.name+"/"+how, func(t *testing.T) {
				got, err := ReadLabels(r())
				if tt.wantErr != "" {
					if err == nil {
						t.Fatalf("ReadLabels() = %v, want error %q", got, tt.wantErr)
					}
					if !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "mnist: read labels: ") {
						t.Fatalf("ReadLabels() error = %q, want it to start with \"mnist: read labels: \" and contain %q", err, tt.wantErr)
					}
					if got != nil {
						t.Errorf("ReadLabels() on error = %v, want nil", got)
					}
					return
				}
				if err != nil {
					t.Fatalf("ReadLabels() error = %v", err)
				}
				if !bytes.Equal(got, tt.want) || got == nil {
					t.Errorf("ReadLabels() = %#v, want %#v", got, tt.want)
				}
			})
		}
	}
}

// TestHugeClaims checks that a header claiming far more data than the
// input holds fails as truncated without allocating what it claims.
func TestHugeClaims(t *testing.T) {
	const maxAlloc = 4 << 20
	bigImages := idx(imagesMagic, []uint32{math.MaxUint32, maxDim, maxDim}, []byte{1, 2, 3})
	images2G := idx(imagesMagic, []uint32{1 << 31, 28, 28}, nil)
	bigLabels := idx(labelsMagic, []uint32{math.MaxUint32}, []byte{1, 2, 3})
	// A gzip file whose trailer claims the length the header claims, so
	// only the bound on deflate's ratio stops a 78 MB allocation.
	lying := gz(idx(imagesMagic, []uint32{100000, 28, 28}, nil))
	binary.LittleEndian.PutUint32(lying[len(lying)-4:], 16+100000*28*28)

	tests := []struct {
		name    string
		data    []byte
		labels  bool
		wantErr string
	}{
		{name: "images raw", data: bigImages, wantErr: "truncated"},
		{name: "images 2^31 raw", data: images2G, wantErr: "truncated: header claims 2147483648 images of 28x28"},
		{name: "images gz", data: gz(bigImages), wantErr: "truncated"},
		{name: "images gz lying trailer", data: lying, wantErr: "gzip: invalid"},
		{name: "labels raw", data: bigLabels, labels: true, wantErr: "truncated: header claims 4294967295 labels"},
		{name: "labels gz", data: gz(bigLabels), labels: true, wantErr: "truncated"},
	}
	for _, tt := range tests {
		for how, r := range readers(tt.data) {
			t.Run(tt.name+"/"+how, func(t *testing.T) {
				var err error
				alloc := allocated(func() {
					if tt.labels {
						_, err = ReadLabels(r())
					} else {
						_, _, _, _, err = ReadImages(r())
					}
				})
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("read error = %v, want one containing %q", err, tt.wantErr)
				}
				if alloc > maxAlloc {
					t.Errorf("read allocated %d bytes, want at most %d", alloc, maxAlloc)
				}
			})
		}
	}
}

// allocated returns how many bytes f allocates on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
