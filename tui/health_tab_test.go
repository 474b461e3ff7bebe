package tui

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"convscope/internal/health"
	"convscope/nn"
)

// testHealth is n hand-made samples of the paper's network (its layer
// names and kinds), two epochs of 47 batches sampled every 10 batches and
// at each end: weights spread out over time, activations of a ReLU pile up
// at 0, update ratios fall from about 1e-2 to 1e-3. Sample 3 (epoch 1
// batch 30) alerts on conv2d_3's update ratio and relu_5's dead units; the
// last alerts on dense_2's gradient norm.
func testHealth(t testing.TB, n int) []health.Sample {
	t.Helper()
	net, err := nn.NewPaper(28, 28, 10, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	type at struct{ epoch, batch int }
	var times []at
	for e := 1; e <= 2; e++ {
		for b := 0; b < 47; b += 10 {
			times = append(times, at{e, b})
		}
		times = append(times, at{e, 46})
	}
	if n > len(times) {
		n = len(times)
	}
	// gauss is a histogram of a normal distribution cut to [lo, hi]; the
	// rest is outside, or at 0 (the first bin) when zeros.
	gauss := func(lo, hi, mean, sd float64, total int, zeros bool) health.Hist {
		h := health.Hist{Lo: lo, Hi: hi, Counts: make([]int, health.Bins)}
		w := (hi - lo) / health.Bins
		sum := 0
		for k := range h.Counts {
			x := lo + (float64(k)+0.5)*w
			c := int(float64(total) * w / (sd * math.Sqrt(2*math.Pi)) * math.Exp(-(x-mean)*(x-mean)/(2*sd*sd)))
			h.Counts[k] = c
			sum += c
		}
		if zeros {
			h.Counts[0] += max(0, total-sum)
		} else {
			h.Over = max(0, total-sum) / 2
			h.Under = max(0, total-sum) - h.Over
		}
		return h
	}
	var out []health.Sample
	for i := range n {
		tm := times[i]
		f := float64(i) / float64(max(1, len(times)-1)) // 0..1 over the run
		s := health.Sample{Epoch: tm.epoch, Batch: tm.batch, Batches: 47, Step: (tm.epoch-1)*47 + tm.batch + 1, EpochEnd: tm.batch == 46,
			Images: 64, LR: 0.001 * (1 + math.Cos(math.Pi*f)) / 2, Loss: health.Num(2.3*math.Exp(-4*f) + 0.05), Acc: 0.1 + 0.85*(1-math.Exp(-5*f))}
		for j, l := range net.Layers {
			L := health.Layer{Index: j, Name: net.LayerName(j), Kind: l.Kind()}
			for _, p := range l.Params() {
				L.Params += len(p.W)
			}
			if L.Params > 0 {
				L.GradNorm = health.Num(0.5 * math.Exp(-2*f) * (1 + 0.1*float64(j%3)))
				L.WeightNorm = health.Num(3 + 2*f + 0.2*float64(j))
				L.HasUpdate = i > 0
				if L.HasUpdate {
					L.UpdateRatio = health.Num(1e-2 * math.Pow(10, -f) * (1 + 0.05*float64(j)))
				}
				wh := gauss(-0.5, 0.5, 0, 0.1+0.15*f, L.Params, false)
				L.WeightHist = &wh
			}
			switch l.Kind() {
			case nn.KindReLU:
				L.ActMean, L.ActStd = health.Num(0.4+0.1*f), health.Num(0.6+0.2*f)
				L.ActHist = gauss(0, 4, 0, 0.3+0.5*f, 50000, true)
				L.Units = l.Out().C
				L.DeadUnits = int(float64(L.Units) * 0.05 * f)
				L.Dead = float64(L.DeadUnits) / float64(L.Units)
			default:
				L.ActMean, L.ActStd = health.Num(0.02*float64(j%5)-0.03), health.Num(1+0.3*f)
				L.ActHist = gauss(-4, 4, 0, 1+0.6*f, 50000, false)
			}
			s.Layers = append(s.Layers, L)
		}
		if i == 3 {
			for k := range s.Layers {
				L := &s.Layers[k]
				switch L.Name {
				case "conv2d_3":
					L.UpdateRatio = 0.21
					s.Alerts = append(s.Alerts, health.Alert{Epoch: s.Epoch, Batch: s.Batch, Layer: L.Name, Figure: "update_ratio", Rule: health.RuleUpdateHigh,
						Value: 0.21, Message: fmt.Sprintf("%s: update ratio 0.21 over 0.1 at epoch %d batch %d", L.Name, s.Epoch, s.Batch)})
				case "relu_5":
					L.DeadUnits, L.Dead = 80, 80.0/128
					s.Alerts = append(s.Alerts, health.Alert{Epoch: s.Epoch, Batch: s.Batch, Layer: L.Name, Figure: "dead", Rule: health.RuleDead,
						Value: health.Num(L.Dead), Message: fmt.Sprintf("%s: 80 of 128 units dead (62%%) at epoch %d batch %d", L.Name, s.Epoch, s.Batch)})
				}
			}
		}
		if i == len(times)-1 {
			for k := range s.Layers {
				if L := &s.Layers[k]; L.Name == "dense_2" {
					L.GradNorm = 4.2
					s.Alerts = append(s.Alerts, health.Alert{Epoch: s.Epoch, Batch: s.Batch, Layer: L.Name, Figure: "grad_norm", Rule: health.RuleGradJump,
						Value: 4.2, Message: fmt.Sprintf("%s: gradient norm 4.2, 12x its previous 0.35 at epoch %d batch %d", L.Name, s.Epoch, s.Batch)})
				}
			}
		}
		out = append(out, s)
	}
	return out
}

// healthModel is the root model with health samples from get (nil: the run
// samples none) and herr, showing the Health tab.
func healthModel(t testing.TB, w, h int, get func() []health.Sample, herr error, explore bool) (*model, *healthTab) {
	t.Helper()
	opts := Options{Data: nn.Data{Train: testSet(40), Test: testSet(40)}, Config: testCfg, Health: get, HealthErr: herr, Explore: explore}
	rs := newRunState(opts)
	m := newModel(&fakeCtl{canSave: true}, runInfo{network: "paper-cnn 28x28x1 → 10 classes, 214826 params", cfg: testCfg, explore: explore}, rs, newTabs(newKeyMap(), rs, nil))
	m.profile = colorprofile.TrueColor
	m.restyle()
	send(m, tea.WindowSizeMsg{Width: w, Height: h})
	send(m, press("8"))
	if m.active != tabHealth {
		t.Fatalf("8 shows tab %d, want the Health tab", m.active)
	}
	return m, m.tabs[tabHealth].(*healthTab)
}

// fetchHealth delivers samples as a fetch would.
func fetchHealth(m *model, samples []health.Sample) {
	drive(m, watchMsg{samples: samples, fetched: true})
}

func TestHealthTabKeyIsEight(t *testing.T) {
	m, _ := newTestModel(t, 120, 40)
	send(m, press("8"))
	if m.active != tabHealth || m.tabs[tabHealth].Title() != "Health" {
		t.Errorf("8 shows tab %d (%q), want %d, Health", m.active, m.tabs[m.active].Title(), tabHealth)
	}
	if got := m.tabs[tabHealth-1].Title(); got != "Data" {
		t.Errorf("the tab before Health is %q, want Data", got)
	}
}

// TestHealthTabEmpty: each reason for no samples says itself.
func TestHealthTabEmpty(t *testing.T) {
	none := func() []health.Sample { return nil }
	cases := []struct {
		name    string
		get     func() []health.Sample
		herr    error
		explore bool
		fetch   bool
		want    []string
	}{
		{"not sampled", nil, nil, false, false, []string{"this run does not sample it"}},
		{"waiting", none, nil, false, false, []string{"Waiting for the first health sample"}},
		{"before the first", none, nil, false, true, []string{"No health sample yet", "every 200 batches"}},
		{"old run folder", none, nil, true, true, []string{"no health.jsonl"}},
		{"bad file", none, errors.New("health: line 3: unexpected end of JSON input"), true, true,
			[]string{"could not be read", "line 3: unexpected end of JSON input"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, _ := healthModel(t, 80, 24, c.get, c.herr, c.explore)
			if c.fetch {
				fetchHealth(m, nil)
			}
			out := strings.Join(strings.Fields(ansi.Strip(content(m))), " ") // wrapped lines joined
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("the tab should say %q:\n%s", w, out)
				}
			}
			checkScreen(t, m, 80, 24)
			keys(m, "down", "n") // nothing to move: no panic
		})
	}
}

