package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"convscope/views"
)

// tab is one screen below the header. The root model gives it its size,
// forwards to it every message that is not a global key (keys and mouse
// events only while it is the active tab, mouse positions relative to its
// top left corner), and draws it with the current styles.
//
// A tab gets training's messages as they come: progressMsg, epochMsg (with the
// test-set evaluation and a copy of the network), snapshotMsg (a copy taken
// on pause), savedMsg and trainDoneMsg, after the root has put what they say
// into the run state (runState), which the tab reads. A tab keeps only its
// cursors and selections.
//
// To add a tab, write a type with these four methods and put it in newTabs.
type tab interface {
	Title() string
	SetSize(w, h int)
	Update(msg tea.Msg) tea.Cmd
	View(st views.Styles) string
}

// exactTab is a tab whose View is always exactly its size, so the root need
// not measure and pad it.
type exactTab interface {
	ExactSize() bool
}

// keyClaimer is a tab that takes some keys before the global bindings do
// (the Draw tab paints with space, which elsewhere pauses training).
type keyClaimer interface {
	claimsKey(msg tea.KeyPressMsg) bool
}

// helpTexter is a tab with more to say in the help screen than its keys
// (the Data tab names its figures' sources).
type helpTexter interface {
	HelpText(st views.Styles) string
}

// shownTab is a tab that wants to know when it is shown and hidden (the
// Space tab computes its projections only while shown); setShown(true)
// returns what it starts.
type shownTab interface {
	setShown(on bool) tea.Cmd
}

// keyHelper is a tab with keys of its own to show in the help screen.
type keyHelper interface {
	KeyHelp() []key.Binding
}

// newTabs returns the program's tabs in the order of the keys 1..9, reading
// the run state rs; runs are the other runs the Train tab compares with.
func newTabs(keys keyMap, rs *runState, runs []views.RunCurves) []tab {
	return []tab{
		newTrainTab(keys, rs, runs),
		newSamplesTab(keys, rs),
		newMistakesTab(keys, rs),
		newConfusionTab(keys, rs),
		newLayersTab(keys, rs),
		newDrawTab(keys, rs),
		newDataTab(keys, rs),
		newHealthTab(keys, rs),
		newSpaceTab(keys, rs),
	}
}
