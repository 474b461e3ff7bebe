package tui

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"convscope/nn"
	"convscope/views"
)

// Viewer is who one UI on a Hub is for.
type Viewer struct {
	// Name is how the other UIs call this one ("alice SHA256:…") when it
	// pauses or resumes the run.
	Name string
	// Control lets the UI pause, save and stop; without it the UI is
	// read-only: those keys answer with a note and its help says so.
	Control bool
	// StopsRun makes quitting this UI stop training (the terminal that
	// started the run). Any other UI quits alone.
	StopsRun bool
	// Refresh, when positive, is the least time between two deliveries of
	// batch progress to this UI (RemoteRefresh for an SSH client): progress
	// that comes sooner waits, the latest replacing the one before, while
	// epoch results, saves, pauses and the end come at once. Every message
	// a UI takes costs it a render, so this is what keeps many remote UIs
	// from taking the CPU training needs.
	Refresh time.Duration
}

// RemoteRefresh is the Refresh of a UI over SSH: progress once a second
// (at twice a second 20 viewers cost training 5.9% against 4.0% in one
// series: README, "What viewers cost a run"). Keys, pauses and epoch
// results are not held back.
const RemoteRefresh = time.Second

// Hub runs training once and shows it in any number of UIs: the local
// terminal's and each SSH client's, each with its own root model (tab, size,
// colour profile, background) over the one run.
//
// Nothing a UI does can hold training up, except a controller's pause:
// training queues its messages in the runner, one goroutine (the pump) copies
// them to every UI's own queue without waiting, and a UI that does not keep up
// has its BatchProgress reports coalesced (the latest replaces the one still
// waiting); epoch results, snapshots, saves and the end are always delivered.
// A UI joining late first gets what it missed: every epoch so far, the latest
// progress and snapshot, and whether the run is paused.
type Hub struct {
	opts Options
	info runInfo
	r    *runner
	pump chan struct{} // closed when the pump has delivered everything

	mu     sync.Mutex
	subs   map[*hubSub]struct{}
	log    []tea.Msg // what a new UI replays
	paused *hubSub   // the UI that paused the run; nil while not paused
}

// pauseMsg tells every UI that from paused or resumed the run.
type pauseMsg struct {
	paused bool
	by     string
	from   *hubSub
}

// NewHub starts training opts.Net on opts.Data in its own goroutine (with
// opts.Train when set) and returns the hub UIs attach to. Stop, then Wait,
// ends it.
func NewHub(ctx context.Context, opts Options) (*Hub, error) {
	if opts.Net == nil {
		return nil, errors.New("tui: no network to train")
	}
	return newHub(ctx, opts, trainOf(opts)), nil
}

// trainOf is what trains: opts.Train, or nn.Train on the options.
func trainOf(opts Options) trainFunc {
	if opts.Train != nil {
		return opts.Train
	}
	return func(ctx context.Context, report func(nn.Progress)) error {
		return nn.Train(ctx, opts.Net, opts.Data, opts.Config, report)
	}
}

func newHub(ctx context.Context, opts Options, train trainFunc) *Hub {
	var hk hooks
	if opts.Net != nil {
		hk.snapshot = opts.Net.Clone
	}
	if opts.Save != nil {
		hk.save = func(epoch int) (string, error) { return opts.Save(opts.Net, epoch) }
	}
	if opts.SetLR != nil && opts.StopAfter != nil && !opts.Explore {
		hk.setLR, hk.stopAfter = opts.SetLR, opts.StopAfter
	}
	info := runInfo{cfg: opts.Config, canSave: opts.Save != nil, outDir: opts.OutDir, explore: opts.Explore,
		canSteer: hk.setLR != nil, follow: opts.Follow}
	if opts.Net != nil {
		info.network = opts.Net.Describe()
	}
	h := &Hub{opts: opts, info: info, subs: map[*hubSub]struct{}{}, pump: make(chan struct{})}
	h.r = startRunner(ctx, train, hk)
	go h.run()
	return h
}

