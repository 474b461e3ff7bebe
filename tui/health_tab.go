package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"convscope/internal/health"
	"convscope/views"
)

// healthTab shows the run's training health: the latest sample's figures
// per layer, the selected layer's weight and activation histograms over
// time as heat strips, its update ratio and gradient norm, and the alerts.
// It keeps only its cursors; the samples are the run state's (rs.watch).
type healthTab struct {
	keys keyMap
	page pageKeys
	rs   *runState
	w, h int

	layer    int // the selected layer
	alertTop int // the first alert shown, newest first
}

func newHealthTab(keys keyMap, rs *runState) *healthTab {
	return &healthTab{keys: keys, page: newPageKeys(), rs: rs}
}

func (t *healthTab) Title() string    { return "Health" }
func (t *healthTab) SetSize(w, h int) { t.w, t.h = w, h }

// KeyHelp lists the tab's own keys.
func (t *healthTab) KeyHelp() []key.Binding {
	return []key.Binding{helpOnly("↑/↓", "select a layer (or k j): its heat strips and charts"),
		helpOnly("n/p", "scroll the alerts (or page down, page up)"), helpOnly("home/end", "the newest and the oldest alerts")}
}

// HelpText says how to read the tab.
func (t *healthTab) HelpText(st views.Styles) string {
	var b strings.Builder
	b.WriteString(st.Title.Render("Reading the Health tab") + "\n")
	line := func(s string) { b.WriteString(st.Text.Render(s) + "\n") }
	line(fmt.Sprintf("a sample every %d batches and at each epoch's end; activations: the sampled batch, evaluation mode", health.DefaultEvery))
	line("upd/wt: the norm of the optimizer's step over the weight norm; about 1e-3 is the rule of thumb")
	line("heat strips: time across, value bins down (high on top), shade = a bin's share of the values (log)")
	line(fmt.Sprintf("alerts: update ratio over %g or under %g (unless annealed), over %.0f%% of a ReLU's units dead,",
		health.MaxUpdateRatio, health.MinUpdateRatio, 100*health.MaxDead))
	line(fmt.Sprintf("  a gradient norm %gx its previous sample's, a non-finite figure; a marked cell ends in !", health.GradJump))
	return b.String()
}

// samples are the run's samples as last fetched.
func (t *healthTab) samples() []health.Sample { return t.rs.watch.samples }

// layers is the number of layers of the latest sample.
func (t *healthTab) layers() int {
	s := t.samples()
	if len(s) == 0 {
		return 0
	}
	return len(s[len(s)-1].Layers)
}

func (t *healthTab) Update(msg tea.Msg) tea.Cmd {
	if msg, ok := msg.(tea.KeyPressMsg); ok {
		t.key(msg)
	}
	return nil
}

func (t *healthTab) key(msg tea.KeyPressMsg) {
	t.rs.keyPressed()
	n := t.layers()
	if n == 0 {
		return
	}
	alerts := len(views.HealthAlerts(t.samples()))
	vis := views.AlertRows(views.HealthLayoutFor(n, t.w, t.h).AlertH)
	last := max(0, alerts-vis)
	switch {
	case key.Matches(msg, t.keys.Up):
		t.layer = max(0, min(t.layer, n-1)-1)
	case key.Matches(msg, t.keys.Down):
		t.layer = min(n-1, t.layer+1)
	case key.Matches(msg, t.page.Next):
		t.alertTop = min(last, t.alertTop+vis)
	case key.Matches(msg, t.page.Prev):
		t.alertTop = max(0, min(t.alertTop, last)-vis)
	case key.Matches(msg, t.page.First):
		t.alertTop = 0
	case key.Matches(msg, t.page.Last):
		t.alertTop = last
	}
}

// emptyNote says why there is nothing to show.
func (t *healthTab) emptyNote() string {
	ws := &t.rs.watch
	switch {
	case ws.health == nil:
		return "No training health: this run does not sample it."
	case ws.gen == 0 && t.rs.explore:
		return "Reading the run folder's health samples…"
	case ws.gen == 0:
		return "Waiting for the first health sample…"
	case t.rs.explore:
		return "No training health in this run folder: it has no " + health.File +
			" (a run from before health sampling, or trained without it)."
	}
	return fmt.Sprintf("No health sample yet: the first is taken after the first batch, then every %d batches and at each epoch's end.",
		health.DefaultEvery)
}

func (t *healthTab) View(st views.Styles) string {
	d := views.HealthData{Samples: t.samples(), Layer: t.layer, AlertTop: t.alertTop}
	if err := t.rs.watch.healthErr; err != nil {
		d.Err = err.Error()
	}
	if len(d.Samples) == 0 {
		d.Note = t.emptyNote()
	}
	return views.Health(d, t.w, t.h, st)
}
