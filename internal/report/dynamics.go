package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"convscope/internal/dynamics"
	"convscope/views"
)

// The files a run report holds besides report.md and the three tables of
// the evaluation.
const (
	CalibrationCSVFile = "calibration.csv"
	ExamplesCSVFile    = "examples.csv"
	LabelIssuesCSVFile = "label-issues.csv"
)

// Suggestion is a suspected label error with the label the network
// suggests instead (-1: none known).
type Suggestion struct {
	dynamics.Example
	Suggested int
}

// DynamicsMarkdown renders the sections a run's learning dynamics add to
// report.md: each set's story (regions of the dataset map, when images
// were learned, how often forgotten), the suspected label errors (up to
// top of each set) and the test set's calibration by epoch.
func DynamicsMarkdown(d *dynamics.Data, train, test []dynamics.Example, trainSus, testSus []Suggestion, cal []dynamics.Calibration, classes []string, top int) string {
	var b strings.Builder
	b.WriteString("\n## Learning dynamics\n\n")
	fmt.Fprintf(&b, "Recorded over %s: for a training image, the probability and margin of its given label each time training saw it; for a test image, each epoch's evaluation. ", views.Plural(d.Epochs, "epoch"))
	b.WriteString("Forgetting events (right at one measurement, wrong at the next) after Toneva et al., ICLR 2019; the dataset map (confidence = mean probability of the given label, variability = its standard deviation) after Swayamdipta et al., EMNLP 2020; ")
	fmt.Fprintf(&b, "an image is ambiguous when its variability is at least %g, else easy to learn when its confidence is at least %g, else hard to learn.\n\n", dynamics.AmbiguousVariability, dynamics.EasyConfidence)
	t := Table{Head: []string{"set", "images", "easy-to-learn", "ambiguous", "hard-to-learn", "never learned", "wrong at the end", "forgotten once or more", "suspected label errors"}, Align: []byte("lrrrrrrrr")}
	for _, s := range []struct {
		name string
		ex   []dynamics.Example
	}{{"train", train}, {"test", test}} {
		if len(s.ex) == 0 {
			continue
		}
		sm := dynamics.Summarize(s.ex, d.Epochs)
		forgot := sm.N - sm.Forgotten[0]
		t.Rows = append(t.Rows, []string{s.name, views.GroupInt(sm.N), views.GroupInt(sm.Regions[dynamics.Easy]), views.GroupInt(sm.Regions[dynamics.Ambiguous]),
			views.GroupInt(sm.Regions[dynamics.Hard]), views.GroupInt(sm.NeverLearned), views.GroupInt(sm.NotLearned), views.GroupInt(forgot), views.GroupInt(sm.Suspects)})
	}
	b.WriteString(t.Markdown())

	b.WriteString("\n### Learned (for good) at epoch\n\n")
	lt := Table{Head: []string{"epoch", "train", "test"}, Align: []byte("rrr")}
	st, ss := dynamics.Summarize(train, d.Epochs), dynamics.Summarize(test, d.Epochs)
	for e := range d.Epochs {
		lt.Rows = append(lt.Rows, []string{strconv.Itoa(e + 1), views.GroupInt(at(st.LearnedAt, e)), views.GroupInt(at(ss.LearnedAt, e))})
	}
	b.WriteString(lt.Markdown())
	b.WriteString("\n### Forgetting events per image\n\n")
	ft := Table{Head: []string{"events", "train", "test"}, Align: []byte("rrr")}
	for f := range st.Forgotten {
		label := strconv.Itoa(f)
		if f == len(st.Forgotten)-1 {
			label += " or more"
		}
		ft.Rows = append(ft.Rows, []string{label, views.GroupInt(at(st.Forgotten, f)), views.GroupInt(at(ss.Forgotten, f))})
	}
	b.WriteString(ft.Markdown())

	b.WriteString("\n## Suspected label errors\n\n")
	b.WriteString("Training images by area under the margin (the mean margin of the given label over training, Pleiss et al., NeurIPS 2020; negative: the network kept preferring another class), the suggestion being the final network's prediction. ")
	b.WriteString("Test images by confident learning on the last epoch's probabilities (Northcutt et al., JAIR 2021): a class whose probability reaches its threshold (the mean probability of that class over the images labelled with it) and beats the given label's; the score is how far.\n\n")
	for _, s := range []struct {
		name string
		sus  []Suggestion
	}{{"Training set", trainSus}, {"Test set", testSus}} {
		fmt.Fprintf(&b, "### %s: %s, the first %d\n\n", s.name, views.Plural(len(s.sus), "suspect"), min(top, len(s.sus)))
		if len(s.sus) == 0 {
			b.WriteString("None.\n\n")
			continue
		}
		b.WriteString(SuspectTable(s.sus[:min(top, len(s.sus))], classes).Markdown())
		b.WriteByte('\n')
	}

	if len(cal) > 0 {
		b.WriteString("## Calibration of the test set\n\n")
		fmt.Fprintf(&b, "After Guo et al., ICML 2017: ECE and MCE over %d equal confidence bins, the mean negative log-likelihood and Brier score, and the temperature T that minimises the NLL with the ECE after dividing the log-probabilities by it.\n\n", dynamics.Bins)
		b.WriteString(CalibrationTable(cal, MD).Markdown())
		last := cal[len(cal)-1]
		fmt.Fprintf(&b, "\n### Reliability diagram after epoch %d\n\n", last.Epoch)
		rt := Table{Head: []string{"confidence", "images", "mean confidence", "accuracy", "gap"}, Align: []byte("lrrrr")}
		for _, bn := range last.Bins {
			if bn.Count == 0 {
				continue
			}
			rt.Rows = append(rt.Rows, []string{fmt.Sprintf("%.3f-%.3f", bn.Lo, bn.Hi), views.GroupInt(bn.Count), views.Float(bn.Confidence, 4),
				views.Float(bn.Accuracy, 4), views.Float(bn.Accuracy-bn.Confidence, 4)})
		}
		b.WriteString(rt.Markdown())
	}
	return b.String()
}

