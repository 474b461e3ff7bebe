// Package report renders a run's tables and curves (the per-class table,
// the confusion matrix, the epoch table and run curves) to text, Markdown,
// CSV and JSON, for every command (eval, sweep, compare, report) and for
// the UI's export. The output depends only on the figures passed in.
package report

import (
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"convscope/mnist"
	"convscope/nn"
	"convscope/views"
)

// Data is the content of an exported evaluation report.
type Data struct {
	Title string   // first heading; "convscope report" when empty
	Notes []string // lines listed under the title, e.g. "run: runs/2025-01-02T0304", "model: lenet"

	Epoch     int     // the epoch evaluated; 0 leaves it out
	Loss, Acc float64 // mean test loss and accuracy (0..1) of the evaluation

	Epochs    []nn.EpochStats
	Classes   []string // class names; nil for numbers
	Stats     []nn.ClassStats
	Macro     nn.ClassStats
	Confusion [][]int // Confusion[true][pred]
}

// Markdown renders the report as Markdown: the title and notes, a
// summary line, then the per-epoch table, the per-class table (with a macro
// row) and the confusion matrix (with row and column totals) as tables. The
// output depends only on r.
func Markdown(r Data) string {
	var b strings.Builder
	title := r.Title
	if title == "" {
		title = "convscope report"
	}
	fmt.Fprintf(&b, "# %s\n\n", mdEscape(title))
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "- %s\n", mdEscape(n))
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
		of, n, k, views.Float(r.Loss, 4), views.Pct(r.Acc), correct)

	b.WriteString("\n## Epochs\n\n")
	if len(r.Epochs) == 0 {
		b.WriteString("No finished epochs.\n")
	} else {
		b.WriteString(mdTable(EpochTable(r.Epochs, MD)))
	}

	b.WriteString("\n## Per-class figures\n\n")
	b.WriteString("One class against the rest; the macro row is the unweighted mean over classes.\n\n")
	b.WriteString(mdTable(ClassTable(r.Stats, r.Macro, r.Classes, MD)))

	b.WriteString("\n## Confusion matrix\n\n")
	b.WriteString("Rows are true classes, columns predicted classes.\n\n")
	b.WriteString(mdTable(ConfusionTable(r.Confusion, r.Classes, true)))
	return b.String()
}

// EpochsCSV is the per-epoch table as CSV, with a header row
// (epoch,train_loss,train_acc,test_loss,test_acc,seconds); numbers are
// written in full precision, accuracies as fractions.
func EpochsCSV(rows []nn.EpochStats) string {
	return csvText(EpochTable(rows, CSV))
}

// ClassesCSV is the per-class table as CSV, with a header row
// (class,tp,fp,fn,tn,precision,recall,f1,accuracy) and a last row "macro"
// whose counts are empty.
func ClassesCSV(stats []nn.ClassStats, macro nn.ClassStats, classes []string) string {
	return csvText(ClassTable(stats, macro, classes, CSV))
}

// ConfusionCSV is the confusion matrix as CSV: a header row "true\pred"
// followed by the predicted class names, then one row per true class. It has
// no totals, so it loads as a plain matrix.
func ConfusionCSV(conf [][]int, classes []string) string {
	return csvText(ConfusionTable(conf, classes, false))
}

// Format says what a table is for: reading (text and Markdown: rounded,
// aligned) or a program (CSV and JSON: full precision, snake_case headers).
type Format int

// The formats.
const (
	MD  Format = iota // Markdown and terminal text
	CSV               // CSV
)

// Table is a header, column alignments ('l' or 'r') and rows of cells.
type Table struct {
	Head  []string
	Align []byte
	Rows  [][]string
}

