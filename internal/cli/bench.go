package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"convscope/internal/dynamics"
	"convscope/internal/gemm"
	"convscope/internal/health"
	"convscope/internal/snapshot"
	"convscope/nn"
)

// cmdBench is "bench": it times training steps and test-set inference.
func cmdBench(args []string, e env) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	batches := fs.Int("batches", 100, "training steps to time (after 5 warm-up steps)")
	batch := fs.Int("batch", 64, "training batch size")
	evalBatch := fs.Int("eval-batch", 100, "inference batch size")
	threads := fs.Int("threads", 0, "worker threads (0 = all cores)")
	data := fs.String("data", "", "folder of IDX files (default: the MNIST copy in the Go module cache)")
	registerDataset(fs, data, false)
	asJSON := fs.Bool("json", false, "print one JSON object")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the timed training steps to this file")
	dyn := fs.Bool("dynamics", false, "record every image's learning dynamics during the timed steps, as a run does (to measure its cost)")
	healthOn := fs.Bool("health", false, "sample training health during the timed steps and append it to a temporary health.jsonl, as a run does (to measure its cost; use --batches 400 or more)")
	healthEvery := fs.Int("health-every", health.DefaultEvery, "with --health: batches between two samples")
	snaps := fs.Bool("snapshots", false, "write a snapshot to a temporary folder after timed steps 0, 10, 30, 100 and 300, as epoch 1 of a run does (to measure their cost)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *batches < 1 || *batch < 1 || *evalBatch < 1 {
		return fmt.Errorf("bench: --batches, --batch and --eval-batch must be positive")
	}
	d, err := loadData(*data, "")
	if err != nil {
		return err
	}
	net, err := nn.NewPaper(d.Train.Rows, d.Train.Cols, len(d.Train.Classes), nn.InitRNG(1))
	if err != nil {
		return err
	}
	eng, err := newEngine(*threads)
	if err != nil {
		return err
	}
	defer eng.Close()
	net.SetEngine(eng)
	cfg := nn.DefaultConfig()
	cfg.Batch = *batch
	cfg.Threads = eng.Threads()
	tr, err := nn.NewTrainer(net, cfg)
	if err != nil {
		return err
	}
	var observers []func(nn.Batch)
	if *dyn {
		rec := dynamics.NewRecorder(dynamics.New(d.Train.Labels[:d.Train.N], d.Test.Labels[:d.Test.N], net.Classes()))
		observers = append(observers, rec.Observe)
	}
	var tmp string
	if *healthOn || *snaps {
		if tmp, err = os.MkdirTemp("", "convscope-bench-"); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		defer os.RemoveAll(tmp)
	}
	var healthTime time.Duration
	var samples int
	var healthErr error
	if *healthOn {
		// Last: its forward pass reuses the network's buffers (the logits).
		smp := health.NewSampler(tr, d.Train, *healthEvery)
		path := filepath.Join(tmp, health.File)
		observers = append(observers, func(b nn.Batch) {
			t := time.Now()
			if s := smp.Observe(b); s != nil {
				if err := health.Append(path, s, nil); err != nil && healthErr == nil {
					healthErr = err
				}
				healthTime += time.Since(t)
				samples++
			}
		})
	}
	if len(observers) > 0 {
		tr.Observe = func(b nn.Batch) {
			for _, o := range observers {
				o(b)
			}
		}
	}
	var snapTime time.Duration
	var snapCount int
	const warm = 5
	steps := warm + *batches
	if steps**batch > d.Train.N {
		return fmt.Errorf("bench: %d steps of %d images need %d training images, the set has %d", steps, *batch, steps**batch, d.Train.N)
	}
	var t0 time.Time
	for i := 0; i < steps; i++ {
		if i == warm {
			if *cpuProfile != "" {
				f, err := os.Create(*cpuProfile)
				if err != nil {
					return fmt.Errorf("bench: %w", err)
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return fmt.Errorf("bench: %w", err)
				}
			}
			t0 = time.Now()
		}
		tr.Step(d.Train, i**batch, *batch)
		if j := i - warm; *snaps && j >= 0 && snapshot.Due(1, j) {
			t := time.Now()
			if _, err := snapshot.Save(tmp, tr, snapshot.Info{Epoch: 1, Batch: j, Step: j + 1}, nil, nil); err != nil {
				return fmt.Errorf("bench: %w", err)
			}
			snapTime += time.Since(t)
			snapCount++
		}
	}
	trainSec := time.Since(t0).Seconds()
	if healthErr != nil {
		return fmt.Errorf("bench: %w", healthErr)
	}
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	nn.Evaluate(net, d.Test.Subset(*evalBatch*2), *evalBatch) // warm-up
	t1 := time.Now()
	nn.Evaluate(net, d.Test, *evalBatch)
	inferSec := time.Since(t1).Seconds()
	res := map[string]any{
		"train_images_per_second": float64(*batches**batch) / trainSec,
		"infer_images_per_second": float64(d.Test.N) / inferSec,
		"threads":                 eng.Threads(),
		"batch":                   *batch,
		"eval_batch":              *evalBatch,
		"kernel":                  gemm.Kernel(),
		"train_steps":             *batches,
		"step_ms":                 1000 * trainSec / float64(*batches),
		"dynamics":                *dyn,
		"health":                  *healthOn,
		"snapshots":               *snaps,
	}
	if *healthOn {
		res["health_samples"] = samples
		res["health_ms"] = 1000 * healthTime.Seconds() / float64(max(samples, 1))
	}
	if *snaps {
		res["snapshot_count"] = snapCount
		res["snapshot_ms"] = 1000 * snapTime.Seconds() / float64(max(snapCount, 1))
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(res)
	}
	fmt.Fprintf(e.stdout, "kernel %s, %d threads\n", gemm.Kernel(), eng.Threads())
	fmt.Fprintf(e.stdout, "train: %.0f images/s (batch %d, %.2f ms/step over %d steps)\n", res["train_images_per_second"], *batch, res["step_ms"], *batches)
	fmt.Fprintf(e.stdout, "infer: %.0f images/s (batch %d, %d test images)\n", res["infer_images_per_second"], *evalBatch, d.Test.N)
	if *healthOn {
		fmt.Fprintf(e.stdout, "health: %d samples in the timed steps, %.1f ms each (every %d batches)\n", samples, res["health_ms"], *healthEvery)
	}
	if *snaps {
		fmt.Fprintf(e.stdout, "snapshots: %d in the timed steps, %.1f ms each\n", snapCount, res["snapshot_ms"])
	}
	return nil
}
