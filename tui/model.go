package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"

	"convscope/nn"
	"convscope/views"
)

// The smallest terminal the program draws in.
const (
	minWidth  = 60
	minHeight = 20
)

// noteTime is how long a passing message stays in the header.
const noteTime = 6 * time.Second

// runInfo is the run's configuration, for the header.
type runInfo struct {
	network string
	cfg     nn.Config
	canSave bool
	outDir  string
	explore bool // a saved model: nothing trains, so nothing pauses or saves
	// follow says whether the run another process writes is live (watch):
	// this program only reads it, so nothing pauses. Nil otherwise.
	follow func() views.Follow

	canSteer bool // the run's rate can change and it can stop after an epoch
}

type clearNoteMsg struct{ id int }

// model is the root model: tabs, keys, styles, and the run's state (rs),
// which it updates once per message before passing training's messages to
// every tab.
type model struct {
	ctl  controller
	info runInfo
	keys keyMap
	help help.Model

	dark    bool
	profile colorprofile.Profile
	st      views.Styles

	w, h     int
	headerH  int // the header's height at width w (it grows for a long note or error)
	tabs     []tab
	active   int
	spans    []views.Span // columns of each tab's title, for clicks
	showHelp bool

	rs      *runState
	state   views.RunState // the header's: paused is the UI's, the rest follows rs.state
	note    string
	noteBad bool
	noteID  int
	follow  views.Follow // the latest of info.follow
	lrIn    lrInput      // the learning rate being typed (key L)
	cache   frameCache   // the last frame's tab bar and header
}

// newModel is the root model over the run state rs, which tabs read.
func newModel(ctl controller, info runInfo, rs *runState, tabs []tab) *model {
	m := &model{
		ctl: ctl, info: info, keys: newKeyMap(), help: help.New(),
		dark: true, profile: colorprofile.TrueColor, tabs: tabs, rs: rs, headerH: views.HeaderLines,
	}
	// Only what applies is offered: a saved model neither trains nor saves.
	m.keys.Save.SetEnabled(info.canSave && !info.explore)
	m.keys.Pause.SetEnabled(!info.explore && info.follow == nil)
	m.keys.steerKeys.setEnabled(info.canSteer && !info.explore && info.follow == nil)
	m.restyle()
	return m
}

// Init asks the terminal for its background colour and starts listening to
// training.
func (m *model) Init() tea.Cmd {
	return tea.Batch(tea.RequestBackgroundColor, m.ctl.Next(), followCmd(m.info.follow, 0))
}

func (m *model) restyle() {
	m.st = views.NewStyles(m.dark, m.profile)
	hs := help.DefaultStyles(m.dark)
	hs.ShortKey, hs.FullKey = m.st.Accent, m.st.Accent
	hs.ShortDesc, hs.FullDesc = m.st.Muted, m.st.Text
	hs.ShortSeparator, hs.FullSeparator, hs.Ellipsis = m.st.Border, m.st.Border, m.st.Border
	m.help.Styles = hs
	m.cache = frameCache{}
}

// bodyHeight is the height left to the active tab.
func (m *model) bodyHeight() int { return max(0, m.h-2-m.headerH) }

// bodyTop is the first screen row of the active tab.
func (m *model) bodyTop() int { return 1 + m.headerH }

// layout gives the tabs their sizes.
func (m *model) layout() {
	m.help.SetWidth(m.w)
	for _, t := range m.tabs {
		t.SetSize(m.w, m.bodyHeight())
	}
}

// relayout follows the header's height (a note or error may need more
// lines) and the tab bar's click targets after a message.
func (m *model) relayout() {
	if m.w <= 0 {
		return
	}
	if _, hh := m.header(m.headerData()); hh != m.headerH {
		m.headerH = hh
		m.layout()
	}
	m.spans = m.tabBarSpans()
}

func (m *model) tabBarSpans() []views.Span {
	_, spans := m.tabBar()
	return spans
}

func (m *model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := m.update(msg)
	m.relayout()
	return m, cmd
}

