package tui

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"convscope/internal/embed"
	"convscope/mnist"
	"convscope/nn"
	"convscope/views"
)

// spaceOf is the model's Space tab and the key that shows it.
func spaceOf(t testing.TB, m *model) (*spaceTab, string) {
	t.Helper()
	for i, tb := range m.tabs {
		if st, ok := tb.(*spaceTab); ok {
			return st, strconv.Itoa(i + 1)
		}
	}
	t.Fatal("no Space tab")
	return nil, ""
}

// spaceModel is timelineModel with n test images (testSet) and the Space tab
// shown (its projection of the live network computed).
func spaceModel(t testing.TB, w, h, n int) (*model, func(tea.Msg), *spaceTab, []*nn.Net) {
	t.Helper()
	m, update, nets := timelineModel(t, w, h)
	m.rs.test = testSet(n)
	m.rs.classes = m.rs.test.Classes
	st, k := spaceOf(t, m)
	update(keyOf(k))
	return m, update, st, nets
}

// projectionOf is embed's projection of set by a clone of net, both layers.
func projectionOf(t testing.TB, net *nn.Net, set *mnist.Set) []*embed.Projection {
	t.Helper()
	c := net.Clone()
	ps, err := embed.ProjectLayers(c, set, []int{embed.FeatureLayer(c), embed.DenseLayer(c)})
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// TestSpaceProjects: shown, the tab projects the live network's outputs for
// the test images (embed's projection exactly, both layers); , steps the
// timeline back and the tab projects the snapshot's; . past the last is the
// live one again, from the cache.
func TestSpaceProjects(t *testing.T) {
	m, update, st, nets := spaceModel(t, 120, 40, 40)
	screen := func() string { return ansi.Strip(content(m)) }
	live := fmt.Sprintf("live %d", m.rs.netID)
	sp := st.cache[spaceKey{net: live, all: true}]
	if sp == nil || st.busy {
		t.Fatalf("no projection of the live network after showing the tab (busy %v, cache %v)", st.busy, st.cache)
	}
	want := projectionOf(t, m.rs.net, m.rs.test)
	for l := range spaceLayers {
		if got := sp.p[l]; got == nil || !slices.Equal(got.X, want[l].X) || !slices.Equal(got.Y, want[l].Y) || got.Explained != want[l].Explained {
			t.Fatalf("%v: the tab's projection is not embed's", l)
		}
	}
	s := screen()
	for _, w := range []string{"⏱ live network", fmt.Sprintf("PC1 %.1f%% · PC2 %.1f%%", 100*want[0].Explained[0], 100*want[0].Explained[1]),
		"40 test images", "feature vector 256", "dense layer 64"} {
		if !strings.Contains(s, w) {
			t.Errorf("screen lacks %q:\n%s", w, s)
		}
	}
	update(keyOf(","))
	snap := m.rs.time.cur
	if snap == "" || !strings.Contains(screen(), "snapshot 3/3") {
		t.Fatalf("the timeline did not step to the last snapshot:\n%s", screen())
	}
	sp = st.cache[spaceKey{net: snap, all: true}]
	if sp == nil {
		t.Fatal("no projection of the snapshot after stepping to it")
	}
	want = projectionOf(t, nets[2], m.rs.test)
	if !slices.Equal(sp.p[spaceDense].X, want[1].X) || !slices.Equal(sp.p[spaceDense].Pred, want[1].Pred) {
		t.Error("the snapshot's projection is not the snapshot network's")
	}
	if got, stale := st.proj(); got != sp || stale {
		t.Error("the tab does not show the snapshot's projection")
	}
	update(keyOf("."))
	if st.busy || len(st.cache) != 2 {
		t.Errorf("back on the live network: busy %v with %d projections cached, want 2 and nothing running", st.busy, len(st.cache))
	}
	// v shows the other layer, with its dimension.
	update(keyOf("v"))
	if st.layer != spaceDense {
		t.Error("v did not show the dense layer")
	}
}

// TestSpaceStale: a projection of an older live network is dropped, and
// while the moment's projection computes the tab shows the one before.
func TestSpaceStale(t *testing.T) {
	m, update, st, _ := spaceModel(t, 120, 40, 30)
	liveKey := spaceKey{net: fmt.Sprintf("live %d", m.rs.netID), all: true}
	first := st.cache[liveKey]
	if first == nil {
		t.Fatal("no projection of the live network")
	}
	// A new live network arrives; its projection starts, and the old one
	// shows meanwhile.
	cmd := send(m, eventsMsg{epochMsg{p: nn.Progress{Kind: nn.EpochDone, Epoch: 2, Epochs: 2}, net: inspectNet(t)}})
	if !st.busy {
		t.Fatal("a new live network started no projection")
	}
	if got, stale := st.proj(); got != first || !stale {
		t.Errorf("while computing: shows %p stale %v, want the previous projection, stale", got, stale)
	}
	if s := ansi.Strip(content(m)); !strings.Contains(s, "computing…") {
		t.Errorf("the status does not say it computes:\n%s", s)
	}
	// The result for the old network, coming late, is not kept.
	update(spaceDoneMsg{key: spaceKey{net: "live 1", all: true}, proj: first})
	if st.cache[spaceKey{net: "live 1", all: true}] != nil && m.rs.netID != 1 {
		t.Error("a projection of an older live network was cached")
	}
	runCmds(t, func(msg tea.Msg) tea.Cmd { return send(m, msg) }, cmd)
	newKey := spaceKey{net: fmt.Sprintf("live %d", m.rs.netID), all: true}
	if st.cache[newKey] == nil || st.cache[liveKey] != nil {
		t.Errorf("after the new projection: cached new %v, old %v; want the new only", st.cache[newKey] != nil, st.cache[liveKey] != nil)
	}
	if got, stale := st.proj(); got != st.cache[newKey] || stale {
		t.Error("the tab does not show the new projection")
	}
}

// handSpace is a projection of the first n test images built by hand (no
// forward pass, the same on every machine): class c's points around the
// c-th of ten places on a ring, on a lattice of hundredths; every 11th image
// is predicted as the next class.
func handSpace(n int) *spaceProj {
	rng := rand.New(rand.NewPCG(3, 4))
	ring := [10][2]int{{300, 0}, {243, 176}, {93, 285}, {-93, 285}, {-243, 176}, {-300, 0}, {-243, -176}, {-93, -285}, {93, -285}, {243, -176}}
	p := &embed.Projection{Name: "flatten_1", Dim: 256, X: make([]float32, n), Y: make([]float32, n),
		Labels: make([]uint8, n), Pred: make([]uint8, n), Explained: [2]float64{0.312, 0.187}}
	for i := range n {
		c := i % 10
		p.Labels[i], p.Pred[i] = uint8(c), uint8(c)
		if i%11 == 0 {
			p.Pred[i] = uint8((c + 1) % 10)
		}
		p.X[i] = float32(ring[c][0]+rng.IntN(121)-60) / 100
		p.Y[i] = float32(ring[c][1]+rng.IntN(81)-40) / 100
	}
	q := *p
	q.Name, q.Dim, q.Explained = "re_lu_8", 64, [2]float64{0.455, 0.201}
	sp := &spaceProj{n: n}
	for i := range n {
		sp.ids = append(sp.ids, i)
	}
	sp.setLayer(spaceFeatures, p)
	sp.setLayer(spaceDense, &q)
	return sp
}

// handModel is the root model with n test images, the live network and a
// hand-built projection of it in the Space tab's cache, shown.
func handModel(t testing.TB, w, h, n int, look func(*model)) (*model, *spaceTab) {
	t.Helper()
	m, update, _ := timelineModel(t, w, h)
	if look != nil {
		look(m)
	}
	m.rs.test = testSet(n)
	m.rs.classes = m.rs.test.Classes
	st, k := spaceOf(t, m)
	st.cache[spaceKey{net: fmt.Sprintf("live %d", m.rs.netID), all: true}] = handSpace(n)
	update(keyOf(k))
	if st.busy {
		t.Fatal("the tab computes although its projection is cached")
	}
	return m, st
}

// TestSpaceCell: enter lists exactly the images in the cursor's cell, and
// on one of them enter shows it on the Layers tab; m lists only the
// misclassified ones.
func TestSpaceCell(t *testing.T) {
	m, st := handModel(t, 120, 40, 200, nil)
	sp := st.cache[st.last]
	l := st.layout()
	// The fullest cell that holds a misclassified image.
	type cell struct{ x, y int }
	byCell := map[cell][]int{}
	for i := range 200 {
		x, y := l.plot.Cell(float64(sp.p[0].X[i]), float64(sp.p[0].Y[i]))
		byCell[cell{x, y}] = append(byCell[cell{x, y}], i)
	}
	var cx, cy int
	var want, wrong []int
	for c, ids := range byCell {
		var w []int
		for _, i := range ids {
			if sp.p[0].Pred[i] != sp.p[0].Labels[i] {
				w = append(w, i)
			}
		}
		if len(w) > 0 && (len(ids) > len(want) || len(ids) == len(want) && (c.y < cy || c.y == cy && c.x < cx)) {
			cx, cy, want, wrong = c.x, c.y, ids, w
		}
	}
	if len(want) < 2 {
		t.Fatalf("no cell holds two images and a misclassified one: %v", byCell)
	}
	// Walk the cursor there from the middle.
	mx, my := st.cell(l.plot)
	for ; mx < cx; mx++ {
		send(m, keyOf("right"))
	}
	for ; mx > cx; mx-- {
		send(m, keyOf("left"))
	}
	for ; my < cy; my++ {
		send(m, keyOf("down"))
	}
	for ; my > cy; my-- {
		send(m, keyOf("up"))
	}
	if x, y := st.cell(l.plot); x != cx || y != cy {
		t.Fatalf("cursor at (%d, %d), want (%d, %d)", x, y, cx, cy)
	}
	send(m, keyOf("enter"))
	if !st.gallery {
		t.Fatal("enter did not open the cell's images")
	}
	if got := st.cellImages(l); !slices.Equal(got, want) {
		t.Fatalf("cell lists %v, want %v", got, want)
	}
	s := ansi.Strip(content(m))
	if !strings.Contains(s, views.Plural(len(want), "image")+" in the cell") || !strings.Contains(s, "✗") {
		t.Errorf("the cell's images are not shown:\n%s", s)
	}
	// enter on the selected image shows it on Layers.
	send(m, keyOf("right"))
	cmd := send(m, keyOf("enter"))
	var got []tea.Msg
	runCmds(t, func(msg tea.Msg) tea.Cmd { got = append(got, msg); return send(m, msg) }, cmd)
	var sent *inspectMsg
	for _, msg := range got {
		if im, ok := msg.(inspectMsg); ok {
			sent = &im
		}
	}
	if sent == nil || sent.Source != "test #"+strconv.Itoa(want[1]) || m.active != tabLayers {
		t.Fatalf("enter sent %+v, tab %d; want test #%d on Layers", sent, m.active, want[1])
	}
	// Back on the Space tab, m lists only the misclassified.
	_, k := spaceOf(t, m)
	send(m, keyOf(k))
	send(m, keyOf("esc"))
	send(m, keyOf("m"))
	if got := st.cellImages(st.layout()); !slices.Equal(got, wrong) || len(wrong) == 0 {
		t.Errorf("only misclassified: cell lists %v, want %v", got, wrong)
	}
}

// TestSpaceSubset: a test set larger than the subset projects 2,000
// images, stratified by class, the same every time; a shows all.
func TestSpaceSubset(t *testing.T) {
	labels := make([]uint8, 10000)
	for i := range labels {
		labels[i] = uint8(i % 7 % 3) // classes 0, 1, 2 in shares 3/7, 2/7, 2/7
	}
	ids := stratified(labels, 2000)
	if len(ids) != 2000 || !slices.IsSorted(ids) {
		t.Fatalf("stratified picked %d images (sorted %v), want 2000 in order", len(ids), slices.IsSorted(ids))
	}
	var per [3]int
	for _, i := range ids {
		per[labels[i]]++
	}
	var all [3]int
	for _, l := range labels {
		all[l]++
	}
	for c := range per {
		if want := all[c] * 2000 / 10000; per[c] < want || per[c] > want+1 {
			t.Errorf("class %d: %d images, want its share %d", c, per[c], want)
		}
	}
	if again := stratified(labels, 2000); !slices.Equal(again, ids) {
		t.Error("stratified picks other images the second time")
	}
	if got := stratified(labels[:5], 2000); len(got) != 5 {
		t.Errorf("of 5 images stratified picks %d", len(got))
	}
	// The tab: 2,000 of 2,500, then all.
	m, update, _ := timelineModel(t, 120, 40)
	m.rs.test = testSet(2500)
	st, k := spaceOf(t, m)
	sub := handSpace(10)
	sub.n = 2500
	st.cache[spaceKey{net: fmt.Sprintf("live %d", m.rs.netID), all: false}] = sub
	update(keyOf(k))
	if s := ansi.Strip(content(m)); !strings.Contains(s, "10 of 2,500 test images") {
		t.Errorf("the status does not say how many of the test images it shows:\n%s", s)
	}
	st.busy = true // a's projection must wait for the one running
	send(m, keyOf("a"))
	if sp, stale := st.proj(); !stale || sp == nil {
		t.Error("a: the subset's projection is not shown while all's is missing")
	}
	if set, ids := st.images(false); set.N != spaceSubset || len(ids) != spaceSubset || set.Labels[7] != m.rs.test.Labels[ids[7]] {
		t.Errorf("the subset has %d images for %d ids", set.N, len(ids))
	}
}

// TestSpaceEdges: no test images, a network with neither a feature vector
// nor a second dense layer, a projection of one class, and no network yet
// draw a message or a plot of exactly the tab's size.
func TestSpaceEdges(t *testing.T) {
	flat := &nn.Net{Input: nn.Shape{H: 28, W: 28, C: 1}}
	flat.Layers = []nn.Layer{nn.NewDense(flat.Input, 10, rand.New(rand.NewPCG(1, 1)))}
	flat.SetEngine(nil)
	one := testSet(30)
	for i := range one.Labels {
		one.Labels[i] = 4
	}
	cases := []struct {
		name string
		set  *mnist.Set
		net  *nn.Net
		want string
	}{
		{"no test images", &mnist.Set{Rows: 28, Cols: 28}, nil, "no test images to project"},
		{"no layers", testSet(20), flat, "no projection of the feature vector: the network has no Flatten layer"},
		{"one class", one, nil, "PC1"},
		{"too few images", testSet(2), nil, "need at least 3 images"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, update, _ := timelineModel(t, 80, 24)
			m.rs.test = c.set
			if c.net != nil {
				update(eventsMsg{snapshotMsg{net: c.net}})
			}
			st, k := spaceOf(t, m)
			update(keyOf(k))
			out := st.View(views.NewStyles(true, colorprofile.TrueColor))
			checkTabBlock(t, out, 80, m.bodyHeight())
			if s := ansi.Strip(out); !strings.Contains(s, c.want) {
				t.Errorf("view lacks %q:\n%s", c.want, s)
			}
		})
	}
	// Before any network: a message, no command.
	rs := newRunState(Options{Data: nn.Data{Test: testSet(10)}})
	st := newSpaceTab(newKeyMap(), rs)
	st.SetSize(80, 19)
	if cmd := st.setShown(true); cmd != nil {
		t.Error("the tab starts a projection without a network")
	}
	if s := ansi.Strip(st.View(views.NewStyles(true, colorprofile.Ascii))); !strings.Contains(s, "comes with the first network") {
		t.Errorf("no network: %s", s)
	}
}

