// Package checkpoint saves and loads the paper's network, and whole training
// runs, as safetensors files: loading runs no code, and PyTorch can read them.
//
// Tensors follow PyTorch's names and layouts for the torch.nn.Sequential
// that PyTorch returns: "<i>.weight" and "<i>.bias" for layer i's
// parameters (conv weight [out, in, kh, kw], dense weight [out, in]),
// "<i>.running_mean", "<i>.running_var" and "<i>.num_batches_tracked" (I64,
// the batch norm's Updates) for batch norms. A training checkpoint adds the optimizer's per-parameter
// state, in the layout of its parameter: "optim.<i>.<param>.m" and ".v" for
// Adam, ".velocity" for SGD.
//
// The header's metadata (string to string) holds "format" (Format), "kind"
// (KindTrainer or KindModel), "architecture" (JSON: input size, classes and
// every layer's kind, output shape and tensor shapes), "pytorch" (the
// matching module's Python source, for people), and for a run "config"
// (nn.Config as JSON), "epoch", "history" ([]nn.EpochStats as JSON),
// "optimizer" ({"name", "step"}), "rng" (base64 of the shuffling
// generator's state) and, once the learning rate was changed while it
// trained, "lr_changes" ([]nn.LRChange as JSON; older files have none).
//
// Load treats a file as untrusted. It checks the format, the architecture
// against the one this program builds, every tensor's presence, dtype and
// shape, that every value is finite, and that the metadata parses strictly,
// before it builds anything; each problem is one error naming it.
package checkpoint

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"convscope/internal/safetensors"
	"convscope/nn"
)

// Format is the "format" metadata of the files this package writes.
const Format = "convscope/1"

// Kinds of checkpoint, the "kind" metadata.
const (
	// KindTrainer files hold a run at an epoch boundary: network, optimizer
	// state, shuffling state and history. Training can resume from them.
	KindTrainer = "trainer"
	// KindModel files hold a network only (and perhaps its run's config and
	// history, for information); they can be evaluated but not resumed.
	KindModel = "model"
)

// Checkpoint is a loaded file.
type Checkpoint struct {
	Kind string  // KindTrainer or KindModel
	Net  *nn.Net // the network, with a private single-threaded engine

	// HasRun reports whether the file describes its run: always for
	// KindTrainer, optionally for KindModel. Config, Epoch and History are
	// zero without it.
	HasRun  bool
	Config  nn.Config       // the run's settings; Trainer uses Epochs, Threads and EvalBatch from here
	Epoch   int             // epochs completed
	History []nn.EpochStats // one entry per completed epoch
	// LRChanges are the learning-rate changes made while the run trained
	// (nn.Trainer.Changes); none in files from before they were recorded.
	LRChanges []nn.LRChange
	// MidEpoch is, for a model saved during an epoch, that epoch's number
	// (Epoch+1); 0 otherwise.
	MidEpoch int

	// Dataset is the data set the run trained on (nil in files from before
	// it was recorded): its folder, fingerprint and class names.
	Dataset *Dataset

	Meta map[string]string // the raw metadata

	saved nn.Config   // Config as saved, to check what Trainer may not change
	opt   optState    // optimizer name and step
	state [][]float32 // optimizer state in nn's layout, in Optimizer.State order
	rng   []byte      // shuffling generator state
}

// momentNames are the optimizer state tensors per parameter, in the order
// nn's optimizers interleave them in State.
func momentNames(optimizer string) ([]string, bool) {
	switch optimizer {
	case "adam":
		return []string{"m", "v"}, true
	case "sgd":
		return []string{"velocity"}, true
	}
	return nil, false
}

// Save writes t's network, optimizer state, shuffling state, configuration
// and history to path, atomically (a temporary file, synced, then renamed),
// so that Load and Checkpoint.Trainer continue the run exactly. Call it
// between epochs: the state mid-epoch cannot be resumed. It refuses a
// network or optimizer state holding NaN or infinity, leaving path as it was.
func Save(path string, t *nn.Trainer) error { return SaveRun(path, t, nil, nil) }

