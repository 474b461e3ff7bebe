package views

import (
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/golden"
)

func TestCanvas(t *testing.T) {
	px := testDigit('4')
	for _, big := range []bool{false, true} {
		for _, p := range []colorprofile.Profile{colorprofile.TrueColor, colorprofile.ANSI256, colorprofile.Ascii} {
			name := map[bool]string{false: "half_", true: "big_"}[big] + p.String()
			t.Run(name, func(t *testing.T) {
				out := Canvas(px, 28, 28, 9, 16, big, NewStyles(true, p))
				w, h := CanvasSize(28, 28, big)
				if gw, gh := lipgloss.Size(out); gw != w || gh != h {
					t.Errorf("Canvas size %dx%d, want %dx%d", gw, gh, w, h)
				}
				golden.RequireEqual(t, out)
			})
		}
	}
	st := NewStyles(true, colorprofile.TrueColor)
	if Canvas(px, 28, 28, -1, -1, false, st) != Digit(px, 28, 28, st) {
		t.Error("a half-block canvas without a cursor should draw as Digit")
	}
	big := Canvas(px, 28, 28, 3, 5, true, NewStyles(true, colorprofile.Ascii))
	if line := strings.Split(big, "\n")[3]; line[10:12] != "[]" || strings.Count(big, "[]") != 1 {
		t.Errorf("the big canvas cursor should be one [] at line 3, cells 10-11: %q", line)
	}
}
