package tui

import (
	"time"

	tea "charm.land/bubbletea/v2"

	"convscope/views"
)

// followMsg brings whether a run another process writes is live or stale
// (Options.Follow), asked once a second until training returns.
type followMsg views.Follow

// followEvery is how often the UI asks.
const followEvery = time.Second

// followCmd asks get now (after is 0) or after followEvery; nil without get.
func followCmd(get func() views.Follow, after time.Duration) tea.Cmd {
	if get == nil {
		return nil
	}
	if after <= 0 {
		return func() tea.Msg { return followMsg(get()) }
	}
	return tea.Tick(after, func(time.Time) tea.Msg { return followMsg(get()) })
}

// followed keeps msg and asks again while the run goes on.
func (m *model) followed(msg followMsg) tea.Cmd {
	m.follow = views.Follow(msg)
	switch m.state {
	case views.StateFinished, views.StateStopped, views.StateFailed:
		return nil
	}
	return followCmd(m.info.follow, followEvery)
}
