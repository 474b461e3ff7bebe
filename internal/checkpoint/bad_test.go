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
	out := make([]byte, 0, 8+len(hb)+len(b)-8-int(n))
	out = binary.LittleEndian.AppendUint64(out, uint64(len(hb)))
	return append(append(out, hb...), b[8+n:]...)
}

// setMeta returns file b with metadata key set to v (deleted when v is "-"),
// by editing the header alone.
func setMeta(t testing.TB, b []byte, key, v string) []byte {
	t.Helper()
	return editHeader(t, b, func(h map[string]any) {
		m := h["__metadata__"].(map[string]any)
		if v == "-" {
			delete(m, key)
		} else {
			m[key] = v
		}
	})
}

// setEntry returns file b with field of tensor name's header entry set to v.
func setEntry(t testing.TB, b []byte, name, field string, v any) []byte {
	t.Helper()
	return editHeader(t, b, func(h map[string]any) { h[name].(map[string]any)[field] = v })
}

// setValue returns file b with element i of F32 tensor name set to v.
func setValue(t testing.TB, b []byte, name string, i int, v float32) []byte {
	t.Helper()
	return setRaw(t, b, name, 4*i, binary.LittleEndian.AppendUint32(nil, math.Float32bits(v)))
}

// setRaw returns file b with the bytes of tensor name from off on set to raw.
func setRaw(t testing.TB, b []byte, name string, off int, raw []byte) []byte {
	t.Helper()
	f, err := safetensors.Decode(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	n := int(binary.LittleEndian.Uint64(b))
	pos := 8 + n
	for _, x := range f.Tensors { // in data order
		if x.Name == name {
			out := bytes.Clone(b)
			copy(out[pos+off:pos+len(x.Data)], raw)
			return out
		}
		pos += len(x.Data)
	}
	t.Fatalf("no tensor %q", name)
	return nil
}

// metaOf returns the metadata of file b.
func metaOf(t testing.TB, b []byte) map[string]string {
	t.Helper()
	f, err := safetensors.Decode(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	return f.Meta
}

// TestLoadBad feeds the checkpoint reader broken and hostile files: each
// must give one clear error line, no checkpoint, and no panic.
func TestLoadBad(t *testing.T) {
	// Most cases edit a model file; those about the run edit a trainer's.
	tr, _ := trained(t, "adam", 1)
	tensors, meta := encodeTensors(t, tr)
	run := fileBytes(t, tensors, meta)
	tensors, meta, _, err := encodeNet(tr.Net)
	if err != nil {
		t.Fatal(err)
	}
	meta[keyKind] = KindModel
	good := fileBytes(t, tensors, meta)
	archOf := func(edit func(a *arch)) string {
		a, err := netArch(tr.Net)
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
	without := func(name string) []safetensors.Tensor {
		var out []safetensors.Tensor
		for _, x := range tensors {
			if x.Name != name {
				out = append(out, x)
			}
		}
		return out
	}
	meta2 := func(key, v string) []byte { return setMeta(t, good, key, v) }
	withRun := func(key, v string) []byte { return setMeta(t, run, key, v) }
	runTensors, _ := encodeTensors(t, tr)
	var noMoment []safetensors.Tensor
	for _, x := range runTensors {
		if x.Name != "optim.22.bias.v" {
			noMoment = append(noMoment, x)
		}
	}
	nan, inf := float32(math.NaN()), float32(math.Inf(1))

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
		{"offsets outside the data", setEntry(t, good, "0.weight", "data_offsets", []any{0, 1 << 40}), "outside data area"},
		{"not JSON", append(binary.LittleEndian.AppendUint64(nil, 4), "{{{{"...), "invalid JSON"},
		{"no metadata", fileBytes(t, tensors, nil), "not a convscope checkpoint"},
		{"foreign metadata", fileBytes(t, tensors, map[string]string{"format": "pt"}), `format "pt", want "convscope/1"`},
		{"unknown format", meta2("format", "convscope/9"), `format "convscope/9"`},
		{"unknown kind", meta2("kind", "optimizer"), `"kind" is "optimizer"`},
		{"wrong dtype", setEntry(t, good, "0.weight", "dtype", "I32"), `"0.weight" has dtype I32, want F32`},
		{"wrong dtype size", editHeader(t, good, func(h map[string]any) {
			e := h["1.bias"].(map[string]any)
			e["dtype"], e["shape"] = "F16", []any{64}
		}), `"1.bias" has dtype F16, want F32`},
		{"wrong shape", setEntry(t, good, "0.weight", "shape", []any{32, 1, 9}), `"0.weight" has shape [32 1 9], want [32 1 3 3]`},
		{"missing tensor", fileBytes(t, without("4.running_var"), meta), `"4.running_var" is missing`},
		{"missing optimizer state", fileBytes(t, noMoment, metaOf(t, run)), `"optim.22.bias.v" is missing`},
		{"unexpected tensor", fileBytes(t, append(tensors[:len(tensors):len(tensors)], safetensors.F32("evil", []int{1}, []float32{1})), meta),
			`unexpected tensor "evil"`},
		{"NaN weight", setValue(t, good, "3.weight", 17, nan), `"3.weight" holds NaN at index 17`},
		{"Inf running mean", setValue(t, good, "1.running_mean", 2, -inf), `"1.running_mean" holds -Inf at index 2`},
		{"negative variance", setValue(t, good, "1.running_var", 0, -1), "want a variance >= 0"},
		{"Inf moment", setValue(t, run, "optim.0.weight.m", 5, inf), `"optim.0.weight.m" holds +Inf at index 5`},
		{"bad num_batches_tracked", setEntry(t, good, "1.num_batches_tracked", "dtype", "F64"), "want an I64 scalar"},
		{"missing num_batches_tracked", fileBytes(t, without("4.num_batches_tracked"), meta), `"4.num_batches_tracked" is missing`},
		{"negative num_batches_tracked", setRaw(t, good, "8.num_batches_tracked", 0, bytes.Repeat([]byte{0xff}, 8)), `"8.num_batches_tracked" is -1, want >= 0`},
		{"different architecture", meta2("architecture", archOf(func(a *arch) {
			a.Layers[0].Out[2] = 16
			a.Layers[0].Tensors["weight"] = []int{16, 1, 3, 3}
		})), "architecture differs at layer 0"},
		{"fewer layers", meta2("architecture", archOf(func(a *arch) { a.Layers = a.Layers[:5] })), "architecture has 5 layers, want 27"},
		{"other network", meta2("architecture", archOf(func(a *arch) { a.Name = "resnet50" })), `architecture "resnet50", want "paper-cnn"`},
		{"other classes", meta2("architecture", archOf(func(a *arch) { a.Classes = 5 })), "architecture differs at layer 26"},
		{"huge input", meta2("architecture", archOf(func(a *arch) { a.Rows, a.Cols = 1<<30, 1<<30 })), "want between 28x28"},
		{"colour input", meta2("architecture", archOf(func(a *arch) { a.Channels = 3 })), "3 input channels, want 1"},
		{"architecture missing", meta2("architecture", "-"), `"architecture" is missing`},
		{"architecture unknown field", meta2("architecture", `{"name":"paper-cnn","exec":"rm -rf /"}`), `unknown field "exec"`},
		{"architecture trailing data", meta2("architecture", archOf(func(*arch) {})+"{}"), "unexpected data after the value"},
		{"bad config JSON", withRun("config", `{"epochs":`), `metadata "config": bad JSON`},
		{"bad config value", withRun("config", `{"epochs":3,"batch":0,"lr":0.001,"optimizer":"adam","seed":7}`), "batch must be between 1 and 4096"},
		{"config missing", withRun("config", "-"), `"config" is missing`},
		{"bad epoch", withRun("epoch", "one"), `metadata "epoch": got "one"`},
		{"negative epoch", withRun("epoch", "-1"), `metadata "epoch": got "-1"`},
		{"history length", withRun("history", "[]"), `"history" has 0 epochs, want 1`},
		{"history order", withRun("history", `[{"epoch":2}]`), "entry 0 is epoch 2, want 1"},
		{"epoch past config", setMeta(t, withRun("epoch", "4"), "history", `[{"epoch":1},{"epoch":2},{"epoch":3},{"epoch":4}]`), "more than the 3 epochs"},
		{"optimizer mismatch", withRun("optimizer", `{"name":"sgd","step":1}`), `names "sgd", want "adam"`},
		{"optimizer missing", withRun("optimizer", "-"), `"optimizer" is missing`},
		{"negative step", withRun("optimizer", `{"name":"adam","step":-4}`), "step -4, want >= 0"},
		{"state without steps", withRun("optimizer", `{"name":"adam","step":0}`), `unexpected tensor "optim.`},
		{"bad rng", withRun("rng", "!!!"), `metadata "rng": bad base64`},
		{"rng not PCG", withRun("rng", "aGVsbG8="), `metadata "rng": not a PCG state`},
		{"rng missing", withRun("rng", "-"), `"rng" is missing`},
		{"optimizer state in a model", withRun("kind", "model"), `unexpected tensor "optim.`},
		{"lr changes not JSON", withRun("lr_changes", `[{"epoch":`), `metadata "lr_changes": bad JSON`},
		{"lr change unknown field", withRun("lr_changes", `[{"epoch":1,"batch":0,"step":0,"lr":0.1,"run":"x"}]`), `unknown field "run"`},
		{"lr change zero", withRun("lr_changes", `[{"epoch":1,"batch":0,"step":0,"lr":0}]`), "learning rate must be a positive number"},
		{"lr change negative", withRun("lr_changes", `[{"epoch":1,"batch":0,"step":0,"lr":-1}]`), "learning rate must be a positive number"},
		{"lr change future epoch", withRun("lr_changes", `[{"epoch":3,"batch":0,"step":0,"lr":0.1}]`), "is in epoch 3, want 1 to 2"},
		{"lr change negative batch", withRun("lr_changes", `[{"epoch":1,"batch":-1,"step":0,"lr":0.1}]`), "at batch -1"},
		{"lr changes out of order", withRun("lr_changes", `[{"epoch":1,"batch":5,"step":5,"lr":0.1},{"epoch":1,"batch":2,"step":2,"lr":0.2}]`), "comes before"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := loadBytes(tc.b)
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

	// The unedited file loads, so each failure above is its edit's; and Load
	// reports the file's path.
	for _, b := range [][]byte{good, run} {
		if _, err := loadBytes(b); err != nil {
			t.Fatalf("Load(unedited) = %v", err)
		}
	}
	path := filepath.Join(t.TempDir(), "bad.safetensors")
	if err := os.WriteFile(path, meta2("epoch", "x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || !strings.HasPrefix(err.Error(), "checkpoint: load "+path+": ") {
		t.Errorf("Load(%s) = %v, want an error naming the file", path, err)
	}
}

// TestLoadMissingFile gives a plain error for a path that is not there.
func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.safetensors"))
	if err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("Load(missing) = %v, want a no such file error", err)
	}
}
