package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"convscope/internal/dynamics"
	"convscope/mnist"
	"convscope/nn"
	"convscope/views"
)

// runState is the run as the UI knows it. The root model owns it and updates
// it once per message (update), before it passes the message to the tabs;
// tabs keep only their cursors and selections and read it.
type runState struct {
	// Fixed for the run.
	test    *mnist.Set // the test images; nil when the program has none
	train   *mnist.Set // the training images the run trains on (--train-limit); nil when none
	classes []string   // class names, from the test set
	outDir  string     // the run folder, where reports go
	cfg     nn.Config
	explore bool // a saved model, not a run in progress
	// dynamics returns a copy of the run's learning dynamics (nil: none).
	dynamics func() *dynamics.Data

	state views.RunState
	last  nn.Progress // the latest report
	err   error       // what training returned, if it failed

	stats []nn.EpochStats // finished epochs, resumed ones first, Eval dropped
	// The running train figures of every batch report and epoch end, x in
	// epochs (the Train tab's charts).
	lossTrain, accTrain []views.Point
	evals               []epochEval // every evaluated epoch of this session, in order

	net   *nn.Net // the latest copy of the network; never run: commands clone it
	netID int     // counts the networks received

	export exportState
	dyn    dynState   // the learning dynamics, derived for the Data tab
	watch  watchState // health samples and snapshots
	time   timeline   // when in training the Layers, Draw and Space tabs look

	changes   []nn.LRChange // the learning-rate changes, resumed ones first
	stopAfter int           // the epoch training stops after, as asked; 0: none
}

// epochEval is one epoch's evaluation. Only the latest keeps its per-image
// results; earlier ones keep the matrix and per-class figures.
type epochEval struct {
	epoch int
	ev    *nn.Eval // never changed once received
	wrong int      // test images ev predicts wrongly
}

// exportState is the outcome of the last report export, shown by the
// evaluation tabs.
type exportState struct {
	note string
	bad  bool
	busy bool // an export is under way
}

func newRunState(opts Options) *runState {
	rs := &runState{test: opts.Data.Test, outDir: opts.OutDir, cfg: opts.Config, explore: opts.Explore, dynamics: opts.Dynamics}
	rs.dyn.get = opts.Dynamics
	rs.changes = append([]nn.LRChange(nil), opts.LRChanges...)
	rs.watch.health, rs.watch.snapshots, rs.watch.healthErr = opts.Health, opts.Snapshots, opts.HealthErr
	if rs.test != nil {
		rs.classes = rs.test.Classes
	}
	if opts.Data.Train != nil {
		rs.train = opts.Data.Train.Subset(opts.Config.TrainLimit)
	}
	return rs
}

// update keeps what msg says about the run.
func (rs *runState) update(msg tea.Msg) {
	switch msg := msg.(type) {
	case progressMsg:
		p := nn.Progress(msg)
		rs.last = p
		rs.started()
		if p.Total > 0 {
			x := float64(p.Epoch-1) + float64(p.Seen)/float64(p.Total)
			rs.lossTrain = append(rs.lossTrain, views.Point{X: x, Y: p.TrainLoss})
			rs.accTrain = append(rs.accTrain, views.Point{X: x, Y: p.TrainAcc})
		}
	case epochMsg:
		rs.last = msg.p
		rs.started()
		if msg.net != nil {
			rs.setNet(msg.net)
		}
		s := msg.p.Stats
		if s == nil {
			break
		}
		rs.addEpoch(*s)
		if s.Eval != nil {
			rs.addEval(s.Epoch, s.Eval)
		}
	case historyMsg:
		for _, s := range msg {
			rs.addEpoch(s)
		}
	case snapshotMsg:
		if msg.net != nil {
			rs.setNet(msg.net)
		}
	case trainDoneMsg:
		switch {
		case msg.err == nil:
			rs.state = views.StateFinished
		case errors.Is(msg.err, context.Canceled):
			rs.state = views.StateStopped
		default:
			rs.state = views.StateFailed
			rs.err = msg.err
		}
	case dynamicsMsg:
		rs.dyn.busy = false
		if msg.f != nil {
			rs.dyn.f = msg.f
			rs.dyn.gen++
		} else {
			rs.dyn.none = true
		}
	case watchMsg:
		rs.watch.got(msg)
	case lrMsg, stopAfterMsg:
		rs.steered(msg)
	case exportedMsg:
		rs.export.busy = false
		if msg.err != nil {
			rs.export.note, rs.export.bad = "export failed: "+strings.ReplaceAll(msg.err.Error(), "\n", "; "), true
		} else {
			rs.export.note, rs.export.bad = fmt.Sprintf("epoch %d: wrote report.md and %d CSVs to %s", msg.epoch, msg.files-1, msg.dir), false
		}
	}
}

