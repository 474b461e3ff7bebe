package safetensors

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
)

// le8 returns n as 8 little-endian bytes, the header length prefix.
func le8(n int) string {
	b := make([]byte, 8)
	for i := range b {
		b[i] = byte(n >> (8 * i))
	}
	return string(b)
}

// f32le returns the little-endian bytes of v.
func f32le(v ...float32) string {
	var b []byte
	for _, x := range v {
		u := math.Float32bits(x)
		b = append(b, byte(u), byte(u>>8), byte(u>>16), byte(u>>24))
	}
	return string(b)
}

// TestEncodeGolden checks the exact bytes for tiny files. The first four
// cases are the layouts produced by the reference (Rust/Python) safetensors
// serializer for the same input; the header lengths are counted by hand.
func TestEncodeGolden(t *testing.T) {
	seq := []float32{0, 1, 2, 3, 4, 5}
	tests := []struct {
		name    string
		tensors []Tensor
		meta    map[string]string
		want    string
	}{
		{
			name: "empty",
			// `{}` is 2 bytes, padded with 6 spaces to 8.
			want: le8(8) + "{}      ",
		},
		{
			name: "metadata only",
			meta: map[string]string{"framework": "pt"},
			// 35 bytes of JSON, padded with 5 spaces to 40.
			want: le8(40) + `{"__metadata__":{"framework":"pt"}}` + "     ",
		},
		{
			name:    "one tensor needs no padding",
			tensors: []Tensor{F32("attn.0", []int{1, 2, 3}, seq)},
			// 64 bytes of JSON, already a multiple of 8.
			want: le8(64) + `{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}` +
				f32le(seq...),
		},
		{
			name:    "one tensor padded",
			tensors: []Tensor{F32("attn0", []int{1, 1, 2, 3}, seq)},
			// 65 bytes of JSON, padded with 7 spaces to 72.
			want: le8(72) + `{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}` + "       " +
				f32le(seq...),
		},
		{
			name: "given order, sorted metadata, escapes, scalar",
			tensors: []Tensor{
				{Name: "b", DType: "U8", Shape: []int{3}, Data: []byte{7, 8, 9}},
				{Name: "a\"\\\n\x01é", DType: "I32", Shape: []int{}, Data: []byte{1, 0, 0, 0}},
			},
			meta: map[string]string{"z": "<&>", "a": "1"},
			// {"__metadata__":{"a":"1","z":"<&>"}, = 36 bytes
			// "b":{"dtype":"U8","shape":[3],"data_offsets":[0,3]}, = 52 bytes
			// "a\"\\\n\u0001é":{"dtype":"I32","shape":[],"data_offsets":[3,7]}} = 66 bytes
			// (the key is 17 bytes: é is 2), 154 in all, padded with 6 spaces to 160.
			want: le8(160) + `{"__metadata__":{"a":"1","z":"<&>"},` +
				`"b":{"dtype":"U8","shape":[3],"data_offsets":[0,3]},` +
				`"a\"\\\n\u0001é":{"dtype":"I32","shape":[],"data_offsets":[3,7]}}` + "      " +
				"\x07\x08\x09" + "\x01\x00\x00\x00",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Encode(&buf, tt.tensors, tt.meta); err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if got := buf.String(); got != tt.want {
				t.Errorf("Encode bytes:\n got %q\nwant %q", got, tt.want)
			}
			if _, err := Decode(bytes.NewReader(buf.Bytes()), int64(buf.Len())); err != nil {
				t.Errorf("Decode(Encode output): %v", err)
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	good := F32("w", []int{2}, []float32{1, 2})
	tests := []struct {
		name    string
		tensors []Tensor
		meta    map[string]string
		want    string
	}{
		{"empty name", []Tensor{F32("", []int{1}, []float32{1})}, nil, "tensor 0 has an empty name"},
		{"reserved name", []Tensor{F32("__metadata__", []int{1}, []float32{1})}, nil, "is reserved"},
		{"name not UTF-8", []Tensor{F32("\xff", []int{1}, []float32{1})}, nil, "not valid UTF-8"},
		{"duplicate name", []Tensor{good, good}, nil, `duplicate tensor name "w"`},
		{"unknown dtype", []Tensor{{Name: "x", DType: "F128", Shape: []int{1}, Data: make([]byte, 16)}}, nil, `unknown dtype "F128"`},
		{"negative dim", []Tensor{{Name: "x", DType: "U8", Shape: []int{-1}}}, nil, "dimension 0 is -1, want >= 0"},
		{"shape mismatch", []Tensor{F32("x", []int{2, 2}, []float32{1, 2, 3})}, nil, "12 bytes of data, want 16 for F32[2 2]"},
		{"overflow", []Tensor{{Name: "x", DType: "F64", Shape: []int{1 << 31, 1 << 31}}}, nil, "overflows"},
		{"rank", []Tensor{{Name: "x", DType: "U8", Shape: make([]int, 65), Data: nil}}, nil, "65 dimensions, want at most 64"},
		{"metadata not UTF-8", []Tensor{good}, map[string]string{"k": "\xfe"}, "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Encode(&buf, tt.tensors, tt.meta)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "safetensors: ") {
				t.Fatalf("Encode error = %v, want one containing %q", err, tt.want)
			}
			if buf.Len() != 0 {
				t.Errorf("Encode wrote %d bytes before failing, want 0", buf.Len())
			}
		})
	}
}

// failWriter accepts n bytes, then fails.
type failWriter struct {
	w   io.Writer
	n   int
	err error
}

func (f *failWriter) Write(p []byte) (int, error) {
	if len(p) <= f.n {
		f.n -= len(p)
		return f.w.Write(p)
	}
	k, _ := f.w.Write(p[:f.n])
	f.n = 0
	return k, f.err
}

func TestEncodeWriteError(t *testing.T) {
	errDisk := errors.New("disk full")
	tensors := []Tensor{F32("a", []int{4}, []float32{1, 2, 3, 4}), F32("b", []int{1}, []float32{5})}
	for _, n := range []int{0, 7, 8, 40, 120} {
		var buf bytes.Buffer
		err := Encode(&failWriter{w: &buf, n: n, err: errDisk}, tensors, nil)
		if !errors.Is(err, errDisk) {
			t.Errorf("Encode with writer failing after %d bytes: error %v, want %v", n, err, errDisk)
		}
	}
}

func TestFloat32s(t *testing.T) {
	v := []float32{1.5, -2, float32(math.Inf(1)), 0}
	got, err := F32("x", []int{2, 2}, v).Float32s()
	if err != nil {
		t.Fatalf("Float32s: %v", err)
	}
	if len(got) != len(v) {
		t.Fatalf("Float32s = %v, want %v", got, v)
	}
	for i := range v {
		if got[i] != v[i] {
			t.Errorf("Float32s()[%d] = %v, want %v", i, got[i], v[i])
		}
	}

	bad := []struct {
		name string
		t    Tensor
		want string
	}{
		{"wrong dtype", Tensor{Name: "x", DType: "I32", Shape: []int{1}, Data: make([]byte, 4)}, "dtype I32, want F32"},
		{"short data", Tensor{Name: "x", DType: "F32", Shape: []int{2}, Data: make([]byte, 5)}, "5 bytes of data, want 8"},
	}
	for _, tt := range bad {
		if _, err := tt.t.Float32s(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Float32s error = %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

func TestF32CopiesInput(t *testing.T) {
	shape, v := []int{2}, []float32{1, 2}
	x := F32("x", shape, v)
	shape[0], v[0] = 9, 9
	got, err := x.Float32s()
	if err != nil || got[0] != 1 || x.Shape[0] != 2 {
		t.Errorf("after changing inputs, F32 tensor = %v %v (err %v), want [2] [1 2]", x.Shape, got, err)
	}
}
