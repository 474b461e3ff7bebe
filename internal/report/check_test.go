package report

import (
	"strings"
	"testing"

	"convscope/nn"
)

// predictionsOf lists (label, prediction) pairs that tally to conf.
func predictionsOf(conf [][]int) (labels, pred []uint8) {
	for i, r := range conf {
		for j, v := range r {
			for range v {
				labels = append(labels, uint8(i))
				pred = append(pred, uint8(j))
			}
		}
	}
	return labels, pred
}

func TestCheckClassStats(t *testing.T) {
	conf := testConf10()
	stats, macro := statsOf(conf)
	labels, pred := predictionsOf(conf)
	edit := func(f func(s []nn.ClassStats)) []nn.ClassStats {
		s := append([]nn.ClassStats(nil), stats...)
		f(s)
		return s
	}
	tests := []struct {
		name          string
		conf          [][]int
		stats         []nn.ClassStats
		labels, pred  []uint8
		wantErr       string // "" for none; else a substring of the error
		wantErrsCount int
	}{
		{name: "consistent", conf: conf, stats: stats},
		{name: "consistent with predictions", conf: conf, stats: stats, labels: labels, pred: pred},
		{name: "class never predicted or seen", conf: [][]int{{5, 0, 0}, {1, 3, 0}, {0, 0, 0}}, stats: func() []nn.ClassStats {
			s, _ := statsOf([][]int{{5, 0, 0}, {1, 3, 0}, {0, 0, 0}})
			return s
		}()},
		{name: "TP off", conf: conf, stats: edit(func(s []nn.ClassStats) { s[3].TP++ }), wantErr: "class 3: TP = "},
		{name: "TN off breaks the sum", conf: conf, stats: edit(func(s []nn.ClassStats) { s[0].TN-- }), wantErr: "class 0: TP+FP+FN+TN = 9999, want N = 10000"},
		{name: "FP and FN swapped", conf: conf, stats: edit(func(s []nn.ClassStats) { s[4].FP, s[4].FN = s[4].FN, s[4].FP }), wantErr: "class 4: FN = "},
		{name: "precision off", conf: conf, stats: edit(func(s []nn.ClassStats) { s[7].Precision += 1e-6 }), wantErr: "class 7: precision"},
		{name: "NaN F1", conf: conf, stats: edit(func(s []nn.ClassStats) { s[1].F1 = 0 * s[1].F1 / 0 }), wantErr: "class 1: F1"},
		{name: "too few classes", conf: conf, stats: stats[:9], wantErr: "9 class figures for a 10x10"},
		{name: "ragged matrix", conf: [][]int{{1, 2}, {3}}, stats: make([]nn.ClassStats, 2), wantErr: "row 1 has 1 entries, want 2"},
		{name: "row sum is not the class count", conf: conf, stats: stats, labels: append([]uint8{2}, labels[1:]...), pred: pred, wantErr: "class 2: row sum = 1032, want 1033 images"},
		{name: "predictions disagree", conf: conf, stats: stats, labels: labels, pred: append([]uint8{1}, pred[1:]...), wantErr: "ΣTP = 9912, want 9911 correct"},
		{name: "predictions length", conf: conf, stats: stats, labels: labels, pred: pred[1:], wantErr: "10000 labels but 9999 predictions"},
	}
	for _, tt := range tests {
		err := CheckClassStats(tt.conf, tt.stats, tt.labels, tt.pred)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%s: CheckClassStats = %v, want nil", tt.name, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s: CheckClassStats = %v, want an error with %q", tt.name, err, tt.wantErr)
		}
	}
	if err := CheckMacro(stats, macro); err != nil {
		t.Errorf("CheckMacro = %v, want nil", err)
	}
	macro.F1 += 0.01
	if err := CheckMacro(stats, macro); err == nil || !strings.Contains(err.Error(), "macro F1") {
		t.Errorf("CheckMacro with F1 off = %v, want a macro F1 error", err)
	}
}
