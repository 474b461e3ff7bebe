package tui

import (
	"slices"
	"strings"

	"convscope/views"
)

// frameCache keeps the tab bar and the header of the last frame: a frame
// that shows the same ones (most do: a batch report changes a few figures)
// is built without drawing them again. Every SSH viewer builds a frame per
// delivery, so this is CPU that training gets back. restyle empties it.
type frameCache struct {
	barOK     bool
	barTitles []string // what the bar was drawn for: titles, active tab, width
	barActive int
	barW      int
	bar       string
	spans     []views.Span

	hdrOK  bool
	hdrKey views.HeaderData // what the header was drawn for, with hdrW
	hdrW   int
	hdr    string // the header drawn, unpadded
	hdrH   int    // its lines

	draws int // tab bars and headers drawn (not taken from the cache), for tests
}

// tabBar draws the tab titles and gives the columns of each, from the cache
// when nothing they depend on changed.
func (m *model) tabBar() (string, []views.Span) {
	c := &m.cache
	titles := make([]string, 0, len(m.tabs))
	for _, t := range m.tabs {
		titles = append(titles, t.Title())
	}
	if !c.barOK || c.barActive != m.active || c.barW != m.w || !slices.Equal(titles, c.barTitles) {
		c.bar, c.spans = views.Tabs(titles, m.active, "", m.w, m.st)
		c.barOK, c.barTitles, c.barActive, c.barW = true, titles, m.active, m.w
		c.draws++
	}
	return c.bar, c.spans
}

// header draws d at the model's width and counts its lines (what
// views.HeaderHeight gives, without drawing it a second time), from the
// cache when d and the width are the last frame's.
func (m *model) header(d views.HeaderData) (string, int) {
	c := &m.cache
	if !c.hdrOK || c.hdrW != m.w || c.hdrKey != d {
		c.hdr = views.Header(d, m.w, m.st)
		c.hdrH = 0
		if c.hdr != "" {
			c.hdrH = strings.Count(c.hdr, "\n") + 1
		}
		c.hdrOK, c.hdrKey, c.hdrW = true, d, m.w
		c.draws++
	}
	return c.hdr, c.hdrH
}
