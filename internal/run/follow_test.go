package run

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"convscope/internal/checkpoint"
	"convscope/nn"
)

// metricsLine is epoch e's line of metrics.jsonl, newline included.
func metricsLine(t *testing.T, e int) string {
	t.Helper()
	b, err := json.Marshal(nn.EpochStats{Epoch: e, TrainLoss: 1 / float64(e), TestAcc: 0.5 + 0.01*float64(e)})
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func epochsOf(p Poll) []int {
	var out []int
	for _, s := range p.Epochs {
		out = append(out, s.Epoch)
	}
	return out
}

// TestFollowHalfLine: a line being written is not read until its newline
// comes, and is then read whole, once; a replaced file is read again from
// its start without repeating epochs.
func TestFollowHalfLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, MetricsFile)
	two := metricsLine(t, 2)
	appendFile(t, path, metricsLine(t, 1)+two[:10])
	f := NewFollower(dir)
	steps := []struct {
		add  string
		want []int
	}{
		{"", []int{1}},
		{"", nil},            // still half a line
		{two[10:20], nil},    // more of it, no newline yet
		{two[20:], []int{2}}, // whole
		{metricsLine(t, 3), []int{3}},
		{"\n\n", nil}, // blank lines
	}
	for i, s := range steps {
		if s.add != "" {
			appendFile(t, path, s.add)
		}
		p := f.Poll()
		if got := epochsOf(p); !slices.Equal(got, s.want) || len(p.Notes) > 0 {
			t.Fatalf("step %d: Poll epochs %v, notes %q; want %v and no notes", i, got, p.Notes, s.want)
		}
	}
	// A resumed run rewrites the file (a new inode) with the epochs it
	// keeps, then appends: only the new epoch is new.
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(metricsLine(t, 1)+metricsLine(t, 2)+metricsLine(t, 3)+metricsLine(t, 4)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	if got := epochsOf(f.Poll()); !slices.Equal(got, []int{4}) {
		t.Errorf("after the file was replaced: epochs %v, want [4]", got)
	}
}

// TestFollowBadLine: a complete line that does not parse is read again for
// a few polls (a shared file system may show its bytes late), then skipped
// with one note; the lines after it are read.
func TestFollowBadLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, MetricsFile)
	appendFile(t, path, metricsLine(t, 1)+"\x00\x00\x00\n"+metricsLine(t, 2))
	f := NewFollower(dir)
	var epochs []int
	var notes []string
	for range pollRetries + 3 {
		p := f.Poll()
		epochs = append(epochs, epochsOf(p)...)
		notes = append(notes, p.Notes...)
	}
	if !slices.Equal(epochs, []int{1, 2}) || len(notes) != 1 || !strings.Contains(notes[0], "line 2 skipped") {
		t.Errorf("epochs %v, notes %q; want [1 2] and one note about line 2", epochs, notes)
	}
}

// savedAt writes a checkpoint of tr as if it had finished epoch e.
func savedAt(t *testing.T, path string, tr *nn.Trainer, e int) {
	t.Helper()
	tr.Epoch, tr.History = e, nil
	for i := 1; i <= e; i++ {
		tr.History = append(tr.History, nn.EpochStats{Epoch: i, TestAcc: 0.1 * float64(i)})
	}
	if err := checkpoint.Save(path, tr); err != nil {
		t.Fatal(err)
	}
}

