package cli

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"convscope/internal/checkpoint"
	"convscope/mnist"
	"convscope/nn"
)

// synthSet returns n 28×28 images with labels 0..9: noise plus a bar whose
// row depends on the label.
func synthSet(n int, seed uint64) *mnist.Set {
	rng := rand.New(rand.NewPCG(seed, 1))
	const rows, cols = 28, 28
	s := &mnist.Set{Images: make([]uint8, n*rows*cols), Labels: make([]uint8, n), N: n, Rows: rows, Cols: cols}
	for i := range n {
		l := uint8(i % 10)
		s.Labels[i] = l
		img := s.Images[i*rows*cols : (i+1)*rows*cols]
		for j := range img {
			img[j] = uint8(rng.IntN(64))
		}
		for c := 4; c < 24; c++ {
			img[(2+2*int(l))*cols+c] = 255
		}
	}
	return s
}

// writeData writes a small data set in MNIST's IDX files to a new folder.
func writeData(t *testing.T, train, test int) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []struct {
		base string
		set  *mnist.Set
	}{{"train", synthSet(train, 1)}, {"t10k", synthSet(test, 2)}} {
		img := binary.BigEndian.AppendUint32(nil, 0x803)
		for _, v := range []int{f.set.N, f.set.Rows, f.set.Cols} {
			img = binary.BigEndian.AppendUint32(img, uint32(v))
		}
		lbl := binary.BigEndian.AppendUint32(nil, 0x801)
		lbl = binary.BigEndian.AppendUint32(lbl, uint32(f.set.N))
		if err := os.WriteFile(filepath.Join(dir, f.base+"-images-idx3-ubyte"), append(img, f.set.Images...), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.base+"-labels-idx1-ubyte"), append(lbl, f.set.Labels...), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// savedRun saves an untrained paper network's run and returns the file and
// the network.
func savedRun(t *testing.T) (string, *nn.Net) {
	t.Helper()
	net, err := nn.NewPaper(28, 28, 10, nn.InitRNG(5))
	if err != nil {
		t.Fatal(err)
	}
	cfg := nn.DefaultConfig()
	cfg.Threads = 1
	tr, err := nn.NewTrainer(net, cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), checkpoint.LastFile)
	if err := checkpoint.Save(path, tr); err != nil {
		t.Fatal(err)
	}
	return path, net
}

func TestEvalCommand(t *testing.T) {
	dir := writeData(t, 4, 20)
	path, net := savedRun(t)
	want := nn.Evaluate(net, synthSet(20, 2), 0)

	var out bytes.Buffer
	if err := cmdEval([]string{"--load", path, "--data", dir, "--threads", "1"}, env{stdout: &out}); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	t.Logf("eval output:\n%s", text)
	for _, s := range []string{
		fmt.Sprintf("test:  20 images, accuracy %.2f%%, loss %.4f", 100*want.Acc, want.Loss),
		"after epoch 0 of 10 (adam, lr 0.001, cosine schedule, batch 64, seed 1)",
		"class  TP  FP  FN  TN  precision  recall      F1  accuracy",
		"\nmacro ",
	} {
		if !strings.Contains(text, s) {
			t.Errorf("eval output lacks %q", s)
		}
	}
	rows := 0
	for _, line := range strings.Split(text, "\n") {
		var name string
		var tp, fp, fn, tn int
		if n, _ := fmt.Sscan(line, &name, &tp, &fp, &fn, &tn); n == 5 {
			if tp+fp+fn+tn != 20 {
				t.Errorf("row %q: counts add up to %d, want 20", line, tp+fp+fn+tn)
			}
			rows++
		}
	}
	if rows != 10 {
		t.Errorf("eval printed %d class rows, want 10", rows)
	}

	out.Reset()
	if err := cmdEval([]string{"--load", path, "--data", dir, "--json"}, env{stdout: &out}); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Images   int
		Accuracy float64
		Loss     float64
		Epoch    int
		Classes  []struct {
			Class          string
			TP, FP, FN, TN int
		}
		Macro map[string]float64
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("eval --json printed %q: %v", out.String(), err)
	}
	if got.Images != 20 || got.Accuracy != want.Acc || got.Loss != want.Loss || len(got.Classes) != 10 || got.Classes[3].Class != "3" {
		t.Errorf("eval --json = %+v, want 20 images, accuracy %v, loss %v, classes 0..9", got, want.Acc, want.Loss)
	}
	if got.Macro["f1"] != want.Macro.F1 {
		t.Errorf("eval --json macro F1 = %v, want %v", got.Macro["f1"], want.Macro.F1)
	}
}

