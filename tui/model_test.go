package tui

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"convscope/nn"
	"convscope/views"
)

// fakeCtl records what the model asks of training.
type fakeCtl struct {
	canSave                              bool
	nexts, pauses, resumes, stops, saves int
	lrs                                  []float64 // rates asked for
	stopAfter                            []bool    // stops asked for (true) and withdrawn
}

func (f *fakeCtl) Next() tea.Cmd { f.nexts++; return func() tea.Msg { return nil } }
func (f *fakeCtl) Pause()        { f.pauses++ }
func (f *fakeCtl) Resume()       { f.resumes++ }
func (f *fakeCtl) Stop()         { f.stops++ }
func (f *fakeCtl) SetLR(lr float64) bool {
	f.lrs = append(f.lrs, lr)
	return true
}
func (f *fakeCtl) StopAfterEpoch(on bool) bool {
	f.stopAfter = append(f.stopAfter, on)
	return true
}
func (f *fakeCtl) Save() (tea.Cmd, bool) {
	if !f.canSave {
		return nil, false
	}
	f.saves++
	return nil, true
}

var testCfg = nn.Config{Epochs: 10, Batch: 64, LR: 0.001, Optimizer: "adam", Seed: 1}

func newTestModel(t testing.TB, w, h int) (*model, *fakeCtl) {
	t.Helper()
	ctl := &fakeCtl{canSave: true}
	rs := newRunState(Options{})
	m := newModel(ctl, runInfo{network: "paper-cnn 28x28x1 → 10 classes, 214826 params", cfg: testCfg, canSave: true}, rs, newTabs(newKeyMap(), rs, nil))
	m.profile = colorprofile.TrueColor
	m.restyle()
	send(m, tea.WindowSizeMsg{Width: w, Height: h})
	return m, ctl
}

// send passes msg to Update and returns the command.
func send(m *model, msg tea.Msg) tea.Cmd {
	_, cmd := m.Update(msg)
	return cmd
}

