package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"convscope/internal/gemm"
	"convscope/mnist"
	"convscope/nn"

	"github.com/charmbracelet/x/term"
)

// trainFlags are the flags shared by train and the commands that train.
type trainFlags struct {
	cfg     nn.Config
	data    string
	out     string
	noTUI   bool
	resume  string
	compare string // comma-separated run folders for the UI's Runs view
	classes string // comma-separated class names; "" keeps those Load found
}

func (f *trainFlags) register(fs *flag.FlagSet) {
	d := nn.DefaultConfig()
	fs.IntVar(&f.cfg.Epochs, "epochs", d.Epochs, "number of epochs")
	fs.IntVar(&f.cfg.Batch, "batch", d.Batch, "batch size")
	fs.Float64Var(&f.cfg.LR, "lr", d.LR, "learning rate")
	f.cfg.Optimizer = d.Optimizer
	fs.Var(&f.cfg.Optimizer, "optimizer", "optimizer: adam or sgd")
	fs.Float64Var(&f.cfg.Momentum, "momentum", d.Momentum, "momentum for sgd")
	fs.Uint64Var(&f.cfg.Seed, "seed", d.Seed, "random seed for initialisation and shuffling")
	fs.IntVar(&f.cfg.TrainLimit, "train-limit", 0, "train on the first N training images (0 = all)")
	fs.IntVar(&f.cfg.Threads, "threads", 0, "worker threads (0 = all cores)")
	f.cfg.Schedule = d.Schedule
	fs.Var(&f.cfg.Schedule, "schedule", "learning-rate schedule: constant, step or cosine")
	fs.IntVar(&f.cfg.StepEvery, "step-every", d.StepEvery, "step schedule: epochs between decays")
	fs.Float64Var(&f.cfg.StepGamma, "step-gamma", d.StepGamma, "step schedule: factor applied at each decay")
	fs.Float64Var(&f.cfg.WeightDecay, "weight-decay", 0, "decoupled weight decay of conv and dense weights, scaled by the learning rate (e.g. 0.01)")
	fs.BoolVar(&f.cfg.Augment, "augment", false, "random shifts and small rotations of training images")
	fs.IntVar(&f.cfg.MaxShift, "max-shift", d.MaxShift, "augment: largest shift in pixels")
	fs.Float64Var(&f.cfg.MaxRotate, "max-rotate", d.MaxRotate, "augment: largest rotation in degrees")
	fs.StringVar(&f.data, "data", "", "folder of IDX files (default: the MNIST copy in the Go module cache)")
	fs.StringVar(&f.classes, "classes", "", "comma-separated class names, overriding the folder's classes.txt (e.g. cat,dog,bird)")
	fs.StringVar(&f.out, "out", "", "run folder for metrics and checkpoints (default runs/<time>)")
	fs.BoolVar(&f.noTUI, "no-tui", false, "print one line per epoch instead of the live UI")
	fs.StringVar(&f.compare, "compare", "", "comma-separated run folders whose curves the UI compares with this run (key r in Train)")
	fs.StringVar(&f.resume, "resume", "", "continue the run saved in this checkpoint, e.g. runs/<time>/last.safetensors")
}

// parseFlags parses args into fs, turning flag errors into one clear line.
func parseFlags(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(os.Stdout)
			fmt.Printf("Usage of convscope %s:\n", fs.Name())
			fs.PrintDefaults()
			return errUsage
		}
		return fmt.Errorf("%s: %v (see convscope %s -h)", fs.Name(), err, fs.Name())
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q (see convscope %s -h)", fs.Name(), fs.Arg(0), fs.Name())
	}
	return nil
}

func cmdTrain(args []string) error {
	var f trainFlags
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	f.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if f.resume != "" {
		return resumeTrain(fs, f, os.Stdout)
	}
	if err := f.cfg.Validate(); err != nil {
		return err
	}
	data, err := loadData(f.data, f.classes)
	if err != nil {
		return err
	}
	net, err := nn.NewPaper(data.Train.Rows, data.Train.Cols, len(data.Train.Classes), nn.InitRNG(f.cfg.Seed))
	if err != nil {
		return err
	}
	eng := gemm.NewEngine(f.cfg.Threads)
	defer eng.Close()
	net.SetEngine(eng)
	out, err := makeRunDir(f.out)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	tty := term.IsTerminal(os.Stdout.Fd())
	if !f.noTUI && tty {
		others, err := compareRuns(f.compare)
		if err != nil {
			return err
		}
		return runTUI(ctx, net, data, f.cfg, out, others)
	}
	return trainHeadless(ctx, net, data, f.cfg, out, os.Stdout, tty)
}

// loadData reads the training and test sets from dir ("" = the module cache
// copy) and names their classes after the comma-separated classes, if given
// (see setClassNames).
func loadData(dir, classes string) (nn.Data, error) {
	train, test, err := mnist.Load(dir)
	if err != nil {
		return nn.Data{}, err
	}
	data := nn.Data{Train: train, Test: test}
	return data, setClassNames(data, classes)
}

