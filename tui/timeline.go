package tui

import (
	"fmt"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"convscope/internal/snapshot"
	"convscope/nn"
)

// The timeline is when in training the Layers, Draw and Space tabs look: at
// the live network (the latest copy) or at one of the run's snapshots (see
// package snapshot). It is part of the run state, so the three tabs show the
// same moment: step back to "epoch 1, batch 10" in Layers and the Draw tab
// reads the drawing with that network too. Its keys (, . P) are the root's,
// offered in the tabs that implement timeTab.

// timeTab is a tab that shows the network at the timeline's moment.
type timeTab interface {
	usesTimeline()
}

// playEvery is the time between two frames of the play key.
const playEvery = 700 * time.Millisecond

// timeline is the run state's moment and the snapshot networks it loaded.
type timeline struct {
	// cur is the path of the snapshot shown; "" for the live network.
	cur  string
	want string // the snapshot asked for and loading; "" when none
	// nets are the snapshots loaded so far, by path, with their test
	// accuracy once measured (they are small: a model-only copy each).
	nets map[string]*snapNet
	err  error // why the last load failed

	playing bool
	playGen int           // counts play starts, so a stale tick is ignored
	every   time.Duration // between two frames; 0: playEvery (tests set it)

	// viewID counts the networks shown (live copies while live, and every
	// move along the timeline): tabs recompute when it changes.
	viewID int
}

// snapNet is one loaded snapshot.
type snapNet struct {
	net  *nn.Net
	info snapshot.Info
	// acc is its accuracy on the test set (accOK once measured, in a
	// command after the load: a snapshot taken within an epoch records none).
	acc   float64
	accOK bool
}

// Messages of the timeline.
type (
	// snapLoadedMsg brings a loaded snapshot.
	snapLoadedMsg struct {
		path string
		net  *nn.Net
		info snapshot.Info
		err  error
	}
	// snapAccMsg brings a snapshot's test accuracy.
	snapAccMsg struct {
		path string
		acc  float64
	}
	// playTickMsg moves the timeline one step while it plays.
	playTickMsg struct{ gen int }
	// timeMovedMsg tells the tabs that the timeline moved.
	timeMovedMsg struct{}
)

// timeKeys are the timeline's keys.
type timeKeys struct {
	Earlier, Later, Play key.Binding
}

func newTimeKeys() timeKeys {
	return timeKeys{
		Earlier: key.NewBinding(key.WithKeys(","), key.WithHelp(",", "earlier snapshot")),
		Later:   key.NewBinding(key.WithKeys("."), key.WithHelp(".", "later snapshot (past the last: live)")),
		Play:    key.NewBinding(key.WithKeys("P"), key.WithHelp("P", "play through the snapshots")),
	}
}

// shown is the network the timeline tabs show and its view ID: the
// snapshot at the timeline's moment, or the live network.
func (rs *runState) shown() (*nn.Net, int) {
	tl := &rs.time
	if tl.cur != "" {
		if s := tl.nets[tl.cur]; s != nil {
			return s.net, tl.viewID
		}
	}
	return rs.net, tl.viewID
}

// shownSnap is the snapshot shown and its position among the run's
// snapshots (0-based), or nil while live.
func (rs *runState) shownSnap() (*snapNet, int) {
	tl := &rs.time
	if tl.cur == "" {
		return nil, -1
	}
	return tl.nets[tl.cur], rs.snapIndex(tl.cur)
}

// snapIndex is the position of the snapshot at path in the run's list, or -1.
func (rs *runState) snapIndex(path string) int {
	for i, s := range rs.watch.snaps {
		if s.Path == path {
			return i
		}
	}
	return -1
}

// timeHeading is the timeline's part of a tab's heading: where in training
// the network shown is.
func (rs *runState) timeHeading() string {
	tl := &rs.time
	n := len(rs.watch.snaps)
	var s string
	switch sn, i := rs.shownSnap(); {
	case sn == nil && rs.time.cur == "":
		s = "live network"
		if n > 0 {
			s += fmt.Sprintf(" · , . step through %d snapshots", n)
		}
	case sn == nil:
		s = "loading snapshot"
	default:
		s = fmt.Sprintf("snapshot %d/%d: %s", i+1, n, sn.info.Label())
		if sn.accOK && !sn.info.HasAcc {
			s += fmt.Sprintf(" · test %.2f%%", 100*sn.acc)
		}
	}
	if tl.want != "" {
		s += " · loading…"
	}
	if tl.playing {
		s += " · ▶ playing (P stops)"
	}
	if tl.err != nil {
		s += " · " + tl.err.Error()
	}
	if err := rs.watch.snapErr; err != nil {
		s += " · listing the snapshots failed: " + err.Error()
	}
	return s
}

