package tui

import (
	"cmp"
	"fmt"
	"slices"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"convscope/nn"
	"convscope/views"
)

// mistakeOrder is an order of the Mistakes tab's images.
type mistakeOrder int

const (
	byConfidence mistakeOrder = iota // most confident wrong answer first
	byLoss                           // highest loss first
	byTrue                           // by true class, then by confidence
	byPred                           // by predicted class, then by confidence
	orderCount
)

func (o mistakeOrder) String() string {
	switch o {
	case byConfidence:
		return "confidence"
	case byLoss:
		return "loss"
	case byTrue:
		return "true class"
	case byPred:
		return "predicted class"
	}
	return fmt.Sprintf("mistakeOrder(%d)", int(o))
}

// pickImages returns the indexes of the images of ev to list, in order.
// With both classes set (>= 0) they are exactly the images of true class
// trueC predicted as predC, right ones when the two are equal; otherwise
// they are the mistakes, of true class trueC and predicted as predC when
// set. Ties in the order go to the confidence, then to the index.
func pickImages(ev *nn.Eval, trueC, predC int, order mistakeOrder) []int {
	var ids []int
	pair := trueC >= 0 && predC >= 0
	for i, l := range ev.Labels {
		p := ev.Pred[i]
		switch {
		case !pair && l == p,
			trueC >= 0 && int(l) != trueC,
			predC >= 0 && int(p) != predC:
			continue
		}
		ids = append(ids, i)
	}
	conf := func(i int) float32 { return ev.Probs[i*ev.K+int(ev.Pred[i])] }
	slices.SortFunc(ids, func(a, b int) int {
		var c int
		switch order {
		case byLoss:
			c = cmp.Compare(ev.Losses[b], ev.Losses[a])
		case byTrue:
			c = cmp.Compare(ev.Labels[a], ev.Labels[b])
		case byPred:
			c = cmp.Compare(ev.Pred[a], ev.Pred[b])
		}
		if c == 0 {
			c = cmp.Compare(conf(b), conf(a))
		}
		if c == 0 {
			c = cmp.Compare(a, b)
		}
		return c
	})
	return ids
}

// mistakesKeys are the Mistakes tab's own keys.
type mistakesKeys struct {
	Order, TrueNext, TruePrev, PredNext, PredPrev, Clear key.Binding
}

func newMistakesKeys() mistakesKeys {
	return mistakesKeys{
		Order:    key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "order: confidence, loss, true class, predicted class")),
		TrueNext: key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "next true class")),
		TruePrev: key.NewBinding(key.WithKeys("T"), key.WithHelp("T", "previous true class")),
		PredNext: key.NewBinding(key.WithKeys("g"), key.WithHelp("g", "next predicted class")),
		PredPrev: key.NewBinding(key.WithKeys("G"), key.WithHelp("G", "previous predicted class")),
		Clear:    key.NewBinding(key.WithKeys("x", "esc"), key.WithHelp("x/esc", "clear the filters")),
	}
}

// mistakesTab lists the test images the network gets wrong, with the
// selected one in detail.
type mistakesTab struct {
	keys keyMap
	page pageKeys
	own  mistakesKeys
	rs   *runState
	w, h int

	order        mistakeOrder
	trueC, predC int   // filters; -1 for any class
	list         []int // the images listed, in order
	listEval     int   // len(rs.evals) when list was made
	cursor       int   // into list
}

func newMistakesTab(keys keyMap, rs *runState) *mistakesTab {
	return &mistakesTab{keys: keys, page: newPageKeys(), own: newMistakesKeys(), rs: rs, trueC: -1, predC: -1}
}

func (t *mistakesTab) Title() string    { return "Mistakes" }
func (t *mistakesTab) SetSize(w, h int) { t.w, t.h = w, h }

// KeyHelp lists the tab's own keys.
func (t *mistakesTab) KeyHelp() []key.Binding {
	open := t.keys.Open
	open.SetHelp("enter", "show the selected image's activations on the Layers tab")
	return append(gridKeyHelp(), t.own.Order,
		helpOnly("t/T", "filter by true class: next, previous (all after the last)"),
		helpOnly("g/G", "filter by the guess, the predicted class: next, previous"),
		t.own.Clear, open, exportKey)
}

// topK is how many of the most probable classes the detail pane lists.
const topK = 3

// detailTopLines is the height the top-k summary adds to the detail text
// at most: a blank line and one line per class.
const detailTopLines = 1 + topK

func (t *mistakesTab) Update(msg tea.Msg) tea.Cmd {
	if t.listEval != len(t.rs.evals) { // a new evaluation: list its images
		t.refresh(true)
	}
	switch msg := msg.(type) {
	case showPairMsg:
		t.trueC, t.predC = msg.True, msg.Pred
		t.refresh(false)
	case tea.KeyPressMsg:
		if key.Matches(msg, exportKey) {
			return t.rs.exportReport()
		}
		t.rs.keyPressed()
		return t.key(msg)
	case tea.MouseClickMsg:
		l := t.gridLayout()
		if i, ok := gridClick(msg, l); ok && pageStart(t.cursor, l)+i < len(t.list) {
			t.cursor = pageStart(t.cursor, l) + i
		}
	}
	return nil
}