// TestHealthTabCursors: up and down select a layer (its strips follow),
// n and p scroll the alerts, and both stay in range.
func TestHealthTabCursors(t *testing.T) {
	m, ht := healthModel(t, 120, 40, nil, nil, false)
	fetchHealth(m, testHealth(t, 12))
	keys(m, "up")
	if ht.layer != 0 {
		t.Errorf("up from the first layer selects %d, want 0", ht.layer)
	}
	keys(m, "down", "down", "j", "down", "down", "down")
	if ht.layer != 6 {
		t.Errorf("six downs select layer %d, want 6", ht.layer)
	}
	if out := ansi.Strip(content(m)); !strings.Contains(out, "max_pool_1 · MaxPool2D") || !strings.Contains(out, "no parameters: no weights or updates") {
		t.Errorf("layer 6 is max_pool_1, without weights:\n%s", out)
	}
	for range 30 {
		keys(m, "down")
	}
	if ht.layer != 26 {
		t.Errorf("many downs select layer %d, want the last, 26", ht.layer)
	}
	// Three alerts at 120x40 all fit: nothing scrolls.
	keys(m, "n")
	if ht.alertTop != 0 {
		t.Errorf("n with every alert in view scrolls to %d, want 0", ht.alertTop)
	}
	// At 80x24 one alert shows at a time, the newest first.
	m, ht = healthModel(t, 80, 24, nil, nil, false)
	fetchHealth(m, testHealth(t, 12))
	if out := ansi.Strip(content(m)); !strings.Contains(out, "dense_2: gradient norm 4.2") {
		t.Errorf("the newest alert should show first:\n%s", out)
	}
	keys(m, "n", "n", "n", "n")
	if ht.alertTop != 2 {
		t.Errorf("n past the end scrolls to %d, want the last of 3 alerts, 2", ht.alertTop)
	}
	if out := ansi.Strip(content(m)); !strings.Contains(out, "conv2d_3: update ratio 0.21") {
		t.Errorf("the oldest alert should show at the end:\n%s", out)
	}
	keys(m, "p")
	if ht.alertTop != 1 {
		t.Errorf("p scrolls to %d, want 1", ht.alertTop)
	}
}