// TestExploreHeadless checks that explore prints the evaluation when stdout
// is not a terminal (as under go test).
func TestExploreHeadless(t *testing.T) {
	dir := writeData(t, 4, 6)
	path, _ := savedRun(t)
	var out bytes.Buffer
	if err := cmdExplore([]string{"--load", path, "--data", dir, "--threads", "1"}, env{stdout: &out}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "test:  6 images") || !strings.Contains(out.String(), "\nmacro ") {
		t.Errorf("explore printed:\n%s\nwant the evaluation", out.String())
	}
}

// mainArgsEnv makes TestMainProcess run main with these arguments (a JSON
// array) instead of testing.
const mainArgsEnv = "CONVSCOPE_TEST_MAIN_ARGS"

// TestMainProcess is not a test: runMain runs the test binary as the
// program through it.
func TestMainProcess(t *testing.T) {
	args, ok := os.LookupEnv(mainArgsEnv)
	if !ok {
		t.Skip("runs main for other tests")
	}
	var list []string
	if err := json.Unmarshal([]byte(args), &list); err != nil {
		t.Fatal(err)
	}
	os.Exit(Main(list))
}

// mainCmd returns the program run with args, as a separate process.
func mainCmd(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	b, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMainProcess$")
	cmd.Env = append(os.Environ(), mainArgsEnv+"="+string(b))
	return cmd
}

// runMain runs the program with args and returns its output and exit code.
func runMain(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := mainCmd(t, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return o.String(), e.String(), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), 0
}

// TestEvalBadFile: a broken or hostile file gives exit status 1 and one
// line on stderr, never a panic.
func TestEvalBadFile(t *testing.T) {
	good, _ := savedRun(t)
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	nan := bytes.Clone(b)
	n := binary.LittleEndian.Uint64(nan)
	copy(nan[8+n+40:], []byte{0, 0, 0xc0, 0x7f}) // a NaN in the first tensor
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"garbage", []string{"eval", "--load", write("garbage", []byte("#!/bin/sh\nrm -rf /\n"))}, "header length"},
		{"truncated", []string{"eval", "--load", write("truncated", b[:len(b)/3])}, "outside data area"},
		{"NaN", []string{"eval", "--load", write("nan", nan)}, "holds NaN"},
		{"missing", []string{"eval", "--load", filepath.Join(dir, "nope")}, "no such file"},
		{"no file given", []string{"eval"}, "--load FILE is required"},
		{"resume garbage", []string{"train", "--resume", filepath.Join(dir, "garbage")}, "header length"},
		{"explore garbage", []string{"explore", "--load", filepath.Join(dir, "garbage")}, "header length"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := runMain(t, tc.args...)
			if code != 1 {
				t.Errorf("exit status %d, want 1", code)
			}
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			if len(lines) != 1 || !strings.HasPrefix(stderr, "convscope: ") || !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr = %q, want one line starting \"convscope: \" containing %q", stderr, tc.want)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
		})
	}
}

// readLines returns the lines a command prints, as they come.
func readLines(t *testing.T, cmd *exec.Cmd) <-chan string {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan string, 100)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			ch <- sc.Text()
		}
	}()
	return ch
}
