package tui

import (
	"convscope/nn"
	"convscope/views"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// TestHistoryShown: a resumed run's earlier epochs appear in the epoch table.
func TestHistoryShown(t *testing.T) {
	m, _ := newTestModel(t, 120, 40)
	send(m, historyMsg{
		{Epoch: 1, TrainLoss: 0.2, TrainAcc: 0.94, TestLoss: 0.1, TestAcc: 0.9712, Seconds: 30},
		{Epoch: 2, TrainLoss: 0.1, TrainAcc: 0.97, TestLoss: 0.05, TestAcc: 0.9856, Seconds: 31},
	})
	if len(m.rs.stats) != 2 {
		t.Fatalf("model has %d epochs after historyMsg, want 2", len(m.rs.stats))
	}
	out := ansi.Strip(content(m))
	for _, want := range []string{"97.12%", "98.56%"} {
		if !strings.Contains(out, want) {
			t.Errorf("screen lacks %q from the history:\n%s", want, out)
		}
	}
}

// TestRunsView: r on the Train tab swaps the live charts for the Runs view
// comparing this run with the --compare runs, and back.
func TestRunsView(t *testing.T) {
	m, _ := newTestModel(t, 120, 40)
	tt := m.tabs[tabTrain].(*trainTab)
	tt.others = []views.RunCurves{{Name: "baseline", Epochs: []nn.EpochStats{{Epoch: 1, TestAcc: 0.9812}, {Epoch: 2, TestAcc: 0.9876}}}}
	send(m, historyMsg{{Epoch: 1, TestAcc: 0.9712}, {Epoch: 2, TestAcc: 0.9856}})
	send(m, press("r"))
	out := ansi.Strip(content(m))
	for _, want := range []string{"this run best 98.56% @2", "baseline best 98.76% @2", "test accuracy (%)"} {
		if !strings.Contains(out, want) {
			t.Errorf("Runs view lacks %q:\n%s", want, out)
		}
	}
	send(m, press("r"))
	if out := ansi.Strip(content(m)); strings.Contains(out, "baseline best") {
		t.Errorf("second r did not go back to the live charts:\n%s", out)
	}
}
