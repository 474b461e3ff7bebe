package safetensors

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// dirNames returns the sorted names in dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt.safetensors")
	tensors := []Tensor{F32("w", []int{2, 2}, []float32{1, 2, 3, 4}), F32("b", []int{2}, []float32{5, 6})}
	meta := map[string]string{"epoch": "1"}
	for range 2 { // the second write replaces the first
		if err := WriteFile(path, tensors, meta); err != nil {
			t.Fatalf("WriteFile: %v", err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := Encode(&want, tensors, meta); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("WriteFile wrote %q, want the Encode output %q", got, want.Bytes())
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{"ckpt.safetensors"}) {
		t.Errorf("directory holds %q, want only ckpt.safetensors", names)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := st.Mode().Perm(); perm != 0o644 {
		t.Errorf("file mode %v, want 0644", perm)
	}
}

func TestWriteFileRelative(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := WriteFile("x.safetensors", nil, nil); err != nil {
		t.Fatalf("WriteFile with a bare file name: %v", err)
	}
	if _, err := ReadFile("x.safetensors"); err != nil {
		t.Fatalf("ReadFile: %v", err)
	}
}

// TestWriteFileAtomic checks that a failed WriteFile leaves the previous
// file byte-identical and no temporary file behind.
func TestWriteFileAtomic(t *testing.T) {
	errDisk := errors.New("disk full")
	good := []Tensor{F32("w", []int{3}, []float32{1, 2, 3})}
	big := []Tensor{F32("w", []int{1000}, make([]float32, 1000)), F32("v", []int{10}, make([]float32, 10))}
	hdr, err := encodeHeader(big, nil)
	if err != nil {
		t.Fatal(err)
	}
	inV := 8 + len(hdr) + 4000 + 20 // inside the second tensor's data
	failAfter := func(n int) func(io.Writer) io.Writer {
		return func(w io.Writer) io.Writer { return &failWriter{w: w, n: n, err: errDisk} }
	}
	tests := []struct {
		name    string
		tensors []Tensor
		wrap    func(io.Writer) io.Writer
		want    error  // if not nil, the error must wrap it
		wantMsg string // the error must contain it
	}{
		{"fails at once", big, failAfter(0), errDisk, "disk full"},
		{"fails in the length prefix", big, failAfter(5), errDisk, "write header"},
		{"fails in the header", big, failAfter(30), errDisk, "write header"},
		{"fails in the data", big, failAfter(2000), errDisk, `write tensor "w"`},
		{"fails in the last tensor", big, failAfter(inV), errDisk, `write tensor "v"`},
		{"invalid tensor", []Tensor{F32("w", []int{4}, []float32{1})}, nil, nil, "4 bytes of data, want 16"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "ckpt.safetensors")
			if err := WriteFile(path, good, nil); err != nil {
				t.Fatal(err)
			}
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}

			err = writeFile(path, tt.tensors, nil, tt.wrap)
			if err == nil {
				t.Fatal("writeFile succeeded, want an error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("writeFile error = %v, want one containing %q", err, tt.wantMsg)
			}
			after, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(after, before) {
				t.Errorf("after a failed write the file holds %q, want the previous %q", after, before)
			}
			if names := dirNames(t, dir); !slices.Equal(names, []string{"ckpt.safetensors"}) {
				t.Errorf("directory holds %q, want only ckpt.safetensors", names)
			}
		})
	}
}

func TestWriteFileErrors(t *testing.T) {
	t.Run("missing directory", func(t *testing.T) {
		dir := t.TempDir()
		err := WriteFile(filepath.Join(dir, "nope", "x.safetensors"), nil, nil)
		if err == nil || !errors.Is(err, os.ErrNotExist) {
			t.Errorf("WriteFile error = %v, want one wrapping os.ErrNotExist", err)
		}
	})
	t.Run("path is a directory", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "ckpt")
		if err := os.Mkdir(path, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(path, "keep"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := WriteFile(path, nil, nil); err == nil {
			t.Fatal("WriteFile over a non-empty directory succeeded, want an error")
		}
		if names := dirNames(t, dir); !slices.Equal(names, []string{"ckpt"}) {
			t.Errorf("directory holds %q, want only ckpt", names)
		}
		if names := dirNames(t, path); !slices.Equal(names, []string{"keep"}) {
			t.Errorf("target directory holds %q, want only keep", names)
		}
	})
}

func TestReadFileErrors(t *testing.T) {
	dir := t.TempDir()
	truncated := filepath.Join(dir, "truncated.safetensors")
	if err := WriteFile(truncated, []Tensor{F32("w", []int{4}, []float32{1, 2, 3, 4})}, nil); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(truncated, 20); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(dir, "missing"), "no such file"},
		{"directory", dir, "is a folder, want a regular file"},
		{"truncated", truncated, "read " + truncated + ": header length"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ReadFile(tt.path)
			if err == nil || f != nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ReadFile(%q) = %v, %v; want nil and an error containing %q", tt.path, f, err, tt.want)
			}
		})
	}
}
