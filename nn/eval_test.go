package nn

import "testing"

func TestClassFigures(t *testing.T) {
	conf := [][]int{
		{5, 1, 0},
		{2, 3, 1},
		{0, 0, 4},
	}
	cs, macro := ClassFigures(conf)
	want := []ClassStats{
		{TP: 5, FP: 2, FN: 1, TN: 8},
		{TP: 3, FP: 1, FN: 3, TN: 9},
		{TP: 4, FP: 1, FN: 0, TN: 11},
	}
	for i, w := range want {
		g := cs[i]
		if g.TP != w.TP || g.FP != w.FP || g.FN != w.FN || g.TN != w.TN {
			t.Errorf("class %d = %+v, want TP/FP/FN/TN %d/%d/%d/%d", i, g, w.TP, w.FP, w.FN, w.TN)
		}
		if g.TP+g.FP+g.FN+g.TN != 16 {
			t.Errorf("class %d counts sum to %d, want 16", i, g.TP+g.FP+g.FN+g.TN)
		}
	}
	if p := cs[0].Precision; p != 5.0/7 {
		t.Errorf("precision[0] = %v, want 5/7", p)
	}
	if r := cs[1].Recall; r != 0.5 {
		t.Errorf("recall[1] = %v, want 0.5", r)
	}
	f1 := 2 * (0.8 * 1.0) / 1.8
	if d := cs[2].F1 - f1; d > 1e-12 || d < -1e-12 {
		t.Errorf("F1[2] = %v, want %v", cs[2].F1, f1)
	}
	wantMacroRecall := (5.0/6 + 0.5 + 1) / 3
	if d := macro.Recall - wantMacroRecall; d > 1e-12 || d < -1e-12 {
		t.Errorf("macro recall = %v, want %v", macro.Recall, wantMacroRecall)
	}
}
