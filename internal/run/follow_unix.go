//go:build unix

package run

import (
	"errors"
	"io/fs"
	"syscall"
)

// pidRunning reports whether pid is a process on this machine (another
// user's counts: signal 0 is refused with EPERM).
func pidRunning(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// inode is fi's inode number, which a file replaced by rename changes.
func inode(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}
