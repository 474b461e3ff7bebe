package tui

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"convscope/internal/dynamics"
	"convscope/views"
)

// dataView is a screen of the Data tab.
type dataView int

const (
	viewMap   dataView = iota // the data map and the gallery of a region or cell
	viewLists                 // the counts (learned at, forgotten, suspects) and the gallery of a row
	viewCalib                 // the test set's calibration per epoch
	viewCount
)

func (v dataView) String() string {
	switch v {
	case viewMap:
		return "map"
	case viewLists:
		return "lists"
	}
	return "calibration"
}

// dataOrder is an order of the Data tab's gallery.
type dataOrder int

const (
	ordConfidence  dataOrder = iota // least confident first
	ordVariability                  // most variable first
	ordCorrectness                  // least often right first
	ordScore                        // most suspect first: lowest AUM (train), highest CL score (test)
	ordForgotten                    // most forgetting events first
	ordLearned                      // not learned first, then learned latest first
	dataOrderCount
)

func (o dataOrder) String() string {
	return [...]string{"confidence", "variability", "correctness", "AUM/CL score", "forgetting events", "first epoch learned"}[o]
}

// selNone is a region selection of none: the map's cell cursor selects.
const selNone = -1

// dataKeys are the Data tab's own keys.
type dataKeys struct {
	View, Set, Colour, Region, Easy, Ambiguous, Hard, Order, ClassNext, ClassPrev, Clear, Search, Earlier, Later key.Binding
}

func newDataKeys() dataKeys {
	return dataKeys{
		View:      key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "view: data map, lists, calibration")),
		Set:       key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "set: training or test")),
		Colour:    key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "colour the map by class or by region")),
		Region:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "select a region: easy, ambiguous, hard, the cell again")),
		Easy:      key.NewBinding(key.WithKeys("E"), key.WithHelp("E", "select the easy-to-learn region")),
		Ambiguous: key.NewBinding(key.WithKeys("A"), key.WithHelp("A", "select the ambiguous region")),
		Hard:      key.NewBinding(key.WithKeys("H"), key.WithHelp("H", "select the hard-to-learn region")),
		Order:     key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "order: confidence, variability, correctness, AUM/CL score, forgetting, first learned")),
		ClassNext: key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "filter by class: next (all after the last)")),
		ClassPrev: key.NewBinding(key.WithKeys("F"), key.WithHelp("F", "filter by class: previous")),
		Clear:     key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "clear the class filter and the search")),
		Search:    key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "go to an image by index: / then digits, enter")),
		Earlier:   key.NewBinding(key.WithKeys("["), key.WithHelp("[", "calibration: the epoch before")),
		Later:     key.NewBinding(key.WithKeys("]"), key.WithHelp("]", "calibration: the epoch after")),
	}
}

// dataTab shows how every image is learned: the data map, the counts of
// the learning events, galleries of exactly the images selected with each
// one's story, and the calibration per epoch. It keeps only its cursors and
// selections; the figures are the run state's (rs.dyn).
type dataTab struct {
	keys keyMap
	page pageKeys
	own  dataKeys
	rs   *runState
	w, h int

	view    dataView
	set     dynamics.Set
	colour  views.MapColour
	gallery bool // the gallery has the focus (else the map or the list)

	curX, curY int // the map's cell cursor
	region     int // a selected region, or selNone: the cell
	row        int // the selected row of the lists (an index into listRows)
	class      int // class filter, -1 for all
	order      dataOrder
	search     int // an image searched for by index (-1: none): the gallery is it alone
	typing     bool
	query      string
	calPin     int    // the calibration epoch shown (index), -1: the latest
	hint       string // why a key did nothing, until the next key

	list    []int // the gallery: image indexes, in order
	cursor  int   // into list
	builtAt int   // rs.dyn.gen when list was made
}

func newDataTab(keys keyMap, rs *runState) *dataTab {
	return &dataTab{keys: keys, page: newPageKeys(), own: newDataKeys(), rs: rs, set: dynamics.Train,
		region: int(dynamics.Hard), class: -1, search: -1, calPin: -1, row: 1, builtAt: -1}
}