// SaveRun is Save with the data set the run trains on recorded beside it
// (ds may be nil), and the file's bytes passed through wrap on their way to
// the disk (nil: none; see safetensors.WriteFileThrough).
func SaveRun(path string, t *nn.Trainer, ds *Dataset, wrap func(io.Writer) io.Writer) error {
	tensors, meta, err := encodeTrainer(t)
	if err != nil {
		return fmt.Errorf("checkpoint: save %s: %w", path, err)
	}
	if ds != nil {
		if meta[keyDataset], err = ds.encode(); err != nil {
			return fmt.Errorf("checkpoint: save %s: %w", path, err)
		}
	}
	if err := safetensors.WriteFileThrough(path, tensors, meta, wrap); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// SaveNet writes net alone to path, atomically, as a KindModel file. meta
// may add metadata; "config", "epoch" and "history" (as Save writes them)
// and "mid_epoch" are checked like Load checks them, and the keys this
// package fills itself ("format", "kind", "architecture", "pytorch",
// "optimizer", "rng") are refused. Like Save, it refuses non-finite values.
func SaveNet(path string, net *nn.Net, meta map[string]string) error {
	return saveNetThrough(path, net, meta, nil)
}

func saveNetThrough(path string, net *nn.Net, meta map[string]string, wrap func(io.Writer) io.Writer) error {
	if err := saveNet(path, net, meta, wrap); err != nil {
		return fmt.Errorf("checkpoint: save %s: %w", path, err)
	}
	return nil
}

func saveNet(path string, net *nn.Net, extra map[string]string, wrap func(io.Writer) io.Writer) error {
	for _, k := range reserved {
		if _, ok := extra[k]; ok {
			return fmt.Errorf("metadata key %q is reserved", k)
		}
	}
	if _, _, err := parseRun(extra, false); err != nil {
		return err
	}
	if s, ok := extra[keyMidEpoch]; ok {
		if _, err := parseCount(keyMidEpoch, s); err != nil {
			return err
		}
	}
	tensors, meta, _, err := encodeNet(net)
	if err != nil {
		return err
	}
	for k, v := range extra {
		meta[k] = v
	}
	meta[keyKind] = KindModel
	if err := safetensors.WriteFileThrough(path, tensors, meta, wrap); err != nil {
		return err
	}
	return nil
}

// encodeNet returns net's tensors in PyTorch's layout (with each batch
// norm's Updates as its num_batches_tracked), the metadata every file has,
// and the slots.
func encodeNet(net *nn.Net) ([]safetensors.Tensor, map[string]string, []slot, error) {
	a, err := netArch(net)
	if err != nil {
		return nil, nil, nil, err
	}
	want, err := paperArch(net.Input.H, net.Input.W, net.Classes())
	if err != nil {
		return nil, nil, nil, fmt.Errorf("only nn.NewPaper's network can be saved: %w", err)
	}
	if err := checkArch(a, want); err != nil {
		return nil, nil, nil, fmt.Errorf("only nn.NewPaper's network can be saved: %w", err)
	}
	sl, err := slots(net)
	if err != nil {
		return nil, nil, nil, err
	}
	var tensors []safetensors.Tensor
	for _, s := range sl {
		if err := checkValues(s.name, s.data, strings.HasSuffix(s.name, ".running_var")); err != nil {
			return nil, nil, nil, fmt.Errorf("refusing to save: %w", err)
		}
		tensors = append(tensors, safetensors.F32(s.name, s.shape, s.toTorch(s.data)))
		if s.bn != nil {
			if s.bn.Updates < 0 {
				return nil, nil, nil, fmt.Errorf("refusing to save: %s has %d updates", s.name, s.bn.Updates)
			}
			b := binary.LittleEndian.AppendUint64(nil, uint64(s.bn.Updates))
			name := strings.TrimSuffix(s.name, "running_var") + "num_batches_tracked"
			tensors = append(tensors, safetensors.Tensor{Name: name, DType: "I64", Shape: []int{}, Data: b})
		}
	}
	as, err := encodeJSON(keyArch, a)
	if err != nil {
		return nil, nil, nil, err
	}
	py, err := PyTorch(net)
	if err != nil {
		return nil, nil, nil, err
	}
	meta := map[string]string{keyFormat: Format, keyArch: as, keyPyTorch: py}
	return tensors, meta, sl, nil
}

// encodeTrainer is encodeNet plus the run and optimizer state of t.
func encodeTrainer(t *nn.Trainer) ([]safetensors.Tensor, map[string]string, error) {
	state, step := t.Opt.State()
	opt := optState{Name: t.Opt.Name(), Step: step}
	names, ok := momentNames(opt.Name)
	if !ok {
		return nil, nil, fmt.Errorf("optimizer %q cannot be saved, want adam or sgd", opt.Name)
	}
	if opt.Name != string(t.Cfg.Optimizer) {
		return nil, nil, fmt.Errorf("optimizer is %s but the config says %s", opt.Name, t.Cfg.Optimizer)
	}
	if len(t.History) != t.Epoch {
		return nil, nil, fmt.Errorf("trainer has %d epochs of history, want %d", len(t.History), t.Epoch)
	}
	tensors, meta, sl, err := encodeNet(t.Net)
	if err != nil {
		return nil, nil, err
	}
	var params []slot
	for _, s := range sl {
		if s.param {
			params = append(params, s)
		}
	}
	if (step > 0) != (len(state) > 0) || len(state) > 0 && len(state) != len(params)*len(names) {
		return nil, nil, fmt.Errorf("optimizer %s at step %d has %d state tensors, want %d", opt.Name, step, len(state), len(params)*len(names))
	}
	for i := 0; i < len(state); i++ {
		p := params[i/len(names)]
		name := "optim." + p.name + "." + names[i%len(names)]
		if len(state[i]) != len(p.data) {
			return nil, nil, fmt.Errorf("optimizer state %s has %d values, want %d", name, len(state[i]), len(p.data))
		}
		if err := checkValues(name, state[i], names[i%len(names)] == "v"); err != nil {
			return nil, nil, fmt.Errorf("refusing to save: %w", err)
		}
		tensors = append(tensors, safetensors.F32(name, p.shape, p.toTorch(state[i])))
	}
	rng, err := t.RNGState()
	if err != nil {
		return nil, nil, fmt.Errorf("shuffling state: %w", err)
	}
	optJSON, err := encodeJSON(keyOptimizer, opt)
	if err != nil {
		return nil, nil, err
	}
	if err := runMeta(meta, t); err != nil {
		return nil, nil, err
	}
	meta[keyKind] = KindTrainer
	meta[keyOptimizer] = optJSON
	meta[keyRNG] = base64.StdEncoding.EncodeToString(rng)
	return tensors, meta, nil
}

// checkValues reports the first NaN or infinite value of tensor name, and
// with nonNeg the first negative one (variances).
func checkValues(name string, v []float32, nonNeg bool) error {
	for i, x := range v {
		if f := float64(x); math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("tensor %q holds %v at index %d", name, x, i)
		}
		if nonNeg && x < 0 {
			return fmt.Errorf("tensor %q holds %v at index %d, want a variance >= 0", name, x, i)
		}
	}
	return nil
}

