package checkpoint

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"convscope/internal/safetensors"
	"convscope/nn"
)

var writeSeeds = flag.Bool("seeds", false, "rewrite the hand-made seeds in testdata/fuzz/FuzzLoad")

// loadBytes is Load for a file's bytes.
func loadBytes(b []byte) (*Checkpoint, error) {
	f, err := safetensors.Decode(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	c, err := decode(f)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: load: %w", err)
	}
	return c, nil
}

// fuzzFiles are whole checkpoints of the real network: a two-class model
// (the smallest file Load accepts) and a run with Adam state.
func fuzzFiles(t testing.TB) (model, run []byte) {
	net, err := nn.NewPaper(28, 28, 2, nn.InitRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	tensors, meta, _, err := encodeNet(net)
	if err != nil {
		t.Fatal(err)
	}
	meta[keyKind] = KindModel
	model = fileBytes(t, tensors, meta)
	tr, _ := trained(t, "adam", 1)
	tensors, meta = encodeTensors(t, tr)
	return model, fileBytes(t, tensors, meta)
}

// FuzzLoad checks that loading never panics, fails with one line prefixed
// "checkpoint: ", and that whatever it accepts saves and loads again to the
// same network. Besides the two whole files added here, the seed corpus in
// testdata/fuzz/FuzzLoad holds small files with valid metadata and missing
// or odd tensors (see TestSeeds).
func FuzzLoad(f *testing.F) {
	// The whole files are checked as seeds by go test; a fuzzing run starts
	// from the small seeds only, since mutating megabytes explores little
	// (tens of thousands of executions in 30 s instead of millions).
	if fl := flag.Lookup("test.fuzz"); fl == nil || fl.Value.String() == "" {
		model, run := fuzzFiles(f)
		f.Add(model)
		f.Add(run)
	}
	if err := capMinimize(flag.CommandLine); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := loadBytes(b)
		if err != nil {
			if c != nil {
				t.Errorf("Load returned a checkpoint and error %v", err)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "checkpoint: ") || strings.Contains(msg, "\n") {
				t.Errorf("error %q is not one line starting with \"checkpoint: \"", msg)
			}
			return
		}
		if c.Net == nil || (c.Kind != KindTrainer && c.Kind != KindModel) {
			t.Fatalf("Load accepted a file as kind %q with net %v", c.Kind, c.Net)
		}
		tensors, meta, _, err := encodeNet(c.Net)
		if err != nil {
			t.Fatalf("re-encoding an accepted network: %v", err)
		}
		meta[keyKind] = KindModel
		again, err := loadBytes(fileBytes(t, tensors, meta))
		if err != nil {
			t.Fatalf("loading a re-saved network: %v", err)
		}
		checkSameNet(t, again.Net, c.Net)
		if c.Kind == KindTrainer {
			if _, err := c.Trainer(); err != nil {
				t.Errorf("Trainer() of an accepted run: %v", err)
			}
		}
	})
}

// fuzzMinimizeTime is the -fuzzminimizetime a fuzzing run of FuzzLoad uses
// unless told otherwise (go test's default is 60s).
//
// Every new input the fuzzer finds is minimized before fuzzing goes on in
// that worker, and the execs spent on it are reported only when it ends, so
// "execs" stands still meanwhile. Inputs grown from the seeds (4-6 KB of
// real metadata) do not shrink: removing any byte breaks the header length
// prefix, so every candidate of go's minimizer fails and it runs its whole
// O(n^2) byte-range pass (about 10 million loads for 4.4 KB) until the
// time is up. With 60 s, each of the two workers stalled on the first input
// it found and a 12 s run showed "0/sec" after 3 s, though no load took
// more than 15 ms.
const fuzzMinimizeTime = "1s"

// capMinimize sets fs's -test.fuzzminimizetime to fuzzMinimizeTime when fs
// says fuzzing (-test.fuzz is set) and the flag was not given.
func capMinimize(fs *flag.FlagSet) error {
	fz := fs.Lookup("test.fuzz")
	if fz == nil || fz.Value.String() == "" || fs.Lookup("test.fuzzminimizetime") == nil {
		return nil
	}
	given := false
	fs.Visit(func(fl *flag.Flag) { given = given || fl.Name == "test.fuzzminimizetime" })
	if given {
		return nil
	}
	if err := fs.Set("test.fuzzminimizetime", fuzzMinimizeTime); err != nil {
		return fmt.Errorf("capping the fuzzer's minimization: %w", err)
	}
	return nil
}

// TestCapMinimize checks that a fuzzing run of FuzzLoad minimizes each new
// input for fuzzMinimizeTime at most, unless -fuzzminimizetime is given, and
// that a plain test run is left alone.
func TestCapMinimize(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"fuzzing", []string{"-test.fuzz=FuzzLoad"}, fuzzMinimizeTime},
		{"fuzzing, time given", []string{"-test.fuzz=FuzzLoad", "-test.fuzzminimizetime=30s"}, "30s"},
		{"fuzzing, count given", []string{"-test.fuzzminimizetime=100x", "-test.fuzz=FuzzLoad"}, "100x"},
		{"testing", nil, "1m0s"},
	} {
		fs := flag.NewFlagSet(tc.name, flag.ContinueOnError)
		fs.String("test.fuzz", "", "")
		fs.String("test.fuzzminimizetime", "1m0s", "")
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		if err := capMinimize(fs); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := fs.Lookup("test.fuzzminimizetime").Value.String(); got != tc.want {
			t.Errorf("%s: -test.fuzzminimizetime is %q, want %q", tc.name, got, tc.want)
		}
	}
	// go test's own flag must exist under that name.
	if fl := flag.Lookup("test.fuzzminimizetime"); fl == nil {
		t.Error("go test has no -test.fuzzminimizetime flag")
	}
}

// TestSeeds rewrites the small seeds of FuzzLoad with
// go test -run TestSeeds -args -seeds; otherwise it checks they are there.
func TestSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzLoad")
	if *writeSeeds {
		model, run := fuzzFiles(t)
		for name, b := range smallSeeds(t, model, run) {
			s := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
			if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) < 5 {
		t.Errorf("%s holds %d seeds, want at least 5", dir, len(ents))
	}
}

// smallSeeds are files a few kilobytes long: the metadata of the real files
// with few or no tensors, and some broken headers.
func smallSeeds(t *testing.T, model, run []byte) map[string][]byte {
	meta := func(b []byte) map[string]string {
		f, err := safetensors.Decode(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		return f.Meta
	}
	mm, rm := meta(model), meta(run)
	bias := []safetensors.Tensor{safetensors.F32("0.bias", []int{32}, make([]float32, 32))}
	return map[string][]byte{
		"model-meta-no-tensors":   fileBytes(t, nil, mm),
		"run-meta-no-tensors":     fileBytes(t, nil, rm),
		"model-meta-one-tensor":   fileBytes(t, bias, mm),
		"run-meta-one-tensor":     fileBytes(t, bias, rm),
		"empty-header":            fileBytes(t, nil, nil),
		"header-longer-than-file": append([]byte{0xff, 0xff, 0, 0, 0, 0, 0, 0}, "{}"...),
		"foreign-file":            fileBytes(t, bias, map[string]string{"format": "pt"}),
	}
}