func (t *dataTab) Title() string { return "Data" }

func (t *dataTab) SetSize(w, h int) {
	t.w, t.h = w, h
	l := t.layout()
	ml := views.DataMapLayout(l.leftW, l.bodyH)
	t.curX, t.curY = min(t.curX, max(0, ml.Cols-1)), min(t.curY, max(0, ml.Rows-1))
	t.refresh(true)
}

// claimsKey takes every key while an index is typed.
func (t *dataTab) claimsKey(msg tea.KeyPressMsg) bool { return t.typing && msg.String() != "ctrl+c" }

// KeyHelp lists the tab's own keys.
func (t *dataTab) KeyHelp() []key.Binding {
	o := t.own
	return []key.Binding{o.View, o.Set,
		helpOnly("←↓↑→", "move the map's cell cursor, the list's row, or in the gallery"),
		helpOnly("enter", "open the gallery of the selection; in it, show the image on the Layers tab"),
		helpOnly("esc", "back from the gallery to the map or list"),
		o.Colour, o.Region, helpOnly("E A H", "select the easy, ambiguous, hard region"), o.Order,
		helpOnly("f/F", "filter by class: next, previous"), o.Clear, o.Search,
		helpOnly("n/p", "gallery: next and previous page"), helpOnly("[ ]", "calibration: the epoch before, after"), exportKey}
}

// HelpText names the sources of the tab's figures and the region thresholds.
func (t *dataTab) HelpText(st views.Styles) string {
	src := func(what, who string) string { return st.Text.Render(what) + st.Muted.Render(" · "+who) + "\n" }
	var b strings.Builder
	b.WriteString(st.Title.Render("The Data tab's figures") + "\n")
	b.WriteString(src("first epoch learned, forgetting events (right at one measurement, wrong at the next), never learned",
		"Toneva et al., ICLR 2019"))
	b.WriteString(src("data map: confidence = mean p(given label) over epochs, variability = its standard deviation, correctness = share right",
		"Swayamdipta et al., EMNLP 2020 (dataset cartography)"))
	b.WriteString(st.Muted.Render(fmt.Sprintf("  regions: ambiguous when variability ≥ %g; else easy-to-learn when confidence ≥ %g, hard-to-learn below",
		dynamics.AmbiguousVariability, dynamics.EasyConfidence)) + "\n")
	b.WriteString(src("AUM, area under the margin: mean (given label's logit − largest other) in training; < 0 marks a suspect label",
		"Pleiss et al., NeurIPS 2020"))
	b.WriteString(src("test set suspects by confident learning: per-class thresholds on the last epoch's probabilities",
		"Northcutt et al., JAIR 2021"))
	b.WriteString(src(fmt.Sprintf("calibration: reliability diagram in %d bins, ECE, MCE, NLL, Brier, temperature scaling", dynamics.Bins),
		"Guo et al., ICML 2017"))
	b.WriteString(st.Muted.Render("training images are measured in the training forward pass as they are seen (before that batch's step); test images after each epoch") + "\n")
	return b.String()
}

// figures is the selected set's figures, or nil.
func (t *dataTab) figures() *setFigures { return t.rs.dyn.set(t.set) }

// dataLayout is how the tab splits its body (bodyH lines between the status
// line and the hint line): the map or the list (leftW wide) beside the
// gallery's title line, its tiles (galH lines) and the detail (detH).
type dataLayout struct {
	leftW, rightW, bodyH int
	galH, detH           int
	detImage             bool
}

