package tui

import (
	"strconv"
	"strings"

	"convscope/views"
)

// frameCache keeps the tab bar and the header of the last frame: a frame
// that shows the same ones (most do: a batch report changes a few figures)
// is built without drawing them again. Every SSH viewer builds a frame per
// delivery, so this is CPU that training gets back. restyle empties it.
type frameCache struct {
	barKey string // the titles, the active tab and the width it was drawn for
	bar    string
	spans  []views.Span

	hdrOK  bool
	hdrKey views.HeaderData
	hdrW   int
	hdr    string // the header drawn, unpadded
	hdrH   int    // its lines
}

// tabBar draws the tab titles and gives the columns of each, from the cache
// when nothing they depend on changed.
func (m *model) tabBar() (string, []views.Span) {
	titles := make([]string, len(m.tabs))
	for i, t := range m.tabs {
		titles[i] = t.Title()
	}
	var k strings.Builder
	for _, t := range titles {
		k.WriteString(t)
		k.WriteByte(0)
	}
	k.WriteByte(byte(m.active))
	k.WriteByte(0)
	k.WriteString(strconv.Itoa(m.w))
	c := &m.cache
	if c.bar == "" || k.String() != c.barKey {
		c.bar, c.spans = views.Tabs(titles, m.active, "", m.w, m.st)
		c.barKey = k.String()
	}
	return c.bar, c.spans
}

// header draws d at the model's width and counts its lines, from the cache
// when d and the width are the last frame's.
func (m *model) header(d views.HeaderData) (string, int) {
	c := &m.cache
	if !c.hdrOK || c.hdrW != m.w || c.hdrKey != d {
		c.hdr = views.Header(d, m.w, m.st)
		c.hdrH = strings.Count(c.hdr, "\n") + 1
		if c.hdr == "" {
			c.hdrH = 0
		}
		c.hdrOK, c.hdrKey, c.hdrW = true, d, m.w
	}
	return c.hdr, c.hdrH
}
