package report

import (
	"encoding/csv"
	"strconv"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"

	"convscope/nn"
)

func testReport() Data {
	conf := testConf10()
	stats, macro := statsOf(conf)
	return Data{
		Title:     "convscope report",
		Notes:     []string{"run: runs/test", "model: conv(8)-pool-dense(10) | seed 1"},
		Epoch:     3,
		Loss:      0.041234,
		Acc:       0.9912,
		Classes:   nil,
		Stats:     stats,
		Macro:     macro,
		Confusion: conf,
		Epochs: []nn.EpochStats{
			{Epoch: 1, TrainLoss: 0.3012, TrainAcc: 0.9105, TestLoss: 0.1021, TestAcc: 0.9688, Seconds: 41.25},
			{Epoch: 2, TrainLoss: 0.0851, TrainAcc: 0.9741, TestLoss: 0.0612, TestAcc: 0.9801, Seconds: 40.5},
			{Epoch: 3, TrainLoss: 0.0577, TrainAcc: 0.9822, TestLoss: 0.041234, TestAcc: 0.9912, Seconds: 40.75},
		},
	}
}

func TestMarkdown(t *testing.T) {
	t.Run("mnist", func(t *testing.T) {
		r := testReport()
		out := Markdown(r)
		if again := Markdown(r); again != out {
			t.Error("ReportMarkdown is not deterministic")
		}
		golden.RequireEqual(t, out)
	})
	t.Run("names_no_epochs", func(t *testing.T) {
		conf := testConf3()
		stats, macro := statsOf(conf)
		names := append([]string(nil), testNames3...)
		names[2] = "Pull|over"
		golden.RequireEqual(t, Markdown(Data{Loss: 0.5, Acc: 90.0 / 103, Classes: names, Stats: stats, Macro: macro, Confusion: conf}))
	})
}

// mdSection returns the rows of the first Markdown table after heading,
// split into trimmed cells, header first, without the alignment row.
func mdSection(t *testing.T, md, heading string) [][]string {
	t.Helper()
	_, rest, ok := strings.Cut(md, heading+"\n")
	if !ok {
		t.Fatalf("no %q in the report", heading)
	}
	var rows [][]string
	for _, l := range strings.Split(rest, "\n") {
		if !strings.HasPrefix(l, "|") {
			if len(rows) > 0 {
				break
			}
			continue
		}
		if strings.HasPrefix(l, "| -") || strings.HasPrefix(l, "| :") || strings.Contains(l, "--:") {
			continue
		}
		var cells []string
		for _, c := range strings.Split(strings.Trim(l, "|"), " | ") {
			cells = append(cells, strings.TrimSpace(c))
		}
		rows = append(rows, cells)
	}
	return rows
}

// TestReportTotals reads the Markdown tables back and checks them against
// the data and each other.
func TestReportTotals(t *testing.T) {
	r := testReport()
	md := Markdown(r)
	atoi := func(s string) int {
		v, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("bad count %q", s)
		}
		return v
	}
	m := mdSection(t, md, "## Confusion matrix")
	k := len(r.Confusion)
	if len(m) != k+2 || len(m[0]) != k+2 {
		t.Fatalf("confusion table is %dx%d, want %dx%d", len(m), len(m[0]), k+2, k+2)
	}
	colSum := make([]int, k+1)
	for i := range k {
		row, sum := m[1+i], 0
		for j := range k {
			v := atoi(row[1+j])
			if v != r.Confusion[i][j] {
				t.Errorf("cell (%d,%d) = %d, want %d", i, j, v, r.Confusion[i][j])
			}
			sum += v
			colSum[j] += v
		}
		if got := atoi(row[k+1]); got != sum {
			t.Errorf("row %d total = %d, want %d", i, got, sum)
		}
		colSum[k] += sum
	}
	for j, want := range colSum {
		if got := atoi(m[k+1][1+j]); got != want {
			t.Errorf("column %d total = %d, want %d", j, got, want)
		}
	}
	if colSum[k] != 10000 {
		t.Errorf("grand total = %d, want 10000", colSum[k])
	}
	c := mdSection(t, md, "## Per-class figures")
	if len(c) != k+2 || c[k+1][0] != "macro" {
		t.Fatalf("per-class table has %d rows, want %d ending in macro", len(c), k+2)
	}
	for i := range k {
		tp, fp, fn, tn := atoi(c[1+i][1]), atoi(c[1+i][2]), atoi(c[1+i][3]), atoi(c[1+i][4])
		if tp != atoi(m[1+i][1+i]) {
			t.Errorf("class %d: TP %d is not the diagonal %s", i, tp, m[1+i][1+i])
		}
		if tp+fn != atoi(m[1+i][k+1]) || tp+fp != atoi(m[k+1][1+i]) || tp+fp+fn+tn != colSum[k] {
			t.Errorf("class %d: TP %d FP %d FN %d TN %d disagree with the matrix totals", i, tp, fp, fn, tn)
		}
	}
	e := mdSection(t, md, "## Epochs")
	if len(e) != 4 || e[3][0] != "3" || e[3][4] != "99.12%" {
		t.Errorf("epoch table = %v, want 3 epochs ending at 99.12%% test accuracy", e)
	}
	if !strings.Contains(md, "10000 images, 10 classes, loss 0.0412, accuracy 99.12% (9912 correct)") {
		t.Errorf("summary line missing or wrong:\n%s", md)
	}
}

func TestReportCSV(t *testing.T) {
	r := testReport()
	cases := []struct {
		name string
		out  string
		rows int
	}{
		{"epochs", EpochsCSV(r.Epochs), 1 + len(r.Epochs)},
		{"classes", ClassesCSV(r.Stats, r.Macro, fashionNames), 1 + len(r.Stats) + 1},
		{"confusion", ConfusionCSV(r.Confusion, fashionNames), 1 + len(r.Confusion)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			recs, err := csv.NewReader(strings.NewReader(c.out)).ReadAll()
			if err != nil {
				t.Fatalf("CSV does not parse: %v", err)
			}
			if len(recs) != c.rows {
				t.Errorf("%d records, want %d", len(recs), c.rows)
			}
			golden.RequireEqual(t, c.out)
		})
	}
	// Numbers round-trip exactly.
	recs, err := csv.NewReader(strings.NewReader(ClassesCSV(r.Stats, r.Macro, nil))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range r.Stats {
		f1, err := strconv.ParseFloat(recs[1+i][7], 64)
		if err != nil || f1 != s.F1 {
			t.Errorf("class %d: F1 in CSV %q, want %v", i, recs[1+i][7], s.F1)
		}
	}
	recs, err = csv.NewReader(strings.NewReader(ConfusionCSV(r.Confusion, nil))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range r.Confusion {
		for j, v := range row {
			if recs[1+i][1+j] != strconv.Itoa(v) {
				t.Errorf("confusion CSV (%d,%d) = %q, want %d", i, j, recs[1+i][1+j], v)
			}
		}
	}
}
