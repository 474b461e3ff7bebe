package tui

import (
	"convscope/internal/atomicfile"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"convscope/internal/report"
	"convscope/mnist"
	"convscope/nn"
	"convscope/views"
)

// evalState is what the Samples, Mistakes and Confusion tabs keep of the
// run's evaluations: the latest one (with its per-image results), the
// figures of every finished epoch, and where reports go. Each tab has its
// own; the latest *nn.Eval is shared between them and never changed.
type evalState struct {
	test    *mnist.Set // the test images; nil when the program has none
	classes []string   // class names, from the test set
	outDir  string     // the run folder, where e writes the report
	cfg     nn.Config

	ev     *nn.Eval        // the latest evaluation; nil before the first epoch ends
	epoch  int             // the epoch ev belongs to
	wrong  int             // test images ev predicts wrongly
	epochs []nn.EpochStats // every finished epoch, resumed ones first, Eval dropped

	note    string // the last export's outcome, shown in the tab's last line
	noteBad bool
	busy    bool // an export is under way
}

func newEvalState(opts Options) evalState {
	s := evalState{test: opts.Data.Test, outDir: opts.OutDir, cfg: opts.Config}
	if s.test != nil {
		s.classes = s.test.Classes
	}
	return s
}

// update keeps what msg says about evaluations and reports whether a new
// evaluation arrived.
func (s *evalState) update(msg tea.Msg) bool {
	switch msg := msg.(type) {
	case epochMsg:
		st := msg.p.Stats
		if st == nil {
			return false
		}
		c := *st
		c.Eval = nil
		s.epochs = append(s.epochs, c)
		if st.Eval == nil {
			return false
		}
		s.ev, s.epoch = st.Eval, st.Epoch
		s.wrong = 0
		for i, l := range s.ev.Labels {
			if i < len(s.ev.Pred) && s.ev.Pred[i] != l {
				s.wrong++
			}
		}
		return true
	case historyMsg:
		s.epochs = append(s.epochs, msg...)
	case exportedMsg:
		s.busy = false
		if msg.err != nil {
			s.note, s.noteBad = "export failed: "+strings.ReplaceAll(msg.err.Error(), "\n", "; "), true
		} else {
			s.note, s.noteBad = fmt.Sprintf("epoch %d: wrote report.md and 3 CSVs to %s", msg.epoch, msg.dir), false
		}
	}
	return false
}

// n is the number of test images the tabs can show.
func (s *evalState) n() int {
	if s.test == nil {
		return 0
	}
	return s.test.N
}

// perImage reports whether the latest evaluation has per-image results that
// belong to the test images shown.
func (s *evalState) perImage() bool {
	ev := s.ev
	if ev == nil || ev.K <= 0 {
		return false
	}
	n := ev.N
	return len(ev.Labels) == n && len(ev.Pred) == n && len(ev.Losses) == n && len(ev.Probs) == n*ev.K &&
		(s.test == nil || s.test.N == n)
}

// hasMatrix reports whether the latest evaluation has a confusion matrix
// with its per-class figures.
func (s *evalState) hasMatrix() bool {
	return s.ev != nil && len(s.ev.Confusion) > 0 && len(s.ev.Classes) == len(s.ev.Confusion)
}

// label is the true class of test image i.
func (s *evalState) label(i int) int {
	if s.perImage() {
		return int(s.ev.Labels[i])
	}
	return int(s.test.Labels[i])
}

// pred is the predicted class of test image i, or -1 before any evaluation.
func (s *evalState) pred(i int) int {
	if s.perImage() {
		return int(s.ev.Pred[i])
	}
	return -1
}

// probs is the softmax output for test image i; perImage must hold.
func (s *evalState) probs(i int) []float32 {
	k := s.ev.K
	return s.ev.Probs[i*k : (i+1)*k : (i+1)*k]
}

// className is the name of class c.
func (s *evalState) className(c int) string { return className(s.classes, c) }

// className is the name of class c in classes, or its number.
func className(classes []string, c int) string {
	if c >= 0 && c < len(classes) && classes[c] != "" {
		return classes[c]
	}
	return strconv.Itoa(c)
}

