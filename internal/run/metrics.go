package run

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"convscope/internal/atomicfile"
	"convscope/internal/fsx"
	"convscope/nn"
)

// maxMetricsLine bounds one line of metrics.jsonl (a line is about 250 bytes).
const maxMetricsLine = 1 << 20

// MaxEpoch bounds an epoch number read from a file.
const MaxEpoch = 1_000_000

// The lines of metrics.jsonl that are not an epoch's carry an "event":
// what someone did to the run while it trained (the UI's steering keys).
const (
	// EventLR is a learning-rate change: the fields of nn.LRChange, e.g.
	// {"event":"lr","epoch":2,"batch":130,"step":600,"lr":0.0005,"by":"alice"}.
	EventLR = "lr"
	// EventStop is a request to stop once an epoch has finished (a
	// StopRequest), e.g. {"event":"stop","epoch":2,"by":"alice"}.
	EventStop = "stop"
	// EventEnd says how a session of the run ended (an EndLine), e.g.
	// {"event":"end","state":"stopped","epoch":3}; a resume rewrites the
	// file without it.
	EventEnd = "end"
)

// EndLine is an EventEnd line: the run finished, was stopped (and can be
// resumed) or failed, after Epoch epochs.
type EndLine struct {
	Event string `json:"event"`
	State string `json:"state"` // "finished", "stopped" or "failed"
	Epoch int    `json:"epoch"`
	Error string `json:"error,omitempty"` // what failed
}

// StopRequest is an EventStop line: someone asked the run to stop once
// Epoch has finished and been saved, or (Cancel) withdrew that request.
type StopRequest struct {
	Epoch  int    `json:"epoch"`
	Cancel bool   `json:"cancel,omitempty"`
	By     string `json:"by,omitempty"`
}

// Log is all of a metrics.jsonl file: the epochs, and what was done to the
// run while it trained.
type Log struct {
	Epochs []nn.EpochStats
	LR     []nn.LRChange // in the order they took effect
	Stops  []StopRequest // in the order they were made
}

// lrLine and stopLine are how a change and a request are written.
type lrLine struct {
	Event string `json:"event"`
	nn.LRChange
}

type stopLine struct {
	Event string `json:"event"`
	StopRequest
}

// ReadMetrics reads the epochs of a metrics.jsonl file (ReadLog), as a run
// writes it: one nn.EpochStats JSON object a line, among the lines of
// events (a learning-rate change, a request to stop), which it skips.
func ReadMetrics(path string) ([]nn.EpochStats, error) {
	l, err := ReadLog(path)
	return l.Epochs, err
}

// ReadLog reads a metrics.jsonl file: one JSON object a line, an epoch's
// nn.EpochStats or an event (EventLR, EventStop; lines of other events are
// skipped, for files of later versions). Blank lines are skipped. When an
// epoch number does not go up (a run resumed from an earlier checkpoint
// appends again from there), the later lines replace the epochs from that
// number on, and the rate changes after them, so the result is the
// history of the run as it went on, epochs increasing; a rate change in
// epoch E likewise replaces the epochs from E on and the changes from its
// batch on. An epoch may not skip ahead: each is at most one more than the
// epochs kept before it, so a corrupt number cannot make a reader allocate
// for epochs that never ran. An empty file gives no epochs and no error (a
// run that has just started). Errors name the file and, for a bad entry,
// the line.
func ReadLog(path string) (Log, error) {
	f, err := fsx.OpenRegular(path)
	if err != nil {
		return Log{}, fmt.Errorf("read metrics: %w", err)
	}
	defer f.Close()
	return readLog(path, f)
}

