package mnist

import (
	"bytes"
	"testing"
)

// The seed corpus is in testdata/fuzz/Fuzz*: good, truncated, trailing,
// huge-claim and bad-magic files, raw and gzipped.

// FuzzReadImages checks that ReadImages never panics, returns consistent
// results, and gives the same answer whether or not it knows the input's
// length (the two take different allocation paths).
func FuzzReadImages(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		pix, n, rows, cols, err := ReadImages(bytes.NewReader(data))
		pix2, n2, rows2, cols2, err2 := ReadImages(opaque{bytes.NewReader(data)})
		if (err == nil) != (err2 == nil) {
			t.Fatalf("ReadImages error with known length = %v, with unknown length = %v", err, err2)
		}
		if err != nil {
			return
		}
		if rows < 1 || rows > maxDim || cols < 1 || cols > maxDim || len(pix) != n*rows*cols {
			t.Fatalf("ReadImages() = %d bytes for %d images of %dx%d", len(pix), n, rows, cols)
		}
		if n != n2 || rows != rows2 || cols != cols2 || !bytes.Equal(pix, pix2) {
			t.Fatalf("ReadImages() = %d images of %dx%d with known length, %d of %dx%d without", n, rows, cols, n2, rows2, cols2)
		}
	})
}

// FuzzReadLabels is FuzzReadImages for ReadLabels.
func FuzzReadLabels(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		labels, err := ReadLabels(bytes.NewReader(data))
		labels2, err2 := ReadLabels(opaque{bytes.NewReader(data)})
		if (err == nil) != (err2 == nil) {
			t.Fatalf("ReadLabels error with known length = %v, with unknown length = %v", err, err2)
		}
		if err != nil {
			return
		}
		if !bytes.Equal(labels, labels2) {
			t.Fatalf("ReadLabels() = %v with known length, %v without", labels, labels2)
		}
		for i, l := range labels {
			if l > maxLabel {
				t.Fatalf("ReadLabels()[%d] = %d, want at most %d", i, l, maxLabel)
			}
		}
	})
}