// keyPressed clears the note of a finished export: the tab is in use again.
func (s *evalState) keyPressed() {
	if !s.busy {
		s.note, s.noteBad = "", false
	}
}

// noteLine is the export outcome in the tab's styles, or "" when none.
func (s *evalState) noteLine(st views.Styles) string {
	switch {
	case s.note == "":
		return ""
	case s.noteBad:
		return st.Bad.Render(s.note)
	}
	return st.Good.Render(s.note)
}

// exportKey writes the report; the three evaluation tabs share it.
var exportKey = key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "export a report of the latest evaluation to the run folder"))

// exportedMsg says where a report went, or why it did not.
type exportedMsg struct {
	dir   string
	epoch int
	err   error
}

// Files of an exported report, in the order they are written.
const (
	reportFile    = "report.md"
	epochsFile    = "epochs.csv"
	classesFile   = "classes.csv"
	confusionFile = "confusion.csv"
)

// reportJob is an export: the figures to write, copied out of the model's
// state, so that the command runs on its own.
type reportJob struct {
	dir          string
	data         report.Data
	labels, pred []uint8 // per-image results for the identity check; nil when absent
}

// export returns a command that writes the latest evaluation's report to
// the run folder, and notes that it is under way; with nothing to write it
// sets the note and returns nil.
func (s *evalState) export() tea.Cmd {
	switch {
	case !s.hasMatrix():
		s.note, s.noteBad = "nothing to export yet: the first evaluation comes at the end of epoch 1", true
		return nil
	case s.outDir == "":
		s.note, s.noteBad = "no run folder to export to", true
		return nil
	}
	job := s.reportJob()
	s.note, s.noteBad, s.busy = "exporting…", false, true
	return func() tea.Msg { return job.run() }
}

// reportJob gathers the report of the latest evaluation.
func (s *evalState) reportJob() reportJob {
	ev := s.ev
	d := report.Data{
		Title: "convscope report",
		Notes: []string{
			"run folder: " + s.outDir,
			fmt.Sprintf("training: %s, lr %g, batch %d, %d epochs, seed %d", s.cfg.Optimizer, s.cfg.LR, s.cfg.Batch, s.cfg.Epochs, s.cfg.Seed),
		},
		Epoch: s.epoch, Loss: ev.Loss, Acc: ev.Acc,
		Classes:   s.classes,
		Stats:     append([]nn.ClassStats(nil), ev.Classes...),
		Macro:     ev.Macro,
		Confusion: make([][]int, len(ev.Confusion)),
	}
	for i, r := range ev.Confusion {
		d.Confusion[i] = append([]int(nil), r...)
	}
	for _, e := range s.epochs {
		d.Epochs = append(d.Epochs, e)
	}
	j := reportJob{dir: s.outDir, data: d}
	if len(ev.Labels) == ev.N && len(ev.Pred) == ev.N {
		j.labels, j.pred = ev.Labels, ev.Pred // never changed once sent
	}
	return j
}

// run checks the figures and writes the report's four files, each
// atomically.
func (j reportJob) run() exportedMsg {
	msg := exportedMsg{dir: j.dir, epoch: j.data.Epoch}
	if err := errors.Join(report.CheckClassStats(j.data.Confusion, j.data.Stats, j.labels, j.pred),
		report.CheckMacro(j.data.Stats, j.data.Macro)); err != nil {
		msg.err = fmt.Errorf("the evaluation's figures disagree, nothing written: %w", err)
		return msg
	}
	d := j.data
	files := []struct{ name, text string }{
		{reportFile, report.Markdown(d)},
		{epochsFile, report.EpochsCSV(d.Epochs)},
		{classesFile, report.ClassesCSV(d.Stats, d.Macro, d.Classes)},
		{confusionFile, report.ConfusionCSV(d.Confusion, d.Classes)},
	}
	for _, f := range files {
		if err := atomicfile.Write(filepath.Join(j.dir, f.name), []byte(f.text)); err != nil {
			msg.err = err
			return msg
		}
	}
	return msg
}
