package main

import (
	"bytes"
	"context"
	"convscope/internal/atomicfile"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"convscope/internal/checkpoint"
	"convscope/internal/gemm"
	"convscope/mnist"
	"convscope/nn"

	"github.com/charmbracelet/x/term"
)

// resumeFree are the train flags a resumed run may set: --epochs extends
// it, the others do not change its results. Every other flag must keep the
// checkpoint's value, so that the run continues as if never interrupted.
var resumeFree = map[string]bool{"epochs": true, "threads": true, "data": true, "classes": true, "out": true, "no-tui": true, "resume": true, "compare": true}

// resumeTrain is "train --resume FILE": it continues the run saved in
// f.resume, in the checkpoint's folder unless --out is given.
func resumeTrain(fs *flag.FlagSet, f trainFlags, w io.Writer) error {
	set := make(map[string]bool)
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	ck, err := checkpoint.Load(f.resume)
	if err != nil {
		return err
	}
	if ck.Kind != checkpoint.KindTrainer {
		_, err := ck.Trainer() // says why, and what to resume from instead
		return err
	}
	cfg := ck.Config
	// The flags of a fresh flag set read the checkpoint's settings.
	var saved trainFlags
	sfs := flag.NewFlagSet("saved", flag.ContinueOnError)
	saved.register(sfs)
	saved.cfg = cfg
	var bad error
	fs.Visit(func(fl *flag.Flag) {
		if sv := sfs.Lookup(fl.Name); bad == nil && !resumeFree[fl.Name] && sv != nil && fl.Value.String() != sv.Value.String() {
			uses := sv.Value.String()
			if uses == "" {
				uses = "none"
			}
			bad = fmt.Errorf("train --resume: --%s cannot change when resuming (the run uses %s); start a new run to change it", fl.Name, uses)
		}
	})
	if bad != nil {
		return bad
	}
	if set["epochs"] {
		cfg.Epochs = f.cfg.Epochs
	}
	if set["threads"] {
		cfg.Threads = f.cfg.Threads
	}
	switch {
	case cfg.Epochs < ck.Epoch:
		return fmt.Errorf("train --resume: the run has done %d epochs already, --epochs %d is fewer", ck.Epoch, cfg.Epochs)
	case cfg.Epochs == ck.Epoch:
		return fmt.Errorf("train --resume: the run has done all its %d epochs; pass --epochs N with N > %d to train on", ck.Epoch, ck.Epoch)
	}
	out := f.out
	if out == "" {
		out = filepath.Dir(f.resume)
	}
	if err := checkNotBehind(out, f.resume, ck.Epoch); err != nil {
		return err
	}
	data, err := loadData(f.data, f.classes)
	if err != nil {
		return err
	}
	if err := checkData(ck.Net, data.Train, "training"); err != nil {
		return err
	}
	if err := checkData(ck.Net, data.Test, "test"); err != nil {
		return err
	}
	savedEpochs := ck.Config.Epochs
	ck.Config = cfg
	t, err := ck.Trainer()
	if err != nil {
		return err
	}
	eng := gemm.NewEngine(cfg.Threads)
	defer eng.Close()
	t.Net.SetEngine(eng)
	if out, err = makeRunDir(out); err != nil {
		return err
	}
	if err := writeMetrics(filepath.Join(out, metricsFile), t.History); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(w, "resuming %s after epoch %d of %d\n", f.resume, ck.Epoch, cfg.Epochs)
	if cfg.Schedule == "cosine" && cfg.Epochs != savedEpochs {
		fmt.Fprintf(w, "note: the cosine schedule now spans %d epochs instead of %d, so the rate of the remaining epochs changes\n", cfg.Epochs, savedEpochs)
	}
	tty := term.IsTerminal(os.Stdout.Fd())
	if tty && !f.noTUI {
		others, err := compareRuns(f.compare)
		if err != nil {
			return err
		}
		return runTrainerTUI(ctx, t, data, out, f.resume, others)
	}
	return runHeadless(ctx, t, data, out, w, tty, f.resume)
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

// checkData reports why net cannot run on set: another image size, or a
// label the network has no output for.
func checkData(net *nn.Net, set *mnist.Set, what string) error {
	if set.Rows != net.Input.H || set.Cols != net.Input.W {
		return fmt.Errorf("the model takes %dx%d images, the %s set has %dx%d", net.Input.H, net.Input.W, what, set.Rows, set.Cols)
	}
	k := net.Classes()
	for i, l := range set.Labels[:set.N] {
		if int(l) >= k {
			return fmt.Errorf("the model has %d classes, but %s image %d has label %d", k, what, i, l)
		}
	}
	return nil
}

// writeMetrics replaces path with one JSON line per epoch of history, so
// that a resumed run's metrics.jsonl matches its checkpoint (a crash between
// an epoch's metrics line and its checkpoint leaves an extra line). Like a
// checkpoint, it goes to a temporary file that is synced, then renamed.
func writeMetrics(path string, history []nn.EpochStats) (err error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, h := range history {
		if err := enc.Encode(h); err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
	}
	if err := atomicfile.Write(path, b.Bytes()); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}

// saver keeps a headless run's checkpoints (see checkpoint.Keeper).
type saver struct {
	keep *checkpoint.Keeper
}

// startSaver starts keeping t's checkpoints in out. It writes
// last.safetensors at once, so that a stop in the first epoch can resume,
// unless the run resumes from that very file.
func startSaver(out string, t *nn.Trainer, from string) (*saver, error) {
	k := checkpoint.NewKeeper(out, t)
	if from != "" {
		li, lerr := os.Stat(k.Path(checkpoint.LastFile))
		fi, ferr := os.Stat(from)
		if lerr == nil && ferr == nil && os.SameFile(li, fi) {
			return &saver{k}, nil
		}
	}
	if err := k.Start(t); err != nil {
		return nil, err
	}
	return &saver{k}, nil
}

// epoch saves after an epoch.
func (s *saver) epoch(t *nn.Trainer) error {
	_, err := s.keep.Epoch(t)
	return err
}

// stopped saves after a ctrl+c or SIGTERM and says where things are.
func (s *saver) stopped(t *nn.Trainer, w io.Writer) error {
	path, err := s.keep.Interrupted(t)
	if err != nil {
		return err
	}
	last := s.keep.Path(checkpoint.LastFile)
	if path != last {
		fmt.Fprintf(w, "weights at the stop: %s (for eval; epoch %d will restart from its beginning)\n", path, t.Epoch+1)
	}
	fmt.Fprintf(w, "resume with: convscope train --resume %s\n", last)
	return nil
}

// failed adds where the last good checkpoint is to a training error.
func (s *saver) failed(err error) error {
	return fmt.Errorf("%w; the last good checkpoint is %s", err, s.keep.Path(checkpoint.LastFile))
}