func (t *dataTab) layout() dataLayout {
	l := dataLayout{bodyH: max(0, t.h-2)}
	switch t.view {
	case viewLists:
		l.leftW = max(30, min(56, t.w*38/100))
	default:
		l.leftW = max(34, min(96, t.w*45/100))
	}
	l.leftW = min(l.leftW, t.w)
	l.rightW = max(0, t.w-l.leftW-1)
	rest := l.bodyH - 1 // the gallery's title line
	const tileH = 8     // a half-size 28×28 digit and its caption
	switch {
	case l.rightW >= 28+2+30 && rest >= tileH+15:
		l.detH, l.detImage = 15, true
	case rest >= tileH+9:
		l.detH = min(10, rest-tileH)
	default:
		l.detH = max(0, rest-tileH)
	}
	l.galH = max(0, rest-l.detH)
	return l
}

// mapLayout is the data map's plot in the tab.
func (t *dataTab) mapLayout() views.MapLayout {
	l := t.layout()
	return views.DataMapLayout(l.leftW, l.bodyH)
}

// Update handles the tab's keys, and lists the gallery again when the
// figures change.
func (t *dataTab) Update(msg tea.Msg) tea.Cmd {
	if t.builtAt != t.rs.dyn.gen {
		t.refresh(true)
	}
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		if t.typing {
			t.typeKey(msg)
			return nil
		}
		if key.Matches(msg, exportKey) {
			return t.rs.exportReport()
		}
		t.rs.keyPressed()
		t.hint = ""
		return t.key(msg)
	case tea.MouseClickMsg:
		t.click(msg)
	}
	return nil
}

// typeKey edits the index being typed.
func (t *dataTab) typeKey(msg tea.KeyPressMsg) {
	switch s := msg.String(); {
	case s == "esc":
		t.typing = false
	case s == "enter":
		t.typing = false
		i, err := strconv.Atoi(t.query)
		f := t.figures()
		switch {
		case f == nil:
			t.hint = "no figures to search yet"
		case err != nil || i < 0 || i >= len(f.ex):
			t.hint = fmt.Sprintf("no %s image #%s: the indexes run from 0 to %d", t.set, t.query, len(f.ex)-1)
		default:
			t.search, t.gallery = i, true
			t.refresh(false)
		}
	case s == "backspace":
		if n := len(t.query); n > 0 {
			t.query = t.query[:n-1]
		}
	case len(s) == 1 && s[0] >= '0' && s[0] <= '9' && len(t.query) < 7:
		t.query += s
	}
}

func (t *dataTab) key(msg tea.KeyPressMsg) tea.Cmd {
	o := t.own
	switch {
	case key.Matches(msg, o.View):
		t.view = (t.view + 1) % viewCount
		t.gallery = false
	case key.Matches(msg, o.Set):
		if t.set == dynamics.Train {
			t.set = dynamics.Test
		} else {
			t.set = dynamics.Train
		}
		t.search = -1
	case key.Matches(msg, o.Colour):
		t.colour = 1 - t.colour
		return nil
	case key.Matches(msg, o.Region):
		t.view = viewMap
		t.region++
		if t.region > int(dynamics.Hard) {
			t.region = selNone
		}
		t.search = -1
	case key.Matches(msg, o.Easy), key.Matches(msg, o.Ambiguous), key.Matches(msg, o.Hard):
		t.view, t.search = viewMap, -1
		t.region = map[string]int{"E": int(dynamics.Easy), "A": int(dynamics.Ambiguous), "H": int(dynamics.Hard)}[msg.String()]
	case key.Matches(msg, o.Order):
		t.order = (t.order + 1) % dataOrderCount
	case key.Matches(msg, o.ClassNext):
		t.class = cycleClass(t.class, t.classCount(), 1)
	case key.Matches(msg, o.ClassPrev):
		t.class = cycleClass(t.class, t.classCount(), -1)
	case key.Matches(msg, o.Clear):
		t.class, t.search = -1, -1
	case key.Matches(msg, o.Search):
		t.typing, t.query = true, ""
		return nil
	case t.view == viewCalib:
		t.calKey(msg)
		return nil
	case t.gallery:
		return t.galleryKey(msg)
	default:
		t.overviewKey(msg)
		return nil
	}
	t.refresh(true)
	return nil
}