// Key presses as the terminal sends them.
func press(s string) tea.KeyPressMsg {
	switch s {
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(s)[0]
	return tea.KeyPressMsg{Code: r, Text: s}
}

func TestPressStrings(t *testing.T) {
	for _, s := range []string{"space", "tab", "shift+tab", "esc", "enter", "up", "down", "ctrl+c", "q", "?", "1", "s", "j"} {
		if got := press(s).String(); got != s {
			t.Errorf("press(%q).String() = %q", s, got)
		}
	}
}

// feed plays an epochs-long run of reports, per batch reports an epoch,
// as the runner would deliver them.
func feed(m *model, epochs, per int) {
	var msgs []tea.Msg
	for e := 1; e <= epochs; e++ {
		var loss, acc float64
		for b := 1; b <= per; b++ {
			x := float64(e-1) + float64(b)/float64(per+1)
			loss = 2.3*math.Exp(-3*x) + 0.03
			acc = 1 - loss/2.4
			msgs = append(msgs, progressMsg(nn.Progress{
				Kind: nn.BatchProgress, Epoch: e, Epochs: 10, Batch: b * 9, Batches: 938,
				Seen: b * 9 * 64, Total: 60000, TrainLoss: loss, TrainAcc: acc,
				ImagesPerSec: 2000, Elapsed: time.Duration(b) * 300 * time.Millisecond,
			}))
		}
		tl := 1.9*math.Exp(-3*float64(e)) + 0.035
		st := &nn.EpochStats{Epoch: e, TrainLoss: loss, TrainAcc: acc, TestLoss: tl, TestAcc: 1 - tl/2.6,
			Seconds: 30, ImagesPerSec: 2000, EvalSeconds: 2, Eval: &nn.Eval{N: 10000}}
		msgs = append(msgs, epochMsg{p: nn.Progress{Kind: nn.EpochDone, Epoch: e, Epochs: 10, Seen: 60000, Total: 60000,
			TrainLoss: loss, TrainAcc: acc, ImagesPerSec: 2000, Elapsed: 30 * time.Second, Stats: st}})
	}
	send(m, eventsMsg(msgs))
}

func content(m *model) string { return m.View().Content }

// checkScreen fails unless the view fills exactly w x h.
func checkScreen(t *testing.T, m *model, w, h int) {
	t.Helper()
	lines := strings.Split(content(m), "\n")
	if len(lines) != h {
		t.Fatalf("view has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if lw := lipgloss.Width(l); lw != w {
			t.Fatalf("view line %d is %d wide, want %d: %q", i, lw, w, ansi.Strip(l))
		}
	}
}

func TestViewSettings(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	v := m.View()
	if !v.AltScreen || v.MouseMode != tea.MouseModeCellMotion {
		t.Errorf("View: AltScreen %v, MouseMode %v; want the alternate screen and cell-motion mouse", v.AltScreen, v.MouseMode)
	}
	if cmd := m.Init(); cmd == nil {
		t.Error("Init returned no command: it should ask for the background colour and listen to training")
	}
}

// TestView draws the whole screen at the golden sizes, before training and
// after three epochs and some, dark and light.
func TestView(t *testing.T) {
	for _, sz := range []struct{ w, h int }{{80, 24}, {120, 40}, {200, 60}} {
		for _, dark := range []bool{true, false} {
			for _, epochs := range []int{0, 3} {
				t.Run(fmt.Sprintf("%dx%d_%s_%d_epochs", sz.w, sz.h, map[bool]string{true: "dark", false: "light"}[dark], epochs), func(t *testing.T) {
					m, _ := newTestModel(t, sz.w, sz.h)
					if !dark {
						send(m, tea.BackgroundColorMsg{Color: lipgloss.Color("#ffffff")})
					}
					if epochs > 0 {
						feed(m, epochs, 30)
						send(m, progressMsg(nn.Progress{Kind: nn.BatchProgress, Epoch: 4, Epochs: 10, Batch: 400, Batches: 938,
							Seen: 25600, Total: 60000, TrainLoss: 0.041, TrainAcc: 0.9871, ImagesPerSec: 2150, Elapsed: 12 * time.Second}))
					}
					checkScreen(t, m, sz.w, sz.h)
					golden.RequireEqual(t, content(m))
				})
			}
		}
	}
}

func TestBackgroundColour(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	if !m.st.Dark {
		t.Fatal("styles start dark")
	}
	send(m, tea.BackgroundColorMsg{Color: lipgloss.Color("#fafafa")})
	if m.st.Dark {
		t.Error("after a light background colour the styles are still dark")
	}
	send(m, tea.ColorProfileMsg{Profile: colorprofile.Ascii})
	if m.st.Profile != colorprofile.Ascii {
		t.Errorf("styles profile = %v after ColorProfileMsg(Ascii)", m.st.Profile)
	}
	if strings.Contains(ansi.Strip(content(m)), "\x1b") || strings.Contains(content(m), "\x1b[38") {
		t.Error("with the Ascii profile (NO_COLOR) the view still has colours")
	}
}

func TestTabKeys(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	last := len(m.tabs) - 1
	cases := []struct {
		key  string
		want int
	}{
		{"3", 2}, {"6", 5}, {"7", 6}, {"1", 0}, {"shift+tab", last}, {"tab", 0}, {"tab", 1}, {"shift+tab", 0}, {"8", 7}, {"9", 8}, {"1", 0}, {"2", 1},
	}
	for _, c := range cases {
		send(m, press(c.key))
		if m.active != c.want {
			t.Fatalf("after %q the active tab is %d, want %d", c.key, m.active, c.want)
		}
	}
	if !strings.Contains(ansi.Strip(content(m)), "Samples: ") {
		t.Errorf("the Samples tab should show its placeholder:\n%s", ansi.Strip(content(m)))
	}
}

func TestMouseSelectsTab(t *testing.T) {
	m, _ := newTestModel(t, 120, 40)
	content(m) // the tab bar's spans come from drawing
	for i, s := range m.spans {
		send(m, tea.MouseClickMsg{X: (s.Start + s.End) / 2, Y: 0, Button: tea.MouseLeft})
		if m.active != i {
			t.Errorf("click at column %d selects tab %d, want %d", (s.Start+s.End)/2, m.active, i)
		}
	}
	send(m, tea.MouseClickMsg{X: 5, Y: 10, Button: tea.MouseLeft})
	if m.active != len(m.spans)-1 {
		t.Errorf("a click in the body changed the tab to %d", m.active)
	}
}

// recordTab is a tab that keeps the messages it gets.
type recordTab struct {
	title string
	w, h  int
	got   []tea.Msg
}

func (r *recordTab) Title() string               { return r.title }
func (r *recordTab) SetSize(w, h int)            { r.w, r.h = w, h }
func (r *recordTab) View(st views.Styles) string { return r.title }
func (r *recordTab) Update(msg tea.Msg) tea.Cmd  { r.got = append(r.got, msg); return nil }

func TestMessagesReachTabs(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	a, b := &recordTab{title: "A"}, &recordTab{title: "B"}
	m.tabs = []tab{a, b}
	send(m, press("1"))
	send(m, eventsMsg{progressMsg{Epoch: 1, Total: 10, Seen: 1}, snapshotMsg{}})
	send(m, press("j"))
	send(m, tea.MouseClickMsg{X: 3, Y: m.bodyTop() + 2, Button: tea.MouseLeft})
	if len(b.got) != 2 {
		t.Errorf("inactive tab got %d messages, want the 2 from training: %v", len(b.got), b.got)
	}
	if len(a.got) != 4 {
		t.Fatalf("active tab got %d messages, want 4 (2 from training, a key, a click): %v", len(a.got), a.got)
	}
	if c, ok := a.got[3].(tea.MouseClickMsg); !ok || c.Y != 2 || c.X != 3 {
		t.Errorf("active tab got click %v, want one at (3, 2) relative to its corner", a.got[3])
	}
}

func TestPauseResume(t *testing.T) {
	m, ctl := newTestModel(t, 80, 24)
	feed(m, 1, 3)
	send(m, press("space"))
	if m.state != views.StatePaused || ctl.pauses != 1 {
		t.Fatalf("after space: state %d, pauses %d; want paused once", m.state, ctl.pauses)
	}
	if !strings.Contains(ansi.Strip(content(m)), "paused") || !strings.Contains(ansi.Strip(content(m)), "space resume") {
		t.Errorf("paused screen should say paused and offer resume:\n%s", ansi.Strip(content(m)))
	}
	send(m, press("space"))
	if m.state != views.StateTraining || ctl.resumes != 1 {
		t.Fatalf("after space again: state %d, resumes %d; want training, resumed once", m.state, ctl.resumes)
	}
	send(m, eventsMsg{trainDoneMsg{}})
	send(m, press("space"))
	if ctl.pauses != 1 || m.state != views.StateFinished {
		t.Errorf("space after training finished: pauses %d, state %d; want nothing to happen", ctl.pauses, m.state)
	}
}

func TestSaveKey(t *testing.T) {
	m, ctl := newTestModel(t, 80, 24)
	send(m, press("s"))
	if ctl.saves != 1 {
		t.Fatalf("s asked for %d saves, want 1", ctl.saves)
	}
	send(m, eventsMsg{savedMsg{path: "out/ckpt-1.safetensors"}})
	if !strings.Contains(ansi.Strip(content(m)), "saved out/ckpt-1.safetensors") {
		t.Errorf("after a save the header should say where:\n%s", ansi.Strip(content(m)))
	}
	cmd := send(m, eventsMsg{savedMsg{err: errors.New("disk full")}})
	if !strings.Contains(ansi.Strip(content(m)), "save failed: disk full") {
		t.Errorf("after a failed save the header should say why:\n%s", ansi.Strip(content(m)))
	}
	if cmd == nil {
		t.Fatal("a note should come with a command that clears it")
	}
	send(m, clearNoteMsg{id: m.noteID})
	if strings.Contains(ansi.Strip(content(m)), "disk full") {
		t.Error("the note did not clear")
	}

	ctl.canSave = false
	send(m, press("s"))
	if !strings.Contains(ansi.Strip(content(m)), "this program has no checkpoint to write") {
		t.Errorf("without Save the header should say there is nothing to save:\n%s", ansi.Strip(content(m)))
	}
}

func TestQuit(t *testing.T) {
	for _, k := range []string{"q", "ctrl+c"} {
		m, ctl := newTestModel(t, 80, 24)
		cmd := send(m, press(k))
		if cmd == nil {
			t.Fatalf("%s returned no command", k)
		}
		if _, ok := cmd().(tea.QuitMsg); !ok {
			t.Errorf("%s: command gives %T, want tea.QuitMsg", k, cmd())
		}
		if ctl.stops != 1 {
			t.Errorf("%s: stopped training %d times, want 1", k, ctl.stops)
		}
	}
}

func TestHelp(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	send(m, press("?"))
	out := ansi.Strip(content(m))
	for _, want := range []string{"Keys", "pause", "next tab", "scroll the epoch table", "esc/? close help"} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q:\n%s", want, out)
		}
	}
	checkScreen(t, m, 80, 24)
	send(m, press("esc"))
	if m.showHelp {
		t.Error("esc did not close the help")
	}
	send(m, press("?"))
	send(m, press("?"))
	if m.showHelp {
		t.Error("? did not close the help")
	}
	if !strings.Contains(ansi.Strip(content(m)), "? help") {
		t.Error("the footer should offer ? help")
	}
}