// run is the pump: it moves training's messages to every UI.
func (h *Hub) run() {
	defer close(h.pump)
	next := h.r.Next()
	for {
		msg := next()
		ev, ok := msg.(eventsMsg)
		if !ok {
			return // training returned and everything was read
		}
		h.mu.Lock()
		for _, e := range ev {
			h.keep(e)
			for s := range h.subs {
				s.push(e)
			}
		}
		h.mu.Unlock()
	}
}

// keep adds e to what a new UI replays: every message but saves (a note for
// those present), with only the latest progress and the latest snapshot.
func (h *Hub) keep(e tea.Msg) {
	switch e.(type) {
	case savedMsg:
		return
	case progressMsg:
		if n := len(h.log); n > 0 {
			if _, ok := h.log[n-1].(progressMsg); ok {
				h.log[n-1] = e
				return
			}
		}
	case snapshotMsg:
		kept := h.log[:0]
		for _, m := range h.log {
			if _, ok := m.(snapshotMsg); !ok {
				kept = append(kept, m)
			}
		}
		h.log = kept
	}
	h.log = append(h.log, e)
}

// Attach adds a UI for v: it returns the UI's root model, to run in its own
// tea.Program, and leave, to call once that program has ended (calling it
// more than once is harmless). The model first replays the run so far.
func (h *Hub) Attach(v Viewer) (tea.Model, func()) {
	s := h.subscribe(v)
	return s.model(nil), s.leave
}

// subscribe adds a UI's queue, filled with what it missed.
func (h *Hub) subscribe(v Viewer) *hubSub {
	s := &hubSub{h: h, v: v, notify: make(chan struct{}, 1), done: make(chan struct{})}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, m := range h.log {
		s.push(m)
	}
	if h.paused != nil {
		s.push(pauseMsg{paused: true, by: h.paused.v.Name, from: h.paused})
	}
	h.subs[s] = struct{}{}
	return s
}

// Viewers counts the UIs attached.
func (h *Hub) Viewers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// Paused says whether a controller holds training paused.
func (h *Hub) Paused() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.paused != nil
}

// Done is closed when training has returned.
func (h *Hub) Done() <-chan struct{} { return h.r.done }

// Stop cancels training; it does not wait.
func (h *Hub) Stop() { h.r.Stop() }

// Wait waits for training to return (it does not stop it) and for every UI
// to have been given the end, and returns training's error.
func (h *Hub) Wait() error {
	<-h.r.done
	<-h.pump
	return h.r.err
}

// Local runs the local terminal's UI (opts.ProgramOptions) on the hub until
// it quits; quitting stops training. It returns the program's error.
func (h *Hub) Local(ctx context.Context) error {
	return h.local(ctx, nil)
}

func (h *Hub) local(ctx context.Context, wrap func(tea.Model) tea.Model) error {
	s := h.subscribe(Viewer{Name: "the local terminal", Control: true, StopsRun: true})
	defer s.leave()
	p := tea.NewProgram(s.model(wrap), append([]tea.ProgramOption{tea.WithContext(ctx)}, h.opts.ProgramOptions...)...)
	_, err := p.Run()
	return err
}

// setPause pauses or resumes for s, and tells every UI.
func (h *Hub) setPause(s *hubSub, pause bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.setPauseLocked(s, pause)
}

func (h *Hub) setPauseLocked(s *hubSub, pause bool) {
	if (h.paused != nil) == pause {
		return
	}
	if pause {
		h.paused = s
		h.r.Pause()
	} else {
		h.paused = nil
		h.r.Resume()
	}
	m := pauseMsg{paused: pause, by: s.v.Name, from: s}
	for o := range h.subs {
		o.push(m)
	}
}

// drop removes s; a run it held paused goes on, so that nobody is left
// waiting on a UI that is gone.
func (h *Hub) drop(s *hubSub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, s)
	if h.paused == s {
		h.setPauseLocked(s, false)
	}
}