// classCount is the number of classes the filter cycles through.
func (t *dataTab) classCount() int {
	if f := t.rs.dyn.f; f != nil && f.k > 0 {
		return f.k
	}
	return t.rs.classCount()
}

// calKey steps through the epochs of the calibration view.
func (t *dataTab) calKey(msg tea.KeyPressMsg) {
	n := 0
	if f := t.rs.dyn.f; f != nil {
		n = len(f.calib)
	}
	if n == 0 {
		return
	}
	i := t.calShown(n)
	switch {
	case key.Matches(msg, t.own.Earlier), key.Matches(msg, t.keys.Up), key.Matches(msg, t.keys.Left):
		i = max(0, i-1)
	case key.Matches(msg, t.own.Later), key.Matches(msg, t.keys.Down), key.Matches(msg, t.keys.Right):
		i = min(n-1, i+1)
	default:
		return
	}
	t.calPin = i
	if i == n-1 {
		t.calPin = -1 // the latest, whichever it is
	}
}

// calShown is the index of the calibration shown, of n.
func (t *dataTab) calShown(n int) int {
	if t.calPin < 0 || t.calPin >= n {
		return n - 1
	}
	return t.calPin
}

// overviewKey moves the map's cursor or the list's row, or opens the gallery.
func (t *dataTab) overviewKey(msg tea.KeyPressMsg) {
	if key.Matches(msg, t.keys.Open) {
		switch {
		case len(t.list) > 0:
			t.gallery = true
		case t.figures() != nil:
			t.hint = "the selection holds no images"
		}
		return
	}
	if t.view == viewLists {
		rows := t.listRows(t.figures())
		switch {
		case key.Matches(msg, t.keys.Up):
			t.row = nextRow(rows, t.row, -1)
		case key.Matches(msg, t.keys.Down):
			t.row = nextRow(rows, t.row, 1)
		default:
			return
		}
		t.search = -1
		t.refresh(false)
		return
	}
	ml := t.mapLayout()
	if ml.Cols == 0 {
		return
	}
	moved := true
	switch {
	case key.Matches(msg, t.keys.Up):
		t.curY = max(0, t.curY-1)
	case key.Matches(msg, t.keys.Down):
		t.curY = min(ml.Rows-1, t.curY+1)
	case key.Matches(msg, t.keys.Left):
		t.curX = max(0, t.curX-1)
	case key.Matches(msg, t.keys.Right):
		t.curX = min(ml.Cols-1, t.curX+1)
	default:
		moved = false
	}
	if moved {
		if t.region != selNone { // the cursor takes over from a region where it was left
			t.region = selNone
		}
		t.search = -1
		t.refresh(false)
	}
}

// nextRow is the next selectable row from i in direction d (headings are
// skipped), or i when there is none.
func nextRow(rows []dataRow, i, d int) int {
	for j := i + d; j >= 0 && j < len(rows); j += d {
		if !rows[j].Head {
			return j
		}
	}
	return i
}

// galleryKey moves in the gallery, sends its image to Layers, or goes back.
func (t *dataTab) galleryKey(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(msg, t.keys.Back):
		t.gallery = false
		return nil
	case key.Matches(msg, t.keys.Open):
		if t.cursor < len(t.list) {
			return t.inspect(t.list[t.cursor])
		}
		return nil
	}
	if len(t.list) > 0 {
		t.cursor = gridMove(t.cursor, len(t.list), t.gridLayout(), msg, t.keys, t.page)
	}
	return nil
}

// inspect returns the command that shows image i of the set on Layers.
func (t *dataTab) inspect(i int) tea.Cmd {
	if t.set == dynamics.Test {
		if cmd := inspectImage(t.rs, i); cmd != nil {
			return cmd
		}
	} else if s := t.rs.train; s != nil && i >= 0 && i < s.N {
		return goTo(tabLayers, inspectMsg{Pixels: append([]uint8(nil), s.Image(i)...), Rows: s.Rows, Cols: s.Cols,
			Label: int(s.Labels[i]), Source: "train #" + strconv.Itoa(i)})
	}
	t.hint = "no images of the " + string(t.set) + " set to show on Layers"
	return nil
}

