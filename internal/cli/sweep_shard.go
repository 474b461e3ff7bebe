package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"convscope/internal/atomicfile"
	"convscope/internal/run"
)

// The environment variables a scheduler sets for one task of an array of
// them: SLURM's job arrays (sbatch --array) and Kubernetes' Indexed Jobs
// (completionMode: Indexed).
const (
	slurmTaskID    = "SLURM_ARRAY_TASK_ID"
	slurmTaskCount = "SLURM_ARRAY_TASK_COUNT"
	slurmTaskMin   = "SLURM_ARRAY_TASK_MIN"
	slurmTaskStep  = "SLURM_ARRAY_TASK_STEP"
	k8sIndex       = "JOB_COMPLETION_INDEX"
)

// shard is share i (0-based) of n of a plan's cells: those whose index is
// i modulo n. n == 0 is the whole plan.
type shard struct{ i, n int }

// has reports whether cell k is in the shard.
func (s shard) has(k int) bool { return s.n == 0 || k%s.n == s.i }

// pickShard reads the shard from --shard I/N (flag), else from the
// environment (getenv): a SLURM array task's index among
// SLURM_ARRAY_TASK_COUNT, or a Kubernetes Indexed Job's
// JOB_COMPLETION_INDEX among count (--shard-count; a SLURM count too if
// given). It returns where the shard came from, for the log.
func pickShard(flag string, count int, getenv func(string) string) (shard, string, error) {
	if count < 0 {
		return shard{}, "", fmt.Errorf("sweep: --shard-count must be at least 1, got %d", count)
	}
	if flag != "" {
		i, n, ok := strings.Cut(flag, "/")
		a, err1 := strconv.Atoi(strings.TrimSpace(i))
		b, err2 := strconv.Atoi(strings.TrimSpace(n))
		if !ok || err1 != nil || err2 != nil || b < 1 || a < 1 || a > b {
			return shard{}, "", fmt.Errorf("sweep: --shard wants I/N with 1 <= I <= N (e.g. 2/4), got %q", flag)
		}
		if count != 0 && count != b {
			return shard{}, "", fmt.Errorf("sweep: --shard %s and --shard-count %d disagree", flag, count)
		}
		return shard{a - 1, b}, "--shard", nil
	}
	num := func(name string, def int) (int, error) {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			return def, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("sweep: %s=%q, want a whole number", name, v)
		}
		return n, nil
	}
	if getenv(slurmTaskID) != "" {
		id, err := num(slurmTaskID, 0)
		if err != nil {
			return shard{}, "", err
		}
		n, err := num(slurmTaskCount, count)
		if err != nil {
			return shard{}, "", err
		}
		lo, err := num(slurmTaskMin, 0)
		if err != nil {
			return shard{}, "", err
		}
		step, err := num(slurmTaskStep, 1)
		if err != nil {
			return shard{}, "", err
		}
		step = max(step, 1)
		i := (id - lo) / step
		if n < 1 || id < lo || (id-lo)%step != 0 || i >= n {
			return shard{}, "", fmt.Errorf("sweep: %s=%d is not one of %d tasks from %d in steps of %d (%s, %s, %s)",
				slurmTaskID, id, n, lo, step, slurmTaskCount, slurmTaskMin, slurmTaskStep)
		}
		return shard{i, n}, fmt.Sprintf("%s %d of %d", slurmTaskID, id, n), nil
	}
	if getenv(k8sIndex) != "" {
		i, err := num(k8sIndex, 0)
		if err != nil {
			return shard{}, "", err
		}
		if count < 1 {
			return shard{}, "", fmt.Errorf("sweep: %s=%d gives the shard, but not how many there are; pass --shard-count N (the Job's completions)", k8sIndex, i)
		}
		if i >= count {
			return shard{}, "", fmt.Errorf("sweep: %s=%d, want less than --shard-count %d", k8sIndex, i, count)
		}
		return shard{i, count}, fmt.Sprintf("%s %d of %d", k8sIndex, i, count), nil
	}
	if count != 0 {
		return shard{}, "", fmt.Errorf("sweep: --shard-count without a shard index: set %s, or pass --shard I/N", k8sIndex)
	}
	return shard{}, "", nil
}

// printPlan prints one command line per cell: the sweep's own arguments
// (without --plan and any shard) and --shard k/N, where N is the number of
// cells, so that line k trains cell k alone. A shell comment says which.
func printPlan(w io.Writer, args []string, cells []sweepCell) error {
	var keep []string
	for i := 0; i < len(args); i++ {
		name, _, hasValue := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		if !strings.HasPrefix(args[i], "-") {
			keep = append(keep, args[i])
			continue
		}
		switch name {
		case "plan":
			continue
		case "shard", "shard-count":
			if !hasValue {
				i++ // its value
			}
			continue
		}
		keep = append(keep, args[i])
	}
	for k, c := range cells {
		line := []string{"convscope", "sweep"}
		for _, a := range keep {
			line = append(line, shellQuote(a))
		}
		line = append(line, "--shard", fmt.Sprintf("%d/%d", k+1, len(cells)))
		if _, err := fmt.Fprintf(w, "%s  # %s\n", strings.Join(line, " "), c.Dir); err != nil {
			return err
		}
	}
	return nil
}

