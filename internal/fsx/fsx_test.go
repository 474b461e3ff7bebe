package fsx

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOpenRegular checks that a file opens, and that a FIFO, a folder and a
// missing path are refused at once with what they are.
func TestOpenRegular(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadFile(file); err != nil || string(b) != "hello" {
		t.Fatalf("ReadFile = %q, %v", b, err)
	}
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no mkfifo here:", err)
	}
	done := make(chan error, 1)
	go func() { _, err := ReadFile(fifo); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "named pipe (FIFO)") {
			t.Errorf("ReadFile(fifo) error = %v, want one naming a FIFO", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ReadFile(fifo) hangs")
	}
	if _, err := OpenRegular(dir); err == nil || !strings.Contains(err.Error(), "is a folder") {
		t.Errorf("OpenRegular(dir) error = %v", err)
	}
	if err := CheckRegular(fifo); err == nil || !strings.Contains(err.Error(), "FIFO") {
		t.Errorf("CheckRegular(fifo) = %v", err)
	}
	if err := CheckRegular(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("CheckRegular(missing) = %v, want not-exist", err)
	}
}