func readLog(path string, r io.Reader) (Log, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxMetricsLine)
	var out Log
	line := 0
	next := func() int {
		if n := len(out.Epochs); n > 0 {
			return out.Epochs[n-1].Epoch + 1
		}
		return 1
	}
	// dropFrom drops the epochs from e on.
	dropFrom := func(e int) {
		for len(out.Epochs) > 0 && out.Epochs[len(out.Epochs)-1].Epoch >= e {
			out.Epochs = out.Epochs[:len(out.Epochs)-1]
		}
	}
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		if b[0] != '{' {
			return Log{}, fmt.Errorf("read metrics %s line %d: got %.20q, want a JSON object", path, line, b)
		}
		var kind struct {
			Event string `json:"event"`
		}
		if err := json.Unmarshal(b, &kind); err != nil {
			return Log{}, fmt.Errorf("read metrics %s line %d: %w", path, line, err)
		}
		switch kind.Event {
		case "":
		case EventLR:
			var c lrLine
			if err := json.Unmarshal(b, &c); err != nil {
				return Log{}, fmt.Errorf("read metrics %s line %d: %w", path, line, err)
			}
			if err := nn.CheckLR(c.LR); err != nil {
				return Log{}, fmt.Errorf("read metrics %s line %d: %w", path, line, err)
			}
			if c.Epoch < 1 || c.Epoch > next() || c.Batch < 0 {
				return Log{}, fmt.Errorf("read metrics %s line %d: a rate change in epoch %d at batch %d, want epoch 1 to %d and batch >= 0", path, line, c.Epoch, c.Batch, next())
			}
			dropFrom(c.Epoch)
			for n := len(out.LR); n > 0 && (out.LR[n-1].Epoch > c.Epoch || out.LR[n-1].Epoch == c.Epoch && out.LR[n-1].Batch >= c.Batch); n-- {
				out.LR = out.LR[:n-1]
			}
			out.LR = append(out.LR, c.LRChange)
			continue
		case EventStop:
			var s stopLine
			if err := json.Unmarshal(b, &s); err != nil {
				return Log{}, fmt.Errorf("read metrics %s line %d: %w", path, line, err)
			}
			if s.Epoch < 0 || s.Epoch > MaxEpoch {
				return Log{}, fmt.Errorf("read metrics %s line %d: a stop after epoch %d, want 0 to %d", path, line, s.Epoch, MaxEpoch)
			}
			out.Stops = append(out.Stops, s.StopRequest)
			continue
		default:
			continue // an event of a later version
		}
		var st nn.EpochStats
		if err := json.Unmarshal(b, &st); err != nil {
			return Log{}, fmt.Errorf("read metrics %s line %d: %w", path, line, err)
		}
		if st.Epoch < 1 {
			return Log{}, fmt.Errorf("read metrics %s line %d: epoch %d, want 1 or more", path, line, st.Epoch)
		}
		if n := next(); st.Epoch > n || st.Epoch > MaxEpoch {
			return Log{}, fmt.Errorf("read metrics %s line %d: epoch %d, want at most %d (the epoch after the lines before it)", path, line, st.Epoch, n)
		}
		dropFrom(st.Epoch)
		for n := len(out.LR); n > 0 && out.LR[n-1].Epoch > st.Epoch; n-- {
			out.LR = out.LR[:n-1]
		}
		out.Epochs = append(out.Epochs, st)
	}
	if err := sc.Err(); err != nil {
		return Log{}, fmt.Errorf("read metrics %s after line %d: %w", path, line, err)
	}
	return out, nil
}

// MetricsPath returns the metrics file of arg: arg itself if it is a file,
// else arg/metrics.jsonl.
func MetricsPath(arg string) string {
	if fi, err := os.Stat(arg); err == nil && !fi.IsDir() {
		return arg
	}
	return filepath.Join(arg, MetricsFile)
}

// writeMetrics replaces path with the lines of l: each epoch's, with the
// rate changes and stop requests of an epoch before its line (and those of
// the epoch in progress at the end), so that a resumed run's metrics.jsonl
// matches its checkpoint (a crash between an epoch's metrics line and its
// checkpoint leaves an extra line). Like a checkpoint, it goes to a
// temporary file that is synced, then renamed.
func writeMetrics(path string, l Log, wrap func(io.Writer) io.Writer) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	ci, si := 0, 0
	events := func(upTo int) error {
		for ; ci < len(l.LR) && l.LR[ci].Epoch <= upTo; ci++ {
			if err := enc.Encode(lrLine{Event: EventLR, LRChange: l.LR[ci]}); err != nil {
				return err
			}
		}
		for ; si < len(l.Stops) && l.Stops[si].Epoch <= upTo; si++ {
			if err := enc.Encode(stopLine{Event: EventStop, StopRequest: l.Stops[si]}); err != nil {
				return err
			}
		}
		return nil
	}
	for _, h := range l.Epochs {
		if err := events(h.Epoch); err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
		if err := enc.Encode(h); err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
	}
	if err := events(math.MaxInt); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	if wrap != nil {
		if _, err := wrap(io.Discard).Write(b.Bytes()); err != nil {
			return fmt.Errorf("metrics: write %s: %w", path, err)
		}
	}
	if err := atomicfile.Write(path, b.Bytes()); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}

// appendMetrics appends one epoch's line to path, written whole and synced
// (atomicfile.AppendLine).
func appendMetrics(path string, st nn.EpochStats, wrap func(io.Writer) io.Writer) error {
	return appendLine(path, st, wrap)
}

// appendLine appends v's JSON as one line to path (atomicfile.AppendLine).
func appendLine(path string, v any, wrap func(io.Writer) io.Writer) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	if err := atomicfile.AppendLine(path, b, wrap); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}
