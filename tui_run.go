package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"convscope/nn"
	"convscope/tui"
	"convscope/views"
)

// runTUI trains net from its initial weights with the live UI.
func runTUI(ctx context.Context, net *nn.Net, data nn.Data, cfg nn.Config, out string, others []views.RunCurves) error {
	t, err := nn.NewTrainer(net, cfg)
	if err != nil {
		return err
	}
	return runTrainerTUI(ctx, t, data, out, "", others)
}

// runTrainerTUI runs t with the live UI, keeping metrics.jsonl and the
// checkpoints in out as the headless run does (from is the checkpoint a
// resumed run starts from). After the UI closes it says where things are.
func runTrainerTUI(ctx context.Context, t *nn.Trainer, data nn.Data, out, from string, others []views.RunCurves) error {
	log := metricsLog{filepath.Join(out, metricsFile)}
	save, err := startSaver(out, t, from)
	if err != nil {
		return err
	}
	opts := tui.Options{
		Net: t.Net, Data: data, Config: t.Cfg, OutDir: out,
		Train: func(ctx context.Context, report func(nn.Progress)) error { return t.Run(ctx, data, report) },
		// Save runs in the training goroutine between batches (or after Run returned).
		Save: func(*nn.Net, int) (string, error) { return save.keep.Interrupted(t) },
		OnEpoch: func(st nn.EpochStats) error {
			if err := log.append(st); err != nil {
				return err
			}
			return save.epoch(t)
		},
		History: t.History,
		Runs:    others,
	}
	err = tui.Run(ctx, opts)
	switch {
	case err == nil:
		if t.Epoch >= t.Cfg.Epochs && len(t.History) > 0 {
			h := t.History[len(t.History)-1]
			fmt.Printf("finished %d epochs: test accuracy %.2f%%; run folder %s\n", t.Epoch, 100*h.TestAcc, out)
			return nil
		}
		fallthrough
	case errors.Is(err, context.Canceled):
		fmt.Println("stopped; run folder", out)
		return save.stopped(t, os.Stdout)
	}
	return save.failed(err)
}

// runExplore opens the UI on a saved network without training: it evaluates
// the network on the test set once and shows that evaluation in every tab,
// with the file's metrics history in the Train tab. out is the file's folder.
func runExplore(ctx context.Context, net *nn.Net, data nn.Data, history []nn.EpochStats, out string, others []views.RunCurves) error {
	cfg := nn.DefaultConfig()
	cfg.Epochs = max(len(history), 1)
	var last nn.EpochStats
	if n := len(history); n > 0 {
		last, history = history[n-1], history[:n-1]
	}
	opts := tui.Options{
		Net: net, Data: data, Config: cfg, OutDir: out, History: history, Runs: others,
		Train: func(ctx context.Context, report func(nn.Progress)) error {
			ev := nn.Evaluate(net, data.Test, 0)
			st := last
			st.TestLoss, st.TestAcc, st.Eval = ev.Loss, ev.Acc, ev
			report(nn.Progress{Kind: nn.EpochDone, Epoch: st.Epoch, Epochs: cfg.Epochs, Stats: &st})
			return ctx.Err()
		},
	}
	err := tui.Run(ctx, opts)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// compareRuns reads the run folders in list (comma-separated; "" = none) for
// the Train tab's Runs view.
func compareRuns(list string) ([]views.RunCurves, error) {
	if strings.TrimSpace(list) == "" {
		return nil, nil
	}
	runs, err := loadRuns(strings.Split(list, ","))
	if err != nil {
		return nil, fmt.Errorf("--compare: %w", err)
	}
	out := make([]views.RunCurves, len(runs))
	for i, r := range runs {
		out[i] = views.RunCurves{Name: r.Name, Epochs: r.Epochs}
	}
	return out, nil
}
