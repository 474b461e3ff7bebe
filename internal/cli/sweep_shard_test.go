package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"convscope/internal/checkpoint"
	"convscope/mnist"
)

// runRow is a row of the report's Runs table: seed, epochs, folder, time.
var runRow = regexp.MustCompile(`^\| \d+ \| \d+ \| [^|]*seed-[^|]* \| [^|]* \|$`)

// sweepReport reads a sweep folder's report with what differs between two
// runs of one sweep taken out: timings, and the folder's own name.
func sweepReport(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, name := range []string{sweepMD, sweepCSV, sweepClassesCSV, sweepCurvesCSV} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		var keep []string
		for _, l := range strings.Split(strings.ReplaceAll(string(b), dir, "OUT"), "\n") {
			if strings.HasPrefix(l, "Settings:") || runRow.MatchString(l) {
				continue // timings
			}
			if name == sweepCurvesCSV { // drop the seconds column
				l = l[:max(strings.LastIndex(l, ","), 0)]
			}
			keep = append(keep, l)
		}
		out[name] = strings.Join(keep, "\n")
	}
	return out
}

// sameReport fails unless two sweep folders' reports agree.
func sameReport(t *testing.T, got, want string) {
	t.Helper()
	g, w := sweepReport(t, got), sweepReport(t, want)
	for name := range w {
		if g[name] != w[name] {
			t.Errorf("%s differs from the one-process sweep's:\n--- got\n%s\n--- want\n%s", name, g[name], w[name])
		}
	}
}

// shardCmd is the sweep run as a separate process with args and env.
func shardCmd(t *testing.T, env []string, args ...string) *exec.Cmd {
	cmd := mainCmd(t, append([]string{"sweep"}, args...)...)
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// TestSweepShards runs a sweep over two learning rates, two schedules, two
// seeds and two epoch counts (12 cells) as 3 shards in 3 processes at once
// into one folder, each shard picked another way (--shard, a SLURM array
// task, a Kubernetes Indexed Job index), collects it, and checks that the
// report is the one a single process writes.
func TestSweepShards(t *testing.T) {
	data := writeDataset(t, 24, 12, 28, 28, 3, fashionClasses[:3])
	args := []string{"--data", data, "--epochs", "1,2", "--seeds", "1,2", "--lr", "1e-3,2e-3", "--schedule", "constant,cosine",
		"--batch", "6", "--threads", "1"}
	one := filepath.Join(t.TempDir(), "one")
	runSweepTest(t, append(args, "--out", one)...)

	shared := filepath.Join(t.TempDir(), "shared")
	a := append(clone(args), "--out", shared)
	cmds := []*exec.Cmd{
		shardCmd(t, nil, append(a, "--shard", "1/3")...),
		shardCmd(t, []string{"SLURM_ARRAY_TASK_ID=2", "SLURM_ARRAY_TASK_COUNT=3", "SLURM_ARRAY_TASK_MIN=1"}, a...),
		shardCmd(t, []string{"JOB_COMPLETION_INDEX=2"}, append(a, "--shard-count", "3")...),
	}
	outs := make([]bytes.Buffer, len(cmds))
	for i, c := range cmds {
		c.Stdout, c.Stderr = &outs[i], &outs[i]
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("shard %d: %v\n%s", i+1, err, outs[i].String())
		}
		if want := []string{"(--shard)", "(SLURM_ARRAY_TASK_ID 2 of 3)", "(JOB_COMPLETION_INDEX 2 of 3)"}[i]; !strings.Contains(outs[i].String(), "4 cells of 12") ||
			!strings.Contains(outs[i].String(), want) {
			t.Errorf("shard %d says:\n%s\nwant 4 cells of 12 and %s", i+1, outs[i].String(), want)
		}
	}
	if _, err := os.Stat(filepath.Join(shared, sweepMD)); err == nil {
		t.Errorf("a shard wrote the report; only --collect should")
	}
	var log bytes.Buffer
	if err := sweepMain(context.Background(), []string{"--collect", shared}, &log, false); err != nil {
		t.Fatalf("collect: %v\n%s", err, log.String())
	}
	sameReport(t, shared, one)
	md, err := os.ReadFile(filepath.Join(shared, sweepMD))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Test accuracy by setting", "| 0.002 | 6 | cosine |", "lr-0.002_cosine/seed-2/epochs-2", "# lr 0.001, batch 6, constant"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("%s lacks %q", sweepMD, want)
		}
	}

	// --plan prints the 12 cells, each a command line training one.
	var plan bytes.Buffer
	if err := sweepMain(context.Background(), append(a, "--plan"), &plan, false); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(plan.String()), "\n")
	if len(lines) != 12 || !strings.HasPrefix(lines[0], "convscope sweep --data ") || !strings.Contains(lines[11], "--shard 12/12  # lr-0.002_cosine/seed-2/epochs-2") {
		t.Errorf("--plan printed:\n%s\nwant 12 lines, the last --shard 12/12 for lr-0.002_cosine/seed-2/epochs-2", plan.String())
	}
}

