package report

import (
	"errors"
	"fmt"
	"path/filepath"

	"convscope/internal/atomicfile"
	"convscope/internal/dynamics"
)

// The files of an evaluation's report, in the order they are written.
const (
	ReportFile       = "report.md"
	EpochsCSVFile    = "epochs.csv"
	ClassesCSVFile   = "classes.csv"
	ConfusionCSVFile = "confusion.csv"
)

// Run is everything a run's report holds: the evaluation (Data), its
// per-image results, and the learning dynamics when recorded. The UI's
// export (key e) and the report command both write it with Write.
type Run struct {
	Data Data
	// Per-image results of the evaluation, for the identity check and the
	// calibration when no dynamics were recorded (nil when absent).
	Labels, Pred []uint8
	Probs        []float32
	// Dynamics, if recorded; DynamicsNote says why there are none (one
	// line), or is empty.
	Dynamics     *dynamics.Data
	DynamicsNote string
	// Suggest, if set, gives the network's prediction for training images
	// (their suggested label); nil leaves training suspects without one.
	Suggest func(train []int) []int
	// Top is how many suspects of each set report.md lists (0 = 20).
	Top int
}

// Write checks the evaluation's figures and writes the report's files into
// dir, each atomically, and returns their paths: report.md, epochs.csv,
// classes.csv, confusion.csv, calibration.csv, and with dynamics
// examples.csv and label-issues.csv.
func Write(dir string, r Run) ([]string, error) {
	d := r.Data
	if err := errors.Join(CheckClassStats(d.Confusion, d.Stats, r.Labels, r.Pred), CheckMacro(d.Stats, d.Macro)); err != nil {
		return nil, fmt.Errorf("the evaluation's figures disagree, nothing written: %w", err)
	}
	top := r.Top
	if top <= 0 {
		top = 20
	}
	md := Markdown(d)
	files := []struct{ name, text string }{
		{EpochsCSVFile, EpochsCSV(d.Epochs)},
		{ClassesCSVFile, ClassesCSV(d.Stats, d.Macro, d.Classes)},
		{ConfusionCSVFile, ConfusionCSV(d.Confusion, d.Classes)},
	}
	var cal []dynamics.Calibration
	if dy := r.Dynamics; dy != nil && dy.Epochs > 0 {
		cal = dy.Calibrations()
		train, test := dy.Examples(dynamics.Train), dy.Examples(dynamics.Test)
		trainSus := suggestions(dynamics.Suspects(train), r.Suggest)
		testSus := suggestions(dynamics.Suspects(test), nil)
		md += DynamicsMarkdown(dy, train, test, trainSus, testSus, cal, d.Classes, top)
		files = append(files,
			struct{ name, text string }{ExamplesCSVFile, ExamplesCSV(append(train, test...), d.Classes)},
			struct{ name, text string }{LabelIssuesCSVFile, LabelIssuesCSV(append(trainSus, testSus...), d.Classes)})
	} else if len(r.Labels) > 0 && len(r.Probs) == len(r.Labels)*len(d.Confusion) {
		c := dynamics.Calibrate(r.Probs, r.Labels, r.Pred, len(d.Confusion))
		c.Epoch = d.Epoch
		cal = []dynamics.Calibration{c}
		md += "\n## Calibration of the test set\n\n"
		if r.DynamicsNote != "" {
			md += mdEscape(r.DynamicsNote) + "; so this is the last evaluation's alone.\n\n"
		}
		md += CalibrationTable(cal, MD).Markdown()
	}
	if cal != nil {
		files = append(files, struct{ name, text string }{CalibrationCSVFile, CalibrationTable(cal, CSV).CSV()})
	}
	files = append([]struct{ name, text string }{{ReportFile, md}}, files...)
	var paths []string
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if err := atomicfile.Write(p, []byte(f.text)); err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// suggestions attaches suggested labels: confident learning's own for test
// images, the network's prediction (suggest) for training images.
func suggestions(sus []dynamics.Example, suggest func([]int) []int) []Suggestion {
	out := make([]Suggestion, len(sus))
	var pred []int
	if suggest != nil && len(sus) > 0 && sus[0].Set == dynamics.Train {
		idx := make([]int, len(sus))
		for i, s := range sus {
			idx[i] = s.Index
		}
		pred = suggest(idx)
	}
	for i, s := range sus {
		out[i] = Suggestion{Example: s, Suggested: s.Suggested}
		if i < len(pred) && s.Set == dynamics.Train && pred[i] != s.Label {
			out[i].Suggested = pred[i]
		}
	}
	return out
}
