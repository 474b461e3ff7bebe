package run

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"convscope/nn"
)

// TestPrinterLines: a line written among the progress (a server's log)
// first clears the progress line, so the two never share a line; the next
// report draws the progress again.
func TestPrinterLines(t *testing.T) {
	var b bytes.Buffer
	p := &Printer{W: &b, TTY: true}
	prog := Event{Progress: nn.Progress{Kind: nn.BatchProgress, Epoch: 1, Epochs: 3, Seen: 10, Total: 100}}
	p.Event(prog)
	fmt.Fprintln(p.Lines(), "ssh: bob connected")
	p.Event(prog)
	p.Clear()
	out := b.String()
	want := "\r\x1b[Kssh: bob connected\n"
	if !strings.Contains(out, "ETA 0s"+want) {
		t.Fatalf("output %q: want the progress cleared before the log line", out)
	}
	if strings.Count(out, "epoch 1/3") != 2 || !strings.HasSuffix(out, "\r\x1b[K") {
		t.Errorf("output %q: want the progress drawn again after the line, and cleared at the end", out)
	}
	// Without a progress line on screen, nothing is cleared.
	b.Reset()
	fmt.Fprintln(p.Lines(), "x")
	if b.String() != "x\n" {
		t.Errorf("log line alone = %q", b.String())
	}
}
