package tui

import (
	"cmp"
	"slices"
	"time"

	tea "charm.land/bubbletea/v2"

	"convscope/internal/dynamics"
	"convscope/mnist"
	"convscope/nn"
)

// dynFigures is what the Data tab shows, derived in a command from one copy
// of the run's learning dynamics. Never changed once made: the run state
// keeps the latest and a new one replaces it.
type dynFigures struct {
	k      int
	epochs int // finished epochs recorded
	// live: the training set's figures are of the epoch in progress
	// (liveEpoch, liveSeen images seen so far), before any epoch ended.
	live                bool
	liveEpoch, liveSeen int
	sets                [2]setFigures // by setIndex
	calib               []dynamics.Calibration
}

// setFigures are one set's derived figures.
type setFigures struct {
	set      dynamics.Set
	data     *dynamics.Data // for the curves (for a live training set: the epoch in progress as its one epoch)
	epochs   int            // the measurements' epochs (1 when live)
	ex       []dynamics.Example
	sum      dynamics.Summary
	suspects []int // indexes into ex, most suspect first
	// pred is, for a training image wrong at its last measurement, the
	// network's prediction of it (the suggested label; absent before a network comes).
	pred map[int]int
}

// ok reports whether the set has figures.
func (s *setFigures) ok() bool { return s.epochs > 0 && len(s.ex) > 0 }

// setIndex is the index of a set in dynFigures.sets.
func setIndex(s dynamics.Set) int {
	if s == dynamics.Test {
		return 1
	}
	return 0
}

// dynamicsMsg brings newly derived figures.
type dynamicsMsg struct{ f *dynFigures }

// dynState is the run state's part about the learning dynamics.
type dynState struct {
	get   func() *dynamics.Data // nil: the run records none
	f     *dynFigures           // the latest; nil before the first
	gen   int                   // counts the figures received
	busy  bool                  // a command is deriving
	again bool                  // an epoch ended while busy: derive again when it returns
	none  bool                  // get returned nil: the run records none after all
	asked time.Time             // when the last command started
	now   func() time.Time
}

// liveEvery is how often the batch reports of the first epoch refresh the
// training set's live figures at most.
const liveEvery = time.Second

// predictCap bounds the training images the network predicts per refresh.
const predictCap = 3000

// dynamicsCmd returns the command that derives new figures when msg calls
// for it: an epoch's end or the end of training, a first report, and in the
// first epoch a batch report at most once a second. Nil otherwise.
func (rs *runState) dynamicsCmd(msg tea.Msg) tea.Cmd {
	ds := &rs.dyn
	if ds.get == nil {
		return nil
	}
	now := time.Now
	if ds.now != nil {
		now = ds.now
	}
	switch msg.(type) {
	case epochMsg, trainDoneMsg:
		if ds.busy {
			ds.again = true
			return nil
		}
	case progressMsg:
		liveNow := ds.f == nil || ds.f.epochs == 0
		if ds.busy || !liveNow || (ds.f != nil && now().Sub(ds.asked) < liveEvery) {
			return nil
		}
	case dynamicsMsg:
		if !ds.again {
			return nil
		}
		ds.again = false
	default:
		return nil
	}
	ds.busy, ds.asked = true, now()
	get, prev, net, train := ds.get, ds.f, rs.net, rs.train
	return func() tea.Msg { return dynamicsMsg{deriveDynamics(get(), prev, net, train)} }
}

// deriveDynamics derives the figures of d, reusing the calibrations of
// prev's epochs (an epoch's never changes). net (may be nil) predicts the
// training images wrong at their last measurement, from train.
func deriveDynamics(d *dynamics.Data, prev *dynFigures, net *nn.Net, train *mnist.Set) *dynFigures {
	if d == nil {
		return nil
	}
	f := &dynFigures{k: d.K, epochs: d.Epochs}
	if d.Epochs > 0 {
		f.sets[0] = newSetFigures(dynamics.Train, d, d.Epochs)
		f.sets[1] = newSetFigures(dynamics.Test, d, d.Epochs)
	} else if d.CurSeen > 0 && d.CurEpoch > 0 {
		// The first epoch in progress: its probabilities so far, as one epoch.
		live := &dynamics.Data{K: d.K, Epochs: 1, TrainLabels: d.TrainLabels, TrainP: d.CurP, TrainM: d.CurM}
		f.live, f.liveEpoch, f.liveSeen = true, d.CurEpoch, d.CurSeen
		f.sets[0] = newSetFigures(dynamics.Train, live, 1)
	}
	if prev != nil {
		f.calib = append(f.calib, prev.calib[:min(len(prev.calib), d.Epochs)]...)
	}
	n, k := d.TestN(), d.K
	for e := len(f.calib); e < d.Epochs; e++ {
		c := dynamics.Calibrate(d.TestProbs[e*n*k:(e+1)*n*k], d.TestLabels, d.TestPred[e*n:(e+1)*n], k)
		c.Epoch = e + 1
		f.calib = append(f.calib, c)
	}
	if tr := &f.sets[0]; net != nil && train != nil && train.N == d.TrainN() && tr.ok() && !f.live {
		var idx []int
		for _, i := range tr.suspects {
			idx = append(idx, tr.ex[i].Index)
		}
		for i, e := range tr.ex {
			if e.Measurements > 0 && e.FirstLearned == 0 && !tr.ex[i].Suspect() {
				idx = append(idx, e.Index)
			}
		}
		idx = idx[:min(len(idx), predictCap)]
		if p := nn.PredictImages(net.Clone(), train, idx); len(p) == len(idx) {
			tr.pred = make(map[int]int, len(idx))
			for j, i := range idx {
				tr.pred[i] = p[j]
			}
		}
	}
	return f
}

func newSetFigures(set dynamics.Set, d *dynamics.Data, epochs int) setFigures {
	s := setFigures{set: set, data: d, epochs: epochs, ex: d.Examples(set)}
	s.sum = dynamics.Summarize(s.ex, epochs)
	for i, e := range s.ex {
		if e.Suspect() {
			s.suspects = append(s.suspects, i)
		}
	}
	slices.SortStableFunc(s.suspects, func(a, b int) int {
		if set == dynamics.Train {
			return cmp.Compare(s.ex[a].AUM, s.ex[b].AUM)
		}
		return cmp.Compare(s.ex[b].CLScore, s.ex[a].CLScore)
	})
	return s
}

// set is the figures of set, or nil when there are none yet.
func (ds *dynState) set(set dynamics.Set) *setFigures {
	if ds.f == nil {
		return nil
	}
	if s := &ds.f.sets[setIndex(set)]; s.ok() {
		return s
	}
	return nil
}

// images is the images of set, or nil when the program has none.
func (rs *runState) images(set dynamics.Set) *mnist.Set {
	if set == dynamics.Test {
		return rs.test
	}
	return rs.train
}
