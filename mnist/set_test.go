package mnist

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// write writes files (name to contents) into dir.
func write(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSetImageSubset(t *testing.T) {
	s := &Set{Images: ramp(5 * 2 * 3), Labels: []uint8{0, 1, 2, 3, 4}, N: 5, Rows: 2, Cols: 3, Classes: defaultClasses(5)}
	for i := range s.N {
		if got, want := s.Image(i), ramp(30)[i*6:(i+1)*6]; !bytes.Equal(got, want) || cap(got) != 6 {
			t.Errorf("Image(%d) = % x (cap %d), want % x (cap 6)", i, got, cap(got), want)
		}
	}
	for _, i := range []int{-1, 5} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), "out of range") {
					t.Errorf("Image(%d) panic = %v, want an out of range panic", i, r)
				}
			}()
			s.Image(i)
		}()
	}

	tests := []struct{ n, want int }{{-1, 5}, {0, 5}, {1, 1}, {3, 3}, {5, 5}, {6, 5}}
	for _, tt := range tests {
		sub := s.Subset(tt.n)
		if sub.N != tt.want || len(sub.Labels) != tt.want || len(sub.Images) != tt.want*6 ||
			sub.Rows != 2 || sub.Cols != 3 || !slices.Equal(sub.Classes, s.Classes) {
			t.Errorf("Subset(%d) = N %d, %d labels, %d pixels, %dx%d, want N %d, %d labels, %d pixels, 2x3",
				tt.n, sub.N, len(sub.Labels), len(sub.Images), sub.Rows, sub.Cols, tt.want, tt.want, tt.want*6)
		}
		if !bytes.Equal(sub.Image(sub.N-1), s.Image(tt.want-1)) {
			t.Errorf("Subset(%d).Image(%d) = % x, want % x", tt.n, sub.N-1, sub.Image(sub.N-1), s.Image(tt.want-1))
		}
		if tt.want < s.N && (cap(sub.Images) != len(sub.Images) || cap(sub.Labels) != len(sub.Labels)) {
			t.Errorf("Subset(%d) has spare capacity, so appending would overwrite the parent", tt.n)
		}
	}
}

func TestReadSet(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string][]byte{
		"img.gz":      gz(imagesFile(3, 2, 2)),
		"img":         imagesFile(3, 2, 2),
		"lab":         labelsFile(1, 12, 3),
		"lab.gz":      gz(labelsFile(1, 12, 3)),
		"lab2":        labelsFile(1, 2),
		"badmagic":    labelsFile(1, 2, 3),
		"short":       imagesFile(3, 2, 2)[:20],
		"shortlabels": labelsFile(1, 2, 3)[:9],
	})
	p := func(name string) string { return filepath.Join(dir, name) }
	tests := []struct {
		name           string
		images, labels string
		wantErr        []string // substrings
	}{
		{name: "gz and raw", images: "img.gz", labels: "lab"},
		{name: "raw and gz", images: "img", labels: "lab.gz"},
		{name: "count mismatch", images: "img", labels: "lab2",
			wantErr: []string{p("img") + " has 3 images but " + p("lab2") + " has 2 labels"}},
		{name: "bad magic", images: "badmagic", labels: "lab",
			wantErr: []string{"mnist: read images " + p("badmagic") + ": bad magic 0x00000801"}},
		{name: "truncated images", images: "short", labels: "lab",
			wantErr: []string{"mnist: read images " + p("short") + ": truncated: header claims 3 images of 2x2 (12 bytes), data ends after 4 bytes"}},
		{name: "truncated labels", images: "img", labels: "shortlabels",
			wantErr: []string{"mnist: read labels " + p("shortlabels") + ": truncated: header claims 3 labels (3 bytes), data ends after 1 bytes"}},
		{name: "missing", images: "nope", labels: "lab", wantErr: []string{p("nope"), "no such file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ReadSet(p(tt.images), p(tt.labels))
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("ReadSet(%s, %s) = %d images, want an error", tt.images, tt.labels, s.N)
				}
				for _, want := range tt.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("ReadSet(%s, %s) error = %q, want it to contain %q", tt.images, tt.labels, err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("ReadSet(%s, %s) error = %v", tt.images, tt.labels, err)
			}
			want := &Set{Images: ramp(12), Labels: []uint8{1, 12, 3}, N: 3, Rows: 2, Cols: 2,
				Classes: []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"}}
			checkSet(t, "ReadSet", s, want)
		})
	}
}

func checkSet(t *testing.T, what string, got, want *Set) {
	t.Helper()
	if got.N != want.N || got.Rows != want.Rows || got.Cols != want.Cols {
		t.Errorf("%s = %d images of %dx%d, want %d of %dx%d", what, got.N, got.Rows, got.Cols, want.N, want.Rows, want.Cols)
	}
	if !bytes.Equal(got.Images, want.Images) {
		t.Errorf("%s images = % x, want % x", what, got.Images, want.Images)
	}
	if !bytes.Equal(got.Labels, want.Labels) {
		t.Errorf("%s labels = %v, want %v", what, got.Labels, want.Labels)
	}
	if !slices.Equal(got.Classes, want.Classes) {
		t.Errorf("%s classes = %q, want %q", what, got.Classes, want.Classes)
	}
}

