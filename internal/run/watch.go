package run

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"convscope/internal/health"
	"convscope/internal/snapshot"
	"convscope/nn"
)

// This file is what the run keeps for watching the network change: its
// snapshots (snapshots/, see package snapshot) and its training health
// (health.jsonl, see package health), both under the run's error policy: a
// failed write stops the run with a SaveError.

// startWatch prepares the snapshots and the health sampler of a run that
// starts (or resumes) at epoch t.Epoch. On a resume, the snapshots taken
// after that epoch move to snapshots/replaced-N and health.jsonl is cut to
// the epochs up to it (the run trains the later ones again), so both
// append to the history the checkpoint continues.
func (r *Run) startWatch() error {
	t := r.opts.Trainer
	_, r.step = t.Opt.State()
	if r.opts.Snapshots {
		r.snapDir = r.opts.Folder.File(snapshot.Dir)
		moved, to, err := snapshot.Prepare(r.snapDir, t.Epoch)
		if err != nil {
			return err
		}
		if moved > 0 {
			r.notes = append(r.notes, fmt.Sprintf("moved %d snapshots taken after epoch %d (the checkpoint's) to %s", moved, t.Epoch, to))
		}
		// The list is kept in memory from here on: the UIs ask for it often.
		if r.snaps, err = snapshot.List(r.snapDir); err != nil {
			return err
		}
		init := snapshot.Info{Epoch: 0, Batch: snapshot.Init}
		if _, err := os.Stat(filepath.Join(r.snapDir, init.Name())); t.Epoch == 0 && errors.Is(err, fs.ErrNotExist) {
			if err := r.saveSnapshot(init); err != nil {
				return err
			}
		}
	}
	if !r.opts.Health {
		return nil
	}
	path := r.opts.Folder.File(health.File)
	var kept []health.Sample
	if r.opts.From != "" || t.Epoch > 0 {
		if _, err := health.Read(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			// An unreadable file is kept aside; the run starts a new one.
			aside := path + ".unreadable"
			if rerr := os.Rename(path, aside); rerr != nil {
				return fmt.Errorf("%w (and moving it aside failed: %v)", err, rerr)
			}
			r.notes = append(r.notes, fmt.Sprintf("%v; moved it to %s and started a new one", err, aside))
		}
		var err error
		if kept, err = health.Cut(path, t.Epoch, r.opts.Wrap); err != nil {
			return err
		}
	}
	data := r.opts.Data
	r.sampler = health.NewSampler(t, data.Train.Subset(t.Cfg.TrainLimit), r.opts.HealthEvery)
	r.sampler.Resume(kept)
	r.samples = kept
	return nil
}

// observe is the trainer's Observe: the learning dynamics, then a snapshot
// when one is due, then the health sampler (last: its forward pass reuses
// the network's buffers, the batch's logits among them).
func (r *Run) observe(b nn.Batch) {
	r.step++
	if r.rec != nil {
		r.rec.Observe(b)
	}
	if r.snapDir != "" && snapshot.Due(b.Epoch, b.Batch) {
		info := snapshot.Info{Epoch: b.Epoch, Batch: b.Batch, Batches: b.Batches, Step: r.step}
		if err := r.saveSnapshot(info); err != nil {
			r.fail(&SaveError{Epoch: b.Epoch, What: "snapshot", Err: err, Saved: r.savedEpoch(), Last: r.LastPath()})
		}
	}
	if r.sampler != nil {
		if s := r.sampler.Observe(b); s != nil {
			if err := health.Append(r.opts.Folder.File(health.File), s, r.opts.Wrap); err != nil {
				r.fail(&SaveError{Epoch: b.Epoch, What: "health", Err: err, Saved: r.savedEpoch(), Last: r.LastPath()})
				return
			}
			r.mu.Lock()
			r.samples = append(r.samples, *s)
			r.mu.Unlock()
		}
	}
}

// endSnapshot writes the snapshot of a finished epoch, with its test accuracy.
func (r *Run) endSnapshot(st nn.EpochStats, batches int) error {
	if r.snapDir == "" {
		return nil
	}
	info := snapshot.Info{Epoch: st.Epoch, Batch: max(batches-1, 0), Batches: batches, End: true, Step: r.step, TestAcc: st.TestAcc, HasAcc: true}
	if err := r.saveSnapshot(info); err != nil {
		return &SaveError{Epoch: st.Epoch, What: "snapshot", Err: err, Saved: r.savedEpoch(), Last: r.LastPath()}
	}
	return nil
}

// Health returns a copy of the run's health samples so far (those kept
// from before a resume included), oldest first; nil when it samples none.
// It may be called from any goroutine.
func (r *Run) Health() []health.Sample {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.samples)
}

// saveSnapshot writes the snapshot at info and adds it to the list.
func (r *Run) saveSnapshot(info snapshot.Info) error {
	path, err := snapshot.Save(r.snapDir, r.opts.Trainer, info, r.opts.Dataset, r.opts.Wrap)
	if err != nil {
		return err
	}
	s := snapshot.Snapshot{Info: info, Path: path}
	if fi, err := os.Stat(path); err == nil {
		s.Size = fi.Size()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	// A name written again (a resumed epoch's) replaces its entry.
	r.snaps = slices.DeleteFunc(r.snaps, func(o snapshot.Snapshot) bool { return o.Path == path })
	i, _ := slices.BinarySearchFunc(r.snaps, s, func(a, b snapshot.Snapshot) int {
		if a.Less(b.Info) {
			return -1
		}
		if b.Less(a.Info) {
			return 1
		}
		return 0
	})
	r.snaps = slices.Insert(r.snaps, i, s)
	return nil
}

// Snapshots lists the run's snapshots so far, in training order (those
// kept from before a resume included), from memory. It may be called from
// any goroutine.
func (r *Run) Snapshots() ([]snapshot.Snapshot, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.snaps), nil
}
