package run

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
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

// ReadMetrics reads a metrics.jsonl file: one nn.EpochStats JSON object a
// line, as a run writes it. Blank lines are skipped. When an epoch number
// does not go up (a run resumed from an earlier checkpoint appends again
// from there), the later lines replace the epochs from that number on, so
// the result is the history of the run as it went on, epochs increasing.
// An epoch may not skip ahead: each is at most one more than the epochs
// kept before it, so a corrupt number cannot make a reader allocate for
// epochs that never ran. An empty file gives no epochs and no error (a run
// that has just started). Errors name the file and, for a bad entry, the
// line.
func ReadMetrics(path string) ([]nn.EpochStats, error) {
	f, err := fsx.OpenRegular(path)
	if err != nil {
		return nil, fmt.Errorf("read metrics: %w", err)
	}
	defer f.Close()
	return readMetrics(path, f)
}

func readMetrics(path string, r io.Reader) ([]nn.EpochStats, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxMetricsLine)
	var out []nn.EpochStats
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		if b[0] != '{' {
			return nil, fmt.Errorf("read metrics %s line %d: got %.20q, want a JSON object", path, line, b)
		}
		var st nn.EpochStats
		if err := json.Unmarshal(b, &st); err != nil {
			return nil, fmt.Errorf("read metrics %s line %d: %w", path, line, err)
		}
		if st.Epoch < 1 {
			return nil, fmt.Errorf("read metrics %s line %d: epoch %d, want 1 or more", path, line, st.Epoch)
		}
		next := 1
		if n := len(out); n > 0 {
			next = out[n-1].Epoch + 1
		}
		if st.Epoch > next || st.Epoch > MaxEpoch {
			return nil, fmt.Errorf("read metrics %s line %d: epoch %d, want at most %d (the epoch after the lines before it)", path, line, st.Epoch, next)
		}
		for len(out) > 0 && out[len(out)-1].Epoch >= st.Epoch {
			out = out[:len(out)-1]
		}
		out = append(out, st)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read metrics %s after line %d: %w", path, line, err)
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

// writeMetrics replaces path with one JSON line per epoch of history, so
// that a resumed run's metrics.jsonl matches its checkpoint (a crash between
// an epoch's metrics line and its checkpoint leaves an extra line). Like a
// checkpoint, it goes to a temporary file that is synced, then renamed.
func writeMetrics(path string, history []nn.EpochStats, wrap func(io.Writer) io.Writer) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, h := range history {
		if err := enc.Encode(h); err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
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
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("metrics: epoch %d: %w", st.Epoch, err)
	}
	if err := atomicfile.AppendLine(path, b, wrap); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}
