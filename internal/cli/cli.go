// Package cli holds convscope's commands. Each is an Options struct and a
// run function in a file of its own (train.go, eval.go, explore.go,
// bench.go, sweep.go, compare.go); Main parses the command name, runs it,
// and turns its error into one line and an exit status.
//
// A new command: add its file with an Options struct, a flag set that fills
// it and a run function, and a case in Run.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/charmbracelet/x/term"

	"convscope/internal/gemm"
)

// Usage is the program's help text.
const Usage = `convscope trains the paper's CNN on MNIST and shows it learning.

Usage:
  convscope [train] [flags]      train; the live UI on a terminal, headless with --no-tui or when piped
  convscope train --resume FILE  continue a run from its checkpoint, e.g. runs/<time>/last.safetensors
  convscope eval --load FILE     evaluate a saved model on the test set: accuracy, loss, per-class table
  convscope explore --load FILE  open the UI on a saved model without training
  convscope train --serve [ADDR] also serve the live UI over SSH (default 127.0.0.1:2222; explore too):
                                 public keys only (--authorized-keys, default ~/.ssh/authorized_keys),
                                 keys in --controllers FILE may pause, save and stop, others watch
  convscope bench [flags]        time training steps and test-set inference (images/s)
  convscope sweep --epochs 5,10,15,20 --seeds 1,2,3 [train flags]
                                 the paper's epoch sweep, headless: one run per seed, then
                                 <out>/sweep.md and sweep.csv (accuracy by epoch count);
                                 --lr/--batch/--schedule take lists, --shard I/N runs one share,
                                 --plan prints a command per cell, --collect DIR builds the report
  convscope compare RUN...       test accuracy and loss per epoch of run folders, side by side
  convscope report RUN           write the run's report: report.md with the learning dynamics
                                 (suspected label errors, calibration) and its CSVs
  convscope watch RUN_DIR        follow a run another process writes (headless, or on another machine
                                 through a shared folder): the UI, or with --no-tui one line per epoch;
                                 says whether it is live, finished or stale
  convscope help                 this text

--dataset mnist|fashion picks the data (fashion: apt-get install dataset-fashion-mnist);
--data DIR reads any folder of IDX files. Run "convscope COMMAND -h" for a command's flags.
`

// errUsage is a bad command line (exit status 2); errHelp is help asked
// for and printed (exit status 0).
var (
	errUsage = errors.New("usage")
	errHelp  = errors.New("help")
)

// Main runs the program with args (without the program's name) and returns
// its exit status: 0 on success, 1 on an error (printed as one line on
// stderr), 2 on a bad command line.
func Main(args []string) int {
	err := Run(args)
	switch {
	case err == nil, errors.Is(err, errHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	}
	fmt.Fprintln(os.Stderr, "convscope:", err)
	return 1
}

// Run runs the command args names (train when it names none).
func Run(args []string) error {
	cmd := "train"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	e := stdEnv()
	switch cmd {
	case "train":
		return cmdTrain(args, e)
	case "bench":
		return cmdBench(args, e)
	case "sweep":
		return cmdSweep(args, e)
	case "compare":
		return cmdCompare(args, e)
	case "eval":
		return cmdEval(args, e)
	case "explore":
		return cmdExplore(args, e)
	case "report":
		return cmdReport(args, e)
	case "watch":
		return cmdWatch(args, e)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(e.stdout, Usage)
		return nil
	}
	fmt.Fprintf(os.Stderr, "convscope: unknown command %q\n\n%s", cmd, Usage)
	return errUsage
}

// env is what a command runs in: where it prints, and whether that is a
// terminal. Tests pass their own.
type env struct {
	stdout io.Writer
	tty    bool // stdout is a terminal
}

func stdEnv() env { return env{stdout: os.Stdout, tty: term.IsTerminal(os.Stdout.Fd())} }

// signalContext is cancelled by ctrl+c or SIGTERM.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// maxThreads bounds --threads: more threads than this only slow training
// down and make a stop slow to answer.
func maxThreads() int { return 4 * runtime.NumCPU() }

// checkThreads refuses a thread count out of range.
func checkThreads(n int) error {
	if n < 0 || n > maxThreads() {
		return fmt.Errorf("--threads must be 0 (all cores) to %d (4 per core), got %d", maxThreads(), n)
	}
	return nil
}

// newEngine returns a GEMM engine of threads workers (0 = all cores).
func newEngine(threads int) (*gemm.Engine, error) {
	if err := checkThreads(threads); err != nil {
		return nil, err
	}
	return gemm.NewEngine(threads), nil
}

// parseFlags parses args into fs, turning flag errors into one clear line;
// -h prints the flags and returns errHelp.
func parseFlags(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printFlags(fs)
			return errHelp
		}
		return fmt.Errorf("%s: %v (see convscope %s -h)", fs.Name(), err, fs.Name())
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q (see convscope %s -h)", fs.Name(), fs.Arg(0), fs.Name())
	}
	return nil
}

// printFlags prints a command's flags to stdout.
func printFlags(fs *flag.FlagSet) {
	fs.SetOutput(os.Stdout)
	fmt.Printf("Usage of convscope %s:\n", fs.Name())
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}