// Text renders t as aligned plain columns, two spaces apart, for a
// terminal; widths count cells, so wide (CJK) names line up. Control
// characters never reach the output.
func (t Table) Text() string {
	cells := append([][]string{t.Head}, t.Rows...)
	widths := make([]int, len(t.Head))
	for _, r := range cells {
		for j := range t.Head {
			if j < len(r) {
				widths[j] = max(widths[j], views.Width(clean(r[j])))
			}
		}
	}
	var b strings.Builder
	for _, r := range cells {
		var line strings.Builder
		for j := range t.Head {
			c := ""
			if j < len(r) {
				c = clean(r[j])
			}
			if j > 0 {
				line.WriteString("  ")
			}
			if t.Align[j] == 'r' {
				line.WriteString(views.PadStart(c, widths[j]))
			} else {
				line.WriteString(views.PadEnd(c, widths[j]))
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
	return b.String()
}

// Markdown renders t as a Markdown table with its columns padded to line up.
func (t Table) Markdown() string { return mdTable(t) }

// CSV renders t as CSV (RFC 4180, "\n" line ends).
func (t Table) CSV() string { return csvText(t) }

// clean drops escape sequences and control characters: they must not
// reach a terminal.
func clean(s string) string { return mnist.CleanName(s) }

func EpochTable(rows []nn.EpochStats, f Format) Table {
	t := Table{
		Head:  []string{"epoch", "train loss", "train acc", "test loss", "test acc", "seconds"},
		Align: []byte("rrrrrr"),
	}
	if f == CSV {
		t.Head = []string{"epoch", "train_loss", "train_acc", "test_loss", "test_acc", "seconds"}
	}
	for _, e := range rows {
		if f == CSV {
			t.Rows = append(t.Rows, []string{strconv.Itoa(e.Epoch), views.Float(e.TrainLoss, -1), views.Float(e.TrainAcc, -1),
				views.Float(e.TestLoss, -1), views.Float(e.TestAcc, -1), views.Float(e.Seconds, -1)})
			continue
		}
		t.Rows = append(t.Rows, []string{strconv.Itoa(e.Epoch), views.Float(e.TrainLoss, 4), views.Pct(e.TrainAcc),
			views.Float(e.TestLoss, 4), views.Pct(e.TestAcc), views.Float(e.Seconds, 1)})
	}
	return t
}

func ClassTable(stats []nn.ClassStats, macro nn.ClassStats, classes []string, f Format) Table {
	t := Table{
		Head:  []string{"class", "TP", "FP", "FN", "TN", "precision", "recall", "F1", "accuracy"},
		Align: []byte("lrrrrrrrr"),
	}
	prec := 4
	if f == CSV {
		t.Head = []string{"class", "tp", "fp", "fn", "tn", "precision", "recall", "f1", "accuracy"}
		prec = -1
	}
	ratios := func(s nn.ClassStats) []string {
		return []string{views.Float(s.Precision, prec), views.Float(s.Recall, prec), views.Float(s.F1, prec), views.Float(s.Accuracy, prec)}
	}
	for i, s := range stats {
		row := []string{views.ClassName(classes, i), strconv.Itoa(s.TP), strconv.Itoa(s.FP), strconv.Itoa(s.FN), strconv.Itoa(s.TN)}
		t.Rows = append(t.Rows, append(row, ratios(s)...))
	}
	t.Rows = append(t.Rows, append([]string{"macro", "", "", "", ""}, ratios(macro)...))
	return t
}

func ConfusionTable(conf [][]int, classes []string, totals bool) Table {
	k := len(conf)
	t := Table{Head: []string{"true\\pred"}, Align: []byte{'l'}}
	t.Head = append(t.Head, views.ClassNames(classes, k)...)
	t.Align = append(t.Align, strings.Repeat("r", k)...)
	if totals {
		t.Head = append(t.Head, "total")
		t.Align = append(t.Align, 'r')
	}
	colSum := make([]int, k)
	n := 0
	for i, r := range conf {
		row := []string{views.ClassName(classes, i)}
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
		t.Rows = append(t.Rows, row)
	}
	if totals {
		row := []string{"total"}
		for _, v := range colSum {
			row = append(row, strconv.Itoa(v))
		}
		t.Rows = append(t.Rows, append(row, strconv.Itoa(n)))
	}
	return t
}

// MDTable renders t as a Markdown table with its columns padded to line up.
func mdTable(t Table) string {
	cells := append([][]string{t.Head}, t.Rows...)
	widths := make([]int, len(t.Head))
	for _, r := range cells {
		for j, c := range r {
			widths[j] = max(widths[j], ansi.StringWidth(mdEscape(c)), 3)
		}
	}
	var b strings.Builder
	line := func(r []string) {
		b.WriteByte('|')
		for j := range t.Head {
			c := ""
			if j < len(r) {
				c = mdEscape(r[j])
			}
			pad := strings.Repeat(" ", widths[j]-ansi.StringWidth(c))
			if t.Align[j] == 'r' {
				c = pad + c
			} else {
				c += pad
			}
			b.WriteString(" " + c + " |")
		}
		b.WriteByte('\n')
	}
	line(t.Head)
	b.WriteByte('|')
	for j, w := range widths {
		if t.Align[j] == 'r' {
			b.WriteString(" " + strings.Repeat("-", w-1) + ": |")
		} else {
			b.WriteString(" " + strings.Repeat("-", w) + " |")
		}
	}
	b.WriteByte('\n')
	for _, r := range t.Rows {
		line(r)
	}
	return b.String()
}

// reportEscape makes s safe in a Markdown table cell or list item: pipes and
// backslashes are escaped and line breaks become spaces.
func mdEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "|", `\|`, "\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

// CSVText renders t as CSV (RFC 4180, "\n" line ends).
func csvText(t Table) string {
	var b strings.Builder
	if err := csv.NewWriter(&b).WriteAll(append([][]string{t.Head}, t.Rows...)); err != nil {
		panic("report: csv into a strings.Builder: " + err.Error()) // a Builder never fails
	}
	return b.String()
}

// reportFloat formats v with prec decimals (-1: as few as represent it
