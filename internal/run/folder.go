package run

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"convscope/internal/checkpoint"
	"convscope/internal/dynamics"
	"convscope/internal/health"
	"convscope/internal/snapshot"
)

// The files of a run folder.
const (
	MetricsFile = "metrics.jsonl" // one JSON object per finished epoch
	ConfigFile  = "config.json"   // the run's settings (sweeps write it)
	LockFile    = ".convscope.lock"
)

// runFiles are the files whose presence means a folder holds a run.
var runFiles = []string{MetricsFile, checkpoint.LastFile, checkpoint.BestFile, checkpoint.InterruptedFile, dynamics.File, health.File, snapshot.Dir}

// Folder is a run folder this process holds the lock of: no other
// convscope process writes into it until Close.
type Folder struct {
	Path string
	lock *os.File
}

// DefaultPath is a new folder name under parent: prefix plus the local time
// to the second, with "-2", "-3", ... added when that name is taken.
// CreateNew makes the name unique even against a process racing for it.
func DefaultPath(parent, prefix string) string {
	return filepath.Join(parent, prefix+time.Now().Format("20060102-150405"))
}

// CreateNew makes a fresh run folder at path. When path exists and holds
// a run it fails, naming --resume and a free folder; an empty folder, or
// one holding other files, is used. When unique is set (a default name)
// and path already exists, a suffix -2, -3, ... is added until a name is
// free, so two runs started in the same second get two folders. Stale
// temporary files of an earlier crash are removed once the lock is held.
func CreateNew(path string, unique bool) (*Folder, error) {
	if parent := filepath.Dir(path); parent != "" {
		if err := os.MkdirAll(parent, 0o755); err != nil {
			return nil, fmt.Errorf("create run folder: %w", err)
		}
	}
	base := path
	for i := 2; ; i++ {
		err := os.Mkdir(path, 0o755)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("create run folder: %w", err)
		}
		if unique {
			if i > 1000 {
				return nil, fmt.Errorf("create run folder: %s-2 ... -1000 are all taken", base)
			}
			path = base + "-" + strconv.Itoa(i)
			continue
		}
		if fi, serr := os.Stat(path); serr == nil && !fi.IsDir() {
			return nil, fmt.Errorf("run folder %s is a file, not a folder; choose another --out", path)
		}
		break
	}
	f, err := lock(path)
	if err != nil {
		return nil, err
	}
	if held := holdsRun(path); held != "" {
		f.Close()
		return nil, fmt.Errorf("%s already holds a run (%s); continue it with convscope train --resume %s, or pass --out with a new folder",
			path, held, filepath.Join(path, checkpoint.LastFile))
	}
	if err := f.cleanTemps(); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// OpenExisting takes the lock of the folder a resumed run writes into,
// creating the folder if needed (a resume may branch off with --out).
func OpenExisting(path string) (*Folder, error) {
	if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, fmt.Errorf("create run folder: %w", err)
	}
	f, err := lock(path)
	if err != nil {
		return nil, err
	}
	if err := f.cleanTemps(); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// File is the path of name in the folder.
func (f *Folder) File(name string) string { return filepath.Join(f.Path, name) }

// Close releases the lock. The lock file stays (it is empty of meaning
// without the lock held).
func (f *Folder) Close() error {
	if f == nil || f.lock == nil {
		return nil
	}
	err := unlockFile(f.lock)
	f.lock = nil
	return err
}

// holdsRun names the first run file in dir, or "".
func holdsRun(dir string) string {
	for _, n := range runFiles {
		if _, err := os.Lstat(filepath.Join(dir, n)); err == nil {
			return n
		}
	}
	return ""
}

// tempPattern matches the temporary files convscope's atomic writes use
// in a run folder: ".NAME.tmpDIGITS" (atomicfile) and ".NAME.DIGITS.tmp"
// (safetensors), NAME being one of the files it writes.
var tempPattern = regexp.MustCompile(`^\.(.+)\.(tmp[0-9]+|[0-9]+\.tmp)$`)

// ownFile reports whether name is a file convscope writes into a run folder.
func ownFile(name string) bool {
	switch name {
	case MetricsFile, ConfigFile, checkpoint.LastFile, checkpoint.BestFile, checkpoint.InterruptedFile, dynamics.File, health.File:
		return true
	}
	// Reports the UI and the report command write: report.md, *.csv, *.json.
	return !strings.ContainsAny(name, "/\\") && (strings.HasSuffix(name, ".md") || strings.HasSuffix(name, ".csv") ||
		strings.HasSuffix(name, ".json") || strings.HasSuffix(name, ".jsonl") || strings.HasSuffix(name, ".safetensors"))
}

// cleanTemps removes the temporary files an interrupted save of an earlier
// process left in the folder: only regular files matching tempPattern for
// a file convscope writes, nothing else.
func (f *Folder) cleanTemps() error {
	ents, err := os.ReadDir(f.Path)
	if err != nil {
		return fmt.Errorf("run folder: %w", err)
	}
	for _, e := range ents {
		m := tempPattern.FindStringSubmatch(e.Name())
		if m == nil || !e.Type().IsRegular() || !ownFile(m[1]) {
			continue
		}
		if err := os.Remove(filepath.Join(f.Path, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("run folder: remove a stale temporary file: %w", err)
		}
	}
	return nil
}
