package tui

import (
	"fmt"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"convscope/views"
)

// samplesTab is a grid of test images with the network's answers, and the
// selected one in detail.
type samplesTab struct {
	keys   keyMap
	page   pageKeys
	rs     *runState
	w, h   int
	cursor int // the selected test image
}

func newSamplesTab(keys keyMap, rs *runState) *samplesTab {
	return &samplesTab{keys: keys, page: newPageKeys(), rs: rs}
}

func (t *samplesTab) Title() string    { return "Samples" }
func (t *samplesTab) SetSize(w, h int) { t.w, t.h = w, h }

// KeyHelp lists the tab's own keys.
func (t *samplesTab) KeyHelp() []key.Binding {
	open := t.keys.Open
	open.SetHelp("enter", "show the selected image's activations on the Layers tab")
	return append(gridKeyHelp(), open, exportKey)
}

func (t *samplesTab) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		if key.Matches(msg, exportKey) {
			return t.rs.exportReport()
		}
		t.rs.keyPressed()
		n := t.rs.n()
		if n == 0 {
			return nil
		}
		if key.Matches(msg, t.keys.Open) {
			return inspectImage(t.rs, t.cursor)
		}
		t.cursor = gridMove(t.cursor, n, t.gridLayout(), msg, t.keys, t.page)
	case tea.MouseClickMsg:
		if i, ok := gridClick(msg, t.gridLayout()); ok {
			start := pageStart(t.cursor, t.gridLayout())
			if start+i < t.rs.n() {
				t.cursor = start + i
			}
		}
	}
	return nil
}

// gridLayout is the layout of the tiles at the tab's size.
func (t *samplesTab) gridLayout() views.GridLayout {
	p := planPanes(t.w, t.h, t.rs, 0)
	return tileLayout(p.gridW, p.h, t.rs)
}

func (t *samplesTab) View(st views.Styles) string {
	if t.w <= 0 || t.h <= 0 {
		return ""
	}
	n := t.rs.n()
	if n == 0 {
		return st.Muted.Render("Samples: no test images to show")
	}
	p := planPanes(t.w, t.h, t.rs, 0)
	l := tileLayout(p.gridW, p.h, t.rs)
	start := pageStart(t.cursor, l)
	ids := make([]int, 0, l.PerPage())
	for i := start; i < min(n, start+l.PerPage()); i++ {
		ids = append(ids, i)
	}
	grid := tileGrid(t.rs, ids, t.cursor-start, p.gridW, p.h, st)

	var status strings.Builder
	status.WriteString(st.Title.Render("Test images"))
	if per := l.PerPage(); per > 0 {
		status.WriteString(st.Text.Render(fmt.Sprintf(" %s–%s of %s", views.GroupInt(start+1), views.GroupInt(start+len(ids)), views.GroupInt(n))))
		status.WriteString(st.Muted.Render(fmt.Sprintf(" · page %s of %s", views.GroupInt(start/per+1), views.GroupInt((n+per-1)/per))))
	}
	status.WriteString(st.Muted.Render(" · "))
	status.WriteString(evalSummary(t.rs, st))
	hint := t.rs.noteLine(st)
	if hint == "" {
		hint = keyHints([][2]string{{"←↓↑→", "move"}, {"n/p", "page"}, {"enter", "layers"}, {"e", "export"}, {"?", "all keys"}}, t.w, st)
	}
	return paneScreen(status.String(), grid, detailPane(t.rs, t.cursor, 0, p, st), hint, p, t.w)
}

// evalSummary says which evaluation the tab shows and how it went.
func evalSummary(rs *runState, st views.Styles) string {
	if !rs.perImage() {
		return rs.noPredictions(st)
	}
	e := rs.latest()
	return st.Text.Render(fmt.Sprintf("epoch %d: ", e.epoch)) + st.Bad.Render(views.GroupInt(e.wrong)+" wrong") +
		st.Muted.Render(" ("+views.Pct(float64(e.ev.N-e.wrong)/float64(max(1, e.ev.N)))+" right)")
}

// noPredictions says why there are no predictions to show.
func (rs *runState) noPredictions(st views.Styles) string {
	e := rs.latest()
	if e == nil {
		return st.Warn.Render("no predictions yet") + st.Muted.Render(": they come when epoch 1 ends")
	}
	return st.Warn.Render("no predictions") + st.Muted.Render(fmt.Sprintf(": the epoch %d evaluation has no per-image results for these images", e.epoch))
}

// inspectImage returns the command that shows test image i on the Layers tab.
func inspectImage(rs *runState, i int) tea.Cmd {
	msg, ok := rs.testImage(i)
	if !ok {
		return nil
	}
	return goTo(tabLayers, msg)
}

// testImage is test image i as the Layers tab takes it.
func (rs *runState) testImage(i int) (inspectMsg, bool) {
	s := rs.test
	if s == nil || i < 0 || i >= s.N {
		return inspectMsg{}, false
	}
	return inspectMsg{
		Pixels: append([]uint8(nil), s.Image(i)...),
		Rows:   s.Rows, Cols: s.Cols,
		Label:  rs.label(i),
		Source: "test #" + strconv.Itoa(i),
	}, true
}