// TestSpaceHidden: a hidden tab computes nothing when a network arrives.
func TestSpaceHidden(t *testing.T) {
	m, _, st, _ := spaceModel(t, 120, 40, 20)
	send(m, keyOf("1"))
	if st.shown {
		t.Fatal("the tab thinks it is shown on the Train tab")
	}
	send(m, eventsMsg{epochMsg{p: nn.Progress{Kind: nn.EpochDone, Epoch: 2, Epochs: 2}, net: inspectNet(t)}})
	if st.busy {
		t.Error("the hidden tab started a projection")
	}
}

// TestSpaceView: goldens of the tab with a hand-built projection, the
// cursor on a cell of the ring and its images open, at three sizes, dark,
// light and without colour.
func TestSpaceView(t *testing.T) {
	sizes := [][2]int{{80, 24}, {120, 40}, {200, 60}}
	looks := []struct {
		name string
		dark bool
		prof colorprofile.Profile
	}{{"dark", true, colorprofile.TrueColor}, {"light", false, colorprofile.TrueColor}, {"nocolour", true, colorprofile.Ascii}}
	for _, sz := range sizes {
		for _, lk := range looks {
			t.Run(fmt.Sprintf("%dx%d_%s", sz[0], sz[1], lk.name), func(t *testing.T) {
				m, st := handModel(t, sz[0], sz[1], 300, nil)
				sp := st.cache[st.last]
				l := st.layout()
				st.curX, st.curY = l.plot.Cell(float64(sp.p[0].X[0]), float64(sp.p[0].Y[0]))
				send(m, keyOf("enter"))
				out := st.View(views.NewStyles(lk.dark, lk.prof))
				checkTabBlock(t, out, sz[0], m.bodyHeight())
				golden.RequireEqual(t, out)
			})
		}
	}
}

