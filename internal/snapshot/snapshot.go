// Package snapshot keeps model-only copies of a network at fixed points of
// its training (weights and batch-norm statistics, no optimizer state), so
// that a person can step through how it got where it is: the initial
// weights, within epoch 1 after batches 0, 10, 30, 100 and 300, and the end
// of every epoch. They live in a run folder's snapshots/ folder as
// checkpoint model files, one per point, named so that sorting the names
// sorts them in training order:
//
//	e000-init.safetensors      the weights before the first batch
//	e001-b00010.safetensors    epoch 1, after batch 10 (0-based)
//	e001-end.safetensors       epoch 1, after its evaluation
//
// Each file's "snapshot" metadata (JSON, see Info) says where it was taken
// and, for the end of an epoch, the test accuracy; "config", "epoch" and
// "history" describe the run as checkpoint model files do, and "mid_epoch"
// is set for a snapshot taken within an epoch.
package snapshot

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"convscope/internal/checkpoint"
	"convscope/internal/fsx"
	"convscope/nn"
)

// Dir is the folder of a run folder that holds its snapshots.
const Dir = "snapshots"

// MetaKey is the metadata key of a snapshot's Info.
const MetaKey = "snapshot"

// Init is the Batch of the snapshot of the initial weights (Epoch 0).
const Init = -1

// EarlyBatches are the batches of epoch 1 after which a snapshot is taken
// (0-based, those the epoch has): roughly geometric, since kernels change
// fastest at the start.
var EarlyBatches = []int{0, 10, 30, 100, 300}

// Info is where a snapshot was taken: the "snapshot" metadata.
type Info struct {
	// Epoch is the 1-based epoch it was taken in; 0 for the initial weights.
	Epoch int `json:"epoch"`
	// Batch is the 0-based batch of Epoch after which it was taken; Init
	// for the initial weights; for the end of an epoch, its last batch.
	Batch   int  `json:"batch"`
	Batches int  `json:"batches"`       // batches per epoch (0 when not known)
	End     bool `json:"end,omitempty"` // taken at the end of Epoch, after its evaluation
	// Step is the number of training batches done before it, over the run.
	Step int `json:"step"`
	// TestAcc is the test accuracy (0..1) for the end of an epoch, when HasAcc.
	TestAcc float64 `json:"test_acc,omitempty"`
	HasAcc  bool    `json:"has_acc,omitempty"`
}

// Name is the file name of a snapshot taken at i.
func (i Info) Name() string {
	switch {
	case i.Epoch == 0 || i.Batch == Init:
		return fmt.Sprintf("e%03d-init.safetensors", i.Epoch)
	case i.End:
		return fmt.Sprintf("e%03d-end.safetensors", i.Epoch)
	}
	return fmt.Sprintf("e%03d-b%05d.safetensors", i.Epoch, i.Batch)
}

// Label is a short description for headings, e.g. "epoch 1, batch 10",
// "end of epoch 3 (98.91%)" or "initial weights".
func (i Info) Label() string {
	switch {
	case i.Epoch == 0 || i.Batch == Init:
		return "initial weights"
	case i.End && i.HasAcc:
		return fmt.Sprintf("end of epoch %d (%.2f%%)", i.Epoch, 100*i.TestAcc)
	case i.End:
		return fmt.Sprintf("end of epoch %d", i.Epoch)
	}
	return fmt.Sprintf("epoch %d, batch %d", i.Epoch, i.Batch)
}

// Short is a label of at most 10 cells for lists: "init", "e1 b10",
// "e3 end".
func (i Info) Short() string {
	switch {
	case i.Epoch == 0 || i.Batch == Init:
		return "init"
	case i.End:
		return fmt.Sprintf("e%d end", i.Epoch)
	}
	return fmt.Sprintf("e%d b%d", i.Epoch, i.Batch)
}

// Less orders snapshots in training order.
func (i Info) Less(j Info) bool {
	if i.Epoch != j.Epoch {
		return i.Epoch < j.Epoch
	}
	if i.End != j.End {
		return j.End
	}
	return i.Batch < j.Batch
}

// Snapshot is one snapshot file.
type Snapshot struct {
	Info
	Path string
	Size int64 // bytes
}

// namePattern matches the names Info.Name writes.
var namePattern = regexp.MustCompile(`^e([0-9]{3,})-(init|end|b([0-9]{5,}))\.safetensors$`)

