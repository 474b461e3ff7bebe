package mnist

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/charmbracelet/x/ansi"

	"convscope/internal/fsx"
)

// The base names of the four MNIST files, without ".gz".
const (
	trainImages = "train-images-idx3-ubyte"
	trainLabels = "train-labels-idx1-ubyte"
	testImages  = "t10k-images-idx3-ubyte"
	testLabels  = "t10k-labels-idx1-ubyte"
)

// classesFile optionally names the classes, one per line.
const classesFile = "classes.txt"

// Load reads the training and test sets from dir. An empty dir means the
// folder Find returns.
//
// Each of the four files (train-images-idx3-ubyte, train-labels-idx1-ubyte,
// t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte) may be raw or gzipped
// with a ".gz" suffix; when both exist, the raw one is read, as it is
// quicker. Both sets must have images of the same size.
//
// If dir holds a classes.txt (one name per line), its names become
// Classes; it must name at least max label+1 classes. Otherwise Classes
// are Fashion-MNIST's names when dir is FashionDir, and "0".."9" for any
// other folder. Both sets share the one Classes slice.
//
// When FashionDir lacks the files, the error names the command that
// installs them (FashionInstall).
func Load(dir string) (train, test *Set, err error) {
	if dir == "" {
		if dir, err = Find(); err != nil {
			return nil, nil, err
		}
	}
	if train, err = loadSet(dir, trainImages, trainLabels); err != nil {
		return nil, nil, fashionMissing(dir, err)
	}
	if test, err = loadSet(dir, testImages, testLabels); err != nil {
		return nil, nil, fashionMissing(dir, err)
	}
	if test.Rows != train.Rows || test.Cols != train.Cols {
		return nil, nil, fmt.Errorf("mnist: load %s: test images are %dx%d, want %dx%d like the training images",
			dir, test.Rows, test.Cols, train.Rows, train.Cols)
	}
	need := classCount(train.Labels, test.Labels)
	classes, err := readClasses(filepath.Join(dir, classesFile), need)
	if err != nil {
		return nil, nil, err
	}
	if classes == nil && isFashion(dir) && need <= len(FashionClasses) {
		classes = append([]string(nil), FashionClasses...)
	}
	if classes == nil {
		classes = defaultClasses(need)
	}
	train.Classes, test.Classes = classes, classes
	return train, test, nil
}

func loadSet(dir, images, labels string) (*Set, error) {
	ip, err := pick(dir, images)
	if err != nil {
		return nil, err
	}
	lp, err := pick(dir, labels)
	if err != nil {
		return nil, err
	}
	return ReadSet(ip, lp)
}

// pick returns the path of base in dir, raw or with ".gz", preferring
// the raw file.
func pick(dir, base string) (string, error) {
	raw := filepath.Join(dir, base)
	for _, p := range []string{raw, raw + ".gz"} {
		fi, err := os.Stat(p)
		if err == nil && fi.Mode().IsRegular() {
			return p, nil
		}
		if err == nil {
			return "", fmt.Errorf("mnist: load %s: %s is %s, want the IDX file (raw or .gz)", dir, p, fsx.What(fi.Mode()))
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("mnist: %w", err)
		}
	}
	return "", fmt.Errorf("mnist: load %s: want %s or %s.gz: %w", dir, base, base, fs.ErrNotExist)
}

// maxClassesSize bounds the size of classes.txt.
const maxClassesSize = 1 << 16

// readClasses reads class names from path, one per line, and checks that
// there are at least need of them. A missing file gives nil names and no
// error. Surrounding spaces are trimmed and trailing blank lines ignored;
// other blank lines are an error, as every label needs a name.
func readClasses(path string, need int) ([]string, error) {
	f, err := fsx.OpenRegular(path) // a FIFO is refused, not waited on
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("mnist: read classes: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxClassesSize+1))
	if err != nil {
		return nil, fmt.Errorf("mnist: read classes %s: %w", path, err)
	}
	if len(b) > maxClassesSize {
		return nil, fmt.Errorf("mnist: read classes %s: file is over %d bytes, want one short name per line", path, maxClassesSize)
	}
	text := strings.TrimPrefix(string(b), "\ufeff")
	names := strings.Split(text, "\n")
	for i := range names {
		names[i] = CleanName(names[i])
	}
	for len(names) > 0 && names[len(names)-1] == "" {
		names = names[:len(names)-1]
	}
	for i, name := range names {
		if name == "" {
			return nil, fmt.Errorf("mnist: read classes %s: line %d is empty, want a name for class %d", path, i+1, i)
		}
	}
	if len(names) < need {
		return nil, fmt.Errorf("mnist: read classes %s: got %d names, want at least %d (max label+1)", path, len(names), need)
	}
	if len(names) > maxLabel+1 {
		return nil, fmt.Errorf("mnist: read classes %s: got %d names, want at most %d", path, len(names), maxLabel+1)
	}
	return names, nil
}

// CleanName is a class name as every output may show it: without escape
// sequences and control characters (a classes.txt must not retitle or
// clear a terminal) and without surrounding spaces.
func CleanName(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return -1
		}
		return r
	}, ansi.Strip(s)))
}
