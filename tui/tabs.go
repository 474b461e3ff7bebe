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
// on pause), savedMsg and trainDoneMsg. It keeps what it needs.
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

// keyHelper is a tab with keys of its own to show in the help screen.
type keyHelper interface {
	KeyHelp() []key.Binding
}

// newTabs returns the program's tabs in the order of the keys 1..6; opts
// gives them the run's data (the test images) and folder.
func newTabs(keys keyMap, opts Options) []tab {
	return []tab{
		newTrainTab(keys, opts.Runs),
		newSamplesTab(keys, opts),
		newMistakesTab(keys, opts),
		newConfusionTab(keys, opts),
		newLayersTab(keys),
		newDrawTab(keys),
	}
}

// placeholderTab stands in for a tab another issue fills.
type placeholderTab struct {
	title, what string
	w, h        int
}

func (p *placeholderTab) Title() string          { return p.title }
func (p *placeholderTab) SetSize(w, h int)       { p.w, p.h = w, h }
func (p *placeholderTab) Update(tea.Msg) tea.Cmd { return nil }

func (p *placeholderTab) View(st views.Styles) string {
	return st.Muted.Render(p.title + ": " + p.what + " (not built yet)")
}