// hubSub is one UI's queue and its controller over the hub.
type hubSub struct {
	h      *Hub
	v      Viewer
	notify chan struct{} // one slot: messages are waiting
	done   chan struct{} // closed when the UI left

	mu    sync.Mutex
	queue []tea.Msg
	left  bool
	once  sync.Once

	last time.Time // when Next last delivered (only Next uses it)
}

// push queues m for the UI without waiting; a BatchProgress replaces one
// still waiting at the end of the queue.
func (s *hubSub) push(m tea.Msg) {
	s.mu.Lock()
	if s.left {
		s.mu.Unlock()
		return
	}
	n := len(s.queue)
	if _, ok := m.(progressMsg); ok && n > 0 {
		if _, ok := s.queue[n-1].(progressMsg); ok {
			// Replaced in place: the UI was woken for the one it replaces
			// (and a UI holding progress back wakes by its timer), so
			// nobody is woken for it; many UIs woken ten times a second
			// each hold the training threads up.
			s.queue[n-1] = m
			s.mu.Unlock()
			return
		}
	}
	s.queue = append(s.queue, m)
	s.mu.Unlock()
	s.wake()
}

func (s *hubSub) wake() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// leave detaches the UI: its queue stops, and a pause it held is released.
func (s *hubSub) leave() {
	s.once.Do(func() {
		s.mu.Lock()
		s.left, s.queue = true, nil
		s.mu.Unlock()
		close(s.done)
		s.h.drop(s)
	})
}

// model builds the UI's root model; wrap (tests) goes around it.
func (s *hubSub) model(wrap func(tea.Model) tea.Model) tea.Model {
	h := s.h
	rs := newRunState(h.opts)
	root := newModel(s, h.info, rs, newTabs(newKeyMap(), rs, h.opts.Runs))
	if len(h.opts.History) > 0 {
		root.Update(historyMsg(append([]nn.EpochStats(nil), h.opts.History...)))
	}
	if !s.v.Control {
		root.keys.Pause.SetHelp("space", "pause: controllers only")
		root.keys.Save.SetHelp("s", "save: controllers only")
		root.keys.LRDown.SetHelp("-", "halve lr: controllers only")
		root.keys.LRUp.SetHelp("+", "double lr: controllers only")
		root.keys.LRSet.SetHelp("L", "set lr: controllers only")
		root.keys.StopAfter.SetHelp("X", "stop after epoch: controllers only")
	}
	var inner tea.Model = root
	if wrap != nil {
		inner = wrap(root)
	}
	return &hubModel{m: root, inner: inner, s: s}
}

// Next waits for the UI's queued messages; nil once it has left, or once
// everything was delivered and read.
func (s *hubSub) Next() tea.Cmd {
	return func() tea.Msg {
		for {
			ended := false
			select {
			case <-s.notify:
			case <-s.done:
				return nil
			case <-s.h.pump:
				ended = true
			}
			if !ended && !s.hold() {
				return nil // the UI left while its progress waited
			}
			s.mu.Lock()
			q := s.queue
			s.queue = nil
			s.mu.Unlock()
			if len(q) > 0 {
				s.last = time.Now()
				return eventsMsg(q)
			}
			if ended {
				return nil
			}
		}
	}
}

// hold waits while the queue holds nothing but batch progress and the UI's
// Refresh has not passed since the last delivery. It returns false when the
// UI left meanwhile.
func (s *hubSub) hold() bool {
	if s.v.Refresh <= 0 {
		return true
	}
	for {
		wait := time.Until(s.last.Add(s.v.Refresh))
		if wait <= 0 || !s.onlyProgress() {
			return true
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-s.notify: // something new: look again
			t.Stop()
		case <-s.done:
			t.Stop()
			return false
		case <-s.h.pump:
			t.Stop()
			return true
		}
	}
}

// onlyProgress says whether every queued message is a batch report.
func (s *hubSub) onlyProgress() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.queue {
		if _, ok := m.(progressMsg); !ok {
			return false
		}
	}
	return true
}

