package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"convscope/internal/checkpoint"
	"convscope/internal/gemm"
	"convscope/internal/run"
	"convscope/nn"
)

// The tests of README's "What convscope guarantees", one per promise (the
// items of issue 18 and the run loop's error policy).

// checkpointSizes are the sizes of a 10-class trainer checkpoint before any
// step and after one (with optimizer state).
func checkpointSizes(t *testing.T) (start, trained int64) {
	t.Helper()
	size := func(steps int) int64 {
		net, _ := nn.NewPaper(28, 28, 10, nn.InitRNG(1))
		cfg := nn.DefaultConfig()
		tr, err := nn.NewTrainer(net, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if steps > 0 {
			tr.Step(synthSet(8, 1), 0, 4)
		}
		p := filepath.Join(t.TempDir(), "x.safetensors")
		if err := checkpoint.Save(p, tr); err != nil {
			t.Fatal(err)
		}
		fi, _ := os.Stat(p)
		return fi.Size()
	}
	return size(0), size(1)
}

// epochOneBytes is what a headless run of cfg on the data in dir writes
// through its first epoch: metrics, checkpoints, snapshots, health and
// dynamics. A budget of that plus half a checkpoint fails in epoch 2's
// checkpoint (what epoch 2 writes before it is a few kilobytes).
func epochOneBytes(t *testing.T, dir string, cfg nn.Config) int64 {
	t.Helper()
	const lots = 1 << 40
	limit := run.NewDiskLimit(lots)
	cfg.Epochs = 1
	o := TrainOptions{Config: cfg, Data: dir, Out: filepath.Join(t.TempDir(), "measure"), NoTUI: true, wrap: limit.Wrap}
	if err := runTrain(context.Background(), o, env{stdout: io.Discard}); err != nil {
		t.Fatal(err)
	}
	return lots - limit.Left()
}

// lockedBuffer is an io.Writer safe for the UI's goroutine and the test's.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestUISaveFailureStops: in the UI, a checkpoint write that fails (the disk
// fills while epoch 2 is saved) stops the run, is shown, and makes the
// command fail; last.safetensors keeps epoch 1.
func TestUISaveFailureStops(t *testing.T) {
	dir := writeData(t, 12, 4)
	out := filepath.Join(t.TempDir(), "run")
	_, trained := checkpointSizes(t)
	cfg := nn.DefaultConfig()
	cfg.Epochs, cfg.Batch, cfg.Threads = 5, 4, 1
	limit := run.NewDiskLimit(epochOneBytes(t, dir, cfg) + trained/2)
	in, typed := io.Pipe()
	defer typed.Close()
	screen := &lockedBuffer{}
	o := TrainOptions{Config: cfg, Data: dir, Out: out, wrap: limit.Wrap,
		ui: []tea.ProgramOption{tea.WithInput(in), tea.WithOutput(screen), tea.WithWindowSize(120, 40),
			tea.WithoutSignals(), tea.WithEnvironment([]string{"TERM=xterm-256color"})}}
	var stdout bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- runTrain(context.Background(), o, env{stdout: &stdout}) }()
	// The UI stays on the final figures until the user quits; quit once it
	// shows the failure.
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(ansi.Strip(screen.String()), "failed") {
		if time.Now().After(deadline) {
			t.Fatalf("the UI never showed the failure:\n%s", ansi.Strip(screen.String()))
		}
		time.Sleep(20 * time.Millisecond)
	}
	typed.Write([]byte("q"))
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the UI did not end after q")
	}
	var se *run.SaveError
	if !errors.As(err, &se) || se.Epoch != 2 || se.Saved != 1 || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("train in the UI = %v, want the save error of epoch 2 (a non-zero exit)", err)
	}
	if !strings.Contains(err.Error(), "epoch 2 is in no checkpoint") {
		t.Errorf("error %q does not say which epoch is lost", err)
	}
	ck, lerr := checkpoint.Load(filepath.Join(out, checkpoint.LastFile))
	if lerr != nil || ck.Epoch != 1 {
		t.Errorf("last.safetensors: %v, epoch %v; want epoch 1 kept whole", lerr, ck)
	}
	if strings.Contains(stdout.String(), "finished") {
		t.Errorf("after a failed save the command says %q", stdout.String())
	}
}

