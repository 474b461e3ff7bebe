//go:build !unix

package run

import (
	"os"
	"path/filepath"
)

// lock has no advisory lock to take on this system; the folder is used as is.
func lock(dir string) (*Folder, error) {
	fh, err := os.OpenFile(filepath.Join(dir, LockFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	return &Folder{Path: dir, lock: fh}, nil
}

func unlockFile(fh *os.File) error { return fh.Close() }