// clone copies a list of arguments.
func clone(a []string) []string { return append([]string(nil), a...) }

// TestSweepShardKilled kills a shard (SIGKILL) after its first epoch,
// collects the incomplete sweep, runs the shard again, and checks that the
// cut cell resumed from its checkpoint and that the collected report is
// complete and the one a single process writes.
func TestSweepShardKilled(t *testing.T) {
	data := writeDataset(t, 96, 12, 28, 28, 3, nil)
	args := []string{"--data", data, "--epochs", "3", "--seeds", "1,2", "--batch", "8,16", "--schedule", "constant", "--threads", "1"}
	one := filepath.Join(t.TempDir(), "one")
	runSweepTest(t, append(args, "--out", one)...)

	shared := filepath.Join(t.TempDir(), "shared")
	a := append(clone(args), "--out", shared)
	if out, err := shardCmd(t, nil, append(a, "--shard", "1/2")...).CombinedOutput(); err != nil {
		t.Fatalf("shard 1: %v\n%s", err, out)
	}
	cmd := shardCmd(t, nil, append(a, "--shard", "2/2")...)
	lines := readLines(t, cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var seen []string
	for l := range lines {
		seen = append(seen, l)
		if strings.Contains(l, "epoch 1/3") {
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	cmd.Wait()
	if len(seen) == 0 || !strings.Contains(seen[len(seen)-1], "epoch 1/3") {
		t.Fatalf("shard 2 never finished an epoch:\n%s", strings.Join(seen, "\n"))
	}

	var log bytes.Buffer
	err := sweepMain(context.Background(), []string{"--collect", shared}, &log, false)
	if err == nil || !strings.Contains(err.Error(), "batch-8/seed-2: unfinished") || !strings.Contains(err.Error(), "batch-16/seed-2") {
		t.Fatalf("collect after the kill: %v, want batch-8/seed-2 unfinished and batch-16/seed-2 named", err)
	}
	md, rerr := os.ReadFile(filepath.Join(shared, sweepMD))
	if rerr != nil || !strings.Contains(string(md), "**Incomplete:** 2 of 4 cells") {
		t.Errorf("the incomplete report (%v) does not say 2 of 4 cells are missing:\n%s", rerr, md)
	}

	out, err := shardCmd(t, nil, append(a, "--shard", "2/2")...).CombinedOutput()
	if err != nil {
		t.Fatalf("shard 2 again: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`resuming from \S+batch-8/seed-2/last.safetensors after epoch [12]`).Match(out) {
		t.Errorf("shard 2 did not resume its cell:\n%s", out)
	}
	log.Reset()
	if err := sweepMain(context.Background(), []string{"--collect", shared}, &log, false); err != nil {
		t.Fatalf("collect: %v", err)
	}
	sameReport(t, shared, one)
	if m := mustMetrics(t, filepath.Join(shared, "batch-8", "seed-2")); len(m) != 3 {
		t.Errorf("the resumed cell has %d epochs in metrics.jsonl, want 3", len(m))
	}
}

// TestSweepFashionNames checks that the class names of Fashion-style files
// reach every checkpoint, the report, and eval without flags; and that
// --dataset fashion names the classes when the folder has no classes.txt.
func TestSweepFashionNames(t *testing.T) {
	data := writeDataset(t, 20, 10, 28, 28, 10, fashionClasses)
	out := filepath.Join(t.TempDir(), "sweep")
	runSweepTest(t, "--data", data, "--epochs", "1", "--seeds", "1", "--batch", "10", "--threads", "1", "--out", out)
	last := filepath.Join(out, "seed-1", checkpoint.LastFile)
	ck, err := checkpoint.Load(last)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Dataset == nil || strings.Join(ck.Dataset.Classes, "|") != strings.Join(fashionClasses, "|") {
		t.Errorf("checkpoint classes %v, want %v", ck.Dataset, fashionClasses)
	}
	md, err := os.ReadFile(filepath.Join(out, sweepMD))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range fashionClasses {
		if !mdHasRow(string(md), name) {
			t.Errorf("%s has no per-class row for %q", sweepMD, name)
		}
	}
	var ev bytes.Buffer
	if err := cmdEval([]string{"--load", last, "--threads", "1"}, env{stdout: &ev}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ev.String(), "Ankle boot") || !strings.Contains(ev.String(), "T-shirt/top") {
		t.Errorf("eval of the Fashion checkpoint does not name its classes:\n%s", ev.String())
	}

	// The package's folder has no classes.txt: --dataset fashion names them.
	plain := writeDataset(t, 20, 10, 28, 28, 10, nil)
	t.Setenv(mnist.FashionDirEnv, plain)
	out2 := filepath.Join(t.TempDir(), "fashion")
	runSweepTest(t, "--dataset", "fashion", "--epochs", "1", "--seeds", "1", "--batch", "10", "--threads", "1", "--out", out2)
	ck, err = checkpoint.Load(filepath.Join(out2, "seed-1", checkpoint.LastFile))
	if err != nil {
		t.Fatal(err)
	}
	if ck.Dataset == nil || strings.Join(ck.Dataset.Classes, "|") != strings.Join(fashionClasses, "|") {
		t.Errorf("--dataset fashion: checkpoint classes %v, want %v", ck.Dataset, fashionClasses)
	}
	if md, err := os.ReadFile(filepath.Join(out2, sweepMD)); err != nil || !strings.Contains(string(md), "trained on Fashion-MNIST ("+plain+")") ||
		!mdHasRow(string(md), "Ankle boot") {
		t.Errorf("--dataset fashion report (%v) does not name Fashion-MNIST and its classes:\n%s", err, md)
	}
}

// TestDatasetFashionMissing: without the package, --dataset fashion names
// the command that installs it and exits with status 1, in every command
// that reads data; --data and --dataset together are refused.
func TestDatasetFashionMissing(t *testing.T) {
	t.Setenv(mnist.FashionDirEnv, filepath.Join(t.TempDir(), "fashion-mnist"))
	for _, args := range [][]string{
		{"train", "--no-tui", "--dataset", "fashion"},
		{"sweep", "--dataset", "fashion", "--out", filepath.Join(t.TempDir(), "s")},
		{"bench", "--dataset", "fashion"},
	} {
		_, stderr, code := runMain(t, args...)
		if code != 1 || !strings.Contains(stderr, "install it with: apt-get install dataset-fashion-mnist") {
			t.Errorf("%v: exit %d, stderr %q; want 1 and the install command", args, code, stderr)
		}
	}
	for _, args := range [][]string{
		{"train", "--no-tui", "--dataset", "fashion", "--data", "x"},
		{"train", "--no-tui", "--data", "x", "--dataset", "mnist"},
	} {
		if _, stderr, code := runMain(t, args...); code == 0 || !strings.Contains(stderr, "not both") {
			t.Errorf("%v: exit %d, stderr %q; want a refusal", args, code, stderr)
		}
	}
}

// TestPickShard checks where the shard comes from.
func TestPickShard(t *testing.T) {
	tests := []struct {
		flag  string
		count int
		env   map[string]string
		want  shard
		err   string
	}{
		{"", 0, nil, shard{}, ""},
		{"2/4", 0, nil, shard{1, 4}, ""},
		{"4/4", 4, map[string]string{k8sIndex: "0"}, shard{3, 4}, ""},
		{"0/4", 0, nil, shard{}, "1 <= I <= N"},
		{"5/4", 0, nil, shard{}, "1 <= I <= N"},
		{"2/4", 3, nil, shard{}, "disagree"},
		{"", 0, map[string]string{slurmTaskID: "3", slurmTaskCount: "4"}, shard{3, 4}, ""},
		{"", 0, map[string]string{slurmTaskID: "4", slurmTaskCount: "4", slurmTaskMin: "1"}, shard{3, 4}, ""},
		{"", 0, map[string]string{slurmTaskID: "10", slurmTaskCount: "3", slurmTaskMin: "6", slurmTaskStep: "2"}, shard{2, 3}, ""},
		{"", 0, map[string]string{slurmTaskID: "9", slurmTaskCount: "3"}, shard{}, "not one of 3 tasks"},
		{"", 5, map[string]string{k8sIndex: "4"}, shard{4, 5}, ""},
		{"", 0, map[string]string{k8sIndex: "4"}, shard{}, "--shard-count"},
		{"", 4, map[string]string{k8sIndex: "4"}, shard{}, "less than --shard-count 4"},
		{"", 4, nil, shard{}, "without a shard index"},
	}
	for _, tt := range tests {
		got, _, err := pickShard(tt.flag, tt.count, func(k string) string { return tt.env[k] })
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("pickShard(%q, %d, %v) = %v, %v; want an error with %q", tt.flag, tt.count, tt.env, got, err, tt.err)
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("pickShard(%q, %d, %v) = %v, %v; want %v", tt.flag, tt.count, tt.env, got, err, tt.want)
		}
	}
}
