package run

import (
	"fmt"
	"io"
	"sync"
	"time"

	"convscope/nn"
)

// Printer prints a run's events as plain text: one line per epoch and, on
// a terminal, a progress line that rewrites itself. Headless train, resume
// and sweep use it.
type Printer struct {
	W      io.Writer
	TTY    bool   // rewrite a progress line during epochs
	Prefix string // put before every line, e.g. "seed 2 "
	live   bool   // a progress line is on screen
	mu     sync.Mutex
}

// Event prints e. Event, Clear and the writer of Lines may be used from
// different goroutines.
func (p *Printer) Event(e Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch e.Kind {
	case nn.BatchProgress:
		if !p.TTY {
			return
		}
		eta := time.Duration(0)
		if e.ImagesPerSec > 0 {
			eta = time.Duration(float64(e.Total-e.Seen) / e.ImagesPerSec * float64(time.Second))
		}
		fmt.Fprintf(p.W, "\r\x1b[K%sepoch %d/%d  %5.1f%%  loss %.4f  acc %.2f%%  lr %.2g  %.0f img/s  ETA %s",
			p.Prefix, e.Epoch, e.Epochs, 100*float64(e.Seen)/float64(max(e.Total, 1)), e.TrainLoss, 100*e.TrainAcc, e.LR,
			e.ImagesPerSec, eta.Round(time.Second))
		p.live = true
	case nn.EpochDone:
		p.clear()
		s := e.Stats
		if s == nil {
			return
		}
		best := ""
		if e.Best {
			best = "  best"
		}
		fmt.Fprintf(p.W, "%sepoch %d/%d  train loss %.4f acc %.2f%%  test loss %.4f acc %.2f%%  %.1fs  %.0f img/s%s\n",
			p.Prefix, s.Epoch, e.Epochs, s.TrainLoss, 100*s.TrainAcc, s.TestLoss, 100*s.TestAcc, s.Seconds, s.ImagesPerSec, best)
	}
}

// Clear removes the progress line, if one is on screen.
func (p *Printer) Clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
}

func (p *Printer) clear() {
	if p.live {
		fmt.Fprint(p.W, "\r\x1b[K")
		p.live = false
	}
}

// Lines is a writer of other lines among the progress (an SSH server's
// log of connections): each write first clears the progress line, which
// the next report draws again.
func (p *Printer) Lines() io.Writer { return printerLines{p} }

type printerLines struct{ p *Printer }

func (l printerLines) Write(b []byte) (int, error) {
	l.p.mu.Lock()
	defer l.p.mu.Unlock()
	l.p.clear()
	return l.p.W.Write(b)
}
