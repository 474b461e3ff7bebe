package views

import (
	"encoding/csv"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// ReportEpoch is one row of the report's per-epoch table.
type ReportEpoch struct {
	Epoch               int
	TrainLoss, TrainAcc float64 // accuracies are fractions, 0..1
	TestLoss, TestAcc   float64
	Seconds             float64 // training time of the epoch
}

// ReportData is the content of an exported evaluation report.
type ReportData struct {
	Title string   // first heading; "convscope report" when empty
	Notes []string // lines listed under the title, e.g. "run: runs/2025-01-02T0304", "model: lenet"

	Epoch     int     // the epoch evaluated; 0 leaves it out
	Loss, Acc float64 // mean test loss and accuracy (0..1) of the evaluation

	Epochs    []ReportEpoch
	Classes   []string // class names; nil for numbers
	Stats     []ClassStats
	Macro     ClassStats
	Confusion [][]int // Confusion[true][pred]
}

// ReportMarkdown renders the report as Markdown: the title and notes, a
// summary line, then the per-epoch table, the per-class table (with a macro
// row) and the confusion matrix (with row and column totals) as tables. The
// output depends only on r.
func ReportMarkdown(r ReportData) string {
	var b strings.Builder
	title := r.Title
	if title == "" {
		title = "convscope report"
	}
	fmt.Fprintf(&b, "# %s\n\n", reportEscape(title))
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "- %s\n", reportEscape(n))
	}
	if len(r.Notes) > 0 {
		b.WriteByte('\n')
	}
	k := len(r.Confusion)
	n, correct := 0, 0
	for i, row := range r.Confusion {
		for j, v := range row {
			n += v
			if i == j {
				correct += v
			}
		}
	}
	of := "Evaluation"
	if r.Epoch > 0 {
		of = fmt.Sprintf("Evaluation after epoch %d", r.Epoch)
	}
	fmt.Fprintf(&b, "%s: %d images, %d classes, loss %s, accuracy %s (%d correct).\n",
		of, n, k, reportFloat(r.Loss, 4), reportPct(r.Acc), correct)

	b.WriteString("\n## Epochs\n\n")
	if len(r.Epochs) == 0 {
		b.WriteString("No finished epochs.\n")
	} else {
		b.WriteString(reportMDTable(reportEpochTable(r.Epochs, reportMD)))
	}

	b.WriteString("\n## Per-class figures\n\n")
	b.WriteString("One class against the rest; the macro row is the unweighted mean over classes.\n\n")
	b.WriteString(reportMDTable(reportClassTable(r.Stats, r.Macro, r.Classes, reportMD)))

	b.WriteString("\n## Confusion matrix\n\n")
	b.WriteString("Rows are true classes, columns predicted classes.\n\n")
	b.WriteString(reportMDTable(reportConfTable(r.Confusion, r.Classes, true)))
	return b.String()
}

// EpochsCSV is the per-epoch table as CSV, with a header row
// (epoch,train_loss,train_acc,test_loss,test_acc,seconds); numbers are
// written in full precision, accuracies as fractions.
func EpochsCSV(rows []ReportEpoch) string {
	return reportCSVText(reportEpochTable(rows, reportCSV))
}

// ClassesCSV is the per-class table as CSV, with a header row
// (class,tp,fp,fn,tn,precision,recall,f1,accuracy) and a last row "macro"
// whose counts are empty.
func ClassesCSV(stats []ClassStats, macro ClassStats, classes []string) string {
	return reportCSVText(reportClassTable(stats, macro, classes, reportCSV))
}

// ConfusionCSV is the confusion matrix as CSV: a header row "true\pred"
// followed by the predicted class names, then one row per true class. It has
// no totals, so it loads as a plain matrix.
func ConfusionCSV(conf [][]int, classes []string) string {
	return reportCSVText(reportConfTable(conf, classes, false))
}

// reportFormat says whether a table is for Markdown (rounded, aligned) or CSV
// (full precision, snake_case headers).
type reportFormat int

const (
	reportMD reportFormat = iota
	reportCSV
)

// reportTable is a header, column alignments ('l' or 'r') and rows of cells.
type reportTable struct {
	head  []string
	align []byte
	rows  [][]string
}

func reportEpochTable(rows []ReportEpoch, f reportFormat) reportTable {
	t := reportTable{
		head:  []string{"epoch", "train loss", "train acc", "test loss", "test acc", "seconds"},
		align: []byte("rrrrrr"),
	}
	if f == reportCSV {
		t.head = []string{"epoch", "train_loss", "train_acc", "test_loss", "test_acc", "seconds"}
	}
	for _, e := range rows {
		if f == reportCSV {
			t.rows = append(t.rows, []string{strconv.Itoa(e.Epoch), reportFloat(e.TrainLoss, -1), reportFloat(e.TrainAcc, -1),
				reportFloat(e.TestLoss, -1), reportFloat(e.TestAcc, -1), reportFloat(e.Seconds, -1)})
			continue
		}
		t.rows = append(t.rows, []string{strconv.Itoa(e.Epoch), reportFloat(e.TrainLoss, 4), reportPct(e.TrainAcc),
			reportFloat(e.TestLoss, 4), reportPct(e.TestAcc), reportFloat(e.Seconds, 1)})
	}
	return t
}

