package tui

import (
	"time"

	tea "charm.land/bubbletea/v2"

	"convscope/internal/health"
	"convscope/internal/snapshot"
)

// watchState is the run state's part about the network's own story: its
// training-health samples and its snapshots, fetched from the run (or its
// folder) in a command, at most once a second while batches report and at
// every epoch's end.
type watchState struct {
	health    func() []health.Sample              // nil: none sampled
	snapshots func() ([]snapshot.Snapshot, error) // nil: none kept
	healthErr error                               // why the health file could not be read

	samples []health.Sample     // the latest copy; never changed once received
	snaps   []snapshot.Snapshot // the latest list, in training order
	snapErr error               // why the last listing failed, if it did
	gen     int                 // counts the fetches received
	busy    bool                // a command is fetching
	again   bool                // an epoch ended while busy: fetch again when it returns
	asked   time.Time
	now     func() time.Time
}

// watchMsg brings a fetch's results.
type watchMsg struct {
	samples []health.Sample
	snaps   []snapshot.Snapshot
	err     error
	fetched bool // false: nothing to fetch
}

// watchEvery is how often batch reports refresh the samples and snapshots
// at most.
const watchEvery = time.Second

// watchCmd returns the command that fetches the samples and the snapshot
// list when msg calls for it, or nil.
func (rs *runState) watchCmd(msg tea.Msg) tea.Cmd {
	ws := &rs.watch
	if ws.health == nil && ws.snapshots == nil {
		return nil
	}
	now := time.Now
	if ws.now != nil {
		now = ws.now
	}
	switch msg.(type) {
	case epochMsg, trainDoneMsg:
		if ws.busy {
			ws.again = true
			return nil
		}
	case progressMsg:
		if ws.busy || (ws.gen > 0 && now().Sub(ws.asked) < watchEvery) {
			return nil
		}
	case watchMsg:
		if !ws.again {
			return nil
		}
		ws.again = false
	default:
		return nil
	}
	ws.busy, ws.asked = true, now()
	hf, sf := ws.health, ws.snapshots
	return func() tea.Msg {
		m := watchMsg{fetched: true}
		if hf != nil {
			m.samples = hf()
		}
		if sf != nil {
			m.snaps, m.err = sf()
		}
		return m
	}
}

// got keeps what a fetch brought.
func (ws *watchState) got(m watchMsg) {
	ws.busy = false
	if !m.fetched {
		return
	}
	ws.gen++
	ws.samples = m.samples
	if m.err != nil {
		ws.snapErr = m.err
		return
	}
	ws.snaps, ws.snapErr = m.snaps, nil
}

// alerts are the alerts of the latest sample that has any, or nil.
func (ws *watchState) alerts() []health.Alert {
	for i := len(ws.samples) - 1; i >= 0; i-- {
		if a := ws.samples[i].Alerts; len(a) > 0 {
			return a
		}
	}
	return nil
}
