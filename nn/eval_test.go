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

// TestEvaluateAgrees checks that an evaluation's accuracy, predictions and
// confusion matrix tell the same story, with a batch that does not divide
// the set.
func TestEvaluateAgrees(t *testing.T) {
	_, te := realData(t)
	set := te.Subset(530)
	net, err := NewPaper(28, 28, 10, InitRNG(3))
	if err != nil {
		t.Fatal(err)
	}
	ev := Evaluate(net, set, 64)
	right, diag, total := 0, 0, 0
	for i := range ev.N {
		if ev.Pred[i] == ev.Labels[i] {
			right++
		}
		if p := ev.Probs[i*ev.K : (i+1)*ev.K]; p[ev.Pred[i]] < p[argmax(p)] {
			t.Errorf("image %d: predicted class %d is not the most probable", i, ev.Pred[i])
		}
	}
	for c := range ev.K {
		diag += ev.Confusion[c][c]
		for _, v := range ev.Confusion[c] {
			total += v
		}
	}
	if ev.N != 530 || total != 530 {
		t.Fatalf("N = %d, confusion total %d, want 530", ev.N, total)
	}
	if float64(right)/530 != ev.Acc || diag != right {
		t.Errorf("accuracy %v, predictions right %d, confusion diagonal %d: they disagree", ev.Acc, right, diag)
	}
}
