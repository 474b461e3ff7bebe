package tui

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"convscope/views"
)

// confEpoch is the figures the Confusion tab draws of one evaluation.
type confEpoch struct {
	epoch     int
	loss, acc float64
	conf      [][]int
	stats     []views.ClassStats
	macro     views.ClassStats
}

// newConfEpoch gives the figures of e; the matrix and the per-class figures
// are the evaluation's, never changed.
func newConfEpoch(e epochEval) confEpoch {
	ev := e.ev
	c := confEpoch{epoch: e.epoch, loss: ev.Loss, acc: ev.Acc, macro: views.ClassStats(ev.Macro),
		conf: ev.Confusion, stats: make([]views.ClassStats, len(ev.Classes))}
	for i, s := range ev.Classes {
		c.stats[i] = views.ClassStats(s)
	}
	return c
}

// confusionKeys are the Confusion tab's own keys.
type confusionKeys struct {
	Earlier, Later key.Binding
}

// confusionTab is the confusion matrix with a cell cursor, the per-class
// table beside or below it, and the matrices of earlier epochs.
type confusionTab struct {
	keys keyMap
	own  confusionKeys
	rs   *runState
	w, h int

	pin      int    // the index into epochs() of the matrix shown; -1: the latest, whichever it is
	row, col int    // the cell cursor: true class, predicted class
	hint     string // why enter did nothing, until the next key
}

func newConfusionTab(keys keyMap, rs *runState) *confusionTab {
	return &confusionTab{keys: keys, rs: rs, pin: -1, own: confusionKeys{
		Earlier: key.NewBinding(key.WithKeys("["), key.WithHelp("[", "the matrix of the epoch before")),
		Later:   key.NewBinding(key.WithKeys("]"), key.WithHelp("]", "the matrix of the epoch after")),
	}}
}

func (t *confusionTab) Title() string    { return "Confusion" }
func (t *confusionTab) SetSize(w, h int) { t.w, t.h = w, h }

// KeyHelp lists the tab's own keys.
func (t *confusionTab) KeyHelp() []key.Binding {
	open := t.keys.Open
	open.SetHelp("enter", "list the cell's images on the Mistakes tab")
	return []key.Binding{helpOnly("←↓↑→", "move the cell cursor (or h j k l)"), open,
		helpOnly("[ ]", "the matrix of the epoch before, after"), exportKey}
}

// epochs are the evaluations with a matrix, in order.
func (t *confusionTab) epochs() []epochEval {
	out := make([]epochEval, 0, len(t.rs.evals))
	for _, e := range t.rs.evals {
		if e.hasMatrix() {
			out = append(out, e)
		}
	}
	return out
}

// shown is the index into epochs (n of them) of the matrix shown.
func (t *confusionTab) shown(n int) int {
	if t.pin < 0 || t.pin >= n {
		return n - 1
	}
	return t.pin
}

func (t *confusionTab) Update(msg tea.Msg) tea.Cmd {
	if msg, ok := msg.(tea.KeyPressMsg); ok {
		return t.key(msg)
	}
	return nil
}

func (t *confusionTab) key(msg tea.KeyPressMsg) tea.Cmd {
	if key.Matches(msg, exportKey) {
		return t.rs.exportReport()
	}
	t.rs.keyPressed()
	t.hint = ""
	eps := t.epochs()
	n := len(eps)
	if n == 0 {
		return nil
	}
	k := len(eps[t.shown(n)].ev.Confusion)
	switch {
	case key.Matches(msg, t.keys.Up):
		t.row = max(0, t.row-1)
	case key.Matches(msg, t.keys.Down):
		t.row = min(k-1, t.row+1)
	case key.Matches(msg, t.keys.Left):
		t.col = max(0, t.col-1)
	case key.Matches(msg, t.keys.Right):
		t.col = min(k-1, t.col+1)
	case key.Matches(msg, t.own.Earlier):
		t.pin = max(0, t.shown(n)-1)
	case key.Matches(msg, t.own.Later):
		t.pin = t.shown(n) + 1
		if t.pin >= n-1 { // the latest: follow new evaluations
			t.pin = -1
		}
	case key.Matches(msg, t.keys.Open):
		if t.shown(n) != n-1 {
			t.hint = fmt.Sprintf("the images are kept for the latest epoch only (%d): ] goes there", eps[n-1].epoch)
			return nil
		}
		if !t.rs.perImage() {
			t.hint = "this evaluation has no per-image results"
			return nil
		}
		return goTo(tabMistakes, showPairMsg{True: t.row, Pred: t.col})
	}
	k = len(eps[t.shown(n)].ev.Confusion)
	t.row, t.col = max(0, min(t.row, k-1)), max(0, min(t.col, k-1))
	return nil
}