func TestTooSmallAndResize(t *testing.T) {
	m, _ := newTestModel(t, 50, 15)
	out := ansi.Strip(content(m))
	if !strings.Contains(out, "needs at least 60x20") {
		t.Errorf("at 50x15 the view should say what it needs:\n%s", out)
	}
	checkScreen(t, m, 50, 15)
	feed(m, 2, 5)
	for _, sz := range []struct{ w, h int }{{60, 20}, {80, 24}, {200, 60}, {61, 45}, {59, 30}, {130, 20}} {
		send(m, tea.WindowSizeMsg{Width: sz.w, Height: sz.h})
		checkScreen(t, m, sz.w, sz.h)
		for i, tb := range m.tabs {
			w, h := tabSize(tb)
			if w != sz.w || h != sz.h-5 {
				t.Errorf("tab %d (%s) has size %dx%d at %dx%d, want %dx%d", i, tb.Title(), w, h, sz.w, sz.h, sz.w, sz.h-5)
			}
		}
	}
}

func TestRunEnds(t *testing.T) {
	cases := []struct {
		err  error
		want views.RunState
		says string
	}{
		{nil, views.StateFinished, "training finished"},
		{context.Canceled, views.StateStopped, "training stopped after 2 of 10 epochs"},
		{errors.New("nn: training loss became NaN in epoch 3; lower the learning rate"), views.StateFailed, "training failed: nn: training loss became NaN"},
	}
	for _, c := range cases {
		m, _ := newTestModel(t, 120, 30)
		feed(m, 2, 5)
		send(m, eventsMsg{trainDoneMsg{err: c.err}})
		if m.state != c.want {
			t.Errorf("after training returned %v the state is %d, want %d", c.err, m.state, c.want)
		}
		out := ansi.Strip(content(m))
		if !strings.Contains(out, c.says) {
			t.Errorf("after training returned %v the screen lacks %q:\n%s", c.err, c.says, out)
		}
		if c.err == nil && !strings.Contains(out, "best test accuracy 98.47% (epoch 2)") {
			t.Errorf("a finished run should show the best test accuracy:\n%s", out)
		}
	}
}

