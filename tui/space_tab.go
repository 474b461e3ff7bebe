package tui

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"convscope/internal/embed"
	"convscope/mnist"
	"convscope/nn"
	"convscope/views"
)

// spaceLayer is the layer whose outputs the Space tab projects.
type spaceLayer int

const (
	spaceFeatures spaceLayer = iota // the Flatten output: the feature vector
	spaceDense                      // the second dense layer (after its ReLU)
	spaceLayers
)

func (l spaceLayer) String() string {
	if l == spaceDense {
		return "dense layer"
	}
	return "feature vector"
}

// spaceSubset is the number of test images the Space tab projects unless
// asked for all: a forward pass of the whole test set takes seconds.
const spaceSubset = 2000

// spaceKeys are the Space tab's own keys; the arrows, enter and esc are the
// program's (keyMap), the timeline's , . P the root's.
type spaceKeys struct {
	Layer, All, Wrong key.Binding
}

func newSpaceKeys() spaceKeys {
	return spaceKeys{
		Layer: key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "project the feature vector (256) or the dense layer (64)")),
		All:   key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "all test images, or a stratified subset of 2,000")),
		Wrong: key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "draw only the misclassified images")),
	}
}

// spaceKey names a projection in the cache: the network's moment (a
// snapshot's path, or "live N" for the run's Nth live copy) and the images.
type spaceKey struct {
	net string
	all bool
}

// spaceProj is one network's projections of one set of test images, both
// layers from one forward pass.
type spaceProj struct {
	ids    []int // the test image of each point
	n      int   // test images in all
	p      [spaceLayers]*embed.Projection
	pts    [spaceLayers][]views.ScatterPoint
	bounds [spaceLayers]views.ScatterBounds
	why    [spaceLayers]string // why a layer has no projection
	wrong  int                 // points the network misclassifies
}

// spaceDoneMsg brings a projection back.
type spaceDoneMsg struct {
	key  spaceKey
	proj *spaceProj
}

// spaceTab draws the test images' feature space, projected to two
// dimensions by PCA, at the timeline's moment: a scatter coloured by class
// with a cell cursor, beside the images of the cursor's cell.
//
// Projections run in a command on a clone of the network shown, one at a
// time and only while the tab is shown; each is cached by its key
// (spaceKey), so stepping back through the timeline costs nothing the second
// time. While one computes the tab goes on showing the one before.
type spaceTab struct {
	keys keyMap
	own  spaceKeys
	page pageKeys
	rs   *runState
	w, h int

	layer     spaceLayer
	all       bool // every test image, not the subset
	onlyWrong bool
	curX      int // the cell cursor; -1: the middle
	curY      int
	gallery   bool // the keys move in the cell's images
	cursor    int  // the selected image of the cell's

	shown bool // the tab is on screen
	busy  bool // a projection runs
	cache map[spaceKey]*spaceProj
	last  spaceKey // the projection shown last, shown while the next computes
	sub   []int    // the subset's test images (made once)
}

func newSpaceTab(keys keyMap, rs *runState) *spaceTab {
	return &spaceTab{keys: keys, own: newSpaceKeys(), page: newPageKeys(), rs: rs, curX: -1, curY: -1, cache: map[spaceKey]*spaceProj{}}
}

func (t *spaceTab) Title() string    { return "Space" }
func (t *spaceTab) ExactSize() bool  { return true }
func (t *spaceTab) SetSize(w, h int) { t.w, t.h = w, h }

// usesTimeline: the tab shows the network at the timeline's moment.
func (t *spaceTab) usesTimeline() {}

// setShown starts the projection the tab lacks once it is shown.
func (t *spaceTab) setShown(on bool) tea.Cmd {
	t.shown = on
	t.sync()
	return t.next()
}

// sync notes the projection shown, when the wanted one is there, and keeps
// the gallery's cursor on its cell's images.
func (t *spaceTab) sync() {
	if k, net := t.want(); net != nil && t.cache[k] != nil && t.last != k {
		t.last = k
		t.clampCursor()
	}
}

// KeyHelp lists the tab's own keys.
func (t *spaceTab) KeyHelp() []key.Binding {
	open := t.keys.Open
	open.SetHelp("enter", "go to the images of the cursor's cell; on an image: show it on Layers")
	back := t.keys.Back
	back.SetHelp("esc", "back to the plot")
	tk := newTimeKeys()
	return []key.Binding{helpOnly("←↓↑→", "move the cell cursor (or an image's)"), open, back, t.own.Layer, t.own.All, t.own.Wrong,
		t.page.Next, t.page.Prev, tk.Earlier, tk.Later, tk.Play}
}