func at(s []int, i int) int {
	if i < len(s) {
		return s[i]
	}
	return 0
}

// SuspectTable is the ranked suspects, most suspect first.
func SuspectTable(sus []Suggestion, classes []string) Table {
	t := Table{Head: []string{"rank", "set", "index", "given", "suggested", "score"}, Align: []byte("rlrllr")}
	for i, s := range sus {
		sug := ""
		if s.Suggested >= 0 {
			sug = views.ClassName(classes, s.Suggested)
		}
		t.Rows = append(t.Rows, []string{strconv.Itoa(i + 1), string(s.Set), strconv.Itoa(s.Index), views.ClassName(classes, s.Label), sug, views.Float(score(s), 4)})
	}
	return t
}

// score is a suspect's figure: AUM for training images, confident
// learning's score for test images.
func score(s Suggestion) float64 {
	if s.Set == dynamics.Train {
		return s.AUM
	}
	return s.CLScore
}

// CalibrationTable is one row per epoch.
func CalibrationTable(cal []dynamics.Calibration, f Format) Table {
	t := Table{Head: []string{"epoch", "bins", "ECE", "MCE", "NLL", "Brier", "temperature", "ECE after T"}, Align: []byte("rrrrrrrr")}
	if f == CSV {
		t.Head = []string{"epoch", "bins", "ece", "mce", "nll", "brier", "temperature", "ece_scaled"}
	}
	prec := 4
	if f == CSV {
		prec = -1
	}
	for _, c := range cal {
		t.Rows = append(t.Rows, []string{strconv.Itoa(c.Epoch), strconv.Itoa(len(c.Bins)), views.Float(c.ECE, prec), views.Float(c.MCE, prec),
			views.Float(c.NLL, prec), views.Float(c.Brier, prec), views.Float(c.Temperature, prec), views.Float(c.ECEScaled, prec)})
	}
	return t
}

// ExamplesCSV has one row per image of both sets.
func ExamplesCSV(ex []dynamics.Example, classes []string) string {
	t := Table{Head: []string{"set", "index", "label", "first_epoch_learned", "forgetting_events", "never_learned", "confidence", "variability",
		"correctness", "region", "aum", "cl_suggested", "cl_score", "final_prediction"}, Align: []byte("llllllllllllll")}
	num := func(v float64) string {
		if math.IsNaN(v) {
			return ""
		}
		return views.Float(v, -1)
	}
	for _, e := range ex {
		sug, fin := "", ""
		if e.Suggested >= 0 {
			sug = views.ClassName(classes, e.Suggested)
		}
		if e.FinalPred >= 0 {
			fin = views.ClassName(classes, e.FinalPred)
		}
		cl := ""
		if e.Set == dynamics.Test && e.Suggested >= 0 {
			cl = num(e.CLScore)
		}
		t.Rows = append(t.Rows, []string{string(e.Set), strconv.Itoa(e.Index), views.ClassName(classes, e.Label), strconv.Itoa(e.FirstLearned),
			strconv.Itoa(e.Forgotten), strconv.FormatBool(e.NeverLearned), num(e.Confidence), num(e.Variability), num(e.Correctness),
			e.Region.String(), num(e.AUM), sug, cl, fin})
	}
	return t.CSV()
}

// LabelIssuesCSV is the ranked suspects of both sets.
func LabelIssuesCSV(sus []Suggestion, classes []string) string {
	t := Table{Head: []string{"set", "index", "given", "suggested", "score"}, Align: []byte("lllll")}
	for _, s := range sus {
		sug := ""
		if s.Suggested >= 0 {
			sug = views.ClassName(classes, s.Suggested)
		}
		t.Rows = append(t.Rows, []string{string(s.Set), strconv.Itoa(s.Index), views.ClassName(classes, s.Label), sug, views.Float(score(s), -1)})
	}
	return t.CSV()
}