// TestHeadlessSaveFailureExits: headless, the same failure ends the
// process with status 1 and one line naming the lost epoch, right after the
// failed epoch (no more epochs are trained unsaved).
func TestHeadlessSaveFailureExits(t *testing.T) {
	dir := writeData(t, 12, 4)
	out := filepath.Join(t.TempDir(), "run")
	_, trained := checkpointSizes(t)
	cfg := nn.DefaultConfig()
	cfg.Epochs, cfg.Batch, cfg.Threads = 6, 4, 1
	cmd := mainCmd(t, "train", "--data", dir, "--out", out, "--epochs", "6", "--batch", "4", "--threads", "1")
	cmd.Env = append(cmd.Env, fmt.Sprintf("%s=%d", diskLimitEnv, epochOneBytes(t, dir, cfg)+trained/2))
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee interface{ ExitCode() int }
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit %v, want status 1; stdout:\n%s\nstderr:\n%s", err, o.String(), e.String())
	}
	if !strings.Contains(e.String(), "saving epoch 2 failed") || !strings.Contains(e.String(), "holds epoch 1") || strings.Count(e.String(), "\n") != 1 {
		t.Errorf("stderr = %q, want one line naming epoch 2 and what last.safetensors holds", e.String())
	}
	if strings.Contains(o.String(), "epoch 3/6") {
		t.Errorf("training went on after the failed save:\n%s", o.String())
	}
}

// TestFreshRunRefusesARun: a fresh run never overwrites a run folder, and a
// second writer of a folder in use is refused.
func TestFreshRunRefusesARun(t *testing.T) {
	dir := writeData(t, 8, 4)
	out := filepath.Join(t.TempDir(), "runB")
	if err := Run(trainArgs(dir, out, "--epochs", "2")); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(out, checkpoint.BestFile))
	metrics, _ := os.ReadFile(filepath.Join(out, run.MetricsFile))
	err := Run(trainArgs(dir, out, "--epochs", "1"))
	if err == nil || !strings.Contains(err.Error(), "already holds a run") || !strings.Contains(err.Error(), "--resume") {
		t.Fatalf("a second run into %s = %v, want a refusal naming --resume", out, err)
	}
	after, _ := os.ReadFile(filepath.Join(out, checkpoint.BestFile))
	m2, _ := os.ReadFile(filepath.Join(out, run.MetricsFile))
	if !bytes.Equal(before, after) || !bytes.Equal(metrics, m2) {
		t.Error("the refused run changed the folder's files")
	}
	held, err := run.OpenExisting(out)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	err = Run([]string{"train", "--resume", filepath.Join(out, checkpoint.LastFile), "--epochs", "3", "--data", dir})
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("PID %d", os.Getpid())) {
		t.Errorf("resume into a folder in use = %v, want an error naming the holder's PID", err)
	}
}

// TestResumeKeepsData: a resumed run trains on the data set it started on
// without --data, and refuses another one.
func TestResumeKeepsData(t *testing.T) {
	dir := writeDataset(t, 9, 6, 28, 28, 3, []string{"cat", "dog", "bird"})
	out := filepath.Join(t.TempDir(), "run")
	if err := Run(trainArgs(dir, out, "--epochs", "1")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(out, ".last.safetensors.4242.tmp"), []byte("stale"), 0o644)
	last := filepath.Join(out, checkpoint.LastFile)
	if err := Run([]string{"train", "--resume", last, "--epochs", "2", "--threads", "1"}); err != nil {
		t.Fatalf("resume without --data: %v", err)
	}
	ck := load(t, last)
	if ck.Epoch != 2 || ck.Dataset == nil || ck.Dataset.Train != 9 || ck.Dataset.Classes[2] != "bird" {
		t.Errorf("after resume: epoch %d, dataset %+v; want epoch 2 on the 9-image set with its names", ck.Epoch, ck.Dataset)
	}
	if _, err := os.Stat(filepath.Join(out, ".last.safetensors.4242.tmp")); err == nil {
		t.Error("the stale temporary file of a crashed save is still there")
	}
	other := writeData(t, 9, 6) // same counts, other labels
	err := Run([]string{"train", "--resume", last, "--epochs", "3", "--data", other})
	if err == nil || !strings.Contains(err.Error(), "not the data set the run trained on") {
		t.Errorf("resume on another data set = %v, want a refusal", err)
	}
}

