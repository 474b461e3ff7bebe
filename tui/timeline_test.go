package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"convscope/internal/snapshot"
	"convscope/nn"
	"convscope/views"
)

// snapRun writes three snapshots of inspectNet to a folder, as a run keeps
// them: the initial weights, epoch 1 after batch 10, the end of epoch 1.
// Each later one has its weights scaled (no training: the figures are the
// same on every machine). It returns the folder and the three networks.
func snapRun(t testing.TB) (string, []*nn.Net) {
	t.Helper()
	dir := t.TempDir()
	infos := []snapshot.Info{
		{Epoch: 0, Batch: snapshot.Init},
		{Epoch: 1, Batch: 10, Batches: 50, Step: 11},
		{Epoch: 1, Batch: 49, Batches: 50, End: true, Step: 50, TestAcc: 0.5, HasAcc: true},
	}
	var nets []*nn.Net
	for i, info := range infos {
		net := inspectNet(t)
		for _, p := range net.Params() {
			for j := range p.W {
				p.W[j] *= float32(1 + i)
			}
		}
		tr, err := nn.NewTrainer(net, nn.DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := snapshot.Save(dir, tr, info, nil, nil); err != nil {
			t.Fatal(err)
		}
		nets = append(nets, net)
	}
	return dir, nets
}

// timelineModel is the root model at w×h with the live network (inspectNet)
// and the snapshots of snapRun, listed.
func timelineModel(t testing.TB, w, h int) (m *model, update func(tea.Msg), nets []*nn.Net) {
	t.Helper()
	dir, nets := snapRun(t)
	keys := newKeyMap()
	rs := newRunState(Options{Snapshots: func() ([]snapshot.Snapshot, error) { return snapshot.List(dir) }})
	m = newModel(&fakeCtl{}, runInfo{cfg: testCfg}, rs, newTabs(keys, rs, nil))
	m.profile = colorprofile.TrueColor
	m.restyle()
	up := func(msg tea.Msg) tea.Cmd { _, c := m.Update(msg); return c }
	update = func(msg tea.Msg) { runCmds(t, up, up(msg)) }
	update(tea.WindowSizeMsg{Width: w, Height: h})
	update(eventsMsg{snapshotMsg{net: inspectNet(t)}})
	update(inspectMsg{Pixels: sevenPixels(), Rows: 28, Cols: 28, Label: 7, Source: "test #0"})
	// The snapshots are fetched as an epoch ends.
	update(epochMsg{p: nn.Progress{Kind: nn.EpochDone, Epoch: 1, Epochs: 2}})
	if n := len(rs.watch.snaps); n != 3 {
		t.Fatalf("the run state lists %d snapshots, want 3", n)
	}
	return m, update, nets
}

// sameWeights reports whether a and b have the same parameters.
func sameWeights(a, b *nn.Net) bool {
	pa, pb := a.Params(), b.Params()
	if len(pa) != len(pb) {
		return false
	}
	for i := range pa {
		for j := range pa[i].W {
			if pa[i].W[j] != pb[i].W[j] {
				return false
			}
		}
	}
	return true
}

// TestTimelineSteps: , and . step the Layers tab through the snapshots (the
// heading says which, the activations are recomputed with its weights), past
// the last back to the live network; the Draw tab shows the same moment.
func TestTimelineSteps(t *testing.T) {
	m, update, nets := timelineModel(t, 120, 40)
	lt := m.tabs[tabLayers].(*layersTab)
	dt := m.tabs[tabDraw].(*drawTab)
	update(keyOf("5"))
	screen := func() string { return ansi.Strip(content(m)) }
	if s := screen(); !strings.Contains(s, "live network · , . step through 3 snapshots") {
		t.Fatalf("Layers does not offer the snapshots:\n%s", s)
	}
	live := lt.net
	steps := []struct {
		key, heading string
		net          int // index into nets; -1 live
	}{
		{",", "snapshot 3/3: end of epoch 1 (50.00%)", 2},
		{",", "snapshot 2/3: epoch 1, batch 10", 1},
		{",", "snapshot 1/3: initial weights", 0},
		{",", "snapshot 1/3: initial weights", 0}, // before the first: stays
		{".", "snapshot 2/3: epoch 1, batch 10", 1},
		{".", "snapshot 3/3: end of epoch 1", 2},
		{".", "live network", -1},
	}
	for i, s := range steps {
		update(keyOf(s.key))
		if got := screen(); !strings.Contains(got, "⏱ "+s.heading) {
			t.Fatalf("step %d (%s): heading missing %q:\n%s", i, s.key, s.heading, got)
		}
		want := live
		if s.net >= 0 {
			want = nets[s.net]
		}
		if !sameWeights(lt.net, want) {
			t.Fatalf("step %d (%s): the Layers tab's network is not the one named", i, s.key)
		}
		if !lt.current() {
			t.Fatalf("step %d (%s): activations not recomputed for the network shown", i, s.key)
		}
		if s.net >= 0 && lt.net == live {
			t.Fatalf("step %d: still the live network", i)
		}
	}
	// The Draw tab reads with the moment shown.
	update(keyOf(","))
	update(keyOf("6"))
	if shown, _ := dt.rs.shown(); !sameWeights(shown, nets[2]) {
		t.Error("the Draw tab does not read with the snapshot the timeline shows")
	}
	// The Samples tab does not take the timeline's keys.
	update(keyOf("2"))
	before := m.rs.time.cur
	update(keyOf(","))
	if m.rs.time.cur != before {
		t.Error(", moved the timeline on the Samples tab")
	}
}

// TestTimelinePlay: P plays from the first snapshot through every one, a
// step per tick, and ends on the live network; P while playing stops.
func TestTimelinePlay(t *testing.T) {
	m, update, nets := timelineModel(t, 120, 40)
	update(keyOf("5"))
	m.rs.time.every = time.Millisecond
	// runCmds runs each tick's command (it sleeps, then ticks), so the
	// whole play happens within the update; record what it showed.
	var seen []*nn.Net
	lt := m.tabs[tabLayers].(*layersTab)
	up := func(msg tea.Msg) tea.Cmd {
		_, c := m.Update(msg)
		if n := len(seen); n == 0 || seen[n-1] != lt.net {
			seen = append(seen, lt.net)
		}
		return c
	}
	live := lt.net
	runCmds(t, up, up(keyOf("P")))
	want := []*nn.Net{nets[0], nets[1], nets[2], live}
	if len(seen) < len(want) {
		t.Fatalf("play showed %d networks, want %d", len(seen), len(want))
	}
	seen = seen[len(seen)-len(want):]
	for i := range want {
		if !sameWeights(seen[i], want[i]) {
			t.Fatalf("frame %d of the play is not the network expected (init, batch 10, end of epoch 1, live)", i)
		}
	}
	if m.rs.time.playing || m.rs.time.cur != "" {
		t.Errorf("after the last snapshot: playing %v at %q, want stopped on the live network", m.rs.time.playing, m.rs.time.cur)
	}
	// P while playing stops; a stale tick does nothing.
	m.rs.time.every = time.Hour
	send(m, keyOf("P"))
	if !m.rs.time.playing {
		t.Fatal("P did not start playing")
	}
	gen := m.rs.time.playGen
	send(m, keyOf("P"))
	if m.rs.time.playing {
		t.Error("P did not stop playing")
	}
	cur := m.rs.time.cur
	send(m, playTickMsg{gen: gen})
	if m.rs.time.cur != cur {
		t.Error("a tick of a stopped play moved the timeline")
	}
}

// TestDrawReplay: the Draw tab reads the drawing with every snapshot, and
// each row is that snapshot's own prediction.
func TestDrawReplay(t *testing.T) {
	m, update, nets := timelineModel(t, 120, 40)
	dt := m.tabs[tabDraw].(*drawTab)
	update(keyOf("6"))
	dt.line(6, 7, 6, 21, false)
	dt.line(6, 21, 23, 12, false)
	dt.changed()
	update(keyOf("left")) // any message: the tab starts what is missing
	if len(dt.replay) != 3 || dt.replayVer != dt.version {
		t.Fatalf("replay has %d rows for version %d (drawing %d), want 3 for the drawing", len(dt.replay), dt.replayVer, dt.version)
	}
	for i, net := range nets {
		probs := nn.Softmax(net.Clone().Forward(nn.ImageInput(dt.proc), 1, false))
		pred := nn.Predict(net.Clone().Forward(nn.ImageInput(dt.proc), 1, false))
		if r := dt.replay[i]; r.pred != pred || r.conf != probs[pred] {
			t.Errorf("row %d (%s) = %d at %.4f, want %d at %.4f", i, r.label, r.pred, r.conf, pred, probs[pred])
		}
	}
	if dt.replay[0].label != "init" || dt.replay[1].label != "e1 b10" || dt.replay[2].label != "e1 end" {
		t.Errorf("labels %q %q %q", dt.replay[0].label, dt.replay[1].label, dt.replay[2].label)
	}
	// The loaded snapshots are kept for the timeline.
	if len(m.rs.time.nets) != 3 {
		t.Errorf("the timeline keeps %d loaded snapshots, want 3", len(m.rs.time.nets))
	}
	s := ansi.Strip(content(m))
	if !strings.Contains(s, "how the run read it over training") || !strings.Contains(s, "e1 b10") {
		t.Errorf("the replay is not shown:\n%s", s)
	}
}

// TestTimelineView: goldens of the Layers tab on a snapshot and of the Draw
// tab's replay, at three sizes, dark, light and without colour.
func TestTimelineView(t *testing.T) {
	sizes := [][2]int{{80, 24}, {120, 40}, {200, 60}}
	looks := []struct {
		name string
		dark bool
		prof colorprofile.Profile
	}{{"dark", true, colorprofile.TrueColor}, {"light", false, colorprofile.TrueColor}, {"nocolour", true, colorprofile.Ascii}}
	for _, sz := range sizes {
		for _, lk := range looks {
			t.Run(fmt.Sprintf("layers_%dx%d_%s", sz[0], sz[1], lk.name), func(t *testing.T) {
				m, update, _ := timelineModel(t, sz[0], sz[1])
				update(keyOf("5"))
				update(keyOf(","))
				update(keyOf(","))
				out := m.tabs[tabLayers].View(views.NewStyles(lk.dark, lk.prof))
				checkTabBlock(t, out, sz[0], m.bodyHeight())
				golden.RequireEqual(t, out)
			})
			t.Run(fmt.Sprintf("draw_%dx%d_%s", sz[0], sz[1], lk.name), func(t *testing.T) {
				m, update, _ := timelineModel(t, sz[0], sz[1])
				dt := m.tabs[tabDraw].(*drawTab)
				update(keyOf("6"))
				update(keyOf(","))
				dt.line(6, 7, 6, 21, false)
				dt.line(6, 21, 23, 12, false)
				dt.changed()
				update(keyOf("left"))
				out := dt.View(views.NewStyles(lk.dark, lk.prof))
				checkTabBlock(t, out, sz[0], m.bodyHeight())
				golden.RequireEqual(t, out)
			})
		}
	}
}

// TestTimelineListingFails: a listing that fails is said in the
// timeline's heading (the snapshots listed before stay).
func TestTimelineListingFails(t *testing.T) {
	m, update, _ := timelineModel(t, 120, 40)
	m.rs.watch.snapshots = func() ([]snapshot.Snapshot, error) { return nil, fmt.Errorf("snapshot: permission denied") }
	update(epochMsg{p: nn.Progress{Kind: nn.EpochDone, Epoch: 2, Epochs: 2}})
	update(keyOf("5"))
	s := ansi.Strip(content(m))
	if !strings.Contains(s, "listing the snapshots failed: snapshot: permission denied") || len(m.rs.watch.snaps) != 3 {
		t.Errorf("a failed listing: %d snapshots kept, screen:\n%s", len(m.rs.watch.snaps), s)
	}
}
