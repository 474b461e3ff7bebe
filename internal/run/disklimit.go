package run

import (
	"io"
	"sync"
	"syscall"
)

// DiskLimit is a byte budget shared by every write that goes through its
// Wrap: once the budget is spent, writes fail with ENOSPC as on a full disk,
// after writing what still fits. Set Options.Wrap to l.Wrap to see what a
// run does when its disk fills (the tests do; so can a person, with
// CONVSCOPE_DISK_LIMIT, see the cli package).
type DiskLimit struct {
	mu   sync.Mutex
	left int64
}

// NewDiskLimit returns a budget of n bytes.
func NewDiskLimit(n int64) *DiskLimit { return &DiskLimit{left: n} }

// Left is what is left of the budget (negative never: a write that does
// not fit spends what is left).
func (l *DiskLimit) Left() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.left
}

// Wrap returns w with its writes charged to the budget.
func (l *DiskLimit) Wrap(w io.Writer) io.Writer { return limited{l, w} }

type limited struct {
	l *DiskLimit
	w io.Writer
}

func (d limited) Write(p []byte) (int, error) {
	d.l.mu.Lock()
	n := int64(len(p))
	short := n > d.l.left
	if short {
		n = max(d.l.left, 0)
	}
	d.l.left -= n
	d.l.mu.Unlock()
	m, err := d.w.Write(p[:n])
	if err != nil {
		return m, err
	}
	if short {
		return m, syscall.ENOSPC
	}
	return m, nil
}