// parseName reads the epoch, batch and end-of-epoch flag from a file name.
func parseName(name string) (Info, bool) {
	m := namePattern.FindStringSubmatch(name)
	if m == nil {
		return Info{}, false
	}
	e, err := strconv.Atoi(m[1])
	if err != nil || e > 1_000_000 {
		return Info{}, false
	}
	i := Info{Epoch: e}
	switch m[2] {
	case "init":
		i.Batch = Init
	case "end":
		i.End = true
	default:
		b, err := strconv.Atoi(m[3])
		if err != nil || b > 1_000_000_000 {
			return Info{}, false
		}
		i.Batch = b
	}
	return i, true
}

// Save writes t's network to dir as the snapshot at info, atomically (a
// temporary file, synced, then renamed), its bytes passed through wrap (nil:
// none). The file is a checkpoint model file with the run's config and
// history, and the data set ds (may be nil) as checkpoints record it, so
// eval and explore find it.
func Save(dir string, t *nn.Trainer, info Info, ds *checkpoint.Dataset, wrap func(io.Writer) io.Writer) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("snapshot: %w", err)
	}
	path := filepath.Join(dir, info.Name())
	meta, err := runMeta(t, info)
	if err == nil && ds != nil {
		var b []byte
		if b, err = json.Marshal(ds); err == nil {
			meta["dataset"] = string(b)
		}
	}
	if err != nil {
		return "", fmt.Errorf("snapshot: save %s: %w", path, err)
	}
	if err := checkpoint.SaveNetThrough(path, t.Net, meta, wrap); err != nil {
		return "", fmt.Errorf("snapshot: %w", err)
	}
	return path, nil
}

// runMeta is the metadata of a snapshot of t at info.
func runMeta(t *nn.Trainer, info Info) (map[string]string, error) {
	is, err := json.Marshal(info)
	if err != nil {
		return nil, err
	}
	cs, err := json.Marshal(t.Cfg)
	if err != nil {
		return nil, err
	}
	hist := t.History
	if hist == nil {
		hist = []nn.EpochStats{}
	}
	hs, err := json.Marshal(hist)
	if err != nil {
		return nil, err
	}
	meta := map[string]string{MetaKey: string(is), "config": string(cs), "epoch": strconv.Itoa(t.Epoch), "history": string(hs)}
	if info.Epoch > t.Epoch {
		meta["mid_epoch"] = strconv.Itoa(info.Epoch)
	}
	return meta, nil
}

// List returns the snapshots in dir in training order, with their Info from
// each file's metadata (only the header is read). A missing folder holds
// none. Files whose names are not snapshot names are ignored (as are the
// replaced-N folders Prepare makes); a snapshot file whose header cannot be
// read, or whose metadata disagrees with its name, is an error naming it.
func List(dir string) ([]Snapshot, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	var out []Snapshot
	for _, e := range ents {
		if _, ok := parseName(e.Name()); !ok || !e.Type().IsRegular() {
			continue
		}
		path := filepath.Join(dir, e.Name())
		info, size, err := readInfo(path)
		if err != nil {
			return nil, fmt.Errorf("snapshot: %s: %w", path, err)
		}
		if info.Name() != e.Name() {
			return nil, fmt.Errorf("snapshot: %s: metadata says %s (epoch %d, batch %d)", path, info.Name(), info.Epoch, info.Batch)
		}
		out = append(out, Snapshot{Info: info, Path: path, Size: size})
	}
	slices.SortFunc(out, func(a, b Snapshot) int {
		switch {
		case a.Less(b.Info):
			return -1
		case b.Less(a.Info):
			return 1
		}
		return 0
	})
	return out, nil
}

// maxHeader bounds a snapshot's safetensors header.
const maxHeader = 16 << 20

// readInfo reads the "snapshot" metadata from the safetensors header of path.
func readInfo(path string) (Info, int64, error) {
	f, err := fsx.OpenRegular(path)
	if err != nil {
		return Info{}, 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Info{}, 0, err
	}
	var prefix [8]byte
	if _, err := io.ReadFull(f, prefix[:]); err != nil {
		return Info{}, 0, fmt.Errorf("read header length: %w", err)
	}
	n := binary.LittleEndian.Uint64(prefix[:])
	if n > maxHeader || int64(n) > fi.Size()-8 {
		return Info{}, 0, fmt.Errorf("header length %d, want at most %d and within the file's %d bytes", n, maxHeader, fi.Size())
	}
	h := make([]byte, n)
	if _, err := io.ReadFull(f, h); err != nil {
		return Info{}, 0, fmt.Errorf("read header: %w", err)
	}
	var head struct {
		Meta map[string]string `json:"__metadata__"`
	}
	if err := json.Unmarshal(h, &head); err != nil {
		return Info{}, 0, fmt.Errorf("header: %w", err)
	}
	s, ok := head.Meta[MetaKey]
	if !ok {
		return Info{}, 0, fmt.Errorf("no %q metadata: not a snapshot", MetaKey)
	}
	var info Info
	if err := json.Unmarshal([]byte(s), &info); err != nil {
		return Info{}, 0, fmt.Errorf("metadata %q: %w", MetaKey, err)
	}
	return info, fi.Size(), nil
}

