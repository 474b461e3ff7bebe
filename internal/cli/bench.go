package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	"convscope/internal/dynamics"
	"convscope/internal/gemm"
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
	if *dyn {
		rec := dynamics.NewRecorder(dynamics.New(d.Train.Labels[:d.Train.N], d.Test.Labels[:d.Test.N], net.Classes()))
		tr.Observe = rec.Observe
	}
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
	}
	trainSec := time.Since(t0).Seconds()
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
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(res)
	}
	fmt.Fprintf(e.stdout, "kernel %s, %d threads\n", gemm.Kernel(), eng.Threads())
	fmt.Fprintf(e.stdout, "train: %.0f images/s (batch %d, %.2f ms/step over %d steps)\n", res["train_images_per_second"], *batch, res["step_ms"], *batches)
	fmt.Fprintf(e.stdout, "infer: %.0f images/s (batch %d, %d test images)\n", res["infer_images_per_second"], *evalBatch, d.Test.N)
	return nil
}
