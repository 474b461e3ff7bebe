package safetensors

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"

	"convscope/internal/fsx"
)

// WriteFile writes tensors and meta to path in safetensors format (see
// Encode), atomically: it writes a temporary file in the same directory,
// syncs and closes it, renames it over path and syncs the directory. On any
// error before the rename, the temporary file is removed and an existing file
// at path is untouched. The file gets mode 0644.
func WriteFile(path string, tensors []Tensor, meta map[string]string) error {
	return writeFile(path, tensors, meta, nil)
}

// WriteFileThrough is WriteFile with the encoded bytes passed through
// wrap(w) on their way to the temporary file (wrap may be nil). A run uses
// it to count what it writes; tests, to fail as a full disk does.
func WriteFileThrough(path string, tensors []Tensor, meta map[string]string, wrap func(io.Writer) io.Writer) error {
	return writeFile(path, tensors, meta, wrap)
}

// writeFile is WriteFile with a hook: if wrap is not nil, the encoded bytes
// go through wrap(w) on their way to the temporary file.
func writeFile(path string, tensors []Tensor, meta map[string]string, wrap func(io.Writer) io.Writer) (err error) {
	// Validate first, so that bad input never touches the disk.
	if _, err := encodeHeader(tensors, meta); err != nil {
		return fmt.Errorf("safetensors: write %s: %w", path, err)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return fmt.Errorf("safetensors: write %s: %w", path, err)
	}
	renamed := false
	defer func() {
		if err != nil && !renamed {
			// The file may already be closed; report any other failure.
			err = errors.Join(err, ignoreClosed(tmp.Close()), os.Remove(tmp.Name()))
		}
	}()

	bw := bufio.NewWriterSize(tmp, 1<<20)
	var w io.Writer = bw
	if wrap != nil {
		w = wrap(bw)
	}
	if err := encode(w, tensors, meta); err != nil {
		return fmt.Errorf("safetensors: write %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("safetensors: write %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("safetensors: write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("safetensors: write %s: sync: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("safetensors: write %s: close: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("safetensors: write %s: %w", path, err)
	}
	renamed = true
	// The file is in place; a failure to sync the directory only means the
	// rename may not survive a crash.
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("safetensors: wrote %s but could not sync its directory: %w", path, err)
	}
	return nil
}

// ignoreClosed drops os.ErrClosed, which the cleanup path expects when the
// temporary file was already closed.
func ignoreClosed(err error) error {
	if errors.Is(err, os.ErrClosed) {
		return nil
	}
	return err
}

// syncDir flushes dir's entries to disk. Windows cannot sync directories.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	return errors.Join(err, d.Close())
}

// ReadFile reads and decodes the safetensors file at path (see Decode).
func ReadFile(path string) (*File, error) {
	fh, err := fsx.OpenRegular(path) // a FIFO is refused, not waited on
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	defer fh.Close() // read-only, so Close cannot lose data
	st, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("safetensors: read %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("safetensors: read %s: not a regular file (mode %v)", path, st.Mode())
	}
	f, err := decode(fh, st.Size())
	if err != nil {
		return nil, fmt.Errorf("safetensors: read %s: %w", path, err)
	}
	return f, nil
}