func (t *mistakesTab) key(msg tea.KeyPressMsg) tea.Cmd {
	k := t.classCount()
	o := t.own
	switch {
	case key.Matches(msg, t.keys.Open):
		if t.cursor < len(t.list) {
			return inspectImage(t.rs, t.list[t.cursor])
		}
		return nil
	case key.Matches(msg, o.Order):
		t.order = (t.order + 1) % orderCount
	case key.Matches(msg, o.TrueNext):
		t.trueC = cycleClass(t.trueC, k, 1)
	case key.Matches(msg, o.TruePrev):
		t.trueC = cycleClass(t.trueC, k, -1)
	case key.Matches(msg, o.PredNext):
		t.predC = cycleClass(t.predC, k, 1)
	case key.Matches(msg, o.PredPrev):
		t.predC = cycleClass(t.predC, k, -1)
	case key.Matches(msg, o.Clear):
		t.trueC, t.predC = -1, -1
	default:
		if len(t.list) > 0 {
			t.cursor = gridMove(t.cursor, len(t.list), t.gridLayout(), msg, t.keys, t.page)
		}
		return nil
	}
	t.refresh(true)
	return nil
}

// cycleClass steps a class filter c (-1 for all) by d through all, 0, 1, …,
// k-1 and back to all.
func cycleClass(c, k, d int) int {
	if k <= 0 {
		return -1
	}
	return (c+1+d+k+1)%(k+1) - 1
}

// classCount is the number of classes the filters cycle through.
func (t *mistakesTab) classCount() int { return t.rs.classCount() }

// refresh lists the images again. With keep the selected image stays
// selected if it is still listed; otherwise, or if it is not, the first one
// is.
func (t *mistakesTab) refresh(keep bool) {
	sel := -1
	if keep && t.cursor < len(t.list) {
		sel = t.list[t.cursor]
	}
	t.list, t.cursor, t.listEval = nil, 0, len(t.rs.evals)
	if !t.rs.perImage() {
		return
	}
	t.list = pickImages(t.rs.ev(), t.trueC, t.predC, t.order)
	if i := slices.Index(t.list, sel); i >= 0 {
		t.cursor = i
	}
}

func (t *mistakesTab) gridLayout() views.GridLayout {
	p := planPanes(t.w, t.h, t.rs, detailTopLines)
	return tileLayout(p.gridW, p.h, t.rs)
}

// title says what the list holds and how it is sorted.
func (t *mistakesTab) title(st views.Styles) string {
	n := len(t.list)
	order := st.Muted.Render(" · sorted by ") + st.Text.Render(t.order.String())
	if t.trueC >= 0 && t.predC >= 0 {
		what := fmt.Sprintf("true %s predicted as %s", t.rs.className(t.trueC), t.rs.className(t.predC))
		if t.trueC == t.predC {
			what += " (right)"
		}
		return st.Title.Render(views.Plural(n, "image")) + st.Text.Render(": "+what) + order
	}
	total := t.rs.latest().wrong
	var s string
	if t.trueC >= 0 || t.predC >= 0 {
		s = st.Title.Render(views.GroupInt(n)) + st.Text.Render(" of "+views.Plural(total, "mistake"))
	} else {
		s = st.Title.Render(views.Plural(n, "mistake")) + st.Text.Render(" in "+views.GroupInt(t.rs.ev().N))
	}
	filter := func(name string, c int) string {
		if c < 0 {
			return st.Muted.Render(name + " any")
		}
		return st.Muted.Render(name+" ") + st.Accent.Render(t.rs.className(c))
	}
	return s + order + st.Muted.Render(" · ") + filter("true", t.trueC) + st.Muted.Render(" · ") + filter("pred", t.predC)
}

func (t *mistakesTab) View(st views.Styles) string {
	if t.w <= 0 || t.h <= 0 {
		return ""
	}
	if t.rs.n() == 0 {
		return st.Muted.Render("Mistakes: no test images to show")
	}
	if !t.rs.perImage() {
		return st.Title.Render("Mistakes") + "\n\n" + t.rs.noPredictions(st) + "\n" +
			st.Muted.Render("This tab lists every test image the network gets wrong, most confident first.") +
			"\n\n" + t.rs.noteLine(st)
	}
	p := planPanes(t.w, t.h, t.rs, detailTopLines)
	l := tileLayout(p.gridW, p.h, t.rs)
	start := pageStart(t.cursor, l)
	ids := t.list[start:min(len(t.list), start+l.PerPage())]

	status := t.title(st)
	if per := l.PerPage(); per > 0 && len(t.list) > per {
		status += st.Muted.Render(fmt.Sprintf(" · page %d of %d", start/per+1, (len(t.list)+per-1)/per))
	}
	status += st.Muted.Render(fmt.Sprintf(" · epoch %d", t.rs.latest().epoch))
	var grid, detail string
	if len(t.list) == 0 {
		grid = st.Muted.Render("no images match")
		if t.trueC >= 0 || t.predC >= 0 {
			grid += "\n" + st.Muted.Render("x clears the filters")
		}
	} else {
		grid = tileGrid(t.rs, ids, t.cursor-start, p.gridW, p.h, st)
		detail = detailPane(t.rs, t.list[t.cursor], topK, p, st)
	}
	hint := t.rs.noteLine(st)
	if hint == "" {
		hint = keyHints([][2]string{{"o", "order"}, {"t/T", "true"}, {"g/G", "pred"}, {"x", "clear"}, {"n/p", "page"},
			{"enter", "layers"}, {"e", "export"}, {"?", "all keys"}}, t.w, st)
	}
	return paneScreen(status, grid, detail, hint, p, t.w)
}
