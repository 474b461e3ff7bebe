// Package atomicfile replaces files so that a reader (or a crash) sees the
// old file or the new one, never part of one.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Write writes data to path through a temporary file in the same folder,
// synced, given mode 0644 and then renamed over path. On failure no
// temporary file is left and an existing file at path is untouched.
func Write(path string, data []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			if rerr := os.Remove(f.Name()); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
				err = errors.Join(err, rerr)
			}
		}
	}()
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// AppendLine appends line and a newline to path (created if missing) and
// syncs it. The line goes in whole or not at all: a failed write truncates
// the file back to its size before. Its bytes pass through wrap (nil: none)
// on their way to the disk, so a caller can count them or fail them as a
// full disk does. The metrics and health logs of a run both use it.
func AppendLine(path string, line []byte, wrap func(io.Writer) io.Writer) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	var size int64
	if fi, err := f.Stat(); err == nil {
		size = fi.Size()
	}
	var w io.Writer = f
	if wrap != nil {
		w = wrap(f)
	}
	if _, err := w.Write(append(line, '\n')); err != nil {
		terr := f.Truncate(size)
		f.Close()
		if terr != nil {
			return fmt.Errorf("write %s: %w (and a part of the line may remain: %v)", path, err, terr)
		}
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	return nil
}
