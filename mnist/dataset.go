package mnist

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// The data sets --dataset names.
const (
	MNIST   = "mnist"   // the GoMNIST copy in the Go module cache (Find)
	Fashion = "fashion" // Zalando's Fashion-MNIST as Debian packages it
)

// Datasets are the names DatasetDir knows, in the order help lists them.
var Datasets = []string{MNIST, Fashion}

// FashionDirEnv, when set, is the folder FashionDir returns instead of
// DefaultFashionDir. Tests point it at generated files, or at an empty
// folder to see the error of a missing package.
const FashionDirEnv = "CONVSCOPE_FASHION_DIR"

// DefaultFashionDir is where Debian's dataset-fashion-mnist package puts
// the four gzipped IDX files (train-images-idx3-ubyte.gz and so on; the
// package has no classes.txt).
const DefaultFashionDir = "/usr/share/datasets/fashion-mnist"

// FashionInstall is the command that installs Fashion-MNIST.
const FashionInstall = "apt-get install dataset-fashion-mnist"

// FashionClasses are Fashion-MNIST's class names, label 0 first (from the
// data set's README).
var FashionClasses = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}

// FashionDir is the folder Fashion-MNIST is read from: $CONVSCOPE_FASHION_DIR
// if set, else DefaultFashionDir.
func FashionDir() string {
	if d := os.Getenv(FashionDirEnv); d != "" {
		return d
	}
	return DefaultFashionDir
}

// DatasetDir returns the folder Load reads for the data set name: "" (the
// module cache copy, which Load finds) for MNIST, FashionDir for Fashion.
func DatasetDir(name string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case MNIST:
		return "", nil
	case Fashion, "fashion-mnist":
		return FashionDir(), nil
	}
	return "", fmt.Errorf("unknown data set %q, want %s (or --data DIR for any folder of IDX files)", name, strings.Join(Datasets, " or "))
}

// isFashion reports whether dir is FashionDir.
func isFashion(dir string) bool {
	if dir == "" {
		return false
	}
	a, b := filepath.Clean(dir), filepath.Clean(FashionDir())
	if a == b {
		return true
	}
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

// Title names the data set in dir for reports: "MNIST" for "" (the module
// cache copy), "Fashion-MNIST (dir)" for FashionDir, else dir itself.
func Title(dir string) string {
	switch {
	case dir == "":
		return "MNIST"
	case isFashion(dir):
		return "Fashion-MNIST (" + dir + ")"
	}
	return dir
}

// notInstalledError is Load's error when Fashion-MNIST's files are missing.
type notInstalledError struct {
	dir string
	err error
}

func (e *notInstalledError) Error() string {
	return fmt.Sprintf("mnist: Fashion-MNIST is not installed (no %s or %s.gz in %s); install it with: %s",
		trainImages, trainImages, e.dir, FashionInstall)
}

func (e *notInstalledError) Unwrap() error { return e.err }

// fashionMissing turns a missing file in FashionDir into the error that
// names the install command.
func fashionMissing(dir string, err error) error {
	if err != nil && errors.Is(err, fs.ErrNotExist) && isFashion(dir) {
		return &notInstalledError{dir: dir, err: err}
	}
	return err
}
