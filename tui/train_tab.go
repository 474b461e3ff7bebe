package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"convscope/nn"
	"convscope/views"
)

// trainTab is the live dashboard: loss and accuracy charts and the table
// of finished epochs.
type trainTab struct {
	keys keyMap
	w, h int

	lossTrain, lossTest []views.Point
	accTrain, accTest   []views.Point
	stats               []nn.EpochStats // Eval dropped: the table needs none of it
	epoch               int             // epoch of the last report
	epochs              int
	done                bool // training has returned

	top  int  // first table row shown, when not following
	tail bool // the table follows the last epoch
	zoom bool

	others   []views.RunCurves // runs to compare with (Options.Runs)
	showRuns bool              // the Runs view instead of the live charts
}

func newTrainTab(keys keyMap, others []views.RunCurves) *trainTab {
	return &trainTab{keys: keys, tail: true, others: others}
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
	case progressMsg:
		p := nn.Progress(msg)
		t.epoch, t.epochs = p.Epoch, p.Epochs
		if p.Total > 0 {
			x := float64(p.Epoch-1) + float64(p.Seen)/float64(p.Total)
			t.lossTrain = append(t.lossTrain, views.Point{X: x, Y: p.TrainLoss})
			t.accTrain = append(t.accTrain, views.Point{X: x, Y: p.TrainAcc})
		}
	case epochMsg:
		p := msg.p
		t.epoch, t.epochs = p.Epoch, p.Epochs
		if p.Stats == nil {
			break
		}
		s := *p.Stats
		s.Eval = nil
		t.stats = append(t.stats, s)
		x := float64(s.Epoch)
		// The last batches are not reported: end the epoch's line on its figures.
		t.lossTrain = append(t.lossTrain, views.Point{X: x, Y: s.TrainLoss})
		t.accTrain = append(t.accTrain, views.Point{X: x, Y: s.TrainAcc})
		t.lossTest = append(t.lossTest, views.Point{X: x, Y: s.TestLoss})
		t.accTest = append(t.accTest, views.Point{X: x, Y: s.TestAcc})
	case historyMsg:
		for _, s := range msg {
			x := float64(s.Epoch)
			t.stats = append(t.stats, s)
			t.lossTrain = append(t.lossTrain, views.Point{X: x, Y: s.TrainLoss})
			t.accTrain = append(t.accTrain, views.Point{X: x, Y: s.TrainAcc})
			t.lossTest = append(t.lossTest, views.Point{X: x, Y: s.TestLoss})
			t.accTest = append(t.accTest, views.Point{X: x, Y: s.TestAcc})
		}
	case trainDoneMsg:
		t.done = true
	case tea.KeyPressMsg:
		rows := views.TrainTableRows(len(t.stats), t.w, t.h)
		last := max(0, len(t.stats)-rows)
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
	return float64(max(1, t.epoch))
}

func (t *trainTab) data() views.TrainData {
	top := t.top
	if t.tail {
		top = -1
	}
	return views.TrainData{
		LossTrain: t.lossTrain, LossTest: t.lossTest,
		AccTrain: t.accTrain, AccTest: t.accTest,
		XMax: t.xmax(), Zoom: t.zoom,
		Epochs: t.stats, TableTop: top,
	}
}

func (t *trainTab) View(st views.Styles) string {
	if t.showRuns {
		runs := append([]views.RunCurves{{Name: "this run", Epochs: t.stats}}, t.others...)
		return views.Runs(runs, t.w, t.h, st)
	}
	return views.Train(t.data(), t.w, t.h, st)
}