// setClassNames replaces the class names of both sets with the
// comma-separated names in list ("" leaves them as they are). There must be
// a name for every label in the sets.
func setClassNames(data nn.Data, list string) error {
	if list == "" {
		return nil
	}
	names := strings.Split(list, ",")
	for i, n := range names {
		names[i] = strings.TrimSpace(n)
		if names[i] == "" {
			return fmt.Errorf("--classes: name %d of %q is empty, want one name per class", i+1, list)
		}
	}
	need := 0
	for _, s := range []*mnist.Set{data.Train, data.Test} {
		for _, l := range s.Labels {
			need = max(need, int(l)+1)
		}
	}
	if len(names) < need {
		return fmt.Errorf("--classes: got %d names, want at least %d (the labels go up to %d)", len(names), need, need-1)
	}
	if len(names) > 256 {
		return fmt.Errorf("--classes: got %d names, want at most 256", len(names))
	}
	data.Train.Classes, data.Test.Classes = names, names
	return nil
}

// makeRunDir creates the run folder (default runs/<local time>).
func makeRunDir(out string) (string, error) {
	if out == "" {
		out = filepath.Join("runs", time.Now().Format("20060102-150405"))
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", fmt.Errorf("create run folder: %w", err)
	}
	return out, nil
}

// metricsLog appends one JSON object per epoch to <out>/metrics.jsonl, each
// line written whole and synced.
type metricsLog struct{ path string }

func (m metricsLog) append(st nn.EpochStats) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(m.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("metrics: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("metrics: %w", err)
	}
	return f.Close()
}

// scheduleText says how the learning rate changes, for the settings line.
func scheduleText(cfg nn.Config) string {
	switch cfg.Schedule {
	case "cosine":
		return " (cosine decay to 0)"
	case "step":
		return fmt.Sprintf(" (x%g every %d epochs)", cfg.StepGamma, cfg.StepEvery)
	}
	return " (constant)"
}

// trainHeadless trains net from its initial weights with plain-text output
// (see runHeadless).
func trainHeadless(ctx context.Context, net *nn.Net, data nn.Data, cfg nn.Config, out string, w io.Writer, tty bool) error {
	t, err := nn.NewTrainer(net, cfg)
	if err != nil {
		return err
	}
	return runHeadless(ctx, t, data, out, w, tty, "")
}

// runHeadless trains t with plain-text output: one line per epoch, and on a
// terminal a progress line that rewrites itself. It keeps checkpoints in out
// (see startSaver; from is the checkpoint a resumed run starts from).
func runHeadless(ctx context.Context, t *nn.Trainer, data nn.Data, out string, w io.Writer, tty bool, from string) error {
	net, cfg := t.Net, t.Cfg
	log := metricsLog{filepath.Join(out, metricsFile)}
	train := data.Train.Subset(cfg.TrainLimit)
	fmt.Fprintf(w, "convscope: %s, %s lr %g%s, batch %d, seed %d, %d train / %d test images, %d threads, kernel %s\n",
		net.Describe(), cfg.Optimizer, cfg.LR, scheduleText(cfg), cfg.Batch, cfg.Seed, train.N, data.Test.N, net.Engine().Threads(), gemm.Kernel())
	fmt.Fprintf(w, "run folder: %s\n", out)
	save, err := startSaver(out, t, from)
	if err != nil {
		return err
	}
	var logErr error
	err = t.Run(ctx, data, func(p nn.Progress) {
		switch p.Kind {
		case nn.BatchProgress:
			if tty {
				eta := time.Duration(float64(p.Total-p.Seen) / p.ImagesPerSec * float64(time.Second))
				fmt.Fprintf(w, "\r\x1b[Kepoch %d/%d  %5.1f%%  loss %.4f  acc %.2f%%  lr %.2g  %.0f img/s  ETA %s",
					p.Epoch, p.Epochs, 100*float64(p.Seen)/float64(p.Total), p.TrainLoss, 100*p.TrainAcc, p.LR, p.ImagesPerSec, eta.Round(time.Second))
			}
		case nn.EpochDone:
			if tty {
				fmt.Fprint(w, "\r\x1b[K")
			}
			s := p.Stats
			fmt.Fprintf(w, "epoch %d/%d  train loss %.4f acc %.2f%%  test loss %.4f acc %.2f%%  %.1fs  %.0f img/s\n",
				s.Epoch, p.Epochs, s.TrainLoss, 100*s.TrainAcc, s.TestLoss, 100*s.TestAcc, s.Seconds, s.ImagesPerSec)
			if err := log.append(*s); err != nil && logErr == nil {
				logErr = err
			}
			if err := save.epoch(t); err != nil && logErr == nil {
				logErr = err
			}
		}
	})
	if tty {
		fmt.Fprint(w, "\r\x1b[K")
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(w, "stopped")
		if err := save.stopped(t, w); err != nil && logErr == nil {
			logErr = err
		}
		return logErr
	}
	if err != nil {
		return save.failed(err)
	}
	return logErr
}
