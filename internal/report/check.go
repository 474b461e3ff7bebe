package report

import (
	"errors"
	"fmt"
	"math"

	"convscope/nn"
)

// classTol is how far a ratio may be from its value recomputed from counts.
const classTol = 1e-9

// CheckClassStats checks that per-class figures agree with a confusion matrix
// conf[true][pred] and, when labels and pred are given (same length, one
// entry per image), with the raw predictions. For every class c:
//
//   - TP = conf[c][c], FN = row sum - TP, FP = column sum - TP;
//   - TP+FP+FN+TN = N, the total count;
//   - precision, recall, F1 and accuracy match the counts (a ratio with a zero
//     denominator is 0, as nn.ClassFigures makes it);
//
// and overall ΣTP = the number of correct predictions and each row sum = the
// number of images of that class (from labels), and conf is the tally of
// (labels, pred). It returns all the disagreements joined, or nil.
func CheckClassStats(conf [][]int, stats []nn.ClassStats, labels, pred []uint8) error {
	k := len(conf)
	if len(stats) != k {
		return fmt.Errorf("views: %d class figures for a %dx%d confusion matrix", len(stats), k, k)
	}
	for i, r := range conf {
		if len(r) != k {
			return fmt.Errorf("views: confusion row %d has %d entries, want %d", i, len(r), k)
		}
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("views: "+format, args...)) }

	n, trace := 0, 0
	rowSum, colSum := make([]int, k), make([]int, k)
	for i, r := range conf {
		for j, v := range r {
			if v < 0 {
				bad("confusion[%d][%d] = %d, want >= 0", i, j, v)
			}
			n += v
			rowSum[i] += v
			colSum[j] += v
		}
		trace += r[i]
	}
	sumTP := 0
	for c, s := range stats {
		sumTP += s.TP
		if s.TP != conf[c][c] {
			bad("class %d: TP = %d, want confusion[%d][%d] = %d", c, s.TP, c, c, conf[c][c])
		}
		if want := rowSum[c] - conf[c][c]; s.FN != want {
			bad("class %d: FN = %d, want row sum - TP = %d", c, s.FN, want)
		}
		if want := colSum[c] - conf[c][c]; s.FP != want {
			bad("class %d: FP = %d, want column sum - TP = %d", c, s.FP, want)
		}
		if got := s.TP + s.FP + s.FN + s.TN; got != n {
			bad("class %d: TP+FP+FN+TN = %d, want N = %d", c, got, n)
		}
		prec, rec := classRatio(s.TP, s.TP+s.FP), classRatio(s.TP, s.TP+s.FN)
		f1 := 0.0
		if prec+rec > 0 {
			f1 = 2 * prec * rec / (prec + rec)
		}
		for _, r := range []struct {
			name      string
			got, want float64
		}{
			{"precision", s.Precision, prec},
			{"recall", s.Recall, rec},
			{"F1", s.F1, f1},
			{"accuracy", s.Accuracy, classRatio(s.TP+s.TN, n)},
		} {
			if !(math.Abs(r.got-r.want) <= classTol) {
				bad("class %d: %s = %v, want %v from the counts", c, r.name, r.got, r.want)
			}
		}
	}
	if sumTP != trace {
		bad("ΣTP = %d, want the confusion trace %d", sumTP, trace)
	}
	if labels != nil || pred != nil {
		errs = append(errs, checkTally(conf, rowSum, sumTP, labels, pred)...)
	}
	return errors.Join(errs...)
}

// checkTally checks the matrix, its row sums and ΣTP against per-image labels
// and predictions.
func checkTally(conf [][]int, rowSum []int, sumTP int, labels, pred []uint8) []error {
	k := len(conf)
	if len(labels) != len(pred) {
		return []error{fmt.Errorf("views: %d labels but %d predictions", len(labels), len(pred))}
	}
	var errs []error
	tally := make([][]int, k)
	for i := range tally {
		tally[i] = make([]int, k)
	}
	counts := make([]int, k)
	correct := 0
	for i, t := range labels {
		p := pred[i]
		if int(t) >= k || int(p) >= k {
			errs = append(errs, fmt.Errorf("views: image %d: label %d, prediction %d, want < %d classes", i, t, p, k))
			continue
		}
		tally[t][p]++
		counts[t]++
		if t == p {
			correct++
		}
	}
	if sumTP != correct {
		errs = append(errs, fmt.Errorf("views: ΣTP = %d, want %d correct predictions", sumTP, correct))
	}
	for c := range k {
		if rowSum[c] != counts[c] {
			errs = append(errs, fmt.Errorf("views: class %d: row sum = %d, want %d images of the class", c, rowSum[c], counts[c]))
		}
		for j := range k {
			if conf[c][j] != tally[c][j] {
				errs = append(errs, fmt.Errorf("views: confusion[%d][%d] = %d, want %d from the predictions", c, j, conf[c][j], tally[c][j]))
			}
		}
	}
	return errs
}

// CheckMacro checks that macro holds the unweighted means of the classes'
// precision, recall, F1 and accuracy.
func CheckMacro(stats []nn.ClassStats, macro nn.ClassStats) error {
	if len(stats) == 0 {
		return nil
	}
	var want nn.ClassStats
	k := float64(len(stats))
	for _, s := range stats {
		want.Precision += s.Precision / k
		want.Recall += s.Recall / k
		want.F1 += s.F1 / k
		want.Accuracy += s.Accuracy / k
	}
	var errs []error
	for _, r := range []struct {
		name      string
		got, want float64
	}{
		{"precision", macro.Precision, want.Precision},
		{"recall", macro.Recall, want.Recall},
		{"F1", macro.F1, want.F1},
		{"accuracy", macro.Accuracy, want.Accuracy},
	} {
		if !(math.Abs(r.got-r.want) <= classTol) {
			errs = append(errs, fmt.Errorf("views: macro %s = %v, want the mean %v", r.name, r.got, r.want))
		}
	}
	return errors.Join(errs...)
}

// classRatio is a/b, or 0 when b is 0.
func classRatio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