// confGap separates the matrix from the table beside it.
const confGap = 3

// confPairsMax is the most confused pairs listed below the matrix.
const confPairsMax = 10

// confTableMin is the least width the per-class table gets beside a
// narrowed matrix: the class, precision, recall and F1. With less room the
// tab shows the cursor's class in a card confCardW wide instead.
const (
	confTableMin = 30
	confCardW    = 17
)

// confNarrow is the width of views.Confusion's narrowest layout that still
// writes every count whole: names cut to 3 cells, one space before each
// cell, and the totals column.
func confNarrow(conf [][]int, classes []string) int {
	nameW, maxCell, total := 0, 0, 0
	for i, r := range conf {
		nameW = max(nameW, min(3, views.Width(views.ClassName(classes, i))))
		for _, v := range r {
			maxCell = max(maxCell, v)
			total += v
		}
	}
	return nameW + len(conf)*(1+len(strconv.Itoa(maxCell))) + 1 + len(strconv.Itoa(total))
}

// classCard lists the figures of the cursor's class and the macro averages,
// one to a line.
func (t *confusionTab) classCard(e confEpoch, st views.Styles) string {
	if t.row >= len(e.stats) {
		return ""
	}
	s := e.stats[t.row]
	line := func(name, v string) string {
		return st.Muted.Render(views.PadEnd(name, 9)+" ") + st.Text.Render(views.PadStart(v, 7))
	}
	ratio := func(v float64) string { return views.Float(v, 4) }
	lines := []string{
		st.Accent.Render("class " + t.rs.className(t.row)),
		line("TP", views.GroupInt(s.TP)), line("FP", views.GroupInt(s.FP)), line("FN", views.GroupInt(s.FN)), line("TN", views.GroupInt(s.TN)),
		line("precision", ratio(s.Precision)), line("recall", ratio(s.Recall)), line("F1", ratio(s.F1)), line("accuracy", ratio(s.Accuracy)),
		st.Title.Render("macro"),
		line("precision", ratio(e.macro.Precision)), line("recall", ratio(e.macro.Recall)), line("F1", ratio(e.macro.F1)), line("accuracy", ratio(e.macro.Accuracy)),
	}
	return strings.Join(lines, "\n")
}