// HelpText says what the plot is.
func (t *spaceTab) HelpText(st views.Styles) string {
	return st.Title.Render("The feature space") + "\n" +
		st.Text.Render("Each test image's outputs of one layer (the 256-value feature vector after the convolutions, or the 64 values of the second dense layer), ") +
		st.Text.Render("projected onto their two principal axes (PCA of that network's outputs for these images): PC1 and PC2 with the share of the variance each explains.") + "\n" +
		st.Muted.Render("Colours are true classes; a cell shows its most common class; underlined cells hold images the network misclassifies. , and . step through the run's snapshots.") + "\n"
}

func (t *spaceTab) Update(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case spaceDoneMsg:
		t.busy = false
		if t.keep(msg.key) {
			t.cache[msg.key] = msg.proj
			t.prune()
		}
	case tea.KeyPressMsg:
		cmd = t.key(msg)
	case tea.MouseClickMsg:
		t.click(msg)
	}
	t.sync()
	return tea.Batch(cmd, t.next())
}

// liveKey is the key of the run's latest live network.
func (t *spaceTab) liveKey() string { return "live " + strconv.Itoa(t.rs.netID) }

// want is the key of the projection the tab should show and the network it
// is of (nil when there is none yet).
func (t *spaceTab) want() (spaceKey, *nn.Net) {
	net, _ := t.rs.shown()
	if net == nil || t.rs.test == nil {
		return spaceKey{}, nil
	}
	k := spaceKey{net: t.liveKey(), all: t.all || t.rs.test.N <= spaceSubset}
	if sn, _ := t.rs.shownSnap(); sn != nil {
		k.net = t.rs.time.cur
	}
	return k, net
}

// keep reports whether a projection that came back is worth caching: a
// snapshot's, or the latest live network's (an older live network's will
// not be shown again).
func (t *spaceTab) keep(k spaceKey) bool {
	return !strings.HasPrefix(k.net, "live ") || k.net == t.liveKey()
}

// prune drops the projections of older live networks.
func (t *spaceTab) prune() {
	for k := range t.cache {
		if !t.keep(k) {
			delete(t.cache, k)
		}
	}
}

// next starts the projection the tab lacks, when it is shown and nothing
// runs.
func (t *spaceTab) next() tea.Cmd {
	if !t.shown || t.busy {
		return nil
	}
	k, net := t.want()
	if net == nil || t.cache[k] != nil {
		return nil
	}
	t.busy = true
	set, ids := t.images(k.all)
	n := t.rs.test.N
	return func() tea.Msg { return spaceDoneMsg{key: k, proj: projectSpace(net, set, ids, n)} }
}

// images is the set the projection takes and the test image of each of its
// images: every test image, or the stratified subset.
func (t *spaceTab) images(all bool) (*mnist.Set, []int) {
	s := t.rs.test
	if all || s.N <= spaceSubset {
		ids := make([]int, s.N)
		for i := range ids {
			ids[i] = i
		}
		return s, ids
	}
	if t.sub == nil {
		t.sub = stratified(s.Labels[:s.N], spaceSubset)
	}
	return subsetOf(s, t.sub), t.sub
}

// stratified picks about n of the images labelled labels, each class in its
// share (largest remainder), the first of each class in order: the same
// images every time.
func stratified(labels []uint8, n int) []int {
	if n >= len(labels) {
		n = len(labels)
	}
	count := map[uint8]int{}
	for _, l := range labels {
		count[l]++
	}
	quota := map[uint8]int{}
	given := 0
	type rem struct {
		l uint8
		r int
	}
	var rems []rem
	for l := range 256 {
		c := count[uint8(l)]
		if c == 0 {
			continue
		}
		q := c * n / len(labels)
		quota[uint8(l)] = q
		given += q
		rems = append(rems, rem{uint8(l), c * n % len(labels)})
	}
	for given < n && len(rems) > 0 {
		best := 0
		for i, r := range rems {
			if r.r > rems[best].r {
				best = i
			}
		}
		quota[rems[best].l]++
		rems[best].r = -1
		given++
	}
	ids := make([]int, 0, n)
	for i, l := range labels {
		if quota[l] > 0 {
			quota[l]--
			ids = append(ids, i)
		}
	}
	return ids
}