// shellSafe are the words a POSIX shell reads as they are.
var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_./,:=+@%-]+$`)

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// planFile is the sweep's plan, in its folder.
const planFile = "sweep-plan.json"

// writePlan saves the plan in its folder, atomically. Every shard writes
// the same bytes; a folder holding another sweep's plan, or runs of a sweep
// from before plans were saved, is refused.
func writePlan(p *sweepPlan) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	b = append(b, '\n')
	path := filepath.Join(p.Out, planFile)
	old, err := os.ReadFile(path)
	switch {
	case err == nil && bytes.Equal(old, b):
		return nil
	case err == nil:
		return fmt.Errorf("sweep: %s already exists and holds another sweep's plan; choose a new --out folder (or give the flags of that sweep to continue it)", path)
	case !errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("sweep: %w", err)
	}
	for _, c := range p.cells() {
		m := filepath.Join(p.Out, filepath.FromSlash(c.Dir), run.MetricsFile)
		if _, err := os.Stat(m); err == nil {
			return fmt.Errorf("sweep: %s already exists; choose a new --out folder", m)
		}
	}
	if err := atomicfile.Write(path, b); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	return nil
}

// readPlan reads the plan of the sweep folder dir.
func readPlan(dir string) (*sweepPlan, error) {
	b, err := os.ReadFile(filepath.Join(dir, planFile))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("sweep --collect: %s is not a sweep folder (it has no %s)", dir, planFile)
		}
		return nil, fmt.Errorf("sweep --collect: %w", err)
	}
	var p sweepPlan
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("sweep --collect: %s: %w", filepath.Join(dir, planFile), err)
	}
	if len(p.Counts) == 0 || len(p.Seeds) == 0 || len(p.Settings) == 0 {
		return nil, fmt.Errorf("sweep --collect: %s lists no epoch counts, seeds or settings", filepath.Join(dir, planFile))
	}
	p.Out = dir
	return &p, nil
}

// readSweep reads every cell of the sweep in dir: the finished ones as
// runs, the others as lines saying what is missing.
func readSweep(dir string) (*sweepResult, error) {
	p, err := readPlan(dir)
	if err != nil {
		return nil, err
	}
	res := &sweepResult{Plan: *p, Net: p.Net, Classes: p.Classes, TrainN: p.TrainN, TestN: p.TestN, Rows: p.Rows, Cols: p.Cols}
	for _, c := range p.cells() {
		cd := filepath.Join(dir, filepath.FromSlash(c.Dir))
		st, err := readCell(cd)
		if err != nil {
			return nil, err
		}
		hist, herr := run.ReadMetrics(filepath.Join(cd, run.MetricsFile))
		switch {
		case st == nil:
			res.Missing = append(res.Missing, fmt.Sprintf("%s: missing (not started)", c.Dir))
			continue
		case !st.Finished || herr != nil || len(hist) < c.Epochs:
			done := 0
			if herr == nil {
				done = len(hist)
			}
			res.Missing = append(res.Missing, fmt.Sprintf("%s: unfinished (%d of %d epochs)", c.Dir, done, c.Epochs))
			continue
		}
		r := sweepRun{Setting: c.Setting, Seed: c.Seed, Epochs: c.Epochs, Dir: cd, History: hist[:c.Epochs], Evals: st.Evals}
		for _, h := range r.History {
			res.Duration += time.Duration((h.Seconds + h.EvalSeconds) * float64(time.Second))
		}
		res.Runs = append(res.Runs, r)
	}
	return res, nil
}

// collectSweep builds the report of the sweep folder dir from whatever
// runs are there and says which cells are missing or unfinished; an
// incomplete sweep's report is written, and the error lists what it lacks.
func collectSweep(dir string, w io.Writer) error {
	res, err := readSweep(dir)
	if err != nil {
		return err
	}
	paths, err := writeSweepReport(res)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "sweep report: %s\n", strings.Join(paths, ", "))
	if len(res.Missing) > 0 {
		return fmt.Errorf("sweep: the report covers %d of %d cells; not finished: %s (run their shards again: each resumes from its checkpoint)",
			len(res.Runs), len(res.Runs)+len(res.Missing), strings.Join(res.Missing, "; "))
	}
	return nil
}
