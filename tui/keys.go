package tui

import "charm.land/bubbles/v2/key"

// keyMap holds every key the program answers to.
type keyMap struct {
	Tab     key.Binding // 1..9 jump to a tab
	NextTab key.Binding
	PrevTab key.Binding
	Up      key.Binding
	Down    key.Binding
	Left    key.Binding
	Right   key.Binding
	Open    key.Binding
	Back    key.Binding
	Pause   key.Binding
	Save    key.Binding
	Zoom    key.Binding
	Runs    key.Binding
	Help    key.Binding
	Quit    key.Binding
	steerKeys
}

func newKeyMap() keyMap {
	k := keyMap{
		Tab:     key.NewBinding(key.WithKeys("1", "2", "3", "4", "5", "6", "7", "8", "9"), key.WithHelp("1-9", "tabs")),
		NextTab: key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next tab")),
		PrevTab: key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous tab")),
		Up:      key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:    key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Left:    key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/h", "left")),
		Right:   key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("→/l", "right")),
		Open:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		Back:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Pause:   key.NewBinding(key.WithKeys("space"), key.WithHelp("space", "pause")),
		Save:    key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "save")),
		Zoom:    key.NewBinding(key.WithKeys("z"), key.WithHelp("z", "zoom charts")),
		Runs:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "compare runs")),
		Help:    key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:    key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
	}
	k.steerKeys = newSteerKeys()
	return k
}

// ShortHelp is the footer's one line of keys.
func (k keyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Tab, k.Pause, k.Save, k.Help, k.Quit}
}

// FullHelp is the help screen's columns of keys.
func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Tab, k.NextTab, k.PrevTab},
		{k.Up, k.Down, k.Left, k.Right, k.Open, k.Back},
		{k.Pause, k.Save, k.Zoom, k.Help, k.Quit},
		{k.LRDown, k.LRUp, k.LRSet, k.StopAfter},
	}
}