// TestEventsRearm checks the model listens again after each batch of
// messages, and stops once training has returned.
func TestEventsRearm(t *testing.T) {
	m, ctl := newTestModel(t, 80, 24)
	send(m, eventsMsg{progressMsg{Epoch: 1, Total: 10, Seen: 2}})
	if ctl.nexts != 1 {
		t.Errorf("after a batch of messages Next was called %d times, want 1", ctl.nexts)
	}
	send(m, eventsMsg{progressMsg{Epoch: 1, Total: 10, Seen: 3}, trainDoneMsg{}})
	if ctl.nexts != 1 {
		t.Errorf("after training returned Next was called again")
	}
}

// TestTableScroll checks the epoch table follows the last epoch until the
// user scrolls it.
func TestTableScroll(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	feed(m, 9, 2)
	tt := m.tabs[0].(*trainTab)
	rows := views.TrainTableRows(9, 80, 19)
	if tt.data().TableTop != -1 {
		t.Fatalf("the table should follow the last epoch")
	}
	send(m, press("k"))
	if top := tt.data().TableTop; top != 9-rows-1 {
		t.Fatalf("after k the table starts at row %d, want %d", top, 9-rows-1)
	}
	feed(m, 1, 1)
	if top := tt.data().TableTop; top != 9-rows-1 {
		t.Errorf("a new epoch moved the scrolled table to %d", top)
	}
	for range 20 {
		send(m, press("j"))
	}
	if tt.data().TableTop != -1 {
		t.Errorf("scrolled to the end the table should follow again")
	}
	send(m, press("z"))
	if !tt.data().Zoom {
		t.Error("z did not zoom the charts")
	}
}

func BenchmarkTrainView(b *testing.B) {
	m, _ := newTestModel(b, 200, 60)
	// Ten epochs with 600 reports each: about a minute an epoch at ten a second.
	feed(m, 10, 600)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		m.View()
	}
}

// TestHeaderRate checks that the header shows the schedule and the rate of
// the batch in progress, and only the rate when it is fixed.
func TestHeaderRate(t *testing.T) {
	for _, sched := range []nn.Schedule{"cosine", "constant"} {
		m, _ := newTestModel(t, 120, 40)
		m.info.cfg.Schedule = sched
		send(m, progressMsg(nn.Progress{Kind: nn.BatchProgress, Epoch: 3, Epochs: 10, Batch: 100, Batches: 938,
			Seen: 6400, Total: 60000, LR: 0.00042, TrainLoss: 0.05, TrainAcc: 0.98, ImagesPerSec: 2000, Elapsed: 3 * time.Second}))
		screen := ansi.Strip(content(m))
		want := "adam lr 0.001 cosine now 0.00042 · batch 64"
		if sched == "constant" {
			want = "adam lr 0.001 · batch 64"
		}
		if !strings.Contains(screen, want) || (sched == "constant" && strings.Contains(screen, "now")) {
			t.Errorf("schedule %s: screen lacks %q:\n%s", sched, want, screen)
		}
	}
}