// timeStep moves the timeline d snapshots (past the last: live; before the
// first: stays) and returns the command that loads the snapshot, if it is
// not loaded yet.
func (rs *runState) timeStep(d int) tea.Cmd {
	tl := &rs.time
	snaps := rs.watch.snaps
	if len(snaps) == 0 {
		return nil
	}
	at := tl.cur
	if tl.want != "" {
		at = tl.want
	}
	i := len(snaps) // live
	if at != "" {
		if i = rs.snapIndex(at); i < 0 {
			i = len(snaps)
		}
	}
	j := max(0, min(len(snaps), i+d))
	if j == i {
		return nil
	}
	if j == len(snaps) {
		rs.timeGo("")
		return nil
	}
	return rs.timeGoTo(snaps[j])
}

// timeGoTo shows s, loading it first when needed.
func (rs *runState) timeGoTo(s snapshot.Snapshot) tea.Cmd {
	tl := &rs.time
	if tl.nets[s.Path] != nil {
		tl.want = ""
		rs.timeGo(s.Path)
		return nil
	}
	tl.want = s.Path
	path := s.Path
	return func() tea.Msg {
		net, info, err := snapshot.Load(path)
		return snapLoadedMsg{path: path, net: net, info: info, err: err}
	}
}

// timeGo shows the snapshot at path ("" = live).
func (rs *runState) timeGo(path string) {
	tl := &rs.time
	tl.want = ""
	if tl.cur == path {
		return
	}
	tl.cur = path
	tl.viewID++
}

// timeUpdate keeps what a timeline message says; it returns the command
// that follows (measuring a loaded snapshot, the next play frame).
func (rs *runState) timeUpdate(msg tea.Msg) tea.Cmd {
	tl := &rs.time
	switch msg := msg.(type) {
	case snapLoadedMsg:
		if msg.err != nil {
			tl.err = msg.err
			if tl.want == msg.path {
				tl.want = ""
			}
			tl.playing = false
			return nil
		}
		tl.err = nil
		if tl.nets == nil {
			tl.nets = map[string]*snapNet{}
		}
		sn := &snapNet{net: msg.net, info: msg.info}
		if msg.info.HasAcc {
			sn.acc, sn.accOK = msg.info.TestAcc, true
		}
		tl.nets[msg.path] = sn
		if tl.want == msg.path {
			rs.timeGo(msg.path)
		}
		if sn.accOK || rs.test == nil {
			return nil
		}
		net, test, path := msg.net.Clone(), rs.test, msg.path
		return func() tea.Msg {
			ev := nn.Evaluate(net, test, 0)
			return snapAccMsg{path: path, acc: ev.Acc}
		}
	case snapAccMsg:
		if sn := tl.nets[msg.path]; sn != nil {
			sn.acc, sn.accOK = msg.acc, true
		}
	case playTickMsg:
		if !tl.playing || msg.gen != tl.playGen {
			return nil
		}
		if tl.want != "" { // still loading: wait for it
			return tl.tick()
		}
		if tl.cur == "" {
			tl.playing = false
			return nil
		}
		return tea.Batch(rs.timeStep(1), tl.tick())
	}
	return nil
}

// timeKeep keeps snapshots loaded elsewhere (the Draw tab's replay).
func (rs *runState) timeKeep(loaded map[string]*snapNet) {
	tl := &rs.time
	for p, sn := range loaded {
		if tl.nets == nil {
			tl.nets = map[string]*snapNet{}
		}
		if tl.nets[p] == nil {
			tl.nets[p] = sn
		}
	}
}

// timePlay starts playing from the first snapshot (or from the moment
// shown, when that is not the live network), or stops.
func (rs *runState) timePlay() tea.Cmd {
	tl := &rs.time
	if tl.playing {
		tl.playing = false
		return nil
	}
	if len(rs.watch.snaps) == 0 {
		return nil
	}
	tl.playing = true
	tl.playGen++
	var cmd tea.Cmd
	if tl.cur == "" {
		cmd = rs.timeGoTo(rs.watch.snaps[0])
	}
	return tea.Batch(cmd, tl.tick())
}

func (tl *timeline) tick() tea.Cmd {
	every, gen := tl.every, tl.playGen
	if every <= 0 {
		every = playEvery
	}
	return tea.Tick(every, func(time.Time) tea.Msg { return playTickMsg{gen: gen} })
}