// Pause holds training, for a controller.
func (s *hubSub) Pause() {
	if s.v.Control {
		s.h.setPause(s, true)
	}
}

// Resume lets training go on, for a controller.
func (s *hubSub) Resume() {
	if s.v.Control {
		s.h.setPause(s, false)
	}
}

// Save asks for a checkpoint, for a controller.
func (s *hubSub) Save() (tea.Cmd, bool) {
	if !s.v.Control {
		return nil, false
	}
	return s.h.r.Save()
}

// SetLR asks for a new base learning rate, for a controller.
func (s *hubSub) SetLR(lr float64) bool {
	return s.v.Control && s.h.r.setLR(lr, s.v.Name)
}

// StopAfterEpoch asks for, or withdraws, a stop after the epoch in
// progress, for a controller.
func (s *hubSub) StopAfterEpoch(on bool) bool {
	return s.v.Control && s.h.r.stopAfter(on, s.v.Name)
}

// Stop is the UI quitting: it leaves, and stops training if it is the UI
// that started the run.
func (s *hubSub) Stop() {
	if s.v.StopsRun && s.v.Control {
		s.h.r.Stop()
	}
	s.leave()
}

// readOnlyNote is what a read-only UI says when asked to pause or save.
const readOnlyNote = "read-only: only a controller's key may pause, save or steer this run"

// hubModel is a UI's root model on a hub: it keeps a read-only UI's keys
// from reaching training and follows pauses made by other UIs.
type hubModel struct {
	m     *model    // the root model
	inner tea.Model // m, or a test's wrapper around it
	s     *hubSub
}

func (hm *hubModel) Init() tea.Cmd {
	cmd := hm.inner.Init()
	if !hm.s.v.Control && !hm.m.info.explore {
		return tea.Batch(cmd, hm.m.setNote("read-only: you are watching this run", false))
	}
	return cmd
}

func (hm *hubModel) View() tea.View { return hm.inner.View() }

func (hm *hubModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		if hm.refused(msg) {
			return hm, hm.m.setNote(readOnlyNote, true)
		}
	case eventsMsg:
		var cmds []tea.Cmd
		for _, e := range msg {
			if p, ok := e.(pauseMsg); ok {
				cmds = append(cmds, hm.follow(p))
			}
		}
		_, cmd := hm.inner.Update(msg)
		return hm, tea.Batch(append(cmds, cmd)...)
	}
	_, cmd := hm.inner.Update(msg)
	return hm, cmd
}

// refused says whether msg is a controller's key pressed in a read-only UI.
func (hm *hubModel) refused(msg tea.KeyPressMsg) bool {
	m := hm.m
	if hm.s.v.Control || m.showHelp {
		return false
	}
	if c, ok := m.tabs[m.active].(keyClaimer); ok && c.claimsKey(msg) {
		return false
	}
	return key.Matches(msg, m.keys.Pause, m.keys.Save, m.keys.LRDown, m.keys.LRUp, m.keys.LRSet, m.keys.StopAfter)
}

// follow shows a pause or resume made by any UI: the header's state, the
// pause key's help, and who did it when it was another UI.
func (hm *hubModel) follow(p pauseMsg) tea.Cmd {
	m := hm.m
	switch {
	case p.paused && (m.state == views.StateStarting || m.state == views.StateTraining):
		m.state = views.StatePaused
		if hm.s.v.Control {
			m.keys.Pause.SetHelp("space", "resume")
		}
	case !p.paused && m.state == views.StatePaused:
		m.state = views.StateTraining
		if hm.s.v.Control {
			m.keys.Pause.SetHelp("space", "pause")
		}
	default:
		return nil
	}
	if p.from == hm.s {
		return nil
	}
	verb := "resumed"
	if p.paused {
		verb = "paused"
	}
	return m.setNote(fmt.Sprintf("%s by %s", verb, p.by), false)
}
