package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"convscope/internal/checkpoint"
	"convscope/internal/fsx"
	"convscope/internal/run"
	"convscope/nn"
)

// resumeFree are the train flags a resumed run may set: --epochs extends
// it, the others do not change its results (--data must name the same data
// set, which is checked). Every other flag must keep the checkpoint's
// value, so that the run continues as if never interrupted.
var resumeFree = map[string]bool{"epochs": true, "threads": true, "data": true, "classes": true, "out": true, "no-tui": true, "resume": true, "compare": true}

// runResume is "train --resume FILE": it continues the run saved in
// o.Resume, in the checkpoint's folder unless --out is given, on the data
// set the checkpoint names unless --data is given.
func runResume(ctx context.Context, o TrainOptions, e env) error {
	if err := fsx.CheckRegular(o.Resume); err != nil {
		return fmt.Errorf("train --resume: %w", err)
	}
	ck, err := checkpoint.Load(o.Resume)
	if err != nil {
		return err
	}
	if ck.Kind != checkpoint.KindTrainer {
		_, err := ck.Trainer() // says why, and what to resume from instead
		return err
	}
	cfg := ck.Config
	// The flags of a fresh flag set read the checkpoint's settings.
	var saved TrainOptions
	sfs := flag.NewFlagSet("saved", flag.ContinueOnError)
	saved.register(sfs)
	saved.Config = cfg
	var bad error
	for name := range o.given {
		fl, sv := lookupFlag(name, o), sfs.Lookup(name)
		if bad == nil && !resumeFree[name] && sv != nil && fl != sv.Value.String() {
			uses := sv.Value.String()
			if uses == "" {
				uses = "none"
			}
			bad = fmt.Errorf("train --resume: --%s cannot change when resuming (the run uses %s); start a new run to change it", name, uses)
		}
	}
	if bad != nil {
		return bad
	}
	if o.given["epochs"] {
		cfg.Epochs = o.Config.Epochs
	}
	// The thread count is this machine's business, never the file's.
	cfg.Threads = o.Config.Threads
	switch {
	case cfg.Epochs < ck.Epoch:
		return fmt.Errorf("train --resume: the run has done %d epochs already, --epochs %d is fewer", ck.Epoch, cfg.Epochs)
	case cfg.Epochs == ck.Epoch:
		return fmt.Errorf("train --resume: the run has done all its %d epochs; pass --epochs N with N > %d to train on", ck.Epoch, ck.Epoch)
	}
	out := o.Out
	if out == "" {
		out = filepath.Dir(o.Resume)
	}
	if err := checkNotBehind(out, o.Resume, ck.Epoch); err != nil {
		return err
	}
	dataDir, classes := o.Data, o.Classes
	if !o.given["data"] && ck.Dataset != nil {
		dataDir = ck.Dataset.Dir
	}
	data, err := loadData(dataDir, classes)
	if err != nil {
		if !o.given["data"] && ck.Dataset != nil {
			return fmt.Errorf("train --resume: the run trained on %s, which cannot be read now: %w; pass --data with its folder", ck.Dataset.Where(), err)
		}
		return err
	}
	if classes == "" && ck.Dataset != nil && len(ck.Dataset.Classes) >= ck.Net.Classes() {
		data.Train.Classes, data.Test.Classes = ck.Dataset.Classes, ck.Dataset.Classes
	}
	ds := checkpoint.DatasetOf(dataDir, data)
	if ck.Dataset != nil {
		if err := ck.Dataset.Same(ds); err != nil {
			return fmt.Errorf("train --resume: %s is not the data set the run trained on (%s): %v; pass --data with the run's own folder",
				ds.Where(), ck.Dataset.Where(), err)
		}
	}
	if err := checkData(ck.Net, data.Train, "training"); err != nil {
		return err
	}
	if err := checkData(ck.Net, data.Test, "test"); err != nil {
		return err
	}
	others, err := compareRuns(o.Compare)
	if err != nil {
		return err
	}
	savedEpochs := ck.Config.Epochs
	ck.Config = cfg
	t, err := ck.Trainer()
	if err != nil {
		return err
	}
	folder, err := openRunFolder(out, o.Resume)
	if err != nil {
		return err
	}
	defer folder.Close()
	fmt.Fprintf(e.stdout, "resuming %s after epoch %d of %d\n", o.Resume, ck.Epoch, cfg.Epochs)
	if n := len(t.Changes); n > 0 {
		fmt.Fprintf(e.stdout, "note: the learning rate was changed while the run trained; it goes on at base rate %g (set in epoch %d)\n", t.Changes[n-1].LR, t.Changes[n-1].Epoch)
	}
	if cfg.Schedule == nn.ScheduleCosine && cfg.Epochs != savedEpochs {
		fmt.Fprintf(e.stdout, "note: the cosine schedule now spans %d epochs instead of %d, so the rate of the remaining epochs changes\n", cfg.Epochs, savedEpochs)
	}
	return execute(ctx, session{trainer: t, data: data, folder: folder, from: o.Resume, dataset: ds, others: others, opts: o}, e)
}

// lookupFlag is the text form of flag name's value in o, as a flag set
// built on o prints it.
func lookupFlag(name string, o TrainOptions) string {
	fs := flag.NewFlagSet("given", flag.ContinueOnError)
	var cp TrainOptions
	cp.register(fs)
	cp.Config, cp.Data, cp.Classes, cp.Out, cp.NoTUI, cp.Resume, cp.Compare = o.Config, o.Data, o.Classes, o.Out, o.NoTUI, o.Resume, o.Compare
	if f := fs.Lookup(name); f != nil {
		return f.Value.String()
	}
	return ""
}

// checkNotBehind refuses to resume into out from a checkpoint older than
// out's last.safetensors, which the resumed run would overwrite.
func checkNotBehind(out, from string, epoch int) error {
	last := filepath.Join(out, checkpoint.LastFile)
	li, err := os.Stat(last)
	if err != nil {
		return nil // no last.safetensors to lose
	}
	if fi, err := os.Stat(from); err == nil && os.SameFile(li, fi) {
		return nil
	}
	c, err := checkpoint.Load(last)
	if err != nil || c.Kind != checkpoint.KindTrainer || c.Epoch <= epoch {
		return nil // nothing newer to lose
	}
	return fmt.Errorf("train --resume: %s is at epoch %d, later than %s (epoch %d) and resuming would replace it; resume from it, or pass --out DIR to branch off",
		last, c.Epoch, from, epoch)
}

// openRunFolder takes the folder a resumed run writes into: its own folder,
// or with --out a branch, which like a fresh run's must not hold a run.
func openRunFolder(out, from string) (*run.Folder, error) {
	own := filepath.Dir(from)
	oi, err1 := os.Stat(out)
	fi, err2 := os.Stat(own)
	if err1 == nil && err2 == nil && os.SameFile(oi, fi) {
		return run.OpenExisting(out)
	}
	return run.CreateNew(out, false)
}