// Load reads the checkpoint at path. It never panics on a bad file and
// allocates no more than a small multiple of the file's size; any problem
// is one error that names it.
func Load(path string) (*Checkpoint, error) {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	c, err := decode(f)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: load %s: %w", path, err)
	}
	return c, nil
}

// decode checks a decoded safetensors file and builds its checkpoint.
func decode(f *safetensors.File) (*Checkpoint, error) {
	meta := f.Meta
	switch fm, ok := meta[keyFormat]; {
	case !ok:
		return nil, fmt.Errorf("no %q metadata: not a convscope checkpoint (want format %q)", keyFormat, Format)
	case fm != Format:
		return nil, fmt.Errorf("format %q, want %q", truncate(fm), Format)
	}
	c := &Checkpoint{Kind: meta[keyKind], Meta: meta}
	if c.Kind != KindTrainer && c.Kind != KindModel {
		return nil, fmt.Errorf("metadata %q is %q, want %q or %q", keyKind, truncate(c.Kind), KindTrainer, KindModel)
	}
	as, ok := meta[keyArch]
	if !ok {
		return nil, fmt.Errorf("metadata %q is missing", keyArch)
	}
	var a arch
	if err := decodeJSON(keyArch, as, &a); err != nil {
		return nil, err
	}
	if a.Name != paperName {
		return nil, fmt.Errorf("architecture %q, want %q", truncate(a.Name), paperName)
	}
	if a.Channels != 1 {
		return nil, fmt.Errorf("architecture has %d input channels, want 1", a.Channels)
	}
	want, err := paperArch(a.Rows, a.Cols, a.Classes)
	if err != nil {
		return nil, fmt.Errorf("architecture: %w", err)
	}
	if err := checkArch(a, want); err != nil {
		return nil, err
	}

	r, has, err := parseRun(meta, c.Kind == KindTrainer)
	if err != nil {
		return nil, err
	}
	if c.Dataset, err = parseDataset(meta, a.Classes); err != nil {
		return nil, err
	}
	c.HasRun, c.Config, c.saved, c.Epoch, c.History, c.LRChanges = has, r.cfg, r.cfg, r.epoch, r.history, r.changes
	if s, ok := meta[keyMidEpoch]; ok {
		if c.MidEpoch, err = parseCount(keyMidEpoch, s); err != nil {
			return nil, err
		}
	}
	var moments []string
	if c.Kind == KindTrainer {
		optJSON, ok := meta[keyOptimizer]
		if !ok {
			return nil, fmt.Errorf("metadata %q is missing", keyOptimizer)
		}
		if err := decodeJSON(keyOptimizer, optJSON, &c.opt); err != nil {
			return nil, err
		}
		if c.opt.Name != string(c.Config.Optimizer) {
			return nil, fmt.Errorf("metadata %q names %q, want %q as in metadata %q", keyOptimizer, truncate(c.opt.Name), c.Config.Optimizer, keyConfig)
		}
		if c.opt.Step < 0 {
			return nil, fmt.Errorf("metadata %q: step %d, want >= 0", keyOptimizer, c.opt.Step)
		}
		if c.opt.Step > 0 {
			moments, _ = momentNames(c.opt.Name)
		}
		rs, ok := meta[keyRNG]
		if !ok {
			return nil, fmt.Errorf("metadata %q is missing", keyRNG)
		}
		if c.rng, err = parseRNG(rs); err != nil {
			return nil, err
		}
	}

	vals, updates, err := readTensors(f, want, moments)
	if err != nil {
		return nil, err
	}
	// Every tensor the network needs is in the file with its shape, so
	// building it allocates no more than the file justifies.
	net, err := nn.NewPaper(a.Rows, a.Cols, a.Classes, nn.InitRNG(0))
	if err != nil {
		return nil, err
	}
	got, err := netArch(net)
	if err != nil {
		return nil, err
	}
	if err := checkArch(got, want); err != nil {
		return nil, fmt.Errorf("nn.NewPaper does not build the network the file describes: %w", err)
	}
	sl, err := slots(net)
	if err != nil {
		return nil, err
	}
	for _, s := range sl {
		v, ok := vals[s.name]
		if !ok || len(v) != len(s.data) {
			return nil, fmt.Errorf("tensor %q: the network wants %d values", s.name, len(s.data))
		}
		s.fromTorch(s.data, v)
		if s.bn != nil {
			s.bn.Updates = updates[strings.TrimSuffix(s.name, "running_var")+"num_batches_tracked"]
		}
		if !s.param {
			continue
		}
		for _, m := range moments {
			v := vals["optim."+s.name+"."+m]
			dst := make([]float32, len(s.data))
			s.fromTorch(dst, v)
			c.state = append(c.state, dst)
		}
	}
	c.Net = net
	return c, nil
}