func TestLoad(t *testing.T) {
	digits := defaultClasses(10)
	names := []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}
	// files returns a good data set: train raw images and gz labels, test
	// the other way round.
	files := func() map[string][]byte {
		return map[string][]byte{
			trainImages:         imagesFile(4, 3, 2),
			trainLabels + ".gz": gz(labelsFile(5, 0, 4, 1)),
			testImages + ".gz":  gz(imagesFile(2, 3, 2)),
			testLabels:          labelsFile(7, 2),
		}
	}
	tests := []struct {
		name       string
		edit       func(map[string][]byte)
		wantErr    string
		wantClass  []string
		trainLabel []uint8 // default 5, 0, 4, 1
		testLabel  []uint8 // default 7, 2
	}{
		{name: "mixed gz and raw", wantClass: digits},
		{name: "raw preferred", edit: func(f map[string][]byte) {
			f[trainImages+".gz"] = []byte("not read")
		}, wantClass: digits},
		{name: "labels above 9", edit: func(f map[string][]byte) {
			f[trainLabels+".gz"] = gz(labelsFile(5, 0, 11, 1))
		}, wantClass: defaultClasses(12), trainLabel: []uint8{5, 0, 11, 1}},
		{name: "classes.txt", edit: func(f map[string][]byte) {
			f[classesFile] = []byte(strings.Join(names, "\n") + "\n")
		}, wantClass: names},
		{name: "classes.txt crlf bom no final newline", edit: func(f map[string][]byte) {
			f[classesFile] = []byte("\ufeff" + strings.Join(names, " \r\n"))
		}, wantClass: names},
		{name: "classes.txt just enough", edit: func(f map[string][]byte) {
			f[trainLabels+".gz"] = gz(labelsFile(2, 0, 1, 1))
			f[testLabels] = labelsFile(0, 2)
			f[classesFile] = []byte("cat\ndog\nbird\n\n")
		}, wantClass: []string{"cat", "dog", "bird"}, trainLabel: []uint8{2, 0, 1, 1}, testLabel: []uint8{0, 2}},
		{name: "classes.txt too few", edit: func(f map[string][]byte) {
			f[classesFile] = []byte("a\nb\nc\n")
		}, wantErr: "classes.txt: got 3 names, want at least 8 (max label+1)"},
		{name: "classes.txt empty line", edit: func(f map[string][]byte) {
			f[classesFile] = []byte(strings.Join(names[:3], "\n") + "\n\n" + strings.Join(names[3:], "\n"))
		}, wantErr: "classes.txt: line 4 is empty, want a name for class 3"},
		{name: "classes.txt empty", edit: func(f map[string][]byte) {
			f[classesFile] = nil
		}, wantErr: "got 0 names, want at least 8"},
		{name: "missing file", edit: func(f map[string][]byte) {
			delete(f, testLabels)
		}, wantErr: "want t10k-labels-idx1-ubyte or t10k-labels-idx1-ubyte.gz: file does not exist"},
		{name: "count mismatch", edit: func(f map[string][]byte) {
			f[testLabels] = labelsFile(7, 2, 1)
		}, wantErr: "has 2 images but"},
		{name: "size mismatch", edit: func(f map[string][]byte) {
			f[testImages+".gz"] = gz(imagesFile(2, 2, 3))
		}, wantErr: "test images are 2x3, want 3x2 like the training images"},
		{name: "bad file", edit: func(f map[string][]byte) {
			f[testImages+".gz"] = gz(imagesFile(2, 3, 2))[:30]
		}, wantErr: testImages + ".gz: truncated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			f := files()
			if tt.edit != nil {
				tt.edit(f)
			}
			write(t, dir, f)
			train, test, err := Load(dir)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load() error = %v, want one containing %q", err, tt.wantErr)
				}
				if train != nil || test != nil {
					t.Errorf("Load() returned sets with an error")
				}
				return
			}
			if err != nil {
				t.Fatalf("Load() error = %v", err)
			}
			trainLabel := tt.trainLabel
			if trainLabel == nil {
				trainLabel = []uint8{5, 0, 4, 1}
			}
			checkSet(t, "Load() train", train, &Set{Images: ramp(24), Labels: trainLabel, N: 4, Rows: 3, Cols: 2, Classes: tt.wantClass})
			testLabel := tt.testLabel
			if testLabel == nil {
				testLabel = []uint8{7, 2}
			}
			checkSet(t, "Load() test", test, &Set{Images: ramp(12), Labels: testLabel, N: 2, Rows: 3, Cols: 2, Classes: tt.wantClass})
		})
	}
}

func TestLoadMissingDir(t *testing.T) {
	_, _, err := Load(filepath.Join(t.TempDir(), "nope"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing dir) error = %v, want fs.ErrNotExist", err)
	}
}
