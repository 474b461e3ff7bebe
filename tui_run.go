package main

import (
	"context"
	"os"

	"convscope/nn"
)

// runTUI runs the live UI. Until the dashboard lands it trains headless.
func runTUI(ctx context.Context, net *nn.Net, data nn.Data, cfg nn.Config, out string) error {
	return trainHeadless(ctx, net, data, cfg, out, os.Stdout, true)
}
