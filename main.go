// Command convscope trains a convolutional network on MNIST and lets you watch it learn.
//
//	convscope [train] [flags]   train (live UI on a terminal, headless otherwise)
//	convscope bench [flags]     time training and inference
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
  convscope bench [flags]        time training steps and test-set inference (images/s)
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
	case "help":
		fmt.Print(usage)
		return nil
	}
	fmt.Fprintf(os.Stderr, "convscope: unknown command %q\n\n%s", cmd, usage)
	return errUsage
}