// started notes that training reports.
func (rs *runState) started() {
	if rs.state == views.StateStarting {
		rs.state = views.StateTraining
	}
}

// addEpoch keeps a finished epoch's figures and its points on the charts.
func (rs *runState) addEpoch(s nn.EpochStats) {
	s.Eval = nil
	rs.stats = append(rs.stats, s)
	// The last batches are not reported: end the epoch's line on its figures.
	x := float64(s.Epoch)
	rs.lossTrain = append(rs.lossTrain, views.Point{X: x, Y: s.TrainLoss})
	rs.accTrain = append(rs.accTrain, views.Point{X: x, Y: s.TrainAcc})
}

// addEval keeps an evaluation, counts its wrong predictions once, and drops
// the per-image results of the one before.
func (rs *runState) addEval(epoch int, ev *nn.Eval) {
	if n := len(rs.evals); n > 0 {
		// The earlier one keeps copies of its figures, and no longer holds the
		// sender's per-image slices.
		old := *rs.evals[n-1].ev
		old.Labels, old.Pred, old.Losses, old.Probs = nil, nil, nil, nil
		old.Classes = append([]nn.ClassStats(nil), old.Classes...)
		old.Confusion = make([][]int, len(old.Confusion))
		for i, r := range rs.evals[n-1].ev.Confusion {
			old.Confusion[i] = append([]int(nil), r...)
		}
		rs.evals[n-1].ev = &old
	}
	e := epochEval{epoch: epoch, ev: ev}
	for i, l := range ev.Labels {
		if i < len(ev.Pred) && ev.Pred[i] != l {
			e.wrong++
		}
	}
	rs.evals = append(rs.evals, e)
}

func (rs *runState) setNet(n *nn.Net) {
	rs.net = n
	rs.netID++
	if rs.time.cur == "" {
		rs.time.viewID++ // the timeline shows the live network
	}
}

// latest is the latest evaluation, or nil before the first.
func (rs *runState) latest() *epochEval {
	if len(rs.evals) == 0 {
		return nil
	}
	return &rs.evals[len(rs.evals)-1]
}

// ev is the latest evaluation's results, or nil.
func (rs *runState) ev() *nn.Eval {
	if e := rs.latest(); e != nil {
		return e.ev
	}
	return nil
}

// n is the number of test images the tabs can show.
func (rs *runState) n() int {
	if rs.test == nil {
		return 0
	}
	return rs.test.N
}

// perImage reports whether the latest evaluation has per-image results that
// belong to the test images shown.
func (rs *runState) perImage() bool {
	ev := rs.ev()
	if ev == nil || ev.K <= 0 {
		return false
	}
	n := ev.N
	return len(ev.Labels) == n && len(ev.Pred) == n && len(ev.Losses) == n && len(ev.Probs) == n*ev.K &&
		(rs.test == nil || rs.test.N == n)
}

// hasMatrix reports whether e has a confusion matrix with its per-class
// figures.
func (e *epochEval) hasMatrix() bool {
	return e != nil && len(e.ev.Confusion) > 0 && len(e.ev.Classes) == len(e.ev.Confusion)
}

// label is the true class of test image i.
func (rs *runState) label(i int) int {
	if rs.perImage() {
		return int(rs.ev().Labels[i])
	}
	return int(rs.test.Labels[i])
}

// pred is the predicted class of test image i, or -1 before any evaluation.
func (rs *runState) pred(i int) int {
	if rs.perImage() {
		return int(rs.ev().Pred[i])
	}
	return -1
}

// probs is the softmax output for test image i; perImage must hold.
func (rs *runState) probs(i int) []float32 {
	ev := rs.ev()
	k := ev.K
	return ev.Probs[i*k : (i+1)*k : (i+1)*k]
}

// className is the name of class c.
func (rs *runState) className(c int) string { return views.ClassName(rs.classes, c) }

// classCount is the number of classes.
func (rs *runState) classCount() int {
	if ev := rs.ev(); ev != nil && ev.K > 0 {
		return ev.K
	}
	return len(rs.classes)
}
