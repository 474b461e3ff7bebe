package checkpoint

import (
	"fmt"
	"io"
	"path/filepath"
	"strconv"

	"convscope/nn"
)

// The files a Keeper writes in its run folder.
const (
	LastFile        = "last.safetensors"        // the run after its latest epoch; resumable
	BestFile        = "best.safetensors"        // the run after its best epoch by test accuracy; resumable
	InterruptedFile = "interrupted.safetensors" // the network when training stopped mid-epoch; a model only
)

// Keeper keeps a run's checkpoints in a folder: LastFile after every epoch
// (and at the start, so that a run stopped in its first epoch can resume),
// BestFile whenever an epoch's test accuracy beats every earlier epoch's,
// and InterruptedFile with the network's weights when training stops
// mid-epoch. Every write is atomic, so a crash leaves the previous file.
//
// A stop mid-epoch does not replace LastFile: the weights have moved since
// the epoch began, but the epoch cannot be resumed half-way (its shuffle and
// running figures are gone), so LastFile stays the exact state to resume
// from, which replays the interrupted epoch in full, and InterruptedFile has
// the newer weights for evaluation.
//
// Its methods must be called on the goroutine that trains, between batches
// or after Run returned.
type Keeper struct {
	Dir string
	// Dataset, if set, is recorded in every file the keeper writes.
	Dataset *Dataset
	// Wrap, if set, gets every byte the keeper writes on its way to disk.
	Wrap func(io.Writer) io.Writer

	best float64 // best test accuracy so far; -1 when none
	step int     // optimizer step at the last save of LastFile
}

// NewKeeper returns a keeper for t's run in dir. Earlier epochs in
// t.History count towards the best accuracy, and t's current state counts
// as saved in LastFile (call Start to make it so).
func NewKeeper(dir string, t *nn.Trainer) *Keeper {
	k := &Keeper{Dir: dir, best: -1}
	for _, h := range t.History {
		k.best = max(k.best, h.TestAcc)
	}
	_, k.step = t.Opt.State()
	return k
}

// Path returns the path of file in the keeper's folder.
func (k *Keeper) Path(file string) string { return filepath.Join(k.Dir, file) }

// Start writes t's state to LastFile.
func (k *Keeper) Start(t *nn.Trainer) error {
	if err := SaveRun(k.Path(LastFile), t, k.Dataset, k.Wrap); err != nil {
		return err
	}
	_, k.step = t.Opt.State()
	return nil
}

// Epoch saves t after an epoch: LastFile always, and BestFile when the
// epoch's test accuracy is the best yet, which it reports. Call it when
// Run reports nn.EpochDone.
func (k *Keeper) Epoch(t *nn.Trainer) (best bool, err error) {
	if err := SaveRun(k.Path(LastFile), t, k.Dataset, k.Wrap); err != nil {
		return false, err
	}
	_, k.step = t.Opt.State()
	if n := len(t.History); n > 0 && t.History[n-1].TestAcc > k.best {
		if err := SaveRun(k.Path(BestFile), t, k.Dataset, k.Wrap); err != nil {
			return false, err
		}
		k.best = t.History[n-1].TestAcc
		return true, nil
	}
	return false, nil
}

// Interrupted saves t's network after training stopped (or paused)
// mid-epoch and returns the file's path. When no batch has run since
// LastFile was written it writes nothing and returns LastFile's path.
// Otherwise it writes InterruptedFile, a model with the run's config and
// history and "mid_epoch" set; LastFile stays the state to resume from.
func (k *Keeper) Interrupted(t *nn.Trainer) (string, error) {
	if _, step := t.Opt.State(); step == k.step {
		return k.Path(LastFile), nil
	}
	path := k.Path(InterruptedFile)
	meta := map[string]string{keyMidEpoch: strconv.Itoa(t.Epoch + 1)}
	if err := runMeta(meta, t); err != nil {
		return "", fmt.Errorf("checkpoint: save %s: %w", path, err)
	}
	if k.Dataset != nil {
		ds, err := k.Dataset.encode()
		if err != nil {
			return "", fmt.Errorf("checkpoint: save %s: %w", path, err)
		}
		meta[keyDataset] = ds
	}
	if err := saveNetThrough(path, t.Net, meta, k.Wrap); err != nil {
		return "", err
	}
	return path, nil
}