// subsetOf is a set of s's images ids, in that order.
func subsetOf(s *mnist.Set, ids []int) *mnist.Set {
	size := s.Rows * s.Cols
	out := &mnist.Set{N: len(ids), Rows: s.Rows, Cols: s.Cols, Classes: s.Classes,
		Images: make([]uint8, 0, len(ids)*size), Labels: make([]uint8, 0, len(ids))}
	for _, i := range ids {
		out.Images = append(out.Images, s.Image(i)...)
		out.Labels = append(out.Labels, s.Labels[i])
	}
	return out
}

// projectSpace projects set (test images ids of n) through a clone of net:
// both layers, from one forward pass. A layer the network lacks, and a
// failure, leave that layer's projection nil with the reason.
func projectSpace(net *nn.Net, set *mnist.Set, ids []int, n int) *spaceProj {
	c := net.Clone()
	sp := &spaceProj{ids: ids, n: n}
	idx := [spaceLayers]int{embed.FeatureLayer(c), embed.DenseLayer(c)}
	sp.why[spaceFeatures] = "the network has no Flatten layer (no feature vector)"
	sp.why[spaceDense] = "the network has no second dense layer"
	var layers []int
	for _, li := range idx {
		if li >= 0 {
			layers = append(layers, li)
		}
	}
	if len(layers) == 0 {
		return sp
	}
	ps, err := embed.ProjectLayers(c, set, layers)
	j := 0
	for l, li := range idx {
		switch {
		case li < 0:
			continue
		case err != nil:
			sp.why[l] = err.Error()
			continue
		}
		sp.setLayer(spaceLayer(l), ps[j])
		j++
	}
	return sp
}

// setLayer keeps a layer's projection with its points.
func (sp *spaceProj) setLayer(l spaceLayer, p *embed.Projection) {
	sp.p[l], sp.why[l] = p, ""
	pts := make([]views.ScatterPoint, len(p.X))
	wrong := 0
	for i := range pts {
		w := i < len(p.Pred) && i < len(p.Labels) && p.Pred[i] != p.Labels[i]
		c := -1
		if i < len(p.Labels) {
			c = int(p.Labels[i])
		}
		pts[i] = views.ScatterPoint{X: float64(p.X[i]), Y: float64(p.Y[i]), Class: c, Wrong: w}
		if w {
			wrong++
		}
	}
	sp.pts[l], sp.bounds[l], sp.wrong = pts, views.BoundsOf(pts), wrong
}

// proj is the projection shown: the wanted one, or while it computes the
// one shown before (stale); nil when there is none.
func (t *spaceTab) proj() (sp *spaceProj, stale bool) {
	k, net := t.want()
	if net == nil {
		return nil, false
	}
	if sp := t.cache[k]; sp != nil {
		return sp, false
	}
	if sp := t.cache[t.last]; sp != nil {
		return sp, true
	}
	return nil, false
}

// spaceLayout is how the tab splits its body (bodyH lines from line bodyY):
// the scatter (plotW wide) beside the cell's images (galW wide from galX).
type spaceLayout struct {
	bodyY, bodyH    int
	plotW           int
	galX, galW      int
	timeY, statusY  int
	hintY           int
	tilesY, tilesH  int // the tiles in the gallery pane
	plot            views.ScatterLayout
	grid            views.GridLayout
	tileRows, tileW int
}

func (t *spaceTab) layout() spaceLayout {
	l := spaceLayout{timeY: 0, statusY: 1, bodyY: 2, hintY: t.h - 1}
	l.bodyH = max(0, t.h-3)
	tw := views.GridGap + 14
	if s := t.rs.test; s != nil {
		tw = views.GridGap + (s.Cols+tileShrink-1)/tileShrink
	}
	tiles := max(1, (t.w*37/100+views.GridGap)/tw)
	l.galW = tiles*tw - views.GridGap
	if t.w-l.galW-1 < 40 {
		l.galW = 0
	}
	l.plotW = t.w
	if l.galW > 0 {
		l.plotW = t.w - l.galW - 1
		l.galX = l.plotW + 1
	}
	b := views.BoundsOf(nil)
	if sp, _ := t.proj(); sp != nil && sp.p[t.layer] != nil {
		b = sp.bounds[t.layer]
	}
	l.plot = views.ScatterLayoutOf(l.plotW, l.bodyH, b)
	l.tilesY, l.tilesH = 2, max(0, l.bodyH-2)
	if s := t.rs.test; s != nil {
		l.grid = views.GridSize(l.galW, l.tilesH, (s.Rows+tileShrink-1)/tileShrink, (s.Cols+tileShrink-1)/tileShrink)
	}
	return l
}