// TestFollowCheckpointReplaced: a checkpoint replaced while it is read, or
// seen half-written, is never an error: the follower reads it again and
// returns each later epoch once.
func TestFollowCheckpointReplaced(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, checkpoint.LastFile)
	tr := testTrainer(t, 5)
	savedAt(t, path, tr, 1)
	f := NewFollower(dir)
	// Replaced between the stat and the load.
	replaced := false
	f.beforeLoad = func() {
		if !replaced {
			replaced = true
			savedAt(t, path, tr, 2)
		}
	}
	var got []int
	for range 3 {
		p := f.Poll()
		if len(p.Notes) > 0 {
			t.Fatalf("notes %q, want none", p.Notes)
		}
		if p.Checkpoint != nil {
			got = append(got, p.Checkpoint.Epoch)
		}
	}
	if len(got) == 0 || got[len(got)-1] != 2 || len(got) > 2 || len(got) == 2 && got[0] >= got[1] {
		t.Fatalf("checkpoint epochs returned %v, want epoch 2 last, each once", got)
	}
	f.beforeLoad = nil

	// Seen half-written in place (a copy on a shared file system).
	savedAt(t, path+".full", tr, 3)
	full, err := os.ReadFile(path + ".full")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, full[:len(full)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if p := f.Poll(); p.Checkpoint != nil || len(p.Notes) > 0 {
			t.Fatalf("poll %d of a half-written checkpoint: %v, notes %q; want nothing yet", i, p.Checkpoint != nil, p.Notes)
		}
	}
	if err := os.WriteFile(path, full, 0o644); err != nil {
		t.Fatal(err)
	}
	if p := f.Poll(); p.Checkpoint == nil || p.Checkpoint.Epoch != 3 {
		t.Fatalf("the completed checkpoint was not returned (notes %q)", p.Notes)
	}

	// One that never loads is said once, then left until it changes.
	if err := os.WriteFile(path, []byte("not a checkpoint"), 0o644); err != nil {
		t.Fatal(err)
	}
	var notes []string
	for range pollRetries + 4 {
		notes = append(notes, f.Poll().Notes...)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], checkpoint.LastFile) {
		t.Errorf("notes %q, want one about %s", notes, checkpoint.LastFile)
	}
}

// TestFollowSince: liveness is measured by the follower's clock from the
// last change it saw; before any, from the newest file's time.
func TestFollowSince(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, MetricsFile)
	appendFile(t, path, metricsLine(t, 1))
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	f := NewFollower(dir)
	f.Now = func() time.Time { return now }
	f.Poll()
	if s := f.Since(); s < 59*time.Minute || s > 61*time.Minute {
		t.Errorf("Since a run last written an hour ago = %v, want about 1h", s)
	}
	appendFile(t, path, metricsLine(t, 2))
	now = now.Add(time.Second)
	f.Poll()
	if s := f.Since(); s != 0 {
		t.Errorf("Since right after a change = %v, want 0", s)
	}
	now = now.Add(130 * time.Second)
	f.Poll()
	if s := f.Since(); s != 130*time.Second {
		t.Errorf("Since 130 s after the last change = %v, want 2m10s", s)
	}
}

func TestCheckRun(t *testing.T) {
	root := t.TempDir()
	mk := func(name string, files ...string) string {
		d := filepath.Join(root, name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if err := os.WriteFile(filepath.Join(d, f), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	for _, c := range []struct {
		dir    string
		notRun bool
	}{
		{mk("run", MetricsFile), false},
		{mk("started", LockFile), false},
		{mk("ck", checkpoint.LastFile), false},
		{mk("other", "notes.txt"), true},
		{mk("empty"), true},
		{filepath.Join(mk("file", "x"), "x"), true},
	} {
		err := CheckRun(c.dir)
		if got := errors.Is(err, ErrNotRun); got != c.notRun {
			t.Errorf("CheckRun(%s) = %v; want not-a-run %v", filepath.Base(c.dir), err, c.notRun)
		}
	}
	if err := CheckRun(filepath.Join(root, "missing")); err == nil || !strings.Contains(err.Error(), "no folder") {
		t.Errorf("CheckRun(missing) = %v, want one saying there is no folder", err)
	}
}

func TestWriterPID(t *testing.T) {
	dir := t.TempDir()
	f := NewFollower(dir)
	if w := f.Writer(); w.PID != 0 {
		t.Errorf("Writer without a lock file = %+v, want none", w)
	}
	if err := os.WriteFile(filepath.Join(dir, LockFile), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if w := f.Writer(); w.PID != os.Getpid() || !w.Running {
		t.Errorf("Writer naming this process = %+v, want it running", w)
	}
}
