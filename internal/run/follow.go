package run

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"convscope/internal/checkpoint"
	"convscope/internal/dynamics"
	"convscope/internal/fsx"
	"convscope/internal/health"
	"convscope/internal/snapshot"
	"convscope/nn"
)

// This file reads a run folder that another process writes (convscope
// watch), as it grows. It never writes into the folder. What another
// process is in the middle of writing is expected and is not an error: a
// last line without its newline waits for the rest, and a checkpoint that
// does not load (replaced as it was read, or seen half-copied on a shared
// file system) is read again at the next poll.

// Follower follows one run folder. Call Poll every so often (watch polls
// twice a second); it reads only what is new.
type Follower struct {
	Dir string
	// Now is the clock; nil means time.Now. Liveness is measured by it,
	// not by the files' times, which another machine's clock wrote.
	Now func() time.Time
	// beforeLoad, if set, runs between the stat of last.safetensors and its
	// load (tests replace the file there).
	beforeLoad func()

	metrics lineReader
	health  lineReader
	epoch   int // the last epoch Poll returned
	ck      fileID
	ckFails int // loads of ck that failed
	ckEpoch int // the epoch of the last checkpoint returned
	ckAny   bool

	seen    map[string]fileID // the run's files as last seen
	changed time.Time         // when any of them last changed, by Now
}

// Poll is what one Follower.Poll found.
type Poll struct {
	// Epochs are metrics.jsonl's new complete lines, epochs in order; an
	// epoch already returned (a resumed run writing it again) is not
	// returned again.
	Epochs []nn.EpochStats
	// Checkpoint is last.safetensors when it was replaced by one holding a
	// later epoch than the last returned, loaded whole; nil otherwise.
	Checkpoint *checkpoint.Checkpoint
	// Health are health.jsonl's new complete samples, in order.
	Health []health.Sample
	// Notes say what was skipped: lines that stay unreadable, a checkpoint
	// that never loads. Each is said once.
	Notes []string
	// End is the run's end line when it was read (the run finished,
	// stopped or failed); nil otherwise.
	End *EndLine
}

// pollRetries is how many polls an unreadable complete line, or a
// checkpoint that does not load and has not changed, is read again before
// it is skipped with a note.
const pollRetries = 4

// NewFollower returns a follower of dir. It reads nothing yet.
func NewFollower(dir string) *Follower {
	return &Follower{Dir: dir, metrics: lineReader{path: filepath.Join(dir, MetricsFile), max: maxMetricsLine},
		health: lineReader{path: filepath.Join(dir, health.File), max: 16 << 20}, seen: map[string]fileID{}}
}

func (f *Follower) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

// ErrNotRun is returned by CheckRun for a folder that holds no run.
var ErrNotRun = errors.New("not a run folder")

// CheckRun says whether dir can be followed: nil when it holds a run, or
// a run's lock only (a run that has just started); an error wrapping
// ErrNotRun when it holds neither; another error when it cannot be read.
func CheckRun(dir string) error {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no folder %s (want the folder a run writes, e.g. runs/<time>)", dir)
	}
	if err != nil {
		return fmt.Errorf("run folder: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is a file, %w (want the folder a run writes, e.g. runs/<time>)", dir, ErrNotRun)
	}
	if holdsRun(dir) != "" {
		return nil
	}
	if _, err := os.Lstat(filepath.Join(dir, LockFile)); err == nil {
		return nil
	}
	return fmt.Errorf("%s is %w: it has no %s, no %s and no %s", dir, ErrNotRun, MetricsFile, checkpoint.LastFile, LockFile)
}

