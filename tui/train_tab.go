package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"convscope/views"
)

// trainTab is the live dashboard: loss and accuracy charts and the table
// of finished epochs.
type trainTab struct {
	keys keyMap
	rs   *runState
	w, h int

	top  int  // first table row shown, when not following
	tail bool // the table follows the last epoch
	zoom bool

	others   []views.RunCurves // runs to compare with (Options.Runs)
	showRuns bool              // the Runs view instead of the live charts
}

func newTrainTab(keys keyMap, rs *runState, others []views.RunCurves) *trainTab {
	return &trainTab{keys: keys, rs: rs, tail: true, others: others}
}

func (t *trainTab) Title() string    { return "Train" }
func (t *trainTab) ExactSize() bool  { return true }
func (t *trainTab) SetSize(w, h int) { t.w, t.h = w, h }

// KeyHelp lists the tab's own keys.
func (t *trainTab) KeyHelp() []key.Binding {
	up, down := t.keys.Up, t.keys.Down
	up.SetHelp("↑/k", "scroll the epoch table up")
	down.SetHelp("↓/j", "scroll the epoch table down")
	zoom := t.keys.Zoom
	zoom.SetHelp("z", "zoom the charts' y axes on the later epochs")
	runs := t.keys.Runs
	runs.SetHelp("r", "compare this run's test curves with the --compare runs")
	return []key.Binding{up, down, zoom, runs}
}

func (t *trainTab) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		rows := views.TrainTableRows(len(t.rs.stats), t.w, t.h)
		last := max(0, len(t.rs.stats)-rows)
		if t.tail {
			t.top = last
		}
		switch {
		case key.Matches(msg, t.keys.Up):
			t.top = max(0, t.top-1)
		case key.Matches(msg, t.keys.Down):
			t.top = min(last, t.top+1)
		case key.Matches(msg, t.keys.Zoom):
			t.zoom = !t.zoom
		case key.Matches(msg, t.keys.Runs):
			t.showRuns = !t.showRuns
		}
		t.tail = t.top >= last
	}
	return nil
}

// xmax is the right end of the charts: the epoch in progress, or the last.
func (t *trainTab) xmax() float64 {
	return float64(max(1, t.rs.last.Epoch))
}

func (t *trainTab) data() views.TrainData {
	top := t.top
	if t.tail {
		top = -1
	}
	stats := t.rs.stats
	lossTest, accTest := make([]views.Point, len(stats)), make([]views.Point, len(stats))
	for i, s := range stats {
		lossTest[i] = views.Point{X: float64(s.Epoch), Y: s.TestLoss}
		accTest[i] = views.Point{X: float64(s.Epoch), Y: s.TestAcc}
	}
	return views.TrainData{
		LossTrain: t.rs.lossTrain, LossTest: lossTest,
		AccTrain: t.rs.accTrain, AccTest: accTest,
		XMax: t.xmax(), Zoom: t.zoom, LRMarks: t.rs.lrMarks(),
		Epochs: stats, TableTop: top,
	}
}

func (t *trainTab) View(st views.Styles) string {
	if t.showRuns {
		runs := append([]views.RunCurves{{Name: "this run", Epochs: t.rs.stats}}, t.others...)
		return views.Runs(runs, t.w, t.h, st)
	}
	return views.Train(t.data(), t.w, t.h, st)
}