// TestClassNamesSurvive: names given with --classes reach the checkpoint,
// and eval of it prints them without any flag.
func TestClassNamesSurvive(t *testing.T) {
	dir := writeData(t, 10, 10)
	out := filepath.Join(t.TempDir(), "run")
	names := "zero,one,two,three,four,five,six,seven,eight,nine"
	if err := Run(trainArgs(dir, out, "--epochs", "1", "--classes", names)); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := cmdEval([]string{"--load", filepath.Join(out, checkpoint.BestFile)}, env{stdout: &b}); err != nil {
		t.Fatal(err)
	}
	for _, n := range strings.Split(names, ",") {
		if !strings.Contains(b.String(), "\n"+n+" ") {
			t.Errorf("eval does not show class %q:\n%s", n, b.String())
		}
	}
}

// TestFIFOsRefused: a named pipe where a file is wanted is refused at once,
// never waited on.
func TestFIFOsRefused(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no mkfifo:", err)
	}
	data := writeData(t, 4, 2)
	if err := syscall.Mkfifo(filepath.Join(data, "classes.txt"), 0o644); err != nil {
		t.Fatal(err)
	}
	runDir := filepath.Join(dir, "run")
	os.Mkdir(runDir, 0o755)
	if err := syscall.Mkfifo(filepath.Join(runDir, run.MetricsFile), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"eval", "--load", fifo},
		{"train", "--resume", fifo},
		{"explore", "--load", fifo, "--no-tui"},
		{"compare", runDir},
		{"train", "--data", data, "--out", filepath.Join(dir, "x")},
	} {
		done := make(chan error, 1)
		go func() { done <- Run(args) }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "named pipe (FIFO)") {
				t.Errorf("%v = %v, want an error naming the FIFO", args, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%v hangs on a FIFO", args)
		}
	}
}

// TestThreadsBounded: --threads is bounded, and a checkpoint's thread count
// is never reused on resume.
func TestThreadsBounded(t *testing.T) {
	dir := writeData(t, 4, 2)
	err := Run(trainArgs(dir, filepath.Join(t.TempDir(), "r"), "--threads", "100000"))
	if err == nil || !strings.Contains(err.Error(), "--threads must be 0") {
		t.Errorf("--threads 100000 = %v, want a refusal", err)
	}
	out := filepath.Join(t.TempDir(), "r2")
	if err := Run(trainArgs(dir, out, "--epochs", "1", "--threads", "3")); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	o := TrainOptions{Resume: filepath.Join(out, checkpoint.LastFile), NoTUI: true, given: map[string]bool{"epochs": true}}
	o.Config.Epochs = 2
	if err := runTrain(context.Background(), o, env{stdout: &b}); err != nil {
		t.Fatal(err)
	}
	e := gemm.NewEngine(0)
	want := e.Threads()
	e.Close()
	if !strings.Contains(b.String(), fmt.Sprintf(", %d threads,", want)) {
		t.Errorf("resumed run: %q, want %d threads (all cores), not the file's 3", b.String(), want)
	}
}

// TestEvalNonFinite: a model whose outputs are NaN is reported as such, in
// JSON as a null loss with a message, with a non-zero exit; an empty test
// set is refused up front.
func TestEvalNonFinite(t *testing.T) {
	dir := writeData(t, 4, 10)
	net, _ := nn.NewPaper(28, 28, 10, nn.InitRNG(1))
	for _, p := range net.Params() {
		for i := range p.W {
			p.W[i] = 1e30 // finite weights, outputs overflow to Inf and NaN
		}
	}
	path := filepath.Join(t.TempDir(), "huge.safetensors")
	if err := checkpoint.SaveNet(path, net, nil); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	err := cmdEval([]string{"--load", path, "--data", dir, "--json"}, env{stdout: &b})
	if err == nil || !strings.Contains(err.Error(), "not finite") {
		t.Errorf("eval --json of a NaN model = %v, want an error", err)
	}
	var got map[string]any
	if jerr := json.Unmarshal(b.Bytes(), &got); jerr != nil || got["loss"] != nil || got["error"] == nil {
		t.Errorf("eval --json printed %q (%v), want a null loss and an error message", b.String(), jerr)
	}
	b.Reset()
	if err := cmdEval([]string{"--load", path, "--data", dir}, env{stdout: &b}); err == nil || strings.Contains(b.String(), "NaN%") {
		t.Errorf("eval of a NaN model = %v, printed %q; want an error, no NaN%%", err, b.String())
	}
	empty := writeData(t, 4, 0)
	if err := cmdEval([]string{"--load", path, "--data", empty}, env{stdout: &b}); err == nil || !strings.Contains(err.Error(), "holds no images") {
		t.Errorf("eval on an empty test set = %v", err)
	}
}