// readTensors checks that f holds exactly the tensors of a (F32, with its
// shapes), each batch norm's num_batches_tracked (I64 scalar), and for each
// parameter the optimizer state tensors named by moments, and that every
// value is finite. It returns the float values and the batch counts by name.
func readTensors(f *safetensors.File, a arch, moments []string) (map[string][]float32, map[string]int64, error) {
	byName := make(map[string]safetensors.Tensor, len(f.Tensors))
	for _, t := range f.Tensors {
		byName[t.Name] = t
	}
	vals := make(map[string][]float32, len(f.Tensors))
	updates := make(map[string]int64)
	take := func(name string, shape []int, nonNeg bool) error {
		t, ok := byName[name]
		if !ok {
			return fmt.Errorf("tensor %q is missing", name)
		}
		delete(byName, name)
		if t.DType != "F32" {
			return fmt.Errorf("tensor %q has dtype %s, want F32", name, t.DType)
		}
		if !slices.Equal(t.Shape, shape) {
			return fmt.Errorf("tensor %q has shape %v, want %v", name, t.Shape, shape)
		}
		v, err := t.Float32s()
		if err != nil {
			return err
		}
		if err := checkValues(name, v, nonNeg); err != nil {
			return err
		}
		vals[name] = v
		return nil
	}
	for i, la := range a.Layers {
		prefix := strconv.Itoa(i) + "."
		names := make([]string, 0, len(la.Tensors))
		for k := range la.Tensors {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			name := prefix + k
			if err := take(name, la.Tensors[k], k == "running_var"); err != nil {
				return nil, nil, err
			}
			if k != "weight" && k != "bias" {
				continue
			}
			for _, m := range moments {
				if err := take("optim."+name+"."+m, la.Tensors[k], m == "v"); err != nil {
					return nil, nil, err
				}
			}
		}
		if la.Kind == "BatchNorm2D" {
			name := prefix + "num_batches_tracked"
			t, ok := byName[name]
			if !ok {
				return nil, nil, fmt.Errorf("tensor %q is missing", name)
			}
			delete(byName, name)
			if t.DType != "I64" || len(t.Shape) != 0 || len(t.Data) != 8 {
				return nil, nil, fmt.Errorf("tensor %q is %s%v, want an I64 scalar", name, t.DType, t.Shape)
			}
			n := int64(binary.LittleEndian.Uint64(t.Data))
			if n < 0 {
				return nil, nil, fmt.Errorf("tensor %q is %d, want >= 0", name, n)
			}
			updates[name] = n
		}
	}
	if len(byName) > 0 {
		extra := make([]string, 0, len(byName))
		for k := range byName {
			extra = append(extra, k)
		}
		slices.Sort(extra)
		return nil, nil, fmt.Errorf("unexpected tensor %q (%d unexpected in all)", truncate(extra[0]), len(extra))
	}
	return vals, updates, nil
}