// cell is the cursor's cell in plot p (the middle until moved).
func (t *spaceTab) cell(p views.ScatterLayout) (cx, cy int) {
	cx, cy = t.curX, t.curY
	if cx < 0 || cy < 0 {
		cx, cy = p.Cols/2, p.Rows/2
	}
	return max(0, min(p.Cols-1, cx)), max(0, min(p.Rows-1, cy))
}

// clampCursor keeps the gallery's cursor on the cell's images.
func (t *spaceTab) clampCursor() {
	n := len(t.cellImages(t.layout()))
	t.cursor = max(0, min(t.cursor, n-1))
	if n == 0 {
		t.gallery = false
	}
}

// cellImages are the points (indexes into the projection) in the cursor's
// cell, of those drawn.
func (t *spaceTab) cellImages(l spaceLayout) []int {
	sp, _ := t.proj()
	if sp == nil || sp.p[t.layer] == nil || l.plot.Cols == 0 {
		return nil
	}
	cx, cy := t.cell(l.plot)
	var out []int
	for i, p := range sp.pts[t.layer] {
		if t.onlyWrong && !p.Wrong {
			continue
		}
		if x, y := l.plot.Cell(p.X, p.Y); x == cx && y == cy {
			out = append(out, i)
		}
	}
	return out
}

func (t *spaceTab) key(msg tea.KeyPressMsg) tea.Cmd {
	o, k := t.own, t.keys
	switch {
	case key.Matches(msg, o.Layer):
		t.layer = (t.layer + 1) % spaceLayers
		t.cursor = 0
	case key.Matches(msg, o.All):
		t.all = !t.all
		t.cursor = 0
	case key.Matches(msg, o.Wrong):
		t.onlyWrong = !t.onlyWrong
		t.cursor = 0
	case t.gallery:
		return t.galleryKey(msg)
	case key.Matches(msg, k.Open):
		if len(t.cellImages(t.layout())) > 0 {
			t.gallery = true
		}
		return nil
	default:
		l := t.layout()
		if l.plot.Cols == 0 {
			return nil
		}
		cx, cy := t.cell(l.plot)
		switch {
		case key.Matches(msg, k.Up):
			cy--
		case key.Matches(msg, k.Down):
			cy++
		case key.Matches(msg, k.Left):
			cx--
		case key.Matches(msg, k.Right):
			cx++
		default:
			return nil
		}
		t.curX, t.curY = max(0, min(l.plot.Cols-1, cx)), max(0, min(l.plot.Rows-1, cy))
		t.cursor = 0
		return nil
	}
	t.clampCursor()
	return nil
}

// galleryKey moves among the cell's images, shows one on Layers, or goes
// back to the plot.
func (t *spaceTab) galleryKey(msg tea.KeyPressMsg) tea.Cmd {
	l := t.layout()
	ids := t.cellImages(l)
	switch {
	case key.Matches(msg, t.keys.Back):
		t.gallery = false
	case len(ids) == 0:
		t.gallery = false
	case key.Matches(msg, t.keys.Open):
		sp, _ := t.proj()
		return inspectImage(t.rs, sp.ids[ids[t.cursor]])
	default:
		t.cursor = gridMove(t.cursor, len(ids), l.grid, msg, t.keys, t.page)
	}
	return nil
}

// click moves the cell cursor to the cell clicked, or selects the image
// clicked.
func (t *spaceTab) click(msg tea.MouseClickMsg) {
	m := msg.Mouse()
	if m.Button != tea.MouseLeft {
		return
	}
	l := t.layout()
	if x, y := m.X-l.plot.X, m.Y-l.bodyY-l.plot.Y; x >= 0 && x < l.plot.Cols && y >= 0 && y < l.plot.Rows && m.X < l.plotW {
		t.curX, t.curY, t.cursor, t.gallery = x, y, 0, false
		return
	}
	if l.galW == 0 || m.X < l.galX {
		return
	}
	g := l.grid
	x, y := m.X-l.galX, m.Y-l.bodyY-l.tilesY
	if x < 0 || y < 0 || g.PerPage() == 0 {
		return
	}
	c, r := x/(g.TileW+views.GridGap), y/g.TileH
	ids := t.cellImages(l)
	if c < g.Cols && r < g.Rows {
		if i := pageStart(t.cursor, g) + r*g.Cols + c; i < len(ids) {
			t.cursor, t.gallery = i, true
		}
	}
}

