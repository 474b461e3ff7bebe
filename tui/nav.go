package tui

import (
	tea "charm.land/bubbletea/v2"

	"convscope/nn"
)

// Tab indexes, in the order of the keys 1..9.
const (
	tabTrain = iota
	tabSamples
	tabMistakes
	tabConfusion
	tabLayers
	tabDraw
	tabData
	tabHealth
	tabSpace
)

// switchTabMsg makes the root show tab i.
type switchTabMsg struct{ i int }

// inspectMsg sends one image to the Layers tab (from Samples, Mistakes,
// Confusion or Draw). Label is -1 when unknown (a drawn digit). Pixels is a
// copy the receiver may keep.
type inspectMsg struct {
	Pixels     []uint8
	Rows, Cols int
	Label      int
	Source     string // e.g. "test #1234" or "drawn"
}

// showPairMsg asks the Mistakes tab to list exactly the test images of true
// class True predicted as Pred (True == Pred lists the correct ones).
type showPairMsg struct{ True, Pred int }

// goTo returns a command that switches to tab i and then delivers msg to
// every tab.
func goTo(i int, msg tea.Msg) tea.Cmd {
	return tea.Sequence(
		func() tea.Msg { return msg },
		func() tea.Msg { return switchTabMsg{i} },
	)
}

// historyMsg carries the epochs a resumed run finished before this session.
type historyMsg []nn.EpochStats