// pageKeys are the keys that turn pages of a grid of tiles.
type pageKeys struct {
	Next, Prev, First, Last key.Binding
}

func newPageKeys() pageKeys {
	return pageKeys{
		Next:  key.NewBinding(key.WithKeys("n", "pgdown"), key.WithHelp("n", "next page")),
		Prev:  key.NewBinding(key.WithKeys("p", "pgup"), key.WithHelp("p", "previous page")),
		First: key.NewBinding(key.WithKeys("home"), key.WithHelp("home", "first image")),
		Last:  key.NewBinding(key.WithKeys("end"), key.WithHelp("end", "last image")),
	}
}

// gridKeyHelp is the help of the keys that move in a grid of tiles.
func gridKeyHelp() []key.Binding {
	return []key.Binding{
		helpOnly("←↓↑→", "move the cursor (or h j k l)"),
		helpOnly("n/p", "next and previous page (or page down, page up)"),
		helpOnly("home/end", "first and last image"),
	}
}

// helpOnly is a line of the help screen that stands for several bindings.
func helpOnly(keys, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(keys), key.WithHelp(keys, desc))
}

// gridMove moves cursor (one of n tiles laid out by l) by a key.
func gridMove(cursor, n int, l views.GridLayout, msg tea.KeyPressMsg, k keyMap, p pageKeys) int {
	cols, per := max(1, l.Cols), max(1, l.PerPage())
	switch {
	case key.Matches(msg, k.Left):
		cursor--
	case key.Matches(msg, k.Right):
		cursor++
	case key.Matches(msg, k.Up):
		if cursor-cols >= 0 {
			cursor -= cols
		}
	case key.Matches(msg, k.Down):
		if cursor+cols < n {
			cursor += cols
		}
	case key.Matches(msg, p.Next):
		if next := pageStart(cursor, l) + per; next < n {
			cursor = min(cursor+per, n-1)
		}
	case key.Matches(msg, p.Prev):
		cursor -= per
	case key.Matches(msg, p.First):
		cursor = 0
	case key.Matches(msg, p.Last):
		cursor = n - 1
	}
	return max(0, min(cursor, n-1))
}

// pageStart is the first tile of the page that holds cursor.
func pageStart(cursor int, l views.GridLayout) int {
	per := l.PerPage()
	if per <= 0 {
		return max(0, cursor)
	}
	return max(0, cursor) / per * per
}

// gridClick is the tile (on the page) under a click in the tab, which draws
// the grid below one status line.
func gridClick(msg tea.MouseClickMsg, l views.GridLayout) (int, bool) {
	m := msg.Mouse()
	if m.Button != tea.MouseLeft || l.PerPage() == 0 {
		return 0, false
	}
	x, y := m.X, m.Y-1
	if x < 0 || y < 0 {
		return 0, false
	}
	c, r := x/(l.TileW+views.GridGap), y/l.TileH
	if c >= l.Cols || r >= l.Rows || x%(l.TileW+views.GridGap) >= l.TileW {
		return 0, false
	}
	return r*l.Cols + c, true
}

// Tiles show the test images at half size (a 28×28 digit in 14 columns and
// 7 lines), so that the grid holds many; the detail pane has the big one.
const tileShrink = 2

// tileSize is the size of a tile's image.
func tileSize(rs *runState) (rows, cols int) {
	return (rs.test.Rows + tileShrink - 1) / tileShrink, (rs.test.Cols + tileShrink - 1) / tileShrink
}

// tileLayout is the grid of tiles in a w×h pane, below which nothing else goes.
func tileLayout(w, h int, rs *runState) views.GridLayout {
	if rs.test == nil {
		return views.GridLayout{}
	}
	rows, cols := tileSize(rs)
	return views.GridSize(w, h, rows, cols)
}

// tileGrid draws test images ids as a grid in a w×h pane; cursor indexes ids.
func tileGrid(rs *runState, ids []int, cursor, w, h int, st views.Styles) string {
	if len(ids) == 0 || w <= 0 || h <= 0 {
		return ""
	}
	rows, cols := tileSize(rs)
	items := make([]views.DigitItem, len(ids))
	for j, i := range ids {
		items[j] = views.DigitItem{
			Pixels: shrink(rs.test.Image(i), rs.test.Rows, rs.test.Cols, tileShrink),
			Rows:   rows, Cols: cols,
			Label: rs.label(i), Pred: rs.pred(i),
		}
	}
	out, _ := views.Grid(items, rs.classes, cursor, w, h, st)
	return out
}