func (t *spaceTab) View(st views.Styles) string {
	if t.w <= 0 || t.h <= 0 {
		return ""
	}
	l := t.layout()
	lines := make(screen, t.h)
	lines[l.timeY] = views.Truncate(st.Accent.Render("⏱ ")+st.Muted.Render(t.rs.timeHeading()), t.w)
	if t.h > 1 {
		lines[l.statusY] = views.Truncate(t.status(st), t.w)
	}
	if t.h > 2 {
		lines[l.hintY] = t.hints(st)
	}
	sp, _ := t.proj()
	switch {
	case t.rs.test == nil || t.rs.test.N == 0:
		lines.put(0, l.bodyY, t.w, l.bodyH, st.Warn.Render("no test images to project"))
	case sp == nil && t.rs.net == nil && len(t.rs.watch.snaps) == 0:
		lines.put(0, l.bodyY, t.w, l.bodyH, st.Muted.Render("The feature space comes with the first network: at the end of epoch 1."))
	case sp == nil && t.rs.net == nil && t.rs.time.cur == "":
		lines.put(0, l.bodyY, t.w, l.bodyH, st.Muted.Render("No live network before epoch 1 ends: , steps back to the run's snapshots."))
	case sp == nil:
		lines.put(0, l.bodyY, t.w, l.bodyH, st.Muted.Render("computing the projection…"))
	case sp.p[t.layer] == nil:
		lines.put(0, l.bodyY, t.w, l.bodyH, st.Warn.Render("no projection of the "+t.layer.String()+": "+sp.why[t.layer]))
	default:
		p := sp.p[t.layer]
		cx, cy := t.cell(l.plot)
		o := views.ScatterOptions{Classes: t.rs.classes, K: t.rs.classCount(), XName: "PC1", YName: "PC2", Explained: p.Explained,
			Bounds: sp.bounds[t.layer], CurX: cx, CurY: cy, OnlyWrong: t.onlyWrong}
		lines.put(0, l.bodyY, l.plotW, l.bodyH, views.Scatter(sp.pts[t.layer], o, l.plotW, l.bodyH, st))
		if l.galW > 0 {
			lines.put(l.galX, l.bodyY, l.galW, l.bodyH, t.galleryView(sp, l, st))
		}
	}
	return lines.render(t.w, t.h)
}

// status names the layers (the one shown highlighted), the images, the
// variance the axes explain and the misclassified count.
func (t *spaceTab) status(st views.Styles) string {
	sp, stale := t.proj()
	var b strings.Builder
	for l := range spaceLayers {
		name := l.String()
		if sp != nil && sp.p[l] != nil {
			name += " " + strconv.Itoa(sp.p[l].Dim)
		}
		if l > 0 {
			b.WriteString(" ")
		}
		if l == t.layer {
			b.WriteString(st.Selected.Render(" " + name + " "))
		} else {
			b.WriteString(st.Muted.Render(" " + name + " "))
		}
	}
	if t.busy || stale {
		b.WriteString(st.Warn.Render(" · computing…"))
	}
	if sp != nil {
		what := views.Plural(len(sp.ids), "test image")
		if len(sp.ids) < sp.n {
			what = views.GroupInt(len(sp.ids)) + " of " + views.Plural(sp.n, "test image")
		}
		b.WriteString(st.Muted.Render(" · ") + st.Text.Render(what))
		if p := sp.p[t.layer]; p != nil {
			b.WriteString(st.Muted.Render(" · ") + st.Accent.Render(fmt.Sprintf("PC1 %.1f%% · PC2 %.1f%%", 100*p.Explained[0], 100*p.Explained[1])))
			b.WriteString(st.Muted.Render(" · ") + st.Bad.Render(views.GroupInt(sp.wrong)+" misclassified"))
		}
	}
	if t.onlyWrong {
		b.WriteString(st.Warn.Render(" · only those"))
	}
	return b.String()
}