func (m *model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
		_, hh := m.header(m.headerData())
		m.headerH = max(views.HeaderLines, hh)
		m.layout()
		return nil
	case tea.BackgroundColorMsg:
		m.dark = msg.IsDark()
		m.restyle()
		return nil
	case tea.ColorProfileMsg:
		m.profile = msg.Profile
		m.restyle()
		return nil
	case eventsMsg:
		cmds := make([]tea.Cmd, 0, len(msg)+1)
		done := false
		for _, e := range msg {
			if _, ok := e.(trainDoneMsg); ok {
				done = true
			}
			cmds = append(cmds, m.event(e))
		}
		if !done {
			cmds = append(cmds, m.ctl.Next())
		}
		return tea.Batch(cmds...)
	case progressMsg, epochMsg, snapshotMsg, savedMsg, trainDoneMsg, exportedMsg, dynamicsMsg, watchMsg, lrMsg, stopAfterMsg:
		return m.event(msg)
	case drawReplayMsg:
		m.rs.timeKeep(msg.loaded)
		return m.broadcast(msg)
	case snapLoadedMsg, snapAccMsg, playTickMsg:
		return tea.Batch(m.rs.timeUpdate(msg), m.broadcast(msg))
	case followMsg:
		return m.followed(msg)
	case historyMsg:
		m.rs.update(msg)
		return m.broadcast(msg)
	case switchTabMsg:
		if msg.i >= 0 && msg.i < len(m.tabs) {
			return m.setActive(msg.i)
		}
		return nil
	case clearNoteMsg:
		if msg.id == m.noteID {
			m.note = ""
		}
		return nil
	case tea.KeyPressMsg:
		return m.key(msg)
	case tea.MouseMsg:
		return m.mouse(msg)
	}
	return m.broadcast(msg)
}

// event updates the run state from a training message (once, here) and
// passes the message to every tab.
func (m *model) event(msg tea.Msg) tea.Cmd {
	m.rs.update(msg)
	cmd := tea.Batch(m.rs.dynamicsCmd(msg), m.rs.watchCmd(msg))
	switch msg := msg.(type) {
	case progressMsg, epochMsg:
		if m.state == views.StateStarting {
			m.state = views.StateTraining
		}
	case savedMsg:
		if msg.err != nil {
			cmd = tea.Batch(cmd, m.setNote("save failed: "+msg.err.Error(), true))
		} else {
			cmd = tea.Batch(cmd, m.setNote("saved "+msg.path, false))
		}
	case lrMsg, stopAfterMsg:
		cmd = tea.Batch(cmd, m.steerNote(msg))
	case trainDoneMsg:
		m.state = m.rs.state
		m.keys.Pause.SetEnabled(false)
		m.keys.steerKeys.setEnabled(false)
		m.lrIn = lrInput{}
	}
	return tea.Batch(cmd, m.broadcast(msg))
}

// broadcast passes msg to every tab.
func (m *model) broadcast(msg tea.Msg) tea.Cmd {
	cmds := make([]tea.Cmd, 0, len(m.tabs))
	for _, t := range m.tabs {
		cmds = append(cmds, t.Update(msg))
	}
	return tea.Batch(cmds...)
}

func (m *model) setNote(s string, bad bool) tea.Cmd {
	m.noteID++
	m.note, m.noteBad = s, bad
	id := m.noteID
	return tea.Tick(noteTime, func(time.Time) tea.Msg { return clearNoteMsg{id: id} })
}

func (m *model) key(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	if m.lrIn.on && msg.String() != "ctrl+c" {
		return m.typeLR(msg)
	}
	if c, ok := m.tabs[m.active].(keyClaimer); ok && !m.showHelp && c.claimsKey(msg) {
		return m.tabs[m.active].Update(msg)
	}
	if cmd, ok := m.steerKey(msg); ok && !m.showHelp {
		return cmd
	}
	switch {
	case key.Matches(msg, k.Quit):
		// Run waits for training to return once the program has ended.
		m.ctl.Stop()
		return tea.Quit
	case key.Matches(msg, k.Help):
		m.showHelp = !m.showHelp
	case m.showHelp && key.Matches(msg, k.Back):
		m.showHelp = false
	case key.Matches(msg, k.Tab):
		return m.setActive(int(msg.String()[0] - '1'))
	case key.Matches(msg, k.NextTab):
		return m.setActive((m.active + 1) % len(m.tabs))
	case key.Matches(msg, k.PrevTab):
		return m.setActive((m.active + len(m.tabs) - 1) % len(m.tabs))
	case key.Matches(msg, k.Pause):
		m.togglePause()
	case key.Matches(msg, k.Save):
		cmd, ok := m.ctl.Save()
		if !ok {
			return m.setNote("this program has no checkpoint to write", true)
		}
		if cmd == nil {
			return tea.Batch(m.setNote("saving at the next batch…", false))
		}
		return tea.Batch(m.setNote("saving…", false), cmd)
	case m.showHelp:
	default:
		if cmd, ok := m.timeKey(msg); ok {
			return cmd
		}
		return m.tabs[m.active].Update(msg)
	}
	return nil
}