// shrink returns px (rows×cols) made s times smaller in both directions, each
// pixel the mean of an s×s block (smaller at the right and bottom edges).
func shrink(px []uint8, rows, cols, s int) []uint8 {
	if s <= 1 {
		return px
	}
	r2, c2 := (rows+s-1)/s, (cols+s-1)/s
	out := make([]uint8, r2*c2)
	for y := range r2 {
		for x := range c2 {
			sum, n := 0, 0
			for dy := range min(s, rows-y*s) {
				row := px[(y*s+dy)*cols:]
				for dx := range min(s, cols-x*s) {
					sum += int(row[x*s+dx])
					n++
				}
			}
			out[y*c2+x] = uint8((sum + n/2) / n)
		}
	}
	return out
}

// panes is how a grid-and-detail tab splits its body: a status line, the
// grid (gridW wide) and the detail pane (detailW wide) side by side, h lines
// high, and a line of hints.
type panes struct {
	gridW, detailW, h int
	image             bool // the detail pane has room for the image
}

// paneGap separates the grid from the detail pane.
const paneGap = 1

// Bounds of the text beside the detail pane's image.
const (
	detailTextMax  = 40
	detailTextWant = 24
	probsLineMin   = 2 + 3 + 6 + 8 // views.Probs's markers, spaces, percentage and a short bar
)

// planPanes splits a w×h tab. The detail pane gets the image at double
// size when the grid keeps four tiles across, at normal size when it keeps
// two or else one, and otherwise only the text; the text beside the image
// gets detailTextWant cells when the grid can spare them. textLines is the
// height of the text beside the image beyond the probability bars (the
// top-k summary).
func planPanes(w, h int, rs *runState, textLines int) panes {
	p := panes{h: max(0, h-2)}
	if rs.test == nil || w <= 0 {
		p.gridW = w
		return p
	}
	nameW := 0
	for c := range max(10, len(rs.classes)) {
		nameW = max(nameW, lipgloss.Width(rs.className(c)))
	}
	textMin := probsLineMin + min(3, nameW)
	k := 10
	if rs.ev() != nil && rs.ev().K > 0 {
		k = rs.ev().K
	}
	textH := k + textLines
	_, tw := tileSize(rs)
	tiles := func(n int) int { return n*(tw+views.GridGap) - views.GridGap }
	rows, cols := rs.test.Rows, rs.test.Cols
	for _, try := range []struct{ scale, tiles int }{{2, 4}, {1, 2}, {1, 1}} {
		imgW, imgH := cols*try.scale, (rows*try.scale+1)/2
		if p.h < 1+max(imgH, textH) {
			continue
		}
		avail := w - paneGap - imgW - 2 // 2: the gap beside the image in views.Detail
		for _, pref := range []int{max(textMin, detailTextWant), textMin} {
			if n := (avail - pref + views.GridGap) / (tw + views.GridGap); n >= try.tiles {
				p.detailW, p.image = imgW+2+min(detailTextMax, avail-tiles(n)), true
				p.gridW = w - paneGap - p.detailW
				return p
			}
		}
	}
	p.detailW = max(0, min(detailTextMax, w-paneGap-tiles(1), max(textMin, w/2)))
	p.gridW = max(0, w-paneGap-p.detailW)
	return p
}

// detailPane draws test image i in detail for a pane of p, with the topK
// most probable classes when topK > 0.
func detailPane(rs *runState, i, topK int, p panes, st views.Styles) string {
	s := rs.test
	if s == nil || i < 0 || i >= s.N || p.detailW <= 0 || p.h <= 0 {
		return ""
	}
	if !rs.perImage() {
		head := st.Title.Render("#"+strconv.Itoa(i)) + "  " + st.Muted.Render("true ") + st.Text.Render(rs.className(rs.label(i)))
		lines := []string{head}
		if p.image {
			sc := 1
			if p.detailW >= 2*s.Cols && p.h >= 1+s.Rows+2 {
				sc = 2
			}
			lines = append(lines, views.Digit(views.Upscale(s.Image(i), s.Rows, s.Cols, sc), s.Rows*sc, s.Cols*sc, st))
		}
		lines = append(lines, rs.noPredictions(st))
		return views.FitBlock(strings.Join(lines, "\n"), p.detailW, p.h)
	}
	d := views.DetailData{
		Index: i,
		Label: rs.label(i), Pred: rs.pred(i), Probs: rs.probs(i), Loss: float64(rs.ev().Losses[i]),
		Classes: rs.classes, TopK: topK,
	}
	if p.image { // else no image: Rows and Cols stay 0
		d.Pixels, d.Rows, d.Cols = s.Image(i), s.Rows, s.Cols
	}
	return views.Detail(d, p.detailW, p.h, st)
}

// paneScreen puts a grid-and-detail tab together: the status line, the grid
// beside the detail pane, and the hint line, w cells wide.
func paneScreen(status, grid, detail, hint string, p panes, w int) string {
	body := views.FitBlock(grid, p.gridW, p.h)
	if p.detailW > 0 {
		body = lipgloss.JoinHorizontal(lipgloss.Top, body, strings.Repeat(" ", paneGap), views.FitBlock(detail, p.detailW, p.h))
	}
	return strings.Join([]string{ansi.Truncate(status, w, "…"), body, ansi.Truncate(hint, w, "…")}, "\n")
}