// Poll reads what is new in the folder.
func (f *Follower) Poll() Poll {
	var p Poll
	f.touch()
	lines, notes := f.metrics.read()
	p.Notes = append(p.Notes, notes...)
	for _, l := range lines {
		var ev EndLine
		if err := json.Unmarshal(l.b, &ev); err == nil && ev.Event != "" {
			// An event: a rate change or a stop request (the UI reads
			// those from the checkpoint), or the end of the run.
			f.metrics.done(l)
			if ev.Event == EventEnd {
				p.End = &ev
			}
			continue
		}
		var st nn.EpochStats
		err := json.Unmarshal(l.b, &st)
		if err == nil && (st.Epoch < 1 || st.Epoch > MaxEpoch) {
			err = fmt.Errorf("epoch %d, want 1 to %d", st.Epoch, MaxEpoch)
		}
		if err == nil && st.Epoch > f.epoch+1 {
			err = fmt.Errorf("epoch %d after epoch %d", st.Epoch, f.epoch)
		}
		if err != nil {
			if f.metrics.retry(l) {
				break
			}
			p.Notes = append(p.Notes, fmt.Sprintf("%s line %d skipped: %v", MetricsFile, l.n, err))
			continue
		}
		f.metrics.done(l)
		if st.Epoch <= f.epoch {
			continue // written again by a resumed run: the UI keeps the first figures
		}
		f.epoch = st.Epoch
		p.Epochs = append(p.Epochs, st)
	}
	lines, notes = f.health.read()
	p.Notes = append(p.Notes, notes...)
	for _, l := range lines {
		var s health.Sample
		err := json.Unmarshal(l.b, &s)
		if err != nil {
			if f.health.retry(l) {
				break
			}
			p.Notes = append(p.Notes, fmt.Sprintf("%s line %d skipped: %v", health.File, l.n, err))
			continue
		}
		f.health.done(l)
		p.Health = append(p.Health, s)
	}
	ck, note := f.checkpoint()
	if note != "" {
		p.Notes = append(p.Notes, note)
	}
	p.Checkpoint = ck
	return p
}

// checkpoint loads last.safetensors when it changed since the last load.
func (f *Follower) checkpoint() (*checkpoint.Checkpoint, string) {
	path := filepath.Join(f.Dir, checkpoint.LastFile)
	id, err := statID(path)
	if err != nil || id == f.ck && f.ckFails == 0 {
		return nil, "" // missing (not written yet), or loaded already
	}
	if id == f.ck && f.ckFails > pollRetries {
		return nil, "" // given up on this file until it changes
	}
	if id != f.ck {
		f.ck, f.ckFails = id, 0
	}
	if f.beforeLoad != nil {
		f.beforeLoad()
	}
	ck, err := checkpoint.Load(path)
	if err != nil {
		f.ckFails++
		if f.ckFails > pollRetries {
			return nil, fmt.Sprintf("%s does not load (%v); waiting for the next one", checkpoint.LastFile, err)
		}
		return nil, ""
	}
	f.ckFails = 0
	if !ck.HasRun || f.ckAny && ck.Epoch <= f.ckEpoch {
		return nil, ""
	}
	f.ckEpoch, f.ckAny = ck.Epoch, true
	return ck, ""
}

// Since is how long ago, by Now, a file of the run last changed. Before
// the first poll saw a change it counts from the newest file's time.
func (f *Follower) Since() time.Duration { return max(0, f.now().Sub(f.changed)) }

// watched are the files whose changes mean the run is alive.
var watched = []string{MetricsFile, checkpoint.LastFile, checkpoint.BestFile, checkpoint.InterruptedFile, dynamics.File, health.File, snapshot.Dir, LockFile}

// touch notes when a watched file changed.
func (f *Follower) touch() {
	now := f.now()
	first := len(f.seen) == 0 && f.changed.IsZero()
	var newest time.Time
	for _, n := range watched {
		id, err := statID(filepath.Join(f.Dir, n))
		if err != nil {
			continue
		}
		if id.mod.After(newest) {
			newest = id.mod
		}
		if old, ok := f.seen[n]; !ok || old != id {
			f.seen[n] = id
			if !first {
				f.changed = now
			}
		}
	}
	if first {
		// Nothing seen change yet: the newest file's age (on this clock,
		// never in the future).
		f.changed = now
		if !newest.IsZero() && newest.Before(now) {
			f.changed = newest
		}
	}
}

