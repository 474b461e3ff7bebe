package health

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"convscope/internal/atomicfile"
	"convscope/internal/fsx"
)

// maxLine bounds one line of health.jsonl (a sample of the paper's network
// is about 7 KB).
const maxLine = 16 << 20

// Append appends s to path as one JSON line, written whole (a failed write
// leaves the file as it was) and synced; its bytes go through wrap (nil:
// none) on their way to the disk.
func Append(path string, s *Sample, wrap func(io.Writer) io.Writer) error {
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("health: epoch %d batch %d: %w", s.Epoch, s.Batch, err)
	}
	if err := atomicfile.AppendLine(path, b, wrap); err != nil {
		return fmt.Errorf("health: %w", err)
	}
	return nil
}

// Read reads a health.jsonl file: one Sample a line, in training order.
// Blank lines are skipped, and so is a last line cut short by a crash (no
// newline and not a whole object). When a sample does not come after the
// one before it (a run resumed from an earlier checkpoint that appended
// again), it replaces the samples from its point on, so the result is the
// run as it went on. A missing file is an error (errors.Is fs.ErrNotExist);
// an empty one holds no samples.
func Read(path string) ([]Sample, error) {
	f, err := fsx.OpenRegular(path)
	if err != nil {
		return nil, fmt.Errorf("health: %w", err)
	}
	defer f.Close()
	return read(path, f)
}

func read(path string, r io.Reader) ([]Sample, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var out []Sample
	for line := 1; ; line++ {
		b, err := br.ReadSlice('\n')
		for errors.Is(err, bufio.ErrBufferFull) {
			if len(b) > maxLine {
				return nil, fmt.Errorf("health: %s line %d: longer than %d bytes", path, line, maxLine)
			}
			var more []byte
			more, err = br.ReadSlice('\n')
			b = append(append([]byte(nil), b...), more...)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("health: read %s line %d: %w", path, line, err)
		}
		whole := len(b) > 0 && b[len(b)-1] == '\n'
		t := bytes.TrimSpace(b)
		if len(t) > 0 {
			var s Sample
			if uerr := json.Unmarshal(t, &s); uerr != nil || s.Epoch < 1 {
				if !whole {
					break // a torn last line
				}
				if uerr == nil {
					uerr = fmt.Errorf("epoch %d, want 1 or more", s.Epoch)
				}
				return nil, fmt.Errorf("health: %s line %d: %w", path, line, uerr)
			}
			for len(out) > 0 && !before(out[len(out)-1], s) {
				out = out[:len(out)-1]
			}
			out = append(out, s)
		}
		if err != nil {
			break
		}
	}
	return out, nil
}

// before reports whether a was taken before b.
func before(a, b Sample) bool {
	if a.Epoch != b.Epoch {
		return a.Epoch < b.Epoch
	}
	return a.Batch < b.Batch
}

// Cut rewrites path to hold only the samples of epochs up to epoch (a run
// resumed from that epoch's checkpoint trains the later ones again), and
// returns them. The file is replaced atomically, its bytes passed through
// wrap; a missing file stays missing (no samples, no error).
func Cut(path string, epoch int, wrap func(io.Writer) io.Writer) ([]Sample, error) {
	all, err := Read(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	keep := all[:0]
	for _, s := range all {
		if s.Epoch <= epoch {
			keep = append(keep, s)
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for i := range keep {
		if err := enc.Encode(&keep[i]); err != nil {
			return nil, fmt.Errorf("health: %w", err)
		}
	}
	if wrap != nil {
		if _, err := wrap(io.Discard).Write(b.Bytes()); err != nil {
			return nil, fmt.Errorf("health: write %s: %w", path, err)
		}
	}
	if err := atomicfile.Write(path, b.Bytes()); err != nil {
		return nil, fmt.Errorf("health: %w", err)
	}
	return keep, nil
}
