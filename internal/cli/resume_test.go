package cli

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"convscope/internal/checkpoint"
	"convscope/nn"
)

// trainArgs are the flags of a tiny single-threaded run on dir's data.
func trainArgs(dir, out string, extra ...string) []string {
	return append([]string{"train", "--no-tui", "--data", dir, "--out", out, "--batch", "4", "--threads", "1", "--seed", "3"}, extra...)
}

// load loads a checkpoint or fails the test.
func load(t *testing.T, path string) *checkpoint.Checkpoint {
	t.Helper()
	c, err := checkpoint.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// checkSameRun fails unless two checkpoints hold the same figures (timings
// aside) and the same network bit for bit.
func checkSameRun(t *testing.T, got, want *checkpoint.Checkpoint) {
	t.Helper()
	if got.Epoch != want.Epoch || len(got.History) != len(want.History) {
		t.Fatalf("epoch %d with %d history entries, want %d and %d", got.Epoch, len(got.History), want.Epoch, len(want.History))
	}
	for i, w := range want.History {
		g := got.History[i]
		g.Seconds, g.ImagesPerSec, g.EvalSeconds = w.Seconds, w.ImagesPerSec, w.EvalSeconds
		if g != w {
			t.Errorf("epoch %d: %+v, want %+v", i+1, got.History[i], w)
		}
	}
	gp, wp := got.Net.Params(), want.Net.Params()
	for i := range wp {
		for j := range wp[i].W {
			if math.Float32bits(gp[i].W[j]) != math.Float32bits(wp[i].W[j]) {
				t.Fatalf("parameter %d differs at %d: %v, want %v", i, j, gp[i].W[j], wp[i].W[j])
			}
		}
	}
	for i, l := range want.Net.Layers {
		if b, ok := l.(*nn.BatchNorm2D); ok {
			g := got.Net.Layers[i].(*nn.BatchNorm2D)
			for j := range b.RunningVar {
				if g.RunningMean[j] != b.RunningMean[j] || g.RunningVar[j] != b.RunningVar[j] {
					t.Fatalf("layer %d running statistics differ at %d", i, j)
				}
			}
		}
	}
}

// TestResumeCommand trains two epochs straight, and one epoch then
// train --resume for the second: the checkpoints must agree exactly. (With a
// constant rate: under the default cosine schedule a one-epoch run decays
// faster than the first epoch of a two-epoch one.)
func TestResumeCommand(t *testing.T) {
	dir := writeData(t, 8, 4)
	straight, part := filepath.Join(t.TempDir(), "straight"), filepath.Join(t.TempDir(), "part")
	if err := Run(trainArgs(dir, straight, "--epochs", "2", "--schedule", "constant")); err != nil {
		t.Fatal(err)
	}
	if err := Run(trainArgs(dir, part, "--epochs", "1", "--schedule", "constant")); err != nil {
		t.Fatal(err)
	}
	last := filepath.Join(part, checkpoint.LastFile)
	older := filepath.Join(part, "epoch1.safetensors")
	b, err := os.ReadFile(last)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(older, b, 0o644); err != nil {
		t.Fatal(err)
	}
	// --compare only adds curves to the UI, so a resumed run takes it.
	if err := Run([]string{"train", "--resume", last, "--epochs", "2", "--data", dir, "--compare", straight}); err != nil {
		t.Fatal(err)
	}
	want := load(t, filepath.Join(straight, checkpoint.LastFile))
	got := load(t, last)
	checkSameRun(t, got, want)
	if _, err := os.Stat(filepath.Join(part, checkpoint.BestFile)); err != nil {
		t.Errorf("no best checkpoint: %v", err)
	}
	metrics, err := os.ReadFile(filepath.Join(part, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	// Epochs 1 and 2, then how the resumed session ended (the stopped
	// session's end line is gone: the resume rewrote the file).
	if n := strings.Count(string(metrics), "\n"); n != 3 || !strings.HasSuffix(string(metrics), `{"event":"end","state":"finished","epoch":2}`+"\n") {
		t.Errorf("metrics.jsonl has %d lines, want 2 epochs and the end:\n%s", n, metrics)
	}

	// Resuming into another folder leaves the original alone; restating a
	// fixed setting with its saved value is fine.
	branch := filepath.Join(t.TempDir(), "branch")
	if err := Run([]string{"train", "--resume", last, "--epochs", "3", "--data", dir, "--out", branch, "--lr", "0.001", "--seed", "3"}); err != nil {
		t.Fatal(err)
	}
	if c := load(t, filepath.Join(branch, checkpoint.LastFile)); c.Epoch != 3 {
		t.Errorf("branch is at epoch %d, want 3", c.Epoch)
	}
	if c := load(t, last); c.Epoch != 2 {
		t.Errorf("after branching, the original is at epoch %d, want 2", c.Epoch)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--resume", last}, "has done all its 2 epochs; pass --epochs N with N > 2"},
		{[]string{"--resume", last, "--epochs", "1"}, "has done 2 epochs already"},
		{[]string{"--resume", last, "--epochs", "3", "--lr", "0.5"}, "--lr cannot change when resuming (the run uses 0.001)"},
		{[]string{"--resume", last, "--epochs", "3", "--batch", "8"}, "--batch cannot change"},
		{[]string{"--resume", last, "--epochs", "3", "--augment"}, "--augment cannot change when resuming (the run uses false)"},
		{[]string{"--resume", last, "--epochs", "3", "--schedule", "cosine"}, "--schedule cannot change"},
		{[]string{"--resume", older, "--epochs", "3"}, "is at epoch 2, later than " + older + " (epoch 1)"},
	} {
		err := Run(append([]string{"train", "--data", dir}, tc.args...))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("train %v = %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
}

// cancelAfter is a context whose Err reports cancellation from its n+1st
// call on: nn's training loop asks it once per epoch and once per batch.
type cancelAfter struct {
	context.Context
	n atomic.Int32
}

func (c *cancelAfter) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

// TestStopMidEpoch stops a run in its first epoch: last.safetensors keeps
// the resumable start, interrupted.safetensors gets the weights, and the
// message says how to resume.
func TestStopMidEpoch(t *testing.T) {
	dir := writeData(t, 12, 2)
	cfg := nn.DefaultConfig()
	cfg.Batch, cfg.Threads = 4, 1
	ctx := &cancelAfter{Context: context.Background()}
	ctx.n.Store(2) // the epoch check, batch 1, then cancelled before batch 2
	out := t.TempDir()
	var w bytes.Buffer
	if err := runTrain(ctx, TrainOptions{Config: cfg, Data: dir, Out: out, NoTUI: true}, env{stdout: &w}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"stopped", "interrupted.safetensors", "resume with: convscope train --resume " + filepath.Join(out, checkpoint.LastFile)} {
		if !strings.Contains(w.String(), s) {
			t.Errorf("output lacks %q:\n%s", s, w.String())
		}
	}
	if c := load(t, filepath.Join(out, checkpoint.LastFile)); c.Epoch != 0 || c.Kind != checkpoint.KindTrainer {
		t.Errorf("last: kind %s epoch %d, want a run at epoch 0", c.Kind, c.Epoch)
	}
	c := load(t, filepath.Join(out, checkpoint.InterruptedFile))
	if c.Kind != checkpoint.KindModel || c.MidEpoch != 1 {
		t.Errorf("interrupted: kind %s mid-epoch %d, want a model from epoch 1", c.Kind, c.MidEpoch)
	}
	if err := Run([]string{"train", "--resume", filepath.Join(out, checkpoint.InterruptedFile), "--data", dir}); err == nil ||
		!strings.Contains(err.Error(), "during epoch 1") {
		t.Errorf("resume from the interrupted file = %v, want an error naming epoch 1", err)
	}
}

// TestNaNKeepsLastGood diverges a run and checks that the error names the
// last good checkpoint, which still loads.
func TestNaNKeepsLastGood(t *testing.T) {
	dir := writeData(t, 12, 2)
	out := t.TempDir()
	err := Run(trainArgs(dir, out, "--optimizer", "sgd", "--lr", "1e30", "--epochs", "3"))
	if err == nil || !strings.Contains(err.Error(), "last good checkpoint is "+filepath.Join(out, checkpoint.LastFile)) {
		t.Fatalf("diverging run = %v, want an error naming the last good checkpoint", err)
	}
	c := load(t, filepath.Join(out, checkpoint.LastFile))
	t.Logf("error: %v; last good checkpoint at epoch %d", err, c.Epoch)
}

// TestSIGTERMSaves stops a real run with SIGTERM and checks that it exits
// cleanly with a resumable checkpoint.
func TestSIGTERMSaves(t *testing.T) {
	dir := writeData(t, 4, 2)
	out := t.TempDir()
	cmd := mainCmd(t, trainArgs(dir, out, "--epochs", "1000")...)
	lines := readLines(t, cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var got []string
	timeout := time.After(time.Minute)
wait:
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the run ended before its first epoch:\n%s", strings.Join(got, "\n"))
			}
			got = append(got, l)
			if strings.HasPrefix(l, "epoch 1/1000") {
				break wait
			}
		case <-timeout:
			t.Fatal("no epoch in a minute")
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for l := range lines {
		got = append(got, l)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("after SIGTERM the run exited with %v, want status 0:\n%s", err, strings.Join(got, "\n"))
	}
	text := strings.Join(got, "\n")
	if !strings.Contains(text, "stopped") || !strings.Contains(text, "resume with") {
		t.Errorf("output lacks the stop and resume lines:\n%s", text)
	}
	if c := load(t, filepath.Join(out, checkpoint.LastFile)); c.Epoch < 1 {
		t.Errorf("last checkpoint at epoch %d, want at least 1", c.Epoch)
	}
}
