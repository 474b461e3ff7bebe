package tui

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"convscope/nn"
	"convscope/views"
)

// This file is steering a run from the UI: halve, double or type the base
// learning rate, and stop after the epoch in progress. The keys are a
// controller's (Viewer.Control); the run state keeps the changes (for the
// header and the Train tab's marks) and the stop asked for.

// steerKeys are the keys that steer the run.
type steerKeys struct {
	LRDown    key.Binding
	LRUp      key.Binding
	LRSet     key.Binding
	StopAfter key.Binding
}

func newSteerKeys() steerKeys {
	return steerKeys{
		LRDown:    key.NewBinding(key.WithKeys("-"), key.WithHelp("-", "halve lr")),
		LRUp:      key.NewBinding(key.WithKeys("+", "="), key.WithHelp("+", "double lr")),
		LRSet:     key.NewBinding(key.WithKeys("L"), key.WithHelp("L", "type lr")),
		StopAfter: key.NewBinding(key.WithKeys("X"), key.WithHelp("X", "stop after epoch")),
	}
}

// setEnabled offers the keys or not.
func (k *steerKeys) setEnabled(on bool) {
	for _, b := range []*key.Binding{&k.LRDown, &k.LRUp, &k.LRSet, &k.StopAfter} {
		b.SetEnabled(on)
	}
}

// lrInput is the line where a rate is typed (key L).
type lrInput struct {
	on   bool
	text string
}

// maxLRText bounds what may be typed.
const maxLRText = 24

// ParseLR reads a typed learning rate: a positive, finite number such as
// 0.0005 or 5e-4. The error says what was wrong in words for the UI.
func ParseLR(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("type a learning rate, such as 0.0005 or 5e-4")
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number; type a learning rate such as 0.0005 or 5e-4", s)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) || !(v > 0) {
		return 0, fmt.Errorf("the learning rate must be a positive, finite number, got %s", s)
	}
	return v, nil
}

// steered keeps what a steering message says (runState.update).
func (rs *runState) steered(msg tea.Msg) {
	switch msg := msg.(type) {
	case lrMsg:
		if msg.err == nil {
			rs.changes = append(rs.changes, msg.c)
		}
	case stopAfterMsg:
		if msg.err == nil {
			rs.stopAfter = msg.epoch
		}
	}
}

// baseLR is the base learning rate in force.
func (rs *runState) baseLR() float64 {
	if n := len(rs.changes); n > 0 {
		return rs.changes[n-1].LR
	}
	return rs.cfg.LR
}

// batches is the number of batches per epoch, 0 when unknown.
func (rs *runState) batches() int {
	if rs.last.Batches > 0 {
		return rs.last.Batches
	}
	if rs.train != nil && rs.cfg.Batch > 0 {
		return (rs.train.N + rs.cfg.Batch - 1) / rs.cfg.Batch
	}
	return 0
}

// lrMarks are where the rate changed, x in epochs, for the charts.
func (rs *runState) lrMarks() []float64 {
	if len(rs.changes) == 0 {
		return nil
	}
	nb := rs.batches()
	out := make([]float64, 0, len(rs.changes))
	for _, c := range rs.changes {
		x := float64(c.Epoch - 1)
		if nb > 0 {
			x += float64(min(c.Batch, nb)) / float64(nb)
		}
		out = append(out, x)
	}
	return out
}

// steerKey answers a steering key; ok is false for any other key.
func (m *model) steerKey(msg tea.KeyPressMsg) (cmd tea.Cmd, ok bool) {
	k := m.keys
	switch {
	case key.Matches(msg, k.LRDown):
		return m.askLR(m.rs.baseLR() / 2), true
	case key.Matches(msg, k.LRUp):
		return m.askLR(m.rs.baseLR() * 2), true
	case key.Matches(msg, k.LRSet):
		m.lrIn = lrInput{on: true}
		return nil, true
	case key.Matches(msg, k.StopAfter):
		on := m.rs.stopAfter == 0
		if !m.ctl.StopAfterEpoch(on) {
			return m.setNote("training has ended: nothing to stop", true), true
		}
		if on {
			return m.setNote(fmt.Sprintf("asking to stop after epoch %d…", max(m.rs.last.Epoch, 1)), false), true
		}
		return m.setNote("asking to go on past this epoch…", false), true
	}
	return nil, false
}

// askLR asks training for base rate lr.
func (m *model) askLR(lr float64) tea.Cmd {
	if err := nn.CheckLR(lr); err != nil {
		return m.setNote(err.Error(), true)
	}
	if !m.ctl.SetLR(lr) {
		return m.setNote("training has ended: the learning rate cannot change", true)
	}
	return m.setNote(fmt.Sprintf("asking for learning rate %s…", lrText(lr)), false)
}

// typeLR edits the typed rate: enter asks for it, esc gives up.
func (m *model) typeLR(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "esc":
		m.lrIn = lrInput{}
		return nil
	case "enter":
		lr, err := ParseLR(m.lrIn.text)
		if err != nil {
			return m.setNote(err.Error(), true)
		}
		m.lrIn = lrInput{}
		return m.askLR(lr)
	case "backspace":
		if _, n := utf8.DecodeLastRuneInString(m.lrIn.text); n > 0 {
			m.lrIn.text = m.lrIn.text[:len(m.lrIn.text)-n]
		}
		return nil
	}
	if t := msg.Text; t != "" && utf8.RuneCountInString(m.lrIn.text+t) <= maxLRText {
		m.lrIn.text += t
	}
	return nil
}

// lrPrompt is the footer while a rate is typed.
func (m *model) lrPrompt() string {
	st := m.st
	return st.Accent.Render("base learning rate: ") + st.Text.Render(m.lrIn.text) + st.Accent.Render("▏") +
		st.Muted.Render(fmt.Sprintf("  now %s (the schedule scales it) · enter set · esc cancel", lrText(m.rs.baseLR())))
}

// steerNote is what a steering answer says in the header.
func (m *model) steerNote(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case lrMsg:
		if msg.err != nil {
			return m.setNote("learning rate not changed: "+msg.err.Error(), true)
		}
		return m.setNote(fmt.Sprintf("learning rate %s from epoch %d batch %d%s", lrText(msg.c.LR), msg.c.Epoch, msg.c.Batch+1, byText(msg.c.By)), false)
	case stopAfterMsg:
		switch {
		case msg.err != nil:
			return m.setNote("stop not changed: "+msg.err.Error(), true)
		case msg.epoch > 0:
			return m.setNote(fmt.Sprintf("stopping after epoch %d%s", msg.epoch, byText(msg.by)), false)
		}
		return m.setNote("going on past this epoch"+byText(msg.by), false)
	}
	return nil
}

func byText(by string) string {
	if by == "" {
		return ""
	}
	return " (by " + by + ")"
}

// lrText formats a learning rate briefly: 0.001, 0.0005, 2.5e-05.
func lrText(lr float64) string { return strconv.FormatFloat(lr, 'g', 4, 64) }

// steerHeader adds the rate in force and the stop asked for to d.
func (m *model) steerHeader(d *views.HeaderData) {
	if len(m.rs.changes) > 0 {
		d.LR, d.LRChanged = m.rs.baseLR(), true
	}
	if m.state == views.StateTraining || m.state == views.StatePaused || m.state == views.StateStarting {
		d.StopAfter = m.rs.stopAfter
	}
}
