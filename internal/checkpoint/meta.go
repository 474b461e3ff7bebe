package checkpoint

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"

	"convscope/nn"
)

// Metadata keys. Values are strings; most hold JSON.
const (
	keyFormat    = "format"       // Format
	keyKind      = "kind"         // KindTrainer or KindModel
	keyArch      = "architecture" // JSON arch
	keyPyTorch   = "pytorch"      // Python source of the matching torch.nn.Sequential (informative)
	keyConfig    = "config"       // JSON nn.Config
	keyEpoch     = "epoch"        // completed epochs, decimal
	keyHistory   = "history"      // JSON []nn.EpochStats
	keyOptimizer = "optimizer"    // JSON optState
	keyRNG       = "rng"          // base64 of Trainer.RNGState
	keyMidEpoch  = "mid_epoch"    // model files taken during an epoch: its number, decimal
	keyLRChanges = "lr_changes"   // JSON []nn.LRChange; optional (absent: the rate never changed)
	// keyDataset (dataset.go): JSON Dataset
)

// reserved are the keys SaveNet fills itself.
var reserved = []string{keyFormat, keyKind, keyArch, keyPyTorch, keyOptimizer, keyRNG}

// optState is the "optimizer" metadata.
type optState struct {
	Name string `json:"name"`
	Step int    `json:"step"`
}

// maxEpoch bounds the "epoch" and "mid_epoch" values.
const maxEpoch = 1_000_000

// decodeJSON parses the JSON value of metadata key into v, refusing unknown
// fields and anything after the value.
func decodeJSON(key, s string, v any) error {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			err = errors.New("empty value")
		}
		return fmt.Errorf("metadata %q: bad JSON: %v", key, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("metadata %q: bad JSON: unexpected data after the value", key)
	}
	return nil
}

// encodeJSON is json.Marshal with the metadata key in its error.
func encodeJSON(key string, v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("metadata %q: %w", key, err)
	}
	return string(b), nil
}

// parseCount parses a decimal count in [0, maxEpoch].
func parseCount(key, s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > maxEpoch {
		return 0, fmt.Errorf("metadata %q: got %q, want a whole number from 0 to %d", key, truncate(s), maxEpoch)
	}
	return n, nil
}

// run is what the "config", "epoch" and "history" metadata describe.
type run struct {
	cfg     nn.Config
	epoch   int
	history []nn.EpochStats
	changes []nn.LRChange
}

// parseRun reads the "config", "epoch" and "history" keys. With need set all
// three must be present; otherwise each is optional, and has reports whether
// any was. The three must agree: one history entry per completed epoch,
// numbered from 1, and no more epochs than the configuration asks for.
func parseRun(meta map[string]string, need bool) (r run, has bool, err error) {
	cs, okC := meta[keyConfig]
	es, okE := meta[keyEpoch]
	hs, okH := meta[keyHistory]
	if !okC && !okE && !okH && !need {
		return run{}, false, nil
	}
	for _, k := range []struct {
		key string
		ok  bool
	}{{keyConfig, okC}, {keyEpoch, okE}, {keyHistory, okH}} {
		if !k.ok {
			return run{}, false, fmt.Errorf("metadata %q is missing", k.key)
		}
	}
	if err := decodeJSON(keyConfig, cs, &r.cfg); err != nil {
		return run{}, false, err
	}
	if err := r.cfg.Validate(); err != nil {
		return run{}, false, fmt.Errorf("metadata %q: %w", keyConfig, err)
	}
	if r.epoch, err = parseCount(keyEpoch, es); err != nil {
		return run{}, false, err
	}
	if err := decodeJSON(keyHistory, hs, &r.history); err != nil {
		return run{}, false, err
	}
	if len(r.history) != r.epoch {
		return run{}, false, fmt.Errorf("metadata %q has %d epochs, want %d (metadata %q)", keyHistory, len(r.history), r.epoch, keyEpoch)
	}
	for i, h := range r.history {
		if h.Epoch != i+1 {
			return run{}, false, fmt.Errorf("metadata %q: entry %d is epoch %d, want %d", keyHistory, i, h.Epoch, i+1)
		}
	}
	if r.epoch > r.cfg.Epochs {
		return run{}, false, fmt.Errorf("metadata %q is %d, more than the %d epochs of metadata %q", keyEpoch, r.epoch, r.cfg.Epochs, keyConfig)
	}
	if r.changes, err = parseChanges(meta, r.epoch); err != nil {
		return run{}, false, err
	}
	return r, true, nil
}

// parseChanges reads the optional "lr_changes" key of a run at epoch: each
// change a positive finite rate, in an epoch from 1 to epoch+1, in the order
// they were made.
func parseChanges(meta map[string]string, epoch int) ([]nn.LRChange, error) {
	s, ok := meta[keyLRChanges]
	if !ok {
		return nil, nil
	}
	var out []nn.LRChange
	if err := decodeJSON(keyLRChanges, s, &out); err != nil {
		return nil, err
	}
	if len(out) > nn.MaxLRChanges {
		return nil, fmt.Errorf("metadata %q holds %d changes, want at most %d", keyLRChanges, len(out), nn.MaxLRChanges)
	}
	for i, c := range out {
		switch {
		case nn.CheckLR(c.LR) != nil:
			return nil, fmt.Errorf("metadata %q: change %d: %v", keyLRChanges, i, nn.CheckLR(c.LR))
		case c.Epoch < 1 || c.Epoch > epoch+1:
			return nil, fmt.Errorf("metadata %q: change %d is in epoch %d, want 1 to %d", keyLRChanges, i, c.Epoch, epoch+1)
		case c.Batch < 0 || c.Step < 0:
			return nil, fmt.Errorf("metadata %q: change %d at batch %d, step %d, want both >= 0", keyLRChanges, i, c.Batch, c.Step)
		case i > 0 && (c.Epoch < out[i-1].Epoch || c.Epoch == out[i-1].Epoch && c.Batch < out[i-1].Batch):
			return nil, fmt.Errorf("metadata %q: change %d (epoch %d, batch %d) comes before the one listed ahead of it", keyLRChanges, i, c.Epoch, c.Batch)
		}
	}
	return out, nil
}

// runMeta adds the "config", "epoch" and "history" keys of t to meta, and
// "lr_changes" when the rate was changed.
func runMeta(meta map[string]string, t *nn.Trainer) error {
	cs, err := encodeJSON(keyConfig, t.Cfg)
	if err != nil {
		return err
	}
	hist := t.History
	if hist == nil {
		hist = []nn.EpochStats{}
	}
	hs, err := encodeJSON(keyHistory, hist)
	if err != nil {
		return err
	}
	meta[keyConfig], meta[keyEpoch], meta[keyHistory] = cs, strconv.Itoa(t.Epoch), hs
	if len(t.Changes) > 0 {
		if meta[keyLRChanges], err = encodeJSON(keyLRChanges, t.Changes); err != nil {
			return err
		}
	}
	return nil
}

// parseRNG decodes the "rng" metadata and checks that a PCG accepts it.
func parseRNG(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("metadata %q: bad base64: %v", keyRNG, err)
	}
	if err := new(rand.PCG).UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("metadata %q: not a PCG state: %v", keyRNG, err)
	}
	return b, nil
}

// truncate shortens s for error messages.
func truncate(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