// TestHealthTabSizes: the tab fills exactly every size from the smallest
// the program draws in, for a layer with parameters and one without.
func TestHealthTabSizes(t *testing.T) {
	samples := testHealth(t, 12)
	for _, sz := range []struct{ w, h int }{{60, 20}, {61, 45}, {100, 30}, {119, 40}, {120, 24}, {120, 28}, {130, 20}, {250, 80}} {
		for _, down := range []int{0, 2} {
			m, _ := healthModel(t, sz.w, sz.h, nil, nil, false)
			fetchHealth(m, samples)
			for range down {
				keys(m, "down")
			}
			checkScreen(t, m, sz.w, sz.h)
		}
	}
	// One sample, before any update: no ratios yet.
	m, _ := healthModel(t, 120, 40, nil, nil, false)
	fetchHealth(m, samples[:1])
	checkScreen(t, m, 120, 40)
	if out := ansi.Strip(content(m)); !strings.Contains(out, "epoch 1 batch 0") {
		t.Errorf("one sample should show its place:\n%s", out)
	}
}

// TestHealthHeader: the header warns of the latest alerts, in one line
// that fits at 80 columns, and only when there are any.
func TestHealthHeader(t *testing.T) {
	for _, w := range []int{80, 120, 200} {
		m, _ := healthModel(t, w, 40, nil, nil, false)
		fetchHealth(m, testHealth(t, 3))
		if out := ansi.Strip(content(m)); strings.Contains(out, "⚠") {
			t.Errorf("%d: samples without alerts should not warn:\n%s", w, out)
		}
		fetchHealth(m, testHealth(t, 5)) // sample 3 alerts twice
		lines := strings.Split(ansi.Strip(content(m)), "\n")
		header := strings.Join(lines[1:1+m.headerH], "\n")
		if m.headerH != 3 {
			t.Errorf("%d: the header takes %d lines with alerts, want 3", w, m.headerH)
		}
		want := "⚠ 2 alerts"
		if w >= 120 {
			want = "⚠ 2 alerts: conv2d_3 update ratio 0.21 at epoch 1 batch 30 (8 Health)"
		}
		if !strings.Contains(header, want) || !strings.Contains(header, "8 Health") {
			t.Errorf("%d: the header should say %q and point at 8 Health:\n%s", w, want, header)
		}
		checkScreen(t, m, w, 40)
	}
}

// TestHealthTabView: goldens of the tab at the three sizes, dark, light
// and without colour, with the cursor on a layer with alerts and on a
// ReLU, and each screen exactly its size.
func TestHealthTabView(t *testing.T) {
	for _, sz := range []struct{ w, h int }{{80, 24}, {120, 40}, {200, 60}} {
		for _, theme := range []string{"dark", "light", "nocolour"} {
			for _, v := range []struct {
				name string
				keys []string
			}{{"first", nil}, {"relu", []string{"down", "down"}}} {
				name := fmt.Sprintf("%s_%s_%dx%d", v.name, theme, sz.w, sz.h)
				t.Run(name, func(t *testing.T) {
					m, _ := healthModel(t, sz.w, sz.h, nil, nil, false)
					switch theme {
					case "light":
						send(m, tea.BackgroundColorMsg{Color: lipgloss.Color("#ffffff")})
					case "nocolour":
						m.profile = colorprofile.NoTTY
						m.restyle()
					}
					fetchHealth(m, testHealth(t, 12))
					keys(m, v.keys...)
					checkScreen(t, m, sz.w, sz.h)
					golden.RequireEqual(t, content(m))
				})
			}
		}
	}
}
