package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"convscope/internal/checkpoint"
	"convscope/internal/run"
	"convscope/nn"
	"convscope/tui"
	"convscope/views"
)

// watchOpts are a test's watch options: quick polls, one thread.
func watchOpts(dir string) WatchOptions {
	return WatchOptions{Dir: dir, Poll: 20 * time.Millisecond, StaleAfter: time.Minute, Threads: 1}
}

// uiOpts drive a UI from a pipe into a buffer.
func uiOpts(in io.Reader, screen io.Writer) []tea.ProgramOption {
	return []tea.ProgramOption{tea.WithInput(in), tea.WithOutput(screen), tea.WithWindowSize(120, 40),
		tea.WithoutSignals(), tea.WithEnvironment([]string{"TERM=xterm-256color"})}
}

// waitFor polls cond for up to d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// epochLine is what headless train and watch print for an epoch.
func epochLine(s nn.EpochStats, epochs int) string {
	return fmt.Sprintf("epoch %d/%d  train loss %.4f acc %.2f%%  test loss %.4f acc %.2f%%",
		s.Epoch, epochs, s.TrainLoss, 100*s.TrainAcc, s.TestLoss, 100*s.TestAcc)
}

// TestWatchFollowsAnotherProcess is issue 16's test: a second process
// trains a run while watch follows its folder, headless and in two UIs,
// from before its first checkpoint (metrics lines appended, last.safetensors
// replaced after every epoch while watch reads it); every watcher ends on
// the run's final figures, those of its last metrics line.
func TestWatchFollowsAnotherProcess(t *testing.T) {
	data := writeData(t, 160, 24)
	out := filepath.Join(t.TempDir(), "run")
	// A run that has just made its folder and taken its lock: watch waits.
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, run.LockFile), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// Headless.
	var printed lockedBuffer
	headless := make(chan error, 1)
	go func() { headless <- runWatch(ctx, watchOpts(out), env{stdout: &printed}) }()
	// The UI through runWatch, as on a terminal.
	in, typed := io.Pipe()
	defer typed.Close()
	screen := &lockedBuffer{}
	uo := watchOpts(out)
	uo.ui = uiOpts(in, screen)
	var uiOut lockedBuffer
	ui := make(chan error, 1)
	go func() { ui <- runWatch(ctx, uo, env{stdout: &uiOut}) }()

	waitFor(t, 10*time.Second, "the waiting line", func() bool { return strings.Contains(printed.String(), "waiting for the run's first checkpoint") })
	cmd := mainCmd(t, "train", "--no-tui", "--data", data, "--epochs", "4", "--batch", "4", "--threads", "1", "--seed", "2", "--out", out)
	var trainOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &trainOut, &trainOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}

	// A third UI on a hub, to read its final screen whole once it quits.
	w, done, err := openWatch(ctx, watchOpts(out), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	w.inUI = true
	hub, err := tui.NewHub(ctx, w.options())
	if err != nil {
		t.Fatal(err)
	}
	in3, typed3 := io.Pipe()
	defer typed3.Close()
	screen3 := &lockedBuffer{}
	m, leave := hub.Attach(tui.Viewer{Name: "test", Control: true, StopsRun: true})
	final := make(chan tea.Model, 1)
	go func() {
		fm, _ := tea.NewProgram(m, append([]tea.ProgramOption{tea.WithContext(ctx)}, uiOpts(in3, screen3)...)...).Run()
		final <- fm
	}()

	if err := cmd.Wait(); err != nil {
		t.Fatalf("train: %v\n%s", err, trainOut.String())
	}
	history, err := run.ReadMetrics(filepath.Join(out, run.MetricsFile))
	if err != nil || len(history) != 4 {
		t.Fatalf("the run's metrics: %d epochs, %v; want 4", len(history), err)
	}
	last := history[3]

	select {
	case err := <-headless:
		if err != nil {
			t.Fatalf("watch --no-tui: %v", err)
		}
	case <-ctx.Done():
		t.Fatalf("watch --no-tui did not end after the run finished:\n%s", printed.String())
	}
	got := printed.String()
	at := 0
	for _, s := range history {
		i := strings.Index(got[at:], epochLine(s, 4))
		if i < 0 {
			t.Fatalf("watch --no-tui did not print %q in order:\n%s", epochLine(s, 4), got)
		}
		at += i
	}
	if want := fmt.Sprintf("finished 4 epochs: test accuracy %.2f%%", 100*last.TestAcc); !strings.Contains(got, want) {
		t.Errorf("watch --no-tui output lacks %q:\n%s", want, got)
	}

	for _, s := range []*lockedBuffer{screen, screen3} {
		waitFor(t, time.Minute, "the UI to show the run finished", func() bool { return strings.Contains(ansi.Strip(s.String()), "training finished") })
	}
	typed.Write([]byte("q"))
	typed3.Write([]byte("q"))
	select {
	case err := <-ui:
		if err != nil {
			t.Errorf("watch in the UI: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("watch in the UI did not end after q")
	}
	var fm tea.Model
	select {
	case fm = <-final:
	case <-ctx.Done():
		t.Fatal("the hub's UI did not end after q")
	}
	leave()
	hub.Stop()
	if err := hub.Wait(); err != nil {
		t.Errorf("the follower returned %v after the run finished", err)
	}
	view := ansi.Strip(fm.View().Content)
	want := fmt.Sprintf("epoch 4: train loss %.4f · acc %s · test loss %.4f · acc %s",
		last.TrainLoss, views.Pct(last.TrainAcc), last.TestLoss, views.Pct(last.TestAcc))
	if !strings.Contains(view, want) || !strings.Contains(view, "4 epochs in") {
		t.Errorf("the UI's final screen lacks %q:\n%s", want, view)
	}
	if w.reported != 4 || w.evalEp != 4 {
		t.Errorf("the follower reported %d epochs, evaluated epoch %d; want 4 and 4", w.reported, w.evalEp)
	}
	if b, err := os.ReadFile(filepath.Join(out, run.LockFile)); err != nil || strings.TrimSpace(string(b)) == "" {
		t.Errorf("lock file %q, %v: want the trainer's PID", b, err)
	}
}

// TestWatchNotARun: a folder without a run, a missing folder and a file
// each get one line and exit status 1.
func TestWatchNotARun(t *testing.T) {
	dir := t.TempDir()
	other := filepath.Join(dir, "photos")
	if err := os.MkdirAll(other, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, "a.jpg"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ arg, want string }{
		{other, "is not a run folder"},
		{filepath.Join(dir, "missing"), "no folder"},
		{filepath.Join(other, "a.jpg"), "is a file"},
	} {
		stdout, stderr, code := runMain(t, "watch", "--no-tui", c.arg)
		if code != 1 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, c.want) || stdout != "" {
			t.Errorf("watch %s: exit %d, stderr %q, stdout %q; want 1 and one line saying %q", c.arg, code, stderr, stdout, c.want)
		}
	}
	if _, stderr, code := runMain(t, "watch"); code != 1 || !strings.Contains(stderr, "want one run folder") {
		t.Errorf("watch without a folder: exit %d, %q; want 1 and a line asking for one", code, stderr)
	}
}

// stoppedRun writes a run folder as a run stopped after epoch 1 of 3
// leaves it, its lock naming a process that has ended.
func stoppedRun(t *testing.T) (dir string, epoch1 nn.EpochStats) {
	t.Helper()
	data := writeData(t, 16, 8)
	d, err := loadData(data, "")
	if err != nil {
		t.Fatal(err)
	}
	net, err := nn.NewPaper(28, 28, 10, nn.InitRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	cfg := nn.DefaultConfig()
	cfg.Epochs, cfg.Threads = 3, 1
	tr, err := nn.NewTrainer(net, cfg)
	if err != nil {
		t.Fatal(err)
	}
	epoch1 = nn.EpochStats{Epoch: 1, TrainLoss: 2.25, TrainAcc: 0.125, TestLoss: 2.5, TestAcc: 0.25}
	tr.Epoch, tr.History = 1, []nn.EpochStats{epoch1}
	dir = filepath.Join(t.TempDir(), "run")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := checkpoint.SaveRun(filepath.Join(dir, checkpoint.LastFile), tr, checkpoint.DatasetOf(data, d), nil); err != nil {
		t.Fatal(err)
	}
	line := `{"epoch":1,"train_loss":2.25,"train_acc":0.125,"test_loss":2.5,"test_acc":0.25}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, run.MetricsFile), []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	pid := strconv.Itoa(gone.Process.Pid)
	if err := os.WriteFile(filepath.Join(dir, run.LockFile), []byte(pid+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, epoch1
}

// TestWatchStale: with a clock 2m10s past the run's last write, watch
// calls it stale, says so in the header and headless, and names its
// writer as gone; it keeps watching.
func TestWatchStale(t *testing.T) {
	dir, epoch1 := stoppedRun(t)
	later := func() time.Time { return time.Now().Add(130 * time.Second) }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := watchOpts(dir)
	o.StaleAfter, o.now = 2*time.Minute, later
	var printed lockedBuffer
	done := make(chan error, 1)
	go func() { done <- runWatch(ctx, o, env{stdout: &printed}) }()
	waitFor(t, 30*time.Second, "the stale line", func() bool { return strings.Contains(printed.String(), "stale: no update for") })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("watch of a stale run, cancelled: %v, want context.Canceled", err)
	}
	got := printed.String()
	if !strings.Contains(got, epochLine(epoch1, 3)) || !strings.Contains(got, "not running here") || strings.Contains(got, "finished") {
		t.Errorf("headless watch of a stale run printed:\n%s\nwant epoch 1, a stale line naming the writer gone, no finish", got)
	}

	w, release, err := openWatch(context.Background(), o, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	f := w.state()
	if !f.On || !f.Stale || f.Since < 129*time.Second || !strings.Contains(f.Hint, "not running here") {
		t.Fatalf("state of a run last written 2m10s ago = %+v, want stale, naming the writer gone", f)
	}
	h := ansi.Strip(views.Header(views.HeaderData{State: views.StateTraining, Epochs: 3, Follow: f}, 120, views.Styles{}))
	if !strings.Contains(h, "stale · no update for 2m1") {
		t.Errorf("header of a stale run:\n%s\nwant it to say stale and for how long", h)
	}
	w.o.now, w.f.Now = nil, nil // the real clock: the files were just written
	w.poll()
	if f := w.state(); f.Stale {
		t.Errorf("state with the files just written = %+v, want live", f)
	}
}

func TestFollowState(t *testing.T) {
	for _, c := range []struct {
		since time.Duration
		wr    run.Writer
		stale bool
		hint  string
	}{
		{5 * time.Second, run.Writer{PID: 9, Running: true}, false, ""},
		{3 * time.Minute, run.Writer{PID: 9, Running: true}, true, "writer PID 9 still running"},
		{3 * time.Minute, run.Writer{PID: 9}, true, "writer PID 9 not running here"},
		{3 * time.Minute, run.Writer{}, true, ""},
	} {
		f := followState(c.since, 2*time.Minute, c.wr, "", false)
		if f.Stale != c.stale || f.Hint != c.hint || f.Since != c.since {
			t.Errorf("followState(%v, %+v) = %+v, want stale %v, hint %q", c.since, c.wr, f, c.stale, c.hint)
		}
	}
	if f := followState(time.Second, time.Minute, run.Writer{}, "metrics.jsonl line 3 skipped", true); f.Hint == "" {
		t.Errorf("a recent note is not shown: %+v", f)
	}
}

// TestWatchEnds: a run's end line ends watch at once: a stopped run says
// so (not stale, not finished), a failed one makes watch fail with the
// run's error; the steering lines among the epochs are not epochs.
func TestWatchEnds(t *testing.T) {
	for _, c := range []struct {
		end, want, err string
	}{
		{`{"event":"end","state":"stopped","epoch":1}`, "stopped after epoch 1 of 3", ""},
		{`{"event":"end","state":"failed","epoch":1,"error":"saving epoch 2 failed: no space left on device"}`, "", "the run failed: saving epoch 2 failed: no space left on device"},
	} {
		dir, epoch1 := stoppedRun(t)
		f, err := os.OpenFile(filepath.Join(dir, run.MetricsFile), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(f, `{"event":"lr","epoch":2,"batch":0,"step":1,"lr":0.0005,"by":"alice"}`)
		fmt.Fprintln(f, `{"event":"stop","epoch":1,"by":"alice"}`)
		fmt.Fprintln(f, c.end)
		f.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		var printed lockedBuffer
		err = runWatch(ctx, watchOpts(dir), env{stdout: &printed})
		cancel()
		got := printed.String()
		switch {
		case c.err == "" && err != nil:
			t.Errorf("watch of a stopped run: %v, want nil", err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("watch of a failed run: %v, want %q", err, c.err)
		}
		if !strings.Contains(got, epochLine(epoch1, 3)) || !strings.Contains(got, c.want) || strings.Contains(got, "stale") ||
			strings.Contains(got, "finished") || strings.Contains(got, "epoch 2") || strings.Contains(got, "note:") {
			t.Errorf("watch printed:\n%s\nwant epoch 1 only, then %q", got, c.want)
		}
	}
}