// click moves the map's cursor to the cell clicked, or the gallery's to the
// tile clicked.
func (t *dataTab) click(msg tea.MouseClickMsg) {
	m := msg.Mouse()
	if m.Button != tea.MouseLeft || t.view == viewCalib {
		return
	}
	l := t.layout()
	if m.X < l.leftW {
		if t.view != viewMap {
			return
		}
		ml := t.mapLayout()
		cx, cy := m.X-ml.X, m.Y-1-ml.Y
		if cx >= 0 && cx < ml.Cols && cy >= 0 && cy < ml.Rows {
			t.curX, t.curY, t.region, t.search, t.gallery = cx, cy, selNone, -1, false
			t.refresh(false)
		}
		return
	}
	gl := t.gridLayout()
	x, y := m.X-l.leftW-1, m.Y-2 // the status line and the gallery's title
	if x < 0 || y < 0 || gl.PerPage() == 0 {
		return
	}
	c, r := x/(gl.TileW+views.GridGap), y/gl.TileH
	if c < gl.Cols && r < gl.Rows {
		if i := pageStart(t.cursor, gl) + r*gl.Cols + c; i < len(t.list) {
			t.cursor, t.gallery = i, true
		}
	}
}

// gridLayout is the gallery's grid of half-size tiles.
func (t *dataTab) gridLayout() views.GridLayout {
	l := t.layout()
	s := t.rs.images(t.set)
	if s == nil {
		return views.GridLayout{}
	}
	return views.GridSize(l.rightW, l.galH, (s.Rows+tileShrink-1)/tileShrink, (s.Cols+tileShrink-1)/tileShrink)
}

// dataRow is a row of the lists: a heading or a count of the images that
// match.
type dataRow struct {
	views.CountRow
	match func(e *dynamics.Example) bool
}

// listRows are the lists of f's set with their counts (of the class
// filtered, if any); nil without figures.
func (t *dataTab) listRows(f *setFigures) []dataRow {
	if f == nil {
		return nil
	}
	var rows []dataRow
	head := func(s string) { rows = append(rows, dataRow{CountRow: views.CountRow{Label: s, Head: true}}) }
	add := func(s string, m func(e *dynamics.Example) bool) {
		rows = append(rows, dataRow{CountRow: views.CountRow{Label: s}, match: m})
	}
	head("first learned, for good, at")
	for e := 1; e <= f.epochs; e++ {
		add(fmt.Sprintf("epoch %d", e), func(x *dynamics.Example) bool { return x.FirstLearned == e })
	}
	add("not learned, wrong now", func(x *dynamics.Example) bool { return x.FirstLearned == 0 })
	add("never learned", func(x *dynamics.Example) bool { return x.NeverLearned })
	head("forgetting events")
	for n := range 6 {
		label := views.Plural(n, "time")
		if n == 5 {
			label = "5+ times"
		}
		add(label, func(x *dynamics.Example) bool { return x.Forgotten == n || n == 5 && x.Forgotten > 5 })
	}
	if f.set == dynamics.Train {
		head("suspected label errors (AUM)")
		add("AUM < 0", func(x *dynamics.Example) bool { return x.Suspect() })
	} else {
		head("suspected label errors (CL)")
		add("confident learning", func(x *dynamics.Example) bool { return x.Suspect() })
	}
	head("regions")
	for r := dynamics.Easy; r <= dynamics.Hard; r++ {
		add(r.String(), func(x *dynamics.Example) bool { return x.Region == r })
	}
	for i := range f.ex {
		e := &f.ex[i]
		if t.class >= 0 && e.Label != t.class {
			continue
		}
		for j := range rows {
			if !rows[j].Head && rows[j].match(e) {
				rows[j].N++
			}
		}
	}
	return rows
}

