//go:build unix

package run

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// lock takes an exclusive lock on dir's lock file, without waiting, and
// writes this process's PID into it. When another process holds it the
// error names that process.
func lock(dir string) (*Folder, error) {
	path := dir + string(os.PathSeparator) + LockFile
	fh, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("run folder %s: lock: %w", dir, err)
	}
	if err := syscall.Flock(int(fh.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b := make([]byte, 32)
		n, _ := fh.ReadAt(b, 0)
		fh.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			who := "another convscope process"
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(b[:n]))); perr == nil && pid > 0 {
				who = fmt.Sprintf("another convscope process (PID %d)", pid)
			}
			return nil, fmt.Errorf("run folder %s is in use by %s; wait for it to end, or pass --out with another folder", dir, who)
		}
		return nil, fmt.Errorf("run folder %s: lock: %w", dir, err)
	}
	if err := fh.Truncate(0); err == nil {
		fh.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Folder{Path: dir, lock: fh}, nil
}

func unlockFile(fh *os.File) error {
	syscall.Flock(int(fh.Fd()), syscall.LOCK_UN)
	return fh.Close()
}
