// Package views holds pure rendering functions: data and sizes in, string out.
// No Bubble Tea types and no state; styles come in as a Styles value built by tui.
package views

import (
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
)

// Styles is the style set every view draws with. Name fields by meaning, not colour.
// Build it with NewStyles.
type Styles struct {
	// Profile is the terminal's colour capability. Views that draw with colour
	// only (shaded digits, heat maps) fall back to characters when it is
	// colorprofile.NoTTY or colorprofile.Ascii (NO_COLOR, dumb terminals).
	Profile colorprofile.Profile
	Dark    bool

	Title, Text, Muted, Accent, Good, Bad, Warn, Border, Selected lipgloss.Style
	TrainSeries, TestSeries                                       lipgloss.Style
}

// NewStyles builds the style set for a dark or light background and a colour profile.
func NewStyles(dark bool, p colorprofile.Profile) Styles {
	ld := lipgloss.LightDark(dark)
	s := Styles{Profile: p, Dark: dark}
	s.Text = lipgloss.NewStyle().Foreground(ld(lipgloss.Color("#1f1f1f"), lipgloss.Color("#dddddd")))
	s.Muted = lipgloss.NewStyle().Foreground(ld(lipgloss.Color("#6c6c6c"), lipgloss.Color("#8a8a8a")))
	s.Title = lipgloss.NewStyle().Bold(true).Foreground(ld(lipgloss.Color("#5a2ca0"), lipgloss.Color("#c4a7ff")))
	s.Accent = lipgloss.NewStyle().Foreground(ld(lipgloss.Color("#005f87"), lipgloss.Color("#5fd7ff")))
	s.Good = lipgloss.NewStyle().Foreground(ld(lipgloss.Color("#007a3d"), lipgloss.Color("#5fd787")))
	s.Bad = lipgloss.NewStyle().Foreground(ld(lipgloss.Color("#b00020"), lipgloss.Color("#ff5f5f")))
	s.Warn = lipgloss.NewStyle().Foreground(ld(lipgloss.Color("#8a5a00"), lipgloss.Color("#ffd75f")))
	s.Border = lipgloss.NewStyle().Foreground(ld(lipgloss.Color("#b0b0b0"), lipgloss.Color("#4e4e4e")))
	s.Selected = lipgloss.NewStyle().Reverse(true)
	s.TrainSeries = s.Accent
	s.TestSeries = lipgloss.NewStyle().Foreground(ld(lipgloss.Color("#af5f00"), lipgloss.Color("#ffaf5f")))
	if p == colorprofile.NoTTY || p == colorprofile.Ascii {
		plain := lipgloss.NewStyle()
		s.Text, s.Muted, s.Accent, s.Good, s.Bad, s.Warn, s.Border = plain, plain, plain, plain, plain, plain, plain
		s.TrainSeries, s.TestSeries = plain, plain
		s.Title = plain.Bold(true)
	}
	return s
}
