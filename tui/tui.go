// Package tui is the terminal program: it trains a network in its own
// goroutine and shows the run live in tabs (Train, Samples, Mistakes,
// Confusion, Layers, Draw, Data, Health, Space), with Bubble Tea.
package tui

import (
	"context"
	"errors"
	"fmt"

	tea "charm.land/bubbletea/v2"

	"convscope/internal/dynamics"
	"convscope/internal/health"
	"convscope/internal/snapshot"
	"convscope/nn"
	"convscope/views"
)

// Options is what Run trains and how.
type Options struct {
	Net    *nn.Net
	Data   nn.Data
	Config nn.Config
	OutDir string

	// Save writes a checkpoint of net and returns its path. It is called in
	// the training goroutine between batches (or after training returned),
	// with the epoch the network is in. Nil: the s key is not offered.
	Save func(net *nn.Net, epoch int) (string, error)
	// Train, if set, runs the training instead of nn.Train(ctx, Net, Data,
	// Config, report), e.g. a resumed nn.Trainer's Run. It must train Net
	// and behave like nn.Train: synchronous, report between batches,
	// ctx.Err() when cancelled.
	Train func(ctx context.Context, report func(nn.Progress)) error
	// History holds epochs finished before this run started (a resumed run),
	// shown in the table and charts.
	History []nn.EpochStats
	// LRChanges are the learning-rate changes made before this run started
	// (a resumed run's nn.Trainer.Changes), marked on the charts.
	LRChanges []nn.LRChange
	// SetLR and StopAfter steer the run (keys -, +, L and X), called in the
	// training goroutine between batches: SetLR makes lr the base learning
	// rate from the next batch on, StopAfter asks training to stop once
	// epoch has finished and been saved (0 withdraws that); by names who
	// asked. Both nil: the run cannot be steered and the keys are not
	// offered.
	SetLR     func(lr float64, by string) (nn.LRChange, error)
	StopAfter func(epoch int, by string) error
	// Runs are other runs' figures the Train tab compares with (key r).
	Runs []views.RunCurves
	// Dynamics, if set, returns a copy of the run's learning dynamics so
	// far (nil when none are recorded); the export and the Data tab read it.
	Dynamics func() *dynamics.Data
	// Health, if set, returns the run's training-health samples so far,
	// oldest first (the Health tab and the header's alerts read it).
	Health func() []health.Sample
	// HealthErr is why the run's health file could not be read (explore).
	HealthErr error
	// Snapshots, if set, lists the run's model snapshots so far, in
	// training order (the Layers, Draw and Space tabs step through them).
	Snapshots func() ([]snapshot.Snapshot, error)
	// Explore says the network is a saved model, not a run in progress:
	// Train evaluates it once, Config is the model's own settings (an empty
	// Optimizer: the file does not record them), and nothing pauses or
	// saves.
	Explore bool
	// Follow, if set, says whether the run another process writes is live
	// or stale (convscope watch: Train follows its folder); the header shows
	// it and nothing pauses. It is called from a command, once a second.
	Follow func() views.Follow
	// ProgramOptions are passed to Bubble Tea (tests give their own input
	// and output).
	ProgramOptions []tea.ProgramOption
}

// Run trains opts.Net on opts.Data in its own goroutine and shows it in the
// terminal's alternate screen until the user quits. Quitting while training
// cancels it and waits for nn.Train to return; the terminal is restored
// either way. Run returns training's error if it failed (a cancellation is
// not an error), or the program's if the terminal failed.
func Run(ctx context.Context, opts Options) error {
	if opts.Net == nil {
		return errors.New("tui: no network to train")
	}
	return run(ctx, opts, program{train: trainOf(opts), opts: opts.ProgramOptions})
}

// program is how run runs: tests pass a fake trainer, their own input and
// output, and a wrapper that watches the model.
type program struct {
	train trainFunc
	opts  []tea.ProgramOption
	wrap  func(tea.Model) tea.Model // nil: none
}

// run is Run with the training and the program given: a hub with the local
// terminal's UI as its one viewer.
func run(ctx context.Context, opts Options, pr program) error {
	opts.ProgramOptions = pr.opts
	h := newHub(ctx, opts, pr.train)
	perr := h.local(ctx, pr.wrap)
	h.Stop()
	return Result(ctx, h.Wait(), perr)
}

// Result is what Run returns given training's error terr and the local
// program's perr: training's failure first (a cancellation is not one),
// then the program's.
func Result(ctx context.Context, terr, perr error) error {
	switch {
	case terr != nil && !errors.Is(terr, context.Canceled):
		return fmt.Errorf("tui: training: %w", terr)
	case perr != nil && ctx.Err() != nil:
		return ctx.Err()
	case perr != nil:
		return fmt.Errorf("tui: %w", perr)
	}
	return nil
}
