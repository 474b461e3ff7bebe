// Command convscope trains a convolutional network on MNIST and lets you watch it learn.
//
//	convscope [train] [flags]      train (live UI on a terminal, headless otherwise)
//	convscope bench [flags]        time training and inference
//	convscope sweep [flags]        train over seeds and report accuracy by epoch count
//	convscope compare RUN...       compare the curves of finished runs
//	convscope eval --load FILE     evaluate a saved model on the test set
//	convscope explore --load FILE  the UI on a saved model, without training
//
// Run "convscope help" for the flags.
package main

import (
	"errors"
	"fmt"
	"os"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "convscope:", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

const usage = `convscope trains the paper's CNN on MNIST and shows it learning.

Usage:
  convscope [train] [flags]      train; the live UI on a terminal, headless with --no-tui or when piped
  convscope train --resume FILE  continue a run from its checkpoint, e.g. runs/<time>/last.safetensors
  convscope eval --load FILE     evaluate a saved model on the test set: accuracy, loss, per-class table
  convscope explore --load FILE  open the UI on a saved model without training
  convscope bench [flags]        time training steps and test-set inference (images/s)
  convscope sweep --epochs 5,10,15,20 --seeds 1,2,3 [train flags]
                                 the paper's epoch sweep, headless: one run per seed, then
                                 <out>/sweep.md and sweep.csv (accuracy by epoch count)
  convscope compare RUN...       test accuracy and loss per epoch of run folders, side by side
  convscope help                 this text

Run "convscope COMMAND -h" for a command's flags.
`

func run(args []string) error {
	cmd := "train"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "train":
		return cmdTrain(args)
	case "bench":
		return cmdBench(args)
	case "sweep":
		return cmdSweep(args)
	case "compare":
		return cmdCompare(args)
	case "eval":
		return cmdEval(args, os.Stdout)
	case "explore":
		return cmdExplore(args, os.Stdout)
	case "help":
		fmt.Print(usage)
		return nil
	}
	fmt.Fprintf(os.Stderr, "convscope: unknown command %q\n\n%s", cmd, usage)
	return errUsage
}
