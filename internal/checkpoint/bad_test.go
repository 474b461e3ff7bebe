package checkpoint

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"convscope/internal/safetensors"
)

// fileBytes encodes tensors and meta as a safetensors file.
func fileBytes(t testing.TB, tensors []safetensors.Tensor, meta map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := safetensors.Encode(&buf, tensors, meta); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// editHeader rewrites the JSON header of file b with edit, keeping the data.
func editHeader(t testing.TB, b []byte, edit func(h map[string]any)) []byte {
	t.Helper()
	n := binary.LittleEndian.Uint64(b)
	dec := json.NewDecoder(bytes.NewReader(b[8 : 8+n]))
	dec.UseNumber()
	var h map[string]any
	if err := dec.Decode(&h); err != nil {
		t.Fatal(err)
	}
	edit(h)
	hb, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(hb)))
	return append(append(out, hb...), b[8+n:]...)
}

// withTensor returns a copy of tensors with the named one changed by edit
// (or removed when edit returns false).
func withTensor(tensors []safetensors.Tensor, name string, edit func(*safetensors.Tensor) bool) []safetensors.Tensor {
	var out []safetensors.Tensor
	for _, t := range tensors {
		if t.Name == name {
			t.Data = bytes.Clone(t.Data)
			if !edit(&t) {
				continue
			}
		}
		out = append(out, t)
	}
	return out
}

// withMeta returns a copy of meta with key set to v, or deleted when v is "-".
func withMeta(meta map[string]string, key, v string) map[string]string {
	out := make(map[string]string, len(meta))
	for k, x := range meta {
		out[k] = x
	}
	if v == "-" {
		delete(out, key)
	} else {
		out[key] = v
	}
	return out
}

// putF32 sets element i of an F32 tensor.
func putF32(t *safetensors.Tensor, i int, v float32) {
	binary.LittleEndian.PutUint32(t.Data[4*i:], math.Float32bits(v))
}