// hints are the keys that apply.
func (t *spaceTab) hints(st views.Styles) string {
	var hs [][2]string
	if t.gallery {
		hs = [][2]string{{"←↓↑→", "image"}, {"enter", "layers"}, {"esc", "back"}, {"n/p", "page"}}
	} else {
		hs = [][2]string{{"←↓↑→", "cell"}, {"enter", "images"}}
	}
	hs = append(hs, [2]string{"v", "layer"}, [2]string{"m", "misclassified"}, [2]string{"a", "all/2,000"})
	if len(t.rs.watch.snaps) > 0 {
		hs = append(hs, [2]string{", .", "time"}, [2]string{"P", "play"})
	}
	return keyHints(append(hs, [2]string{"?", "help"}), t.w, st)
}

// galleryView is the cursor's cell: how many images it holds and where, and
// their tiles (true→predicted by the network shown).
func (t *spaceTab) galleryView(sp *spaceProj, l spaceLayout, st views.Styles) string {
	ids := t.cellImages(l)
	cx, cy := t.cell(l.plot)
	x0, x1, y0, y1 := l.plot.CellRange(cx, cy)
	wrong := 0
	for _, i := range ids {
		if sp.pts[t.layer][i].Wrong {
			wrong++
		}
	}
	mark := st.Muted.Render("  ")
	if t.gallery {
		mark = st.Accent.Render("▸ ")
	}
	title := mark + st.Title.Render(views.Plural(len(ids), "image")) + st.Text.Render(" in the cell")
	if wrong > 0 {
		title += st.Muted.Render(" · ") + st.Bad.Render(views.GroupInt(wrong)+" misclassified")
	}
	if per := l.grid.PerPage(); per > 0 && len(ids) > per {
		title += st.Muted.Render(fmt.Sprintf(" · page %d/%d", pageStart(t.cursor, l.grid)/per+1, (len(ids)+per-1)/per))
	}
	where := st.Muted.Render("PC1 " + spanText(x0, x1) + " · PC2 " + spanText(y0, y1))
	var body string
	if len(ids) == 0 {
		body = st.Muted.Render("no images here: move the cursor with ←↓↑→")
	} else {
		body = t.tiles(sp, ids, l, st)
	}
	return views.Truncate(title, l.galW) + "\n" + views.Truncate(where, l.galW) + "\n" + body
}

// tiles draws the page of the cell's images ids (points of sp).
func (t *spaceTab) tiles(sp *spaceProj, ids []int, l spaceLayout, st views.Styles) string {
	s := t.rs.test
	g := l.grid
	if g.PerPage() == 0 {
		var out []string
		for j := t.cursor; j < min(len(ids), t.cursor+l.tilesH); j++ {
			out = append(out, "#"+strconv.Itoa(sp.ids[ids[j]]))
		}
		return strings.Join(out, "\n")
	}
	start := pageStart(t.cursor, g)
	page := ids[start:min(len(ids), start+g.PerPage())]
	rows, cols := (s.Rows+tileShrink-1)/tileShrink, (s.Cols+tileShrink-1)/tileShrink
	p := sp.p[t.layer]
	items := make([]views.DigitItem, len(page))
	for j, i := range page {
		items[j] = views.DigitItem{Pixels: shrink(s.Image(sp.ids[i]), s.Rows, s.Cols, tileShrink), Rows: rows, Cols: cols,
			Label: int(p.Labels[i]), Pred: int(p.Pred[i])}
	}
	cur := t.cursor - start
	if !t.gallery {
		cur = -1
	}
	out, _ := views.Grid(items, t.rs.classes, cur, g.Cols*(g.TileW+views.GridGap), g.Rows*g.TileH, st)
	return out
}

// spanText writes the range a..b with as many decimals as tell the ends
// apart (at least one more than the width's first digit needs, at most 6).
func spanText(a, b float64) string {
	prec := 2
	if d := b - a; d > 0 && !math.IsInf(d, 0) {
		prec = max(0, min(6, int(math.Ceil(-math.Log10(d)))+1))
	}
	f := func(v float64) string {
		s := views.Float(v, prec)
		if strings.Trim(s, "-0.") == "" {
			s = strings.TrimPrefix(s, "-")
		}
		return s
	}
	return f(a) + "…" + f(b)
}
