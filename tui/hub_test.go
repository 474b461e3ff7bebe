package tui

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"convscope/nn"
	"convscope/views"
)

// hubModelOf is the root model a hub's UI runs, sized for drawing.
func hubModelOf(t *testing.T, tm tea.Model) *hubModel {
	t.Helper()
	hm, ok := tm.(*hubModel)
	if !ok {
		t.Fatalf("Attach returned %T, want *hubModel", tm)
	}
	hm.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	return hm
}

// readAll reads a UI's messages the way its program does, until the end.
func readAll(t *testing.T, s *hubSub) []tea.Msg {
	t.Helper()
	var all []tea.Msg
	deadline := time.After(10 * time.Second)
	for {
		got := make(chan tea.Msg, 1)
		go func() { got <- s.Next()() }()
		select {
		case m := <-got:
			ev, ok := m.(eventsMsg)
			if !ok {
				t.Fatalf("Next() = %T before the end, want eventsMsg", m)
			}
			all = append(all, ev...)
			for _, e := range ev {
				if _, done := e.(trainDoneMsg); done {
					return all
				}
			}
		case <-deadline:
			t.Fatalf("no end after %d messages", len(all))
		}
	}
}

// count counts messages by kind.
func count(msgs []tea.Msg) (progress, epochs, done int) {
	for _, m := range msgs {
		switch m.(type) {
		case progressMsg:
			progress++
		case epochMsg:
			epochs++
		case trainDoneMsg:
			done++
		}
	}
	return
}

// TestHubStalledViewer: a UI that never reads neither holds training up nor
// loses an epoch result; its progress reports are coalesced, while a UI that
// reads gets every epoch too.
func TestHubStalledViewer(t *testing.T) {
	const epochs, batches = 4, 3000
	h := newHub(context.Background(), Options{}, fakeEpochs(epochs, batches))
	stalled := h.subscribe(Viewer{Name: "stalled"})
	reader := h.subscribe(Viewer{Name: "reader"})
	got := readAll(t, reader)
	if err := h.Wait(); err != nil {
		t.Fatalf("Wait() = %v", err)
	}
	if _, e, d := count(got); e != epochs || d != 1 {
		t.Errorf("reader got %d epochs and %d ends, want %d and 1", e, d, epochs)
	}
	stalled.mu.Lock()
	q := append([]tea.Msg(nil), stalled.queue...)
	stalled.mu.Unlock()
	p, e, d := count(q)
	if e != epochs || d != 1 {
		t.Errorf("stalled UI holds %d epochs and %d ends, want %d and 1", e, d, epochs)
	}
	if p > epochs+1 {
		t.Errorf("stalled UI holds %d progress reports, want at most %d (coalesced)", p, epochs+1)
	}
	if len(q) > 2*epochs+2 {
		t.Errorf("stalled UI's queue is %d long, want at most %d", len(q), 2*epochs+2)
	}
}

// TestHubLateViewer: a UI that joins after the run gets every epoch so far
// and the end, without the progress in between.
func TestHubLateViewer(t *testing.T) {
	h := newHub(context.Background(), Options{}, fakeEpochs(3, 500))
	if err := h.Wait(); err != nil {
		t.Fatal(err)
	}
	got := readAll(t, h.subscribe(Viewer{Name: "late"}))
	p, e, d := count(got)
	if e != 3 || d != 1 || p > 3 {
		t.Errorf("late UI got %d progress, %d epochs, %d ends; want ≤3, 3, 1", p, e, d)
	}
}

// heldTrain reports batches until cancelled, so that the run is live while
// the test presses keys.
func heldTrain(ctx context.Context, report func(nn.Progress)) error {
	for b := 1; ; b++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		report(nn.Progress{Kind: nn.BatchProgress, Epoch: 1, Epochs: 1, Batch: b, Batches: 1 << 30, Seen: b, Total: 1 << 30})
		time.Sleep(time.Millisecond)
	}
}

