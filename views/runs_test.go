package views

import (
	"math"
	"strings"
	"testing"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"convscope/nn"
)

func runsFixture() []RunCurves {
	mk := func(name string, accs ...float64) RunCurves {
		r := RunCurves{Name: name}
		for i, a := range accs {
			r.Epochs = append(r.Epochs, nn.EpochStats{Epoch: i + 1, TestAcc: a, TestLoss: 1 - a})
		}
		return r
	}
	return []RunCurves{
		mk("paper", 0.9769, 0.9876, 0.9765, 0.9882, 0.9917),
		mk("cosine+augment", 0.9808, 0.9908, 0.9915, 0.9932, 0.9948, 0.9949, 0.9956),
		mk("broken", math.NaN(), 0.95, math.Inf(1)),
	}
}

func TestRuns(t *testing.T) {
	for _, tc := range []struct {
		name string
		w, h int
		p    colorprofile.Profile
		runs []RunCurves
	}{
		{"three_100x24", 100, 24, colorprofile.TrueColor, runsFixture()},
		{"three_ascii_80x20", 80, 20, colorprofile.Ascii, runsFixture()},
		{"none", 60, 10, colorprofile.TrueColor, nil},
		{"no_epochs", 60, 10, colorprofile.TrueColor, []RunCurves{{Name: "empty"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := Runs(tc.runs, tc.w, tc.h, NewStyles(true, tc.p))
			lines := strings.Split(out, "\n")
			if len(lines) != tc.h {
				t.Errorf("Runs gave %d lines, want %d", len(lines), tc.h)
			}
			for i, l := range lines {
				if wd := ansi.StringWidth(l); wd > tc.w {
					t.Errorf("line %d is %d wide, want <= %d", i, wd, tc.w)
				}
			}
			golden.RequireEqual(t, []byte(out))
		})
	}
}

// TestRunsLegendBest: the legend names each run with its best test accuracy and epoch.
func TestRunsLegendBest(t *testing.T) {
	out := ansi.Strip(Runs(runsFixture(), 120, 20, NewStyles(true, colorprofile.Ascii)))
	for _, want := range []string{"paper best 99.17% @5", "cosine+augment best 99.56% @7", "broken best 95.00% @2"} {
		if !strings.Contains(out, want) {
			t.Errorf("legend lacks %q:\n%s", want, out)
		}
	}
}
