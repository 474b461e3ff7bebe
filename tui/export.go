package tui

import (
	"fmt"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"convscope/internal/dynamics"
	"convscope/internal/report"
	"convscope/mnist"
	"convscope/nn"
	"convscope/views"
)

// keyPressed clears the note of a finished export: an evaluation tab is in
// use again.
func (rs *runState) keyPressed() {
	if !rs.export.busy {
		rs.export.note, rs.export.bad = "", false
	}
}

// noteLine is the export outcome in the tab's styles, or "" when none.
func (rs *runState) noteLine(st views.Styles) string {
	switch {
	case rs.export.note == "":
		return ""
	case rs.export.bad:
		return st.Bad.Render(rs.export.note)
	}
	return st.Good.Render(rs.export.note)
}

// exportKey writes the report; the three evaluation tabs share it.
var exportKey = key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "export a report of the latest evaluation to the run folder"))

// exportedMsg says where a report went, or why it did not.
type exportedMsg struct {
	dir   string
	epoch int
	files int // files written
	err   error
}

// reportJob is an export: the figures to write, copied out of the model's
// state, so that the command runs on its own.
type reportJob struct {
	dir          string
	data         report.Data
	labels, pred []uint8   // per-image results for the identity check; nil when absent
	probs        []float32 // the evaluation's probabilities, for its calibration
	dynamics     func() *dynamics.Data
	net          *nn.Net    // the latest network copy (cloned before use), for suggested labels
	train        *mnist.Set // the training images, for suggested labels
}

// export returns a command that writes the latest evaluation's report to
// the run folder, and notes that it is under way; with nothing to write it
// sets the note and returns nil.
func (rs *runState) exportReport() tea.Cmd {
	switch {
	case !rs.latest().hasMatrix():
		rs.export = exportState{note: "nothing to export yet: the first evaluation comes at the end of epoch 1", bad: true}
		return nil
	case rs.outDir == "":
		rs.export = exportState{note: "no run folder to export to", bad: true}
		return nil
	}
	job := rs.reportJob()
	rs.export = exportState{note: "exporting…", busy: true}
	return func() tea.Msg { return job.run() }
}

// reportJob gathers the report of the latest evaluation.
func (rs *runState) reportJob() reportJob {
	e := rs.latest()
	ev := e.ev
	d := report.Data{
		Title: "convscope report",
		Notes: []string{
			"run folder: " + rs.outDir,
			settingsNote(rs.cfg),
		},
		Epoch: e.epoch, Loss: ev.Loss, Acc: ev.Acc,
		Classes:   rs.classes,
		Stats:     append([]nn.ClassStats(nil), ev.Classes...),
		Macro:     ev.Macro,
		Confusion: make([][]int, len(ev.Confusion)),
	}
	for i, r := range ev.Confusion {
		d.Confusion[i] = append([]int(nil), r...)
	}
	d.Epochs = append(d.Epochs, rs.stats...)
	j := reportJob{dir: rs.outDir, data: d, dynamics: rs.dynamics, net: rs.net, train: rs.train}
	if len(ev.Labels) == ev.N && len(ev.Pred) == ev.N {
		j.labels, j.pred, j.probs = ev.Labels, ev.Pred, ev.Probs // never changed once sent
	}
	return j
}

// settingsNote is the report's line about the training settings; a model
// saved without its run's details has none to tell.
func settingsNote(cfg nn.Config) string {
	if cfg.Optimizer == "" {
		return "training: settings not recorded in the model file"
	}
	return fmt.Sprintf("training: %s, lr %g, %s schedule, batch %d, %d epochs, seed %d",
		cfg.Optimizer, cfg.LR, cfg.Schedule, cfg.Batch, cfg.Epochs, cfg.Seed)
}

// run writes the report (report.Write: the same files as the report
// command), with the learning dynamics recorded so far.
func (j reportJob) run() exportedMsg {
	msg := exportedMsg{dir: j.dir, epoch: j.data.Epoch}
	r := report.Run{Data: j.data, Labels: j.labels, Pred: j.pred, Probs: j.probs}
	if j.dynamics != nil {
		if d := j.dynamics(); d != nil && d.Epochs >= j.data.Epoch {
			d.Truncate(j.data.Epoch)
			r.Dynamics = d
		}
	}
	if j.net != nil && j.train != nil {
		net := j.net.Clone()
		r.Suggest = func(idx []int) []int { return nn.PredictImages(net, j.train, idx) }
	}
	paths, err := report.Write(j.dir, r)
	msg.files, msg.err = len(paths), err
	return msg
}