func (t *confusionTab) View(st views.Styles) string {
	if t.w <= 0 || t.h <= 0 {
		return ""
	}
	eps := t.epochs()
	n := len(eps)
	if n == 0 {
		return st.Title.Render("Confusion") + "\n\n" + st.Warn.Render("no evaluation yet") +
			st.Muted.Render(": the matrix comes when epoch 1 ends") + "\n\n" + t.rs.noteLine(st)
	}
	shown := t.shown(n)
	e := newConfEpoch(eps[shown])
	w := t.w

	var status strings.Builder
	status.WriteString(st.Title.Render(fmt.Sprintf("Epoch %d", e.epoch)))
	if n > 1 {
		status.WriteString(st.Muted.Render(fmt.Sprintf(" (%d of %d)", shown+1, n)))
		if shown != n-1 {
			status.WriteString(st.Warn.Render(" an earlier epoch"))
		}
	}
	status.WriteString(st.Muted.Render(" · test accuracy ") + st.Text.Render(views.Pct(e.acc)))
	status.WriteString(st.Muted.Render(" · loss ") + st.Text.Render(views.Float(e.loss, 4)))

	bodyH := max(0, t.h-2)
	matrix := views.Confusion(e.conf, t.rs.classes, t.row, t.col, w, st)
	table := views.ClassTable(e.stats, e.macro, t.rs.classes, t.row, w, st)
	mw, tw := lipgloss.Width(matrix), lipgloss.Width(table)
	mh, th := lipgloss.Height(matrix), lipgloss.Height(table)
	cell := t.cellLine(e, st)
	var body string
	gap := strings.Repeat(" ", confGap)
	switch {
	case mw+confGap+tw <= w: // side by side
		body = lipgloss.JoinHorizontal(lipgloss.Top, matrix, gap, table) + "\n" + cell
	case 1+mh+2+th+1 <= bodyH: // stacked
		body = matrix + "\n" + cell + "\n\n" + table
	case w-confGap-confNarrow(e.conf, t.rs.classes) >= confTableMin:
		// Side by side, the matrix as narrow as it goes with whole counts.
		matrix = views.Confusion(e.conf, t.rs.classes, t.row, t.col, confNarrow(e.conf, t.rs.classes), st)
		table = views.ClassTable(e.stats, e.macro, t.rs.classes, t.row, w-confGap-lipgloss.Width(matrix), st)
		body = lipgloss.JoinHorizontal(lipgloss.Top, matrix, gap, table) + "\n" + cell
	default:
		// Beside the matrix only the figures of the cursor's class.
		matrix = views.Confusion(e.conf, t.rs.classes, t.row, t.col, w-confGap-confCardW, st)
		card := views.TruncateLines(t.classCard(e, st), w-confGap-lipgloss.Width(matrix))
		body = lipgloss.JoinHorizontal(lipgloss.Top, matrix, gap, card) + "\n" + cell
	}
	if room := bodyH - lipgloss.Height(body) - 1; room >= 3 {
		if p := t.pairsBlock(e, min(room, 1+confPairsMax), st); p != "" {
			body += "\n\n" + views.TruncateLines(p, w)
		}
	}
	hint := t.rs.noteLine(st)
	switch {
	case hint != "":
	case t.hint != "":
		hint = st.Warn.Render(t.hint)
	default:
		hint = keyHints([][2]string{{"←↓↑→", "cell"}, {"enter", "list its images"}, {"[ ]", "epochs"}, {"e", "export"}, {"?", "all keys"}}, w, st)
	}
	return views.Truncate(status.String(), w) + "\n" + views.FitBlock(body, w, bodyH) + "\n" + views.Truncate(hint, w)
}

// cellLine describes the cell under the cursor.
func (t *confusionTab) cellLine(e confEpoch, st views.Styles) string {
	if t.row >= len(e.conf) || t.col >= len(e.conf[t.row]) {
		return ""
	}
	v, rowSum := e.conf[t.row][t.col], 0
	for _, x := range e.conf[t.row] {
		rowSum += x
	}
	style := st.Bad
	if t.row == t.col {
		style = st.Good
	}
	s := st.Muted.Render("true ") + st.Text.Render(t.rs.className(t.row)) + st.Muted.Render(" → predicted ") +
		st.Text.Render(t.rs.className(t.col)) + st.Muted.Render(": ") + style.Render(views.GroupInt(v)) +
		st.Muted.Render(" of "+views.Plural(rowSum, "image"))
	if rowSum > 0 {
		s += st.Muted.Render(fmt.Sprintf(" (%.1f%%)", 100*float64(v)/float64(rowSum)))
	}
	return s
}

// confusedPairs are the largest off-diagonal cells of conf, at most n, the
// largest first (ties in row then column order).
func confusedPairs(conf [][]int, n int) [][2]int {
	var cells [][2]int
	for i, r := range conf {
		for j, v := range r {
			if i != j && v > 0 {
				cells = append(cells, [2]int{i, j})
			}
		}
	}
	slices.SortStableFunc(cells, func(a, b [2]int) int { return cmp.Compare(conf[b[0]][b[1]], conf[a[0]][a[1]]) })
	return cells[:min(n, len(cells))]
}

// pairsBlock lists the most confused pairs in at most h lines.
func (t *confusionTab) pairsBlock(e confEpoch, h int, st views.Styles) string {
	pairs := confusedPairs(e.conf, h-1)
	if h < 2 || len(pairs) == 0 {
		return ""
	}
	lines := []string{st.Title.Render("Most confused")}
	for _, p := range pairs {
		v := e.conf[p[0]][p[1]]
		lines = append(lines, st.Text.Render(t.rs.className(p[0])+" → "+t.rs.className(p[1]))+
			st.Muted.Render(": ")+st.Bad.Render(views.GroupInt(v))+st.Muted.Render(" "+views.Noun(v, "image")))
	}
	return strings.Join(lines, "\n")
}
