package tui

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"convscope/nn"
	"convscope/views"
)

// lockedBuffer is the program's output, written by its renderer.
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

// seen is what a filter saw of the model, for the test to wait on.
type seen struct {
	mu     sync.Mutex
	state  views.RunState
	active int
	epochs int
	note   string
	keys   map[string]time.Time // when each key reached Update
}

func (s *seen) get() (views.RunState, int, int, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state, s.active, s.epochs, s.note
}

func (s *seen) keyAt(k string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.keys[k]
	return t, ok
}

// spy is the model as the program sees it: it records what the test waits on
// after each Update.
type spy struct {
	m *model
	s *seen
}

func (p *spy) Init() tea.Cmd  { return p.m.Init() }
func (p *spy) View() tea.View { return p.m.View() }

func (p *spy) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	_, cmd := p.m.Update(msg)
	p.s.mu.Lock()
	defer p.s.mu.Unlock()
	p.s.state, p.s.active, p.s.epochs, p.s.note = p.m.state, p.m.active, len(p.m.rs.stats), p.m.note
	if k, ok := msg.(tea.KeyPressMsg); ok {
		if _, dup := p.s.keys[k.String()]; !dup {
			p.s.keys[k.String()] = time.Now()
		}
	}
	return p, cmd
}

// busyTrain pretends to train on every core: each "batch" keeps all CPUs
// busy for a few milliseconds, and it reports ten times a second like
// nn.Train. It runs until cancelled, and counts its epochs as 20 batches.
func busyTrain(returned *atomic.Bool) trainFunc {
	return func(ctx context.Context, report func(nn.Progress)) error {
		defer returned.Store(true)
		last := time.Now()
		for b := 1; ; b++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			var wg sync.WaitGroup
			for range runtime.GOMAXPROCS(0) {
				wg.Go(func() {
					end := time.Now().Add(3 * time.Millisecond)
					x := 1.0
					for time.Now().Before(end) {
						for range 1000 {
							x = x*1.0000001 + 1e-9
						}
					}
					_ = x
				})
			}
			wg.Wait()
			epoch, batch := 1+(b-1)/20, 1+(b-1)%20
			if batch == 20 {
				st := nn.EpochStats{Epoch: epoch, TrainLoss: 1 / float64(epoch), TrainAcc: 0.9, TestLoss: 1 / float64(epoch), TestAcc: 0.9 + 0.001*float64(epoch), Seconds: 0.1}
				report(nn.Progress{Kind: nn.EpochDone, Epoch: epoch, Epochs: 1000, Seen: 20, Total: 20, Stats: &st})
				last = time.Now()
			} else if time.Since(last) >= 100*time.Millisecond {
				report(nn.Progress{Kind: nn.BatchProgress, Epoch: epoch, Epochs: 1000, Batch: batch, Batches: 20,
					Seen: batch, Total: 20, TrainLoss: 1 / float64(epoch), TrainAcc: 0.9, ImagesPerSec: 1000})
				last = time.Now()
			}
		}
	}
}

// TestRunEndToEnd runs the program on a fake training that keeps every core
// busy, presses keys through its input, and quits.
func TestRunEndToEnd(t *testing.T) {
	in, typed := io.Pipe()
	defer in.Close()
	out := &lockedBuffer{}
	var returned atomic.Bool
	saves := make(chan int, 8)
	opts := Options{
		Config: nn.Config{Epochs: 1000, Batch: 64, LR: 0.001, Optimizer: "adam", Seed: 1},
		Save:   func(_ *nn.Net, epoch int) (string, error) { saves <- epoch; return fmt.Sprintf("ckpt-%d", epoch), nil },
	}

	s := &seen{keys: map[string]time.Time{}}
	done := make(chan error, 1)
	go func() {
		done <- run(context.Background(), opts, program{
			train: busyTrain(&returned),
			opts: []tea.ProgramOption{tea.WithInput(in), tea.WithOutput(out), tea.WithWindowSize(80, 24),
				tea.WithoutSignals(), tea.WithEnvironment([]string{"TERM=xterm-256color"})},
			wrap: func(m tea.Model) tea.Model { return &spy{m: m.(*model), s: s} },
		})
	}()

	waitFor(t, "training to report an epoch", func() bool { _, _, e, _ := s.get(); return e >= 1 })

	// Each key must reach the model quickly although training takes every core.
	var worst time.Duration
	typeKey := func(text, name string) {
		t.Helper()
		sent := time.Now()
		if _, err := typed.Write([]byte(text)); err != nil {
			t.Fatalf("typing %q: %v", name, err)
		}
		waitFor(t, "key "+name, func() bool { _, ok := s.keyAt(name); return ok })
		at, _ := s.keyAt(name)
		worst = max(worst, at.Sub(sent))
	}

	typeKey("s", "s")
	select {
	case <-saves:
	case <-time.After(5 * time.Second):
		t.Fatal("s saved no checkpoint")
	}
	typeKey(" ", "space")
	waitFor(t, "pause", func() bool { st, _, _, _ := s.get(); return st == views.StatePaused })
	typeKey("3", "3")
	waitFor(t, "the Mistakes tab", func() bool { _, a, _, _ := s.get(); return a == 2 })
	typeKey("\t", "tab")
	waitFor(t, "the Confusion tab", func() bool { _, a, _, _ := s.get(); return a == 3 })
	typeKey("1", "1")
	typeKey("?", "?")
	typeKey("q", "q")
	t.Logf("slowest key took %v to reach Update with %d busy cores", worst, runtime.GOMAXPROCS(0))
	if worst > 500*time.Millisecond {
		t.Errorf("a key took %v to reach the model while training ran, want well under 100ms", worst)
	}

	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run returned %v, want nil after q", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after q")
	}
	if !returned.Load() {
		t.Error("run returned before training did")
	}
	o := out.String()
	if !strings.Contains(o, "\x1b[?1049h") || !strings.Contains(o, "\x1b[?1049l") {
		t.Error("the program did not enter and leave the alternate screen")
	}
}

// TestRunTrainingError checks a training failure comes back from run after
// the user quits, and that the screen says so.
func TestRunTrainingError(t *testing.T) {
	in, typed := io.Pipe()
	defer in.Close()
	out := &lockedBuffer{}
	s := &seen{keys: map[string]time.Time{}}
	train := func(ctx context.Context, report func(nn.Progress)) error {
		report(nn.Progress{Kind: nn.BatchProgress, Epoch: 1, Epochs: 2, Seen: 1, Total: 2, TrainLoss: 2.3})
		return fmt.Errorf("nn: training loss became NaN in epoch 1; lower the learning rate")
	}
	done := make(chan error, 1)
	go func() {
		done <- run(context.Background(), Options{Config: testCfg}, program{
			train: train,
			opts:  []tea.ProgramOption{tea.WithInput(in), tea.WithOutput(out), tea.WithWindowSize(80, 24), tea.WithoutSignals()},
			wrap:  func(m tea.Model) tea.Model { return &spy{m: m.(*model), s: s} },
		})
	}()
	failed := make(chan struct{})
	go func() {
		for {
			if st, _, _, _ := s.get(); st == views.StateFailed {
				close(failed)
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	select {
	case <-failed:
	case <-time.After(5 * time.Second):
		t.Fatal("the model never showed the failure")
	}
	typed.Write([]byte("q"))
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "loss became NaN") {
			t.Errorf("run returned %v, want the training error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return after q")
	}
}