func reportClassTable(stats []ClassStats, macro ClassStats, classes []string, f reportFormat) reportTable {
	t := reportTable{
		head:  []string{"class", "TP", "FP", "FN", "TN", "precision", "recall", "F1", "accuracy"},
		align: []byte("lrrrrrrrr"),
	}
	prec := 4
	if f == reportCSV {
		t.head = []string{"class", "tp", "fp", "fn", "tn", "precision", "recall", "f1", "accuracy"}
		prec = -1
	}
	ratios := func(s ClassStats) []string {
		return []string{reportFloat(s.Precision, prec), reportFloat(s.Recall, prec), reportFloat(s.F1, prec), reportFloat(s.Accuracy, prec)}
	}
	for i, s := range stats {
		row := []string{classLabel(classes, i), strconv.Itoa(s.TP), strconv.Itoa(s.FP), strconv.Itoa(s.FN), strconv.Itoa(s.TN)}
		t.rows = append(t.rows, append(row, ratios(s)...))
	}
	t.rows = append(t.rows, append([]string{"macro", "", "", "", ""}, ratios(macro)...))
	return t
}

func reportConfTable(conf [][]int, classes []string, totals bool) reportTable {
	k := len(conf)
	t := reportTable{head: []string{"true\\pred"}, align: []byte{'l'}}
	t.head = append(t.head, classLabels(classes, k)...)
	t.align = append(t.align, strings.Repeat("r", k)...)
	if totals {
		t.head = append(t.head, "total")
		t.align = append(t.align, 'r')
	}
	colSum := make([]int, k)
	n := 0
	for i, r := range conf {
		row := []string{classLabel(classes, i)}
		sum := 0
		for j := range k {
			v := 0
			if j < len(r) {
				v = r[j]
			}
			row = append(row, strconv.Itoa(v))
			sum += v
			colSum[j] += v
		}
		n += sum
		if totals {
			row = append(row, strconv.Itoa(sum))
		}
		t.rows = append(t.rows, row)
	}
	if totals {
		row := []string{"total"}
		for _, v := range colSum {
			row = append(row, strconv.Itoa(v))
		}
		t.rows = append(t.rows, append(row, strconv.Itoa(n)))
	}
	return t
}

// reportMDTable renders t as a Markdown table with its columns padded to line up.
func reportMDTable(t reportTable) string {
	cells := append([][]string{t.head}, t.rows...)
	widths := make([]int, len(t.head))
	for _, r := range cells {
		for j, c := range r {
			widths[j] = max(widths[j], ansi.StringWidth(reportEscape(c)), 3)
		}
	}
	var b strings.Builder
	line := func(r []string) {
		b.WriteByte('|')
		for j := range t.head {
			c := ""
			if j < len(r) {
				c = reportEscape(r[j])
			}
			pad := strings.Repeat(" ", widths[j]-ansi.StringWidth(c))
			if t.align[j] == 'r' {
				c = pad + c
			} else {
				c += pad
			}
			b.WriteString(" " + c + " |")
		}
		b.WriteByte('\n')
	}
	line(t.head)
	b.WriteByte('|')
	for j, w := range widths {
		if t.align[j] == 'r' {
			b.WriteString(" " + strings.Repeat("-", w-1) + ": |")
		} else {
			b.WriteString(" " + strings.Repeat("-", w) + " |")
		}
	}
	b.WriteByte('\n')
	for _, r := range t.rows {
		line(r)
	}
	return b.String()
}

// reportEscape makes s safe in a Markdown table cell or list item: pipes and
// backslashes are escaped and line breaks become spaces.
func reportEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "|", `\|`, "\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

// reportCSVText renders t as CSV (RFC 4180, "\n" line ends).
func reportCSVText(t reportTable) string {
	var b strings.Builder
	if err := csv.NewWriter(&b).WriteAll(append([][]string{t.head}, t.rows...)); err != nil {
		panic("views: csv into a strings.Builder: " + err.Error()) // a Builder never fails
	}
	return b.String()
}

// reportFloat formats v with prec decimals (-1: as few as represent it
// exactly); NaN and infinities as "NaN", "+Inf", "-Inf".
func reportFloat(v float64, prec int) string {
	return strconv.FormatFloat(v, 'f', prec, 64)
}

// reportPct formats a fraction as a percentage with two decimals.
func reportPct(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return reportFloat(v, -1)
	}
	return strconv.FormatFloat(100*v, 'f', 2, 64) + "%"
}
