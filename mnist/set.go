package mnist

import (
	"fmt"
	"slices"
	"strconv"

	"convscope/internal/fsx"
)

// Set is a labelled image set. Pixels stay uint8.
type Set struct {
	Images     []uint8 // N*Rows*Cols, row-major per image
	Labels     []uint8 // N
	N          int     // number of images
	Rows, Cols int     // size of each image
	// Classes names the labels: Classes[l] is the name of label l. It has
	// at least max label+1 entries; the default is "0".."9" (and more
	// numbers if a label is above 9).
	Classes []string
}

// Image returns the pixels of image i, Rows*Cols bytes, row-major. It is
// a view into s.Images, not a copy. Image panics if i is out of range.
func (s *Set) Image(i int) []uint8 {
	if i < 0 || i >= s.N {
		panic(fmt.Sprintf("mnist: image %d out of range [0, %d)", i, s.N))
	}
	size := s.Rows * s.Cols
	return s.Images[i*size : (i+1)*size : (i+1)*size]
}

// Subset returns the first n images and labels of s; n <= 0 or n >= N
// gives the whole set. The result shares memory with s.
func (s *Set) Subset(n int) *Set {
	if n <= 0 || n > s.N {
		n = s.N
	}
	size := n * s.Rows * s.Cols
	return &Set{
		Images:  s.Images[:size:size],
		Labels:  s.Labels[:n:n],
		N:       n,
		Rows:    s.Rows,
		Cols:    s.Cols,
		Classes: s.Classes,
	}
}

// ReadSet reads a set from an image file and a label file, each raw or
// gzipped. The counts of images and labels must agree. Classes gets the
// default names; Load also reads classes.txt.
func ReadSet(imagesPath, labelsPath string) (*Set, error) {
	pix, n, rows, cols, err := readImagesFile(imagesPath)
	if err != nil {
		return nil, err
	}
	labels, err := readLabelsFile(labelsPath)
	if err != nil {
		return nil, err
	}
	if n != len(labels) {
		return nil, fmt.Errorf("mnist: %s has %d images but %s has %d labels, want equal counts",
			imagesPath, n, labelsPath, len(labels))
	}
	return &Set{
		Images:  pix,
		Labels:  labels,
		N:       n,
		Rows:    rows,
		Cols:    cols,
		Classes: defaultClasses(classCount(labels)),
	}, nil
}

func readImagesFile(path string) (pix []uint8, n, rows, cols int, err error) {
	f, err := fsx.OpenRegular(path)
	if err != nil {
		return nil, 0, 0, 0, fmt.Errorf("mnist: read images: %w", err)
	}
	defer f.Close()
	pix, n, rows, cols, err = readImages(f)
	if err != nil {
		return nil, 0, 0, 0, fmt.Errorf("mnist: read images %s: %w", path, err)
	}
	return pix, n, rows, cols, nil
}

func readLabelsFile(path string) ([]uint8, error) {
	f, err := fsx.OpenRegular(path)
	if err != nil {
		return nil, fmt.Errorf("mnist: read labels: %w", err)
	}
	defer f.Close()
	labels, err := readLabels(f)
	if err != nil {
		return nil, fmt.Errorf("mnist: read labels %s: %w", path, err)
	}
	return labels, nil
}

// classCount returns max label+1 over the given label slices (0 if they
// are all empty).
func classCount(labels ...[]uint8) int {
	n := 0
	for _, ls := range labels {
		if len(ls) > 0 {
			n = max(n, int(slices.Max(ls))+1)
		}
	}
	return n
}

// defaultClasses returns the names "0", "1", ... for n classes, at
// least 10.
func defaultClasses(n int) []string {
	names := make([]string, max(n, 10))
	for i := range names {
		names[i] = strconv.Itoa(i)
	}
	return names
}
