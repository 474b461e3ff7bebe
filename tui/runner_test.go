package tui

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"convscope/nn"
)

// drain reads every message the runner delivers until training has
// returned, the way the model does.
func drain(t *testing.T, r *runner) []tea.Msg {
	t.Helper()
	var all []tea.Msg
	deadline := time.After(10 * time.Second)
	for {
		got := make(chan tea.Msg, 1)
		go func() { got <- r.Next()() }()
		select {
		case m := <-got:
			if m == nil {
				return all
			}
			all = append(all, m.(eventsMsg)...)
		case <-deadline:
			t.Fatalf("runner did not finish; got %d messages", len(all))
		}
	}
}

// fakeEpochs reports epochs epochs of batches batches each.
func fakeEpochs(epochs, batches int) trainFunc {
	return func(ctx context.Context, report func(nn.Progress)) error {
		for e := 1; e <= epochs; e++ {
			for b := 1; b <= batches; b++ {
				if err := ctx.Err(); err != nil {
					return err
				}
				report(nn.Progress{Kind: nn.BatchProgress, Epoch: e, Epochs: epochs, Batch: b, Batches: batches, Seen: b, Total: batches})
			}
			st := nn.EpochStats{Epoch: e}
			report(nn.Progress{Kind: nn.EpochDone, Epoch: e, Epochs: epochs, Stats: &st})
		}
		return nil
	}
}

// TestRunnerNeverWaitsForUI runs a whole fake training with nobody reading:
// the report callback must not block, and nothing may be lost.
func TestRunnerNeverWaitsForUI(t *testing.T) {
	var epochs atomic.Int32
	r := startRunner(context.Background(), fakeEpochs(5, 2000), hooks{
		snapshot: func() *nn.Net { epochs.Add(1); return nil },
	})
	select {
	case <-r.done:
	case <-time.After(5 * time.Second):
		t.Fatal("training did not finish while the UI read nothing: the callback blocked")
	}
	if r.err != nil {
		t.Fatalf("training returned %v", r.err)
	}
	msgs := drain(t, r)
	var batches, done int
	var epochOrder []int
	for _, m := range msgs {
		switch m := m.(type) {
		case progressMsg:
			batches++
		case epochMsg:
			epochOrder = append(epochOrder, m.p.Stats.Epoch)
		case trainDoneMsg:
			done++
		}
	}
	if batches != 5*2000 || fmt.Sprint(epochOrder) != "[1 2 3 4 5]" || done != 1 {
		t.Errorf("got %d batch reports, epochs %v, %d done; want 10000, [1 2 3 4 5], 1", batches, epochOrder, done)
	}
	if epochs.Load() != 5 {
		t.Errorf("the epoch snapshot ran %d times, want 5", epochs.Load())
	}
	if _, ok := msgs[len(msgs)-1].(trainDoneMsg); !ok {
		t.Errorf("the last message is %T, want trainDoneMsg", msgs[len(msgs)-1])
	}
}

// gatedTrain reports batches until cancelled, counting them.
type gatedTrain struct{ reports atomic.Int64 }

func (g *gatedTrain) train(ctx context.Context, report func(nn.Progress)) error {
	for b := 1; ; b++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		report(nn.Progress{Kind: nn.BatchProgress, Epoch: 1 + b/100, Epochs: 1000, Batch: b % 100, Batches: 100, Seen: b % 100, Total: 100})
		g.reports.Add(1)
		time.Sleep(time.Millisecond)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestRunnerPauseResumeStop(t *testing.T) {
	var g gatedTrain
	snaps := atomic.Int32{}
	r := startRunner(context.Background(), g.train, hooks{snapshot: func() *nn.Net { snaps.Add(1); return nil }})
	waitFor(t, "training to start", func() bool { return g.reports.Load() > 3 })

	r.Pause()
	time.Sleep(20 * time.Millisecond)
	held := g.reports.Load()
	time.Sleep(50 * time.Millisecond)
	if n := g.reports.Load(); n != held {
		t.Fatalf("training went on while paused: %d reports, then %d", held, n)
	}
	if snaps.Load() != 1 {
		t.Errorf("pausing took %d snapshots, want 1", snaps.Load())
	}

	r.Resume()
	waitFor(t, "training to go on after resume", func() bool { return g.reports.Load() > held+3 })

	r.Pause()
	time.Sleep(20 * time.Millisecond)
	if err := r.wait(); !errors.Is(err, context.Canceled) {
		t.Errorf("stopped while paused, training returned %v, want context.Canceled", err)
	}
}

func TestRunnerSave(t *testing.T) {
	var g gatedTrain
	saved := make(chan int, 10)
	r := startRunner(context.Background(), g.train, hooks{save: func(epoch int) (string, error) {
		saved <- epoch
		return fmt.Sprintf("ckpt-%d", epoch), nil
	}})
	waitFor(t, "training to start", func() bool { return g.reports.Load() > 3 })

	// While training: at the next report, in the training goroutine.
	if cmd, ok := r.Save(); !ok || cmd != nil {
		t.Fatalf("Save while training = (%v, %v), want (nil, true)", cmd, ok)
	}
	select {
	case <-saved:
	case <-time.After(5 * time.Second):
		t.Fatal("no checkpoint while training")
	}

	// While paused: the request wakes the held callback.
	r.Pause()
	time.Sleep(20 * time.Millisecond)
	r.Save()
	select {
	case <-saved:
	case <-time.After(5 * time.Second):
		t.Fatal("no checkpoint while paused")
	}

	// After training returned: in a command.
	r.wait()
	cmd, ok := r.Save()
	if !ok || cmd == nil {
		t.Fatalf("Save after training = (%v, %v), want a command", cmd, ok)
	}
	if m, ok := cmd().(savedMsg); !ok || m.err != nil || m.path == "" {
		t.Errorf("save after training gave %#v", cmd())
	}

	var found int
	for _, m := range drain(t, r) {
		if _, ok := m.(savedMsg); ok {
			found++
		}
	}
	if found != 2 {
		t.Errorf("the UI heard of %d saves during training, want 2", found)
	}

	none := startRunner(context.Background(), fakeEpochs(1, 1), hooks{})
	if _, ok := none.Save(); ok {
		t.Error("Save without a save hook should say it is not available")
	}
	none.wait()
}

// TestRunnerSaveAfterLastReport asks for a save after the last report but
// before training returns: it must still happen.
func TestRunnerSaveAfterLastReport(t *testing.T) {
	release := make(chan struct{})
	saved := make(chan int, 1)
	reported := make(chan struct{})
	r := startRunner(context.Background(), func(ctx context.Context, report func(nn.Progress)) error {
		report(nn.Progress{Kind: nn.BatchProgress, Epoch: 1, Epochs: 1, Total: 1})
		close(reported)
		<-release
		return nil
	}, hooks{save: func(epoch int) (string, error) { saved <- epoch; return "x", nil }})
	<-reported
	r.Save()
	close(release)
	select {
	case <-saved:
	case <-time.After(5 * time.Second):
		t.Fatal("a save asked for after the last report was lost")
	}
	r.wait()
}