// BenchmarkSpaceProject is the Space tab's command: both layers of the
// paper network (one thread, as in the UI) for the default subset and for
// every test image. It reads the real MNIST test set when the module cache
// has it, else it repeats testSet.
func BenchmarkSpaceProject(b *testing.B) {
	test, from := testSet(10000), "testSet"
	if dir, err := mnist.Find(); err == nil {
		if _, s, err := mnist.Load(dir); err == nil {
			test, from = s, dir
		}
	}
	b.Logf("%d test images from %s", test.N, from)
	net := inspectNet(b)
	for _, n := range []int{spaceSubset, 10000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			ids := stratified(test.Labels[:test.N], n)
			set := subsetOf(test, ids)
			for b.Loop() {
				sp := projectSpace(net, set, ids, test.N)
				if sp.p[spaceFeatures] == nil || sp.p[spaceDense] == nil {
					b.Fatal(sp.why)
				}
			}
		})
	}
}

// TestSpanText: a cell's range has the decimals that tell its ends apart.
func TestSpanText(t *testing.T) {
	for _, c := range []struct {
		a, b float64
		want string
	}{
		{2.46, 2.80, "2.46…2.80"},
		{-0.0234, -0.0198, "-0.0234…-0.0198"},
		{-0.004, 0.003, "-0.0040…0.0030"},
		{-0.0001, 0.5, "0.00…0.50"},
		{-12, 30, "-12…30"},
	} {
		if got := spanText(c.a, c.b); got != c.want {
			t.Errorf("spanText(%v, %v) = %q, want %q", c.a, c.b, got, c.want)
		}
	}
}