// refresh lists the gallery again. With keep the selected image stays
// selected if it is still listed.
func (t *dataTab) refresh(keep bool) {
	sel := -1
	if keep && t.cursor < len(t.list) {
		sel = t.list[t.cursor]
	}
	t.list, t.cursor, t.builtAt = nil, 0, t.rs.dyn.gen
	f := t.figures()
	if f == nil {
		return
	}
	if t.search >= len(f.ex) {
		t.search = -1
	}
	var match func(e *dynamics.Example) bool
	switch {
	case t.search >= 0:
		t.list = []int{t.search}
		return
	case t.view == viewLists:
		rows := t.listRows(f)
		if t.row >= len(rows) || rows[t.row].Head {
			t.row = nextRow(rows, -1, 1)
		}
		if t.row >= 0 && t.row < len(rows) {
			match = rows[t.row].match
		}
	case t.region != selNone:
		r := dynamics.Region(t.region)
		match = func(e *dynamics.Example) bool { return e.Measurements > 0 && e.Region == r }
	default:
		ml := t.mapLayout()
		match = func(e *dynamics.Example) bool {
			cx, cy := ml.Cell(e.Variability, e.Confidence)
			return cx == t.curX && cy == t.curY
		}
	}
	if match == nil {
		return
	}
	for i := range f.ex {
		e := &f.ex[i]
		if (t.class < 0 || e.Label == t.class) && match(e) {
			t.list = append(t.list, i)
		}
	}
	sortExamples(t.list, f, t.order)
	if i := slices.Index(t.list, sel); i >= 0 {
		t.cursor = i
	}
}

// sortExamples orders ids (indexes into f.ex) by o, ties by index.
func sortExamples(ids []int, f *setFigures, o dataOrder) {
	nanLast := func(a, b float64) int { // NaN (unmeasured) after every number
		switch an, bn := math.IsNaN(a), math.IsNaN(b); {
		case an && bn:
			return 0
		case an:
			return 1
		case bn:
			return -1
		}
		return cmp.Compare(a, b)
	}
	slices.SortStableFunc(ids, func(i, j int) int {
		a, b := &f.ex[i], &f.ex[j]
		var c int
		switch o {
		case ordConfidence:
			c = nanLast(a.Confidence, b.Confidence)
		case ordVariability:
			c = nanLast(-a.Variability, -b.Variability)
		case ordCorrectness:
			c = nanLast(a.Correctness, b.Correctness)
		case ordScore:
			if f.set == dynamics.Train {
				c = nanLast(a.AUM, b.AUM)
			} else {
				c = cmp.Compare(suspectScore(b), suspectScore(a))
			}
		case ordForgotten:
			c = cmp.Compare(b.Forgotten, a.Forgotten)
		case ordLearned:
			c = cmp.Compare(learnedKey(b), learnedKey(a))
		}
		if c == 0 {
			c = cmp.Compare(i, j)
		}
		return c
	})
}

// suspectScore ranks test images: flagged ones by their score, above the rest.
func suspectScore(e *dynamics.Example) float64 {
	if e.Suggested < 0 {
		return math.Inf(-1)
	}
	return e.CLScore
}

// learnedKey puts images not learned above every learned one, and later
// learned above earlier.
func learnedKey(e *dynamics.Example) int {
	if e.FirstLearned == 0 {
		return math.MaxInt
	}
	return e.FirstLearned
}

// predOf is what a tile shows as the prediction of image i and what it is:
// a test image's suggested label (confident learning) or last prediction; a
// training image's prediction by the latest network when it is wrong, its
// label when it was right at the last measurement, else -1.
func predOf(f *setFigures, i int) (int, string) {
	e := &f.ex[i]
	if f.set == dynamics.Test {
		if e.Suggested >= 0 {
			return e.Suggested, "suggested"
		}
		return e.FinalPred, "last pred"
	}
	if p, ok := f.pred[i]; ok {
		if e.Suspect() && p != e.Label {
			return p, "suggested"
		}
		return p, "network says"
	}
	if e.FirstLearned > 0 {
		return e.Label, "right at the last"
	}
	return -1, ""
}