// tabSize is the size the root gave a tab.
func tabSize(tb tab) (w, h int) {
	switch t := tb.(type) {
	case *trainTab:
		return t.w, t.h
	case *samplesTab:
		return t.w, t.h
	case *mistakesTab:
		return t.w, t.h
	case *confusionTab:
		return t.w, t.h
	case *layersTab:
		return t.w, t.h
	case *drawTab:
		return t.w, t.h
	case *recordTab:
		return t.w, t.h
	case *dataTab:
		return t.w, t.h
	case *healthTab:
		return t.w, t.h
	case *spaceTab:
		return t.w, t.h
	}
	panic(fmt.Sprintf("tabSize: unknown tab %T", tb))
}

// BenchmarkProgressFrame is what one batch report costs a UI: Update, View,
// and the renderer's parse of the frame into cells (as Bubble Tea's renderer
// does before it diffs), on the Train tab at 100x30 with three epochs of
// history. Each SSH viewer pays it at every progress delivery.
func BenchmarkProgressFrame(b *testing.B) {
	m, _ := newTestModel(b, 100, 30)
	feed(m, 3, 600)
	buf := uv.NewScreenBuffer(100, 30)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		send(m, eventsMsg{progressMsg(nn.Progress{Kind: nn.BatchProgress, Epoch: 4, Epochs: 10, Batch: i % 938, Batches: 938,
			Seen: i % 938 * 64, Total: 60000, LR: 0.0007, TrainLoss: 0.05, TrainAcc: 0.98, ImagesPerSec: 2000, Elapsed: time.Duration(i) * time.Millisecond})})
		buf.Clear()
		uv.NewStyledString(m.View().Content).Draw(buf, buf.Bounds())
	}
}

// TestFrameCacheDrawsWhatNoCacheDraws drives a model through progress,
// resizes, tab switches, a pause and a background change, and checks after
// every message that its frame equals the frame drawn with the cache
// emptied: the cache must never show a stale tab bar or header.
func TestFrameCacheDrawsWhatNoCacheDraws(t *testing.T) {
	m, _ := newTestModel(t, 100, 30)
	prog := func(i int) tea.Msg {
		return eventsMsg{progressMsg(nn.Progress{Kind: nn.BatchProgress, Epoch: 1 + i/5, Epochs: 3, Batch: i % 5, Batches: 5,
			Seen: i % 5 * 64, Total: 320, LR: 0.001, TrainLoss: 1 / float64(i+1), TrainAcc: float64(i) / 20, ImagesPerSec: 1000 + float64(i), Elapsed: time.Duration(i) * time.Second})}
	}
	msgs := []tea.Msg{prog(0), prog(1), tea.WindowSizeMsg{Width: 60, Height: 20}, prog(2), keyOf("2"), prog(3),
		tea.WindowSizeMsg{Width: 140, Height: 40}, keyOf("1"), keyOf(" "), prog(4), keyOf(" "), prog(5),
		tea.BackgroundColorMsg{Color: lipgloss.Color("#ffffff")}, prog(6), tea.WindowSizeMsg{Width: 30, Height: 12}, prog(7)}
	draws := 0 // tab bars and headers drawn for the cached frames
	for i, msg := range msgs {
		before := m.cache.draws
		send(m, msg)
		got := m.View().Content
		draws += m.cache.draws - before
		m.cache = frameCache{}
		if want := m.View().Content; got != want {
			t.Fatalf("after message %d (%T) the cached frame differs from the uncached one:\n%s\n---\n%s", i, msg, got, want)
		}
	}
	// Every frame shows a tab bar and a header; drawing fewer than two per
	// frame means some were taken from the frame before.
	if draws >= 2*len(msgs) {
		t.Errorf("%d frames drew %d tab bars and headers: the cache reused none from the frame before", len(msgs), draws)
	}
	// A tab whose title changes redraws the bar.
	send(m, tea.WindowSizeMsg{Width: 100, Height: 30})
	a := &recordTab{title: "A"}
	m.tabs, m.active = []tab{a, &recordTab{title: "B"}}, 0
	for _, title := range []string{"A", "A longer title"} {
		a.title = title
		got := m.View().Content
		m.cache = frameCache{}
		if want := m.View().Content; got != want {
			t.Fatalf("with the first tab titled %q the cached frame differs from the uncached one:\n%s\n---\n%s", title, got, want)
		}
	}
}
