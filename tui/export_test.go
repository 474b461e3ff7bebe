package tui

import (
	"convscope/internal/atomicfile"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"convscope/internal/report"
	"convscope/nn"

	"github.com/charmbracelet/x/ansi"
)

// dirFiles lists the names in dir.
func dirFiles(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestExport presses e on each evaluation tab: the report of the latest
// evaluation is written to the run folder by a command, checked, whole,
// and with no temporary file left.
func TestExport(t *testing.T) {
	for _, tb := range []string{"2", "3", "4"} {
		t.Run(tb, func(t *testing.T) {
			dir := t.TempDir()
			m := evalModel(t, 120, 40, dir)
			send(m, historyMsg{{Epoch: 1, TrainLoss: 0.5, TrainAcc: 0.8, TestLoss: 0.4, TestAcc: 0.85, Seconds: 30}})
			send(m, testEpoch(2, shiftedEval(40, 2)))
			ev := testEval(40)
			send(m, testEpoch(3, ev))
			send(m, press(tb))

			cmd := send(m, press("e"))
			if cmd == nil {
				t.Fatal("e gave no command: the writing belongs in one")
			}
			if names := dirFiles(t, dir); len(names) != 0 {
				t.Fatalf("files written before the command ran: %v", names)
			}
			if out := ansi.Strip(content(m)); !strings.Contains(out, "exporting…") {
				t.Errorf("while the export runs the tab should say so:\n%s", out)
			}
			msgs := expand(cmd)
			if len(msgs) != 1 {
				t.Fatalf("the export command gave %v, want one exportedMsg", msgs)
			}
			got, ok := msgs[0].(exportedMsg)
			if !ok || got.err != nil || got.dir != dir || got.epoch != 3 {
				t.Fatalf("the export command gave %#v, want success in %s for epoch 3", msgs[0], dir)
			}
			send(m, got)
			if names := dirFiles(t, dir); !slices.Equal(names, []string{report.CalibrationCSVFile, report.ClassesCSVFile, report.ConfusionCSVFile, report.EpochsCSVFile, report.ReportFile}) {
				t.Errorf("the run folder holds %v, want exactly the report's files (no temporary ones)", names)
			}
			if out := ansi.Strip(content(m)); !strings.Contains(out, "epoch 3: wrote report.md and 4 CSVs to "+dir) {
				t.Errorf("after the export the tab should say where it went:\n%s", out)
			}

			classes := []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
			stats := ev.Classes
			train := func(e int) (loss, acc float64) { // as testEpoch makes them
				f := float64(e)
				return 0.21 / f, 1 - 0.06/f
			}
			epochs := []nn.EpochStats{{Epoch: 1, TrainLoss: 0.5, TrainAcc: 0.8, TestLoss: 0.4, TestAcc: 0.85, Seconds: 30}}
			for e, ev := range map[int]*nn.Eval{2: shiftedEval(40, 2), 3: ev} {
				r := nn.EpochStats{Epoch: e, TestLoss: ev.Loss, TestAcc: ev.Acc, Seconds: 31.5}
				r.TrainLoss, r.TrainAcc = train(e)
				epochs = append(epochs, r)
			}
			slices.SortFunc(epochs, func(a, b nn.EpochStats) int { return a.Epoch - b.Epoch })
			want := map[string]string{
				report.ConfusionCSVFile: report.ConfusionCSV(ev.Confusion, classes),
				report.ClassesCSVFile:   report.ClassesCSV(stats, ev.Macro, classes),
				report.EpochsCSVFile:    report.EpochsCSV(epochs),
				report.ReportFile: report.Markdown(report.Data{
					Title: "convscope report",
					Notes: []string{"run folder: " + dir, "training: adam, lr 0.001, constant schedule, batch 64, 10 epochs, seed 1"},
					Epoch: 3, Loss: ev.Loss, Acc: ev.Acc, Epochs: epochs, Classes: classes,
					Stats: stats, Macro: ev.Macro, Confusion: ev.Confusion,
				}),
			}
			for name, w := range want {
				g := readFile(t, filepath.Join(dir, name))
				if name == report.ReportFile {
					// The evaluation's calibration follows the tables (no
					// dynamics were recorded here).
					g, _, _ = strings.Cut(g, "\n## Calibration of the test set")
				}
				if g != w {
					t.Errorf("%s =\n%s\nwant\n%s", name, g, w)
				}
			}
			md := readFile(t, filepath.Join(dir, report.ReportFile))
			for _, s := range []string{"Evaluation after epoch 3: 40 images, 10 classes", "(31 correct)", "| 3     |   1 |   3 |   3 |  33 |    0.2500 |"} {
				if !strings.Contains(md, s) {
					t.Errorf("report.md lacks %q:\n%s", s, md)
				}
			}

			// A second export replaces the files.
			send(m, testEpoch(4, shiftedEval(40, 1)))
			drive(m, press("e"))
			// This evaluation has per-image probabilities: its calibration is written too.
			if names := dirFiles(t, dir); !slices.Contains(names, report.CalibrationCSVFile) || len(names) != 5 {
				t.Errorf("after a second export the run folder holds %v, want the four files and calibration.csv", names)
			}
			if g := readFile(t, filepath.Join(dir, report.ConfusionCSVFile)); g != report.ConfusionCSV(shiftedEval(40, 1).Confusion, classes) {
				t.Errorf("the second export did not replace confusion.csv:\n%s", g)
			}
		})
	}
}

// TestExportRefuses: no evaluation, no run folder, or figures that do not
// add up: nothing is written and the tab says why.
func TestExportRefuses(t *testing.T) {
	bad := testEval(40)
	bad.Classes[3].TP++ // disagrees with the matrix
	badMacro := testEval(40)
	badMacro.Macro.F1 += 0.1
	badTally := testEval(40)
	badTally.Pred[0] = 1 // the matrix no longer tallies the predictions
	cases := []struct {
		name string
		dir  bool
		ev   *nn.Eval
		says string
	}{
		{"before any evaluation", true, nil, "nothing to export yet"},
		{"no run folder", false, testEval(40), "no run folder to export to"},
		{"no matrix", true, &nn.Eval{N: 40}, "nothing to export yet"},
		{"class figures disagree", true, bad, "export failed: the evaluation's figures disagree, nothing written: views: class 3: TP = 2, want confusion[3][3] = 1"},
		{"macro disagrees", true, badMacro, "export failed: the evaluation's figures disagree, nothing written: views: macro F1"},
		{"matrix disagrees with the predictions", true, badTally, "export failed: the evaluation's figures disagree, nothing written: views: ΣTP = 31, want 30 correct"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := ""
			if c.dir {
				dir = t.TempDir()
			}
			m := evalModel(t, 300, 40, dir)
			if c.ev != nil {
				send(m, testEpoch(1, c.ev))
			}
			send(m, press("4"))
			drive(m, press("e"))
			if out := ansi.Strip(content(m)); !strings.Contains(out, c.says) {
				t.Errorf("the tab should say %q:\n%s", c.says, out)
			}
			if dir != "" {
				if names := dirFiles(t, dir); len(names) != 0 {
					t.Errorf("files written: %v", names)
				}
			}
			send(m, press("right")) // the note goes with the next key
			if out := ansi.Strip(content(m)); strings.Contains(out, c.says) {
				t.Errorf("the note stayed after a key:\n%s", out)
			}
		})
	}
}

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.csv")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.Write(path, []byte("new")); err != nil {
		t.Fatalf("writeAtomic: %v", err)
	}
	if got := readFile(t, path); got != "new" {
		t.Errorf("after writeAtomic the file holds %q, want %q", got, "new")
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("the file's mode is %v (%v), want 0644", fi.Mode().Perm(), err)
	}

	// Renaming over a folder fails: the error says so and no temporary file stays.
	sub := filepath.Join(dir, "busy")
	if err := os.MkdirAll(filepath.Join(sub, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.Write(sub, []byte("data")); err == nil || !strings.Contains(err.Error(), "write "+sub) {
		t.Errorf("writeAtomic over a folder: err = %v, want one naming %s", err, sub)
	}
	if names := dirFiles(t, dir); !slices.Equal(names, []string{"a.csv", "busy"}) {
		t.Errorf("after a failed write the folder holds %v, want no temporary file", names)
	}

	if err := atomicfile.Write(filepath.Join(dir, "missing", "a.csv"), []byte("x")); err == nil {
		t.Error("writeAtomic into a missing folder succeeded")
	}
}