// Trainer returns a trainer that continues the saved run on c.Net (which it
// trains in place) with the saved optimizer state, shuffling state, epoch
// and history, so that Run gives the same epochs an uninterrupted run would.
// Before calling it, the caller may change c.Config's Epochs (to extend the
// run; at least c.Epoch; note that a cosine schedule spans all epochs, so
// extending it changes the rate of the remaining epochs), Threads,
// EvalBatch and ProgressEvery; the other settings must keep their saved
// values, or Trainer fails.
func (c *Checkpoint) Trainer() (*nn.Trainer, error) {
	if c.Kind != KindTrainer {
		if c.MidEpoch > 0 {
			return nil, fmt.Errorf("checkpoint: this file holds a model saved during epoch %d, not a resumable run; resume from the last epoch's checkpoint (last.safetensors)", c.MidEpoch)
		}
		return nil, fmt.Errorf("checkpoint: this file holds a model only, not a resumable run")
	}
	cfg := c.Config
	if err := sameRun(cfg, c.saved); err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	if cfg.Epochs < c.Epoch {
		return nil, fmt.Errorf("checkpoint: the run has done %d epochs, cannot set epochs to %d", c.Epoch, cfg.Epochs)
	}
	t, err := nn.NewTrainer(c.Net, cfg)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	state := make([][]float32, len(c.state))
	for i, v := range c.state {
		state[i] = slices.Clone(v)
	}
	if err := t.Opt.SetState(state, c.opt.Step); err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	if err := t.SetRNGState(c.rng); err != nil {
		return nil, fmt.Errorf("checkpoint: shuffling state: %w", err)
	}
	t.Epoch = c.Epoch
	t.History = slices.Clone(c.History)
	t.Changes = slices.Clone(c.LRChanges)
	return t, nil
}

// mayChange are the nn.Config fields (by JSON name) a resumed run may change
// without changing its results (Epochs only extends it).
var mayChange = map[string]bool{"epochs": true, "threads": true, "eval_batch": true}

// sameRun reports the first setting of cfg, by its JSON name, that differs
// from saved and is not in mayChange.
func sameRun(cfg, saved nn.Config) error {
	var got, want map[string]any
	for _, x := range []struct {
		c nn.Config
		m *map[string]any
	}{{cfg, &got}, {saved, &want}} {
		b, err := json.Marshal(x.c)
		if err != nil {
			return fmt.Errorf("config: %w", err)
		}
		if err := json.Unmarshal(b, x.m); err != nil {
			return fmt.Errorf("config: %w", err)
		}
	}
	keys := make([]string, 0, len(got)+len(want))
	for k := range got {
		keys = append(keys, k)
	}
	for k := range want {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !mayChange[k] && !reflect.DeepEqual(got[k], want[k]) {
			return fmt.Errorf("a resumed run keeps its %s (%v), got %v", k, show(want[k]), show(got[k]))
		}
	}
	return nil
}

// show prints a JSON value of a config, with "unset" for a missing one.
func show(v any) any {
	if v == nil {
		return "unset"
	}
	return v
}