// timeKey moves the timeline when msg is one of its keys and the active tab
// shows the timeline's moment; the tabs then see the move (timeMovedMsg).
func (m *model) timeKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	if _, ok := m.tabs[m.active].(timeTab); !ok {
		return nil, false
	}
	if c, ok := m.tabs[m.active].(keyClaimer); ok && c.claimsKey(msg) {
		return nil, false
	}
	var cmd tea.Cmd
	tk := newTimeKeys()
	switch {
	case key.Matches(msg, tk.Earlier):
		m.rs.time.playing = false
		cmd = m.rs.timeStep(-1)
	case key.Matches(msg, tk.Later):
		m.rs.time.playing = false
		cmd = m.rs.timeStep(1)
	case key.Matches(msg, tk.Play):
		cmd = m.rs.timePlay()
	default:
		return nil, false
	}
	if len(m.rs.watch.snaps) == 0 {
		return m.setNote("this run has no snapshots to step through (yet)", false), true
	}
	return tea.Batch(cmd, m.broadcast(timeMovedMsg{})), true
}

// setActive shows tab i, and tells the tabs that want to know that they are
// shown or hidden (shownTab); it returns what the shown one starts.
func (m *model) setActive(i int) tea.Cmd {
	if i < 0 || i >= len(m.tabs) {
		return nil
	}
	old := m.active
	m.active = i
	m.showHelp = false
	if old == i {
		return nil
	}
	if s, ok := m.tabs[old].(shownTab); ok {
		s.setShown(false)
	}
	if s, ok := m.tabs[i].(shownTab); ok {
		return s.setShown(true)
	}
	return nil
}

func (m *model) togglePause() {
	switch m.state {
	case views.StateStarting, views.StateTraining:
		m.ctl.Pause()
		m.state = views.StatePaused
		m.keys.Pause.SetHelp("space", "resume")
	case views.StatePaused:
		m.ctl.Resume()
		m.state = views.StateTraining
		m.keys.Pause.SetHelp("space", "pause")
	}
}

// mouse selects a tab clicked in the tab bar, and passes other mouse events
// to the active tab with positions relative to its top left corner.
func (m *model) mouse(msg tea.MouseMsg) tea.Cmd {
	ms := msg.Mouse()
	if c, ok := msg.(tea.MouseClickMsg); ok && c.Button == tea.MouseLeft && ms.Y == 0 {
		for i, s := range m.spans {
			if ms.X >= s.Start && ms.X < s.End {
				return m.setActive(i)
			}
		}
		return nil
	}
	bodyTop := m.bodyTop()
	if m.showHelp || ms.Y < bodyTop || ms.Y >= bodyTop+m.bodyHeight() {
		return nil
	}
	var shifted tea.Msg
	switch e := msg.(type) {
	case tea.MouseClickMsg:
		e.Y -= bodyTop
		shifted = e
	case tea.MouseReleaseMsg:
		e.Y -= bodyTop
		shifted = e
	case tea.MouseMotionMsg:
		e.Y -= bodyTop
		shifted = e
	case tea.MouseWheelMsg:
		e.Y -= bodyTop
		shifted = e
	default:
		return nil
	}
	return m.tabs[m.active].Update(shifted)
}

// headerData gathers the header's figures.
func (m *model) headerData() views.HeaderData {
	cfg := m.info.cfg
	p := m.rs.last
	stats := m.rs.stats
	d := views.HeaderData{
		Network: m.info.network, Optimizer: cfg.Optimizer.String(), LR: cfg.LR, Schedule: cfg.Schedule.String(), Batch: cfg.Batch, Seed: cfg.Seed,
		State: m.state, Epoch: p.Epoch, Epochs: cfg.Epochs,
		Seen: p.Seen, Total: p.Total, Elapsed: p.Elapsed, ImagesPerSec: p.ImagesPerSec,
		TrainLoss: p.TrainLoss, TrainAcc: p.TrainAcc,
		Done: len(stats), Note: m.note, NoteBad: m.noteBad, Saved: m.info.explore,
		Follow: m.follow,
	}
	if p.Epochs > 0 {
		d.Epochs = p.Epochs
	}
	for _, s := range stats {
		d.RunTime += time.Duration((s.Seconds + s.EvalSeconds) * float64(time.Second))
		if d.BestEpoch == 0 || s.TestAcc > d.BestAcc {
			d.BestAcc, d.BestEpoch = s.TestAcc, s.Epoch
		}
	}
	if p.Kind == nn.BatchProgress {
		d.RunTime += p.Elapsed
		if m.state == views.StateTraining || m.state == views.StatePaused {
			d.LRNow = p.LR
		}
	}
	if n := len(stats); n > 0 && (m.state == views.StateFinished || m.state == views.StateStopped || m.state == views.StateFailed) {
		s := stats[n-1]
		d.TrainLoss, d.TrainAcc, d.TestLoss, d.TestAcc = s.TrainLoss, s.TrainAcc, s.TestLoss, s.TestAcc
	}
	if m.rs.err != nil {
		d.Err = m.rs.err.Error()
	}
	m.steerHeader(&d)
	if latest := m.rs.watch.alerts(); len(latest) > 0 {
		d.Alert, d.AlertAt = views.AlertText(latest[0])
		d.Alerts, d.AlertTab = len(latest), fmt.Sprintf("%d Health", tabHealth+1)
	}
	return d
}