// Writer is the process that holds (or last held) the run's lock.
type Writer struct {
	PID int // 0 when the lock file names none
	// Running says whether that PID is a running process on this machine
	// (a run on another machine's PID means nothing here).
	Running bool
}

// Writer reads the lock file's PID.
func (f *Follower) Writer() Writer {
	b, err := fsx.ReadFile(filepath.Join(f.Dir, LockFile))
	if err != nil || len(b) > 32 {
		return Writer{}
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return Writer{}
	}
	return Writer{PID: pid, Running: pidRunning(pid)}
}

// fileID tells a file's versions apart: a replaced file has a new inode,
// an appended one a new size.
type fileID struct {
	size int64
	mod  time.Time
	ino  uint64
}

func statID(path string) (fileID, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileID{}, err
	}
	return fileID{size: fi.Size(), mod: fi.ModTime(), ino: inode(fi)}, nil
}

// lineReader reads the complete lines a file gains. The bytes after the
// last newline are read again at the next poll until their newline comes,
// so a line being written (or, on a shared file system, bytes not yet
// arrived) is never half-read. A file replaced by another (a new inode, or
// shorter than what was read) is read again from its start.
type lineReader struct {
	path  string
	max   int // the longest line
	off   int64
	line  int // lines before off
	ino   uint64
	fails int  // polls the line at off did not parse
	said  bool // a note about this file was given since it last read well
}

// line is one complete line read: its text (without the newline), its
// number, and the offset after it.
type line struct {
	b   []byte
	n   int
	end int64
}

// read returns the complete lines after the last one done. Call done for
// each used, or retry for one that did not parse.
func (r *lineReader) read() ([]line, []string) {
	id, err := statID(r.path)
	if err != nil {
		return nil, nil
	}
	if (r.ino != 0 && id.ino != r.ino) || id.size < r.off {
		r.off, r.line, r.fails = 0, 0, 0
	}
	r.ino = id.ino
	if id.size == r.off {
		return nil, nil
	}
	fh, err := fsx.OpenRegular(r.path)
	if err != nil {
		return nil, r.note(fmt.Sprintf("%s: %v", filepath.Base(r.path), err))
	}
	defer fh.Close()
	n := min(id.size-r.off, int64(r.max)+1<<20)
	buf := make([]byte, n)
	got, err := fh.ReadAt(buf, r.off)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, r.note(fmt.Sprintf("%s: %v", filepath.Base(r.path), err))
	}
	buf = buf[:got]
	var out []line
	off, num := r.off, r.line
	for len(buf) > 0 {
		i := bytes.IndexByte(buf, '\n')
		if i < 0 {
			if len(buf) > r.max {
				// A line longer than any the run writes: skip it whole.
				r.off, r.line = off+int64(len(buf)), num
				return out, r.note(fmt.Sprintf("%s line %d is longer than %d bytes; skipped", filepath.Base(r.path), num+1, r.max))
			}
			break
		}
		num++
		l := bytes.TrimSpace(buf[:i])
		off += int64(i + 1)
		buf = buf[i+1:]
		if len(l) == 0 {
			if len(out) == 0 {
				r.off, r.line = off, num
			}
			continue
		}
		out = append(out, line{b: l, n: num, end: off})
	}
	return out, nil
}

// done marks l read.
func (r *lineReader) done(l line) {
	r.off, r.line, r.fails, r.said = l.end, l.n, 0, false
}

// retry says whether l, which did not parse, should be read again at the
// next poll (true), or skipped now (false: it was tried pollRetries times).
func (r *lineReader) retry(l line) bool {
	r.fails++
	if r.fails <= pollRetries {
		return true
	}
	r.done(l)
	return false
}

// note returns s once until the file reads well again.
func (r *lineReader) note(s string) []string {
	if r.said {
		return nil
	}
	r.said = true
	return []string{s}
}