// TestNamesEscaped: control characters in classes.txt never reach the
// terminal.
func TestNamesEscaped(t *testing.T) {
	names := []string{"\x1b]0;pwned\x07cat", "dog\x1b[2J", "bird"}
	dir := writeDataset(t, 6, 6, 28, 28, 3, names)
	path, _ := savedRun3(t)
	var b bytes.Buffer
	if err := cmdEval([]string{"--load", path, "--data", dir}, env{stdout: &b}); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(b.String(), "\x1b\x07") {
		t.Errorf("eval printed control characters: %q", b.String())
	}
	if !strings.Contains(b.String(), "\ncat ") || !strings.Contains(b.String(), "\ndog ") {
		t.Errorf("eval lost the names themselves:\n%s", b.String())
	}
}

// savedRun3 saves an untrained 3-class network.
func savedRun3(t *testing.T) (string, *nn.Net) {
	t.Helper()
	net, _ := nn.NewPaper(28, 28, 3, nn.InitRNG(5))
	path := filepath.Join(t.TempDir(), "m3.safetensors")
	if err := checkpoint.SaveNet(path, net, nil); err != nil {
		t.Fatal(err)
	}
	return path, net
}

// TestBadDataMakesNothing: a folder where a data file should be is named
// as such, and a data set that cannot train creates no run folder.
func TestBadDataMakesNothing(t *testing.T) {
	dir := writeData(t, 4, 2)
	img := filepath.Join(dir, "t10k-images-idx3-ubyte")
	os.Remove(img)
	os.Mkdir(img, 0o755)
	out := filepath.Join(t.TempDir(), "never")
	err := Run(trainArgs(dir, out))
	if err == nil || !strings.Contains(err.Error(), "is a folder") {
		t.Errorf("a folder named like a data file: %v", err)
	}
	empty := writeData(t, 0, 2)
	if err := Run(trainArgs(empty, out)); err == nil || !strings.Contains(err.Error(), "holds no images") {
		t.Errorf("an empty training set: %v", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a refused run created %s", out)
	}
}

// TestDivergenceStops: a run whose loss explodes without becoming NaN ends
// with an error and status 1, like a NaN loss.
func TestDivergenceStops(t *testing.T) {
	dir := writeData(t, 40, 4)
	_, stderr, code := runMain(t, trainArgs(dir, filepath.Join(t.TempDir(), "r"), "--lr", "1000", "--epochs", "3")...)
	if code != 1 || !strings.Contains(stderr, "lower the learning rate") || !strings.Contains(stderr, "last good checkpoint") {
		t.Errorf("exit %d, stderr %q; want 1 and the divergence message", code, stderr)
	}
}

// TestHelpExitsZero: asking for help is not an error.
func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"help"}, {"train", "-h"}, {"eval", "-h"}, {"explore", "-h"}, {"sweep", "-h"}, {"bench", "-h"}, {"report", "-h"}, {"compare", "-h"}} {
		out, errOut, code := runMain(t, args...)
		if code != 0 || !strings.Contains(out, "convscope") || strings.Contains(out+errOut, "panic") {
			t.Errorf("%v: exit %d, output %q %q; want 0 and the usage, no panic", args, code, out, errOut)
		}
	}
	if _, _, code := runMain(t, "frobnicate"); code != 2 {
		t.Errorf("an unknown command exits %d, want 2", code)
	}
}
