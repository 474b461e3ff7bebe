// Command convscope trains a convolutional network on MNIST and lets you watch it learn.
//
//	convscope [train] [flags]      train (live UI on a terminal, headless otherwise)
//	convscope bench [flags]        time training and inference
//	convscope sweep [flags]        train over seeds and report accuracy by epoch count
//	convscope compare RUN...       compare the curves of finished runs
//	convscope eval --load FILE     evaluate a saved model on the test set
//	convscope explore --load FILE  the UI on a saved model, without training
//
// Run "convscope help" for the flags. The commands live in internal/cli.
package main

import (
	"os"

	"convscope/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