// Load reads the snapshot at path and returns its network (with a private
// single-threaded engine) and where it was taken.
func Load(path string) (*nn.Net, Info, error) {
	c, err := checkpoint.Load(path)
	if err != nil {
		return nil, Info{}, fmt.Errorf("snapshot: %w", err)
	}
	s, ok := c.Meta[MetaKey]
	if !ok {
		return nil, Info{}, fmt.Errorf("snapshot: %s has no %q metadata: not a snapshot", path, MetaKey)
	}
	var info Info
	if err := json.Unmarshal([]byte(s), &info); err != nil {
		return nil, Info{}, fmt.Errorf("snapshot: %s: metadata %q: %w", path, MetaKey, err)
	}
	return c.Net, info, nil
}

// Prepare readies dir for a run that goes on from epoch (0 for a fresh
// run): it removes temporary files an interrupted save left, and moves the
// snapshots taken after epoch (epoch+1 within and beyond; a resume from an
// earlier checkpoint trains them again) into a new folder replaced-N of dir,
// so the run appends to its own history without duplicating or
// overwriting them. It returns how many it moved and where ("" for none).
func Prepare(dir string, epoch int) (moved int, to string, err error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("snapshot: %w", err)
	}
	var later []string
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, ".") && strings.HasSuffix(name, ".tmp") && e.Type().IsRegular() {
			if _, ok := parseName(strings.TrimPrefix(tempBase(name), ".")); ok {
				if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return 0, "", fmt.Errorf("snapshot: remove a stale temporary file: %w", err)
				}
			}
			continue
		}
		if info, ok := parseName(name); ok && e.Type().IsRegular() && info.Epoch > epoch {
			later = append(later, name)
		}
	}
	if len(later) == 0 {
		return 0, "", nil
	}
	for i := 1; ; i++ {
		to = filepath.Join(dir, fmt.Sprintf("replaced-%d", i))
		err := os.Mkdir(to, 0o755)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrExist) || i > 10000 {
			return 0, "", fmt.Errorf("snapshot: %w", err)
		}
	}
	for _, name := range later {
		if err := os.Rename(filepath.Join(dir, name), filepath.Join(to, name)); err != nil {
			return moved, to, fmt.Errorf("snapshot: move %s aside: %w", name, err)
		}
		moved++
	}
	return moved, to, nil
}

// tempBase is the file name a safetensors temporary file ".NAME.DIGITS.tmp"
// stands for (".NAME"), or name itself.
func tempBase(name string) string {
	s := strings.TrimSuffix(name, ".tmp")
	if i := strings.LastIndexByte(s, '.'); i > 0 {
		if _, err := strconv.Atoi(s[i+1:]); err == nil {
			return s[:i]
		}
	}
	return name
}

// Due reports whether a snapshot is taken after 0-based batch of epoch
// (within the epoch; the end of every epoch always has one).
func Due(epoch, batch int) bool {
	return epoch == 1 && slices.Contains(EarlyBatches, batch)
}

// Lister lists a snapshots folder that may grow (a run another process
// writes, a finished run explored), reading the files' headers again only
// when the folder changed: a snapshot is written to a temporary name and
// renamed into place, which changes the folder's modification time. The
// UIs ask for the list once a second each.
type Lister struct {
	Dir string

	mu   sync.Mutex
	mod  time.Time
	seen bool
	list []Snapshot
	err  error
}

// List is List(l.Dir), from the last reading while the folder is as it was.
func (l *Lister) List() ([]Snapshot, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var mod time.Time
	if fi, err := os.Stat(l.Dir); err == nil {
		mod = fi.ModTime()
	}
	// A folder changed within the last seconds is read again: a file
	// system's times may be coarser than the writes.
	if !l.seen || !mod.Equal(l.mod) || mod.IsZero() || time.Since(mod) < 2*time.Second {
		l.list, l.err = List(l.Dir)
		l.mod, l.seen = mod, true
	}
	return slices.Clone(l.list), l.err
}