// TestLoadBad feeds Load broken and hostile files: each must give one clear
// error line, no checkpoint, and no panic.
func TestLoadBad(t *testing.T) {
	tr, _ := trained(t, "adam", 1)
	tensors, meta := encodeTensors(t, tr)
	good := fileBytes(t, tensors, meta)
	other := newTrainer(t, testConfig(1))
	archOf := func(edit func(a *arch)) string {
		a, err := netArch(other.Net)
		if err != nil {
			t.Fatal(err)
		}
		edit(&a)
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	file := func(tensors []safetensors.Tensor, meta map[string]string) []byte { return fileBytes(t, tensors, meta) }

	cases := []struct {
		name string
		b    []byte
		want string // in the error
	}{
		{"empty", nil, "want at least 8"},
		{"truncated header", good[:100], "exceeds"},
		{"truncated", good[:len(good)/2], "outside data area"},
		{"truncated data", good[:len(good)-3], "outside data area"},
		{"header longer than file", func() []byte {
			b := bytes.Clone(good)
			binary.LittleEndian.PutUint64(b, uint64(len(b)))
			return b
		}(), "exceeds"},
		{"header length huge", func() []byte {
			b := bytes.Clone(good)
			binary.LittleEndian.PutUint64(b, math.MaxUint64)
			return b
		}(), "want at most"},
		{"offsets outside the data", editHeader(t, good, func(h map[string]any) {
			e := h["0.weight"].(map[string]any)
			e["data_offsets"] = []any{0, 1 << 40}
		}), "outside data area"},
		{"not JSON", append(binary.LittleEndian.AppendUint64(nil, 4), "{{{{"...), "invalid JSON"},
		{"no metadata", file(tensors, nil), "not a convscope checkpoint"},
		{"unknown format", file(tensors, withMeta(meta, "format", "convscope/9")), `format "convscope/9"`},
		{"unknown kind", file(tensors, withMeta(meta, "kind", "optimizer")), `"kind" is "optimizer"`},
		{"wrong dtype", file(withTensor(tensors, "0.weight", func(x *safetensors.Tensor) bool { x.DType = "I32"; return true }), meta),
			`"0.weight" has dtype I32, want F32`},
		{"wrong dtype size", file(withTensor(tensors, "1.bias", func(x *safetensors.Tensor) bool {
			x.DType = "F16"
			x.Shape = []int{64}
			return true
		}), meta), `"1.bias" has dtype F16, want F32`},
		{"wrong shape", file(withTensor(tensors, "0.weight", func(x *safetensors.Tensor) bool { x.Shape = []int{32, 1, 9}; return true }), meta),
			`"0.weight" has shape [32 1 9], want [32 1 3 3]`},
		{"missing tensor", file(withTensor(tensors, "4.running_var", func(*safetensors.Tensor) bool { return false }), meta),
			`"4.running_var" is missing`},
		{"missing optimizer state", file(withTensor(tensors, "optim.22.bias.v", func(*safetensors.Tensor) bool { return false }), meta),
			`"optim.22.bias.v" is missing`},
		{"unexpected tensor", file(append(tensors, safetensors.F32("evil", []int{1}, []float32{1})), meta), `unexpected tensor "evil"`},
		{"NaN weight", file(withTensor(tensors, "3.weight", func(x *safetensors.Tensor) bool { putF32(x, 17, float32(math.NaN())); return true }), meta),
			`"3.weight" holds NaN at index 17`},
		{"Inf running mean", file(withTensor(tensors, "1.running_mean", func(x *safetensors.Tensor) bool { putF32(x, 2, float32(math.Inf(-1))); return true }), meta),
			`"1.running_mean" holds -Inf at index 2`},
		{"negative variance", file(withTensor(tensors, "1.running_var", func(x *safetensors.Tensor) bool { putF32(x, 0, -1); return true }), meta),
			`want a variance >= 0`},
		{"Inf moment", file(withTensor(tensors, "optim.0.weight.m", func(x *safetensors.Tensor) bool { putF32(x, 5, float32(math.Inf(1))); return true }), meta),
			`"optim.0.weight.m" holds +Inf at index 5`},
		{"bad num_batches_tracked", file(withTensor(tensors, "1.num_batches_tracked", func(x *safetensors.Tensor) bool { x.DType = "F64"; return true }), meta),
			`want an I64 scalar`},
		{"different architecture", file(tensors, withMeta(meta, "architecture", archOf(func(a *arch) {
			a.Layers[0].Out[2] = 16
			a.Layers[0].Tensors["weight"] = []int{16, 1, 3, 3}
		}))), "architecture differs at layer 0"},
		{"fewer layers", file(tensors, withMeta(meta, "architecture", archOf(func(a *arch) { a.Layers = a.Layers[:5] }))),
			"architecture has 5 layers, want 27"},
		{"other network", file(tensors, withMeta(meta, "architecture", archOf(func(a *arch) { a.Name = "resnet50" }))),
			`architecture "resnet50", want "paper-cnn"`},
		{"other classes", file(tensors, withMeta(meta, "architecture", archOf(func(a *arch) { a.Classes = 5 }))),
			"architecture differs at layer 26"},
		{"huge input", file(tensors, withMeta(meta, "architecture", archOf(func(a *arch) { a.Rows, a.Cols = 1 << 30, 1 << 30 }))),
			"want between 28x28"},
		{"colour input", file(tensors, withMeta(meta, "architecture", archOf(func(a *arch) { a.Channels = 3 }))),
			"3 input channels, want 1"},
		{"architecture missing", file(tensors, withMeta(meta, "architecture", "-")), `"architecture" is missing`},
		{"architecture unknown field", file(tensors, withMeta(meta, "architecture", `{"name":"paper-cnn","exec":"rm -rf /"}`)),
			`unknown field "exec"`},
		{"architecture trailing data", file(tensors, withMeta(meta, "architecture", archOf(func(*arch) {})+"{}")),
			"unexpected data after the value"},
		{"bad config JSON", file(tensors, withMeta(meta, "config", `{"epochs":`)), `metadata "config": bad JSON`},
		{"bad config value", file(tensors, withMeta(meta, "config", `{"epochs":3,"batch":0,"lr":0.001,"optimizer":"adam","seed":7}`)),
			"batch must be between 1 and 4096"},
		{"config missing", file(tensors, withMeta(meta, "config", "-")), `"config" is missing`},
		{"bad epoch", file(tensors, withMeta(meta, "epoch", "one")), `metadata "epoch": got "one"`},
		{"negative epoch", file(tensors, withMeta(meta, "epoch", "-1")), `metadata "epoch": got "-1"`},
		{"history length", file(tensors, withMeta(meta, "history", "[]")), `"history" has 0 epochs, want 1`},
		{"history order", file(tensors, withMeta(meta, "history", `[{"epoch":2}]`)), "entry 0 is epoch 2, want 1"},
		{"epoch past config", file(tensors, withMeta(withMeta(meta, "epoch", "4"), "history",
			`[{"epoch":1},{"epoch":2},{"epoch":3},{"epoch":4}]`)), "more than the 3 epochs"},
		{"optimizer mismatch", file(tensors, withMeta(meta, "optimizer", `{"name":"sgd","step":1}`)), `names "sgd", want "adam"`},
		{"optimizer missing", file(tensors, withMeta(meta, "optimizer", "-")), `"optimizer" is missing`},
		{"negative step", file(tensors, withMeta(meta, "optimizer", `{"name":"adam","step":-4}`)), "step -4, want >= 0"},
		{"state without steps", file(tensors, withMeta(meta, "optimizer", `{"name":"adam","step":0}`)), `unexpected tensor "optim.`},
		{"bad rng", file(tensors, withMeta(meta, "rng", "!!!")), `metadata "rng": bad base64`},
		{"rng not PCG", file(tensors, withMeta(meta, "rng", "aGVsbG8=")), `metadata "rng": not a PCG state`},
		{"rng missing", file(tensors, withMeta(meta, "rng", "-")), `"rng" is missing`},
		{"optimizer state in a model", file(tensors, withMeta(meta, "kind", "model")), `unexpected tensor "optim.`},
	}
	dir := t.TempDir()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".safetensors")
			if err := os.WriteFile(path, tc.b, 0o644); err != nil {
				t.Fatal(err)
			}
			c, err := Load(path)
			if err == nil {
				t.Fatalf("Load succeeded, want an error containing %q", tc.want)
			}
			if c != nil {
				t.Errorf("Load returned a checkpoint with error %v", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) {
				t.Errorf("Load error = %q, want it to contain %q", msg, tc.want)
			}
			if !strings.HasPrefix(msg, "checkpoint: ") || strings.Contains(msg, "\n") {
				t.Errorf("Load error = %q, want one line starting with \"checkpoint: \"", msg)
			}
		})
	}

	// The unmodified file loads, so each failure above is the edit's.
	path := filepath.Join(dir, "good.safetensors")
	if err := os.WriteFile(path, good, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err != nil {
		t.Fatalf("Load(good) = %v", err)
	}
}

// TestLoadMissingFile gives a plain error for a path that is not there.
func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.safetensors"))
	if err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("Load(missing) = %v, want a no such file error", err)
	}
}