func (m *model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "convscope"
	if p := m.rs.last; p.Epochs > 0 && !m.info.explore {
		v.WindowTitle = fmt.Sprintf("convscope · epoch %d/%d", p.Epoch, p.Epochs)
	}
	return v
}

// render draws the whole screen.
func (m *model) render() string {
	if m.w <= 0 || m.h <= 0 {
		return ""
	}
	if m.w < minWidth || m.h < minHeight {
		return views.TooSmall(m.w, m.h, minWidth, minHeight, m.st)
	}
	bar, _ := m.tabBar()

	var body, footer string
	if m.showHelp {
		body = m.helpView()
		footer = m.help.ShortHelpView([]key.Binding{
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc/?", "close help")),
			m.keys.Quit,
		})
	} else {
		t := m.tabs[m.active]
		body = t.View(m.st)
		if e, ok := t.(exactTab); !ok || !e.ExactSize() {
			body = views.FitBlock(body, m.w, m.bodyHeight())
		}
		footer = m.help.ShortHelpView(m.keys.ShortHelp())
		if m.lrIn.on {
			footer = m.lrPrompt()
		}
	}
	if m.showHelp {
		body = views.FitBlock(body, m.w, m.bodyHeight())
	}
	hdr, _ := m.header(m.headerData())
	parts := []string{bar, views.FitBlock(hdr, m.w, m.headerH)}
	if m.bodyHeight() > 0 {
		parts = append(parts, body)
	}
	return strings.Join(append(parts, views.FitBlock(footer, m.w, 1)), "\n")
}

// helpView is the full help: every key, the active tab's own keys, and how
// to read the Train tab.
func (m *model) helpView() string {
	st := m.st
	var b strings.Builder
	b.WriteString(st.Title.Render("Keys") + "\n")
	b.WriteString(m.help.FullHelpView(m.keys.FullHelp()) + "\n")
	if kh, ok := m.tabs[m.active].(keyHelper); ok {
		b.WriteString("\n" + st.Title.Render("On the "+m.tabs[m.active].Title()+" tab") + "\n")
		for _, k := range kh.KeyHelp() {
			b.WriteString(st.Accent.Render(views.PadEnd(k.Help().Key, 6)) + " " + st.Text.Render(k.Help().Desc) + "\n")
		}
	}
	if ht, ok := m.tabs[m.active].(helpTexter); ok {
		b.WriteString("\n" + ht.HelpText(st))
	}
	b.WriteString("\n" + st.Title.Render("Reading the charts") + "\n")
	b.WriteString(st.TrainSeries.Render("── train") + st.Text.Render("  running mean over the epoch so far (it restarts each epoch)") + "\n")
	b.WriteString(st.TestSeries.Render("━━ test ") + st.Text.Render("  the test set, measured after each epoch") + "\n")
	b.WriteString(st.Muted.Render("the x axis counts epochs; ★ in the table marks the best test accuracy") + "\n")
	if m.info.outDir != "" {
		b.WriteString("\n" + st.Muted.Render("run folder ") + st.Text.Render(m.info.outDir) + "\n")
	}
	if m.info.explore {
		b.WriteString("\n" + st.Muted.Render("a saved model: nothing trains, so there is nothing to pause or save") + "\n")
	}
	if m.info.follow != nil {
		b.WriteString("\n" + st.Muted.Render("watching a run another process writes: this program only reads its folder") + "\n")
	}
	return lipgloss.NewStyle().Padding(0, 1).Render(b.String())
}