// TestHubReadOnly: a read-only UI's space and s reach neither training nor
// the state, and answer with a note; its help says so. A controller's space
// pauses the run for everyone, and the others are told who did it.
func TestHubReadOnly(t *testing.T) {
	h := newHub(context.Background(), Options{Save: func(*nn.Net, int) (string, error) { return "x", nil }}, heldTrain)
	defer func() { h.Stop(); _ = h.Wait() }()
	roM, roLeave := h.Attach(Viewer{Name: "bob"})
	defer roLeave()
	ctlM, ctlLeave := h.Attach(Viewer{Name: "alice", Control: true})
	defer ctlLeave()
	ro, ctl := hubModelOf(t, roM), hubModelOf(t, ctlM)

	if !strings.Contains(ro.m.keys.Pause.Help().Desc, "controllers only") {
		t.Errorf("read-only pause help = %q, want it to say controllers only", ro.m.keys.Pause.Help().Desc)
	}
	for _, k := range []string{"space", "s"} {
		ro.Update(press(k))
		if h.Paused() || ro.m.state == views.StatePaused {
			t.Fatalf("read-only %s paused the run", k)
		}
		if ro.m.note != readOnlyNote {
			t.Errorf("read-only %s: note %q, want %q", k, ro.m.note, readOnlyNote)
		}
	}

	ctl.Update(press("space"))
	if !h.Paused() {
		t.Fatal("a controller's space did not pause the run")
	}
	// The read-only UI learns of the pause through its queue.
	deadline := time.After(5 * time.Second)
	for ro.m.state != views.StatePaused {
		got := make(chan tea.Msg, 1)
		go func() { got <- ro.s.Next()() }()
		select {
		case m := <-got:
			ro.Update(m)
		case <-deadline:
			t.Fatalf("read-only UI's state = %v after the pause, want paused", ro.m.state)
		}
	}
	if !strings.Contains(ro.m.note, "paused by alice") {
		t.Errorf("read-only note = %q, want one saying alice paused", ro.m.note)
	}
	// The controller leaving releases its pause.
	ctlLeave()
	if h.Paused() {
		t.Error("the run stayed paused after its controller left")
	}
}

// TestHubLeaveKeepsRun: a UI quitting leaves training and the other UIs
// alone; only the local terminal's quit stops the run.
func TestHubLeaveKeepsRun(t *testing.T) {
	h := newHub(context.Background(), Options{}, heldTrain)
	a := h.subscribe(Viewer{Name: "a", Control: true})
	b := h.subscribe(Viewer{Name: "b"})
	a.Stop() // q in an SSH controller's UI
	if h.Viewers() != 1 {
		t.Errorf("Viewers() = %d after one left, want 1", h.Viewers())
	}
	select {
	case <-h.Done():
		t.Fatal("training stopped when a remote UI quit")
	case <-time.After(50 * time.Millisecond):
	}
	if m := a.Next()(); m != nil {
		t.Errorf("Next() after leaving = %T, want nil", m)
	}
	local := h.subscribe(Viewer{Name: "local", Control: true, StopsRun: true})
	local.Stop()
	select {
	case <-h.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the local UI's quit did not stop training")
	}
	got := readAll(t, b)
	if _, _, d := count(got); d != 1 {
		t.Errorf("the staying UI got %d ends, want 1", d)
	}
}

// TestHubManyViewersRace has UIs joining, reading and leaving while training
// runs, for the race detector.
func TestHubManyViewersRace(t *testing.T) {
	h := newHub(context.Background(), Options{}, fakeEpochs(3, 2000))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := h.subscribe(Viewer{Name: "v", Control: i%2 == 0})
			defer s.leave()
			for range i * 3 {
				m := s.Next()()
				if m == nil {
					return
				}
				if i%4 == 0 {
					s.Pause()
					s.Resume()
				}
			}
		}()
	}
	wg.Wait()
	if err := h.Wait(); err != nil {
		t.Fatal(err)
	}
	if h.Viewers() != 0 || h.Paused() {
		t.Errorf("after all left: %d viewers, paused %v; want 0, false", h.Viewers(), h.Paused())
	}
}

// TestHubRefresh: a UI with a Refresh takes batch progress at most that
// often (each take is a render), while one without takes it as it comes;
// epoch results and the end still all arrive.
func TestHubRefresh(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	h := newHub(ctx, Options{}, heldTrain)
	slow := h.subscribe(Viewer{Name: "remote", Refresh: 100 * time.Millisecond})
	fast := h.subscribe(Viewer{Name: "local"})
	takes := func(s *hubSub, d time.Duration) int {
		n := 0
		for end := time.Now().Add(d); time.Now().Before(end); n++ {
			if _, ok := s.Next()().(eventsMsg); !ok {
				t.Fatal("Next ended while the run goes on")
			}
		}
		return n
	}
	var wg sync.WaitGroup
	var nSlow, nFast int
	wg.Add(2)
	go func() { defer wg.Done(); nSlow = takes(slow, 600*time.Millisecond) }()
	go func() { defer wg.Done(); nFast = takes(fast, 600*time.Millisecond) }()
	wg.Wait()
	cancel()
	h.Wait()
	if nSlow > 8 {
		t.Errorf("the remote UI took progress %d times in 600ms, want at most 8 (every 100ms)", nSlow)
	}
	if nFast < 2*nSlow || nFast < 20 {
		t.Errorf("the local UI took progress %d times in 600ms (the remote %d): want it to take it as it comes", nFast, nSlow)
	}

	h = newHub(context.Background(), Options{}, fakeEpochs(4, 3000))
	got := readAll(t, h.subscribe(Viewer{Name: "remote", Refresh: time.Second}))
	if _, e, d := count(got); e != 4 || d != 1 {
		t.Errorf("the remote UI got %d epochs and %d ends, want 4 and 1", e, d)
	}
}
