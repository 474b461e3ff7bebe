package safetensors

import (
	"bytes"
	"maps"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// raw returns a file made of header and data, with the right length prefix.
func raw(header, data string) []byte {
	return []byte(le8(len(header)) + header + data)
}

// equalTensor reports whether a and b are the same tensor; nil and empty
// shapes and data count as equal.
func equalTensor(a, b Tensor) bool {
	return a.Name == b.Name && a.DType == b.DType &&
		slices.Equal(a.Shape, b.Shape) && bytes.Equal(a.Data, b.Data)
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		tensors []Tensor
		meta    map[string]string
	}{
		{name: "nothing"},
		{name: "metadata only", meta: map[string]string{"epoch": "3", "": "empty key", "note": "\"quoted\"\n\ttab \u2028 ✓"}},
		{
			name: "all common dtypes",
			tensors: []Tensor{
				F32("conv1.weight", []int{2, 1, 3, 3}, []float32{
					1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -2, -3, -4, -5, -6, -7, -8, -9}),
				F32("conv1.bias", []int{2}, []float32{0.5, -0.25}),
				{Name: "step", DType: "I64", Shape: []int{}, Data: []byte{42, 0, 0, 0, 0, 0, 0, 0}},
				{Name: "loss", DType: "F64", Shape: []int{1}, Data: []byte{0, 0, 0, 0, 0, 0, 0xf0, 0x3f}},
				{Name: "labels", DType: "I32", Shape: []int{2}, Data: []byte{1, 0, 0, 0, 9, 0, 0, 0}},
				{Name: "pixels", DType: "U8", Shape: []int{1, 3}, Data: []byte{0, 128, 255}},
				{Name: "half", DType: "BF16", Shape: []int{1}, Data: []byte{0x80, 0x3f}},
			},
			meta: map[string]string{"format": "pt", "arch": "lenet"},
		},
		{
			name: "zero-size and scalar tensors",
			tensors: []Tensor{
				{Name: "empty", DType: "F32", Shape: []int{0, 5}},
				{Name: "scalar", DType: "F32", Shape: []int{}, Data: []byte{0, 0, 0x80, 0x3f}},
				{Name: "empty too", DType: "U8", Shape: []int{3, 0}},
			},
		},
		{name: "odd names", tensors: []Tensor{F32("a.b/c d\"é\x00", []int{1}, []float32{1})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Encode(&buf, tt.tensors, tt.meta); err != nil {
				t.Fatalf("Encode: %v", err)
			}
			f, err := Decode(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			checkFile(t, f, tt.tensors, tt.meta)

			path := t.TempDir() + "/ckpt.safetensors"
			if err := WriteFile(path, tt.tensors, tt.meta); err != nil {
				t.Fatalf("WriteFile: %v", err)
			}
			f, err = ReadFile(path)
			if err != nil {
				t.Fatalf("ReadFile: %v", err)
			}
			checkFile(t, f, tt.tensors, tt.meta)
		})
	}
}

// checkFile checks that f holds exactly tensors and meta.
func checkFile(t *testing.T, f *File, tensors []Tensor, meta map[string]string) {
	t.Helper()
	if len(f.Tensors) != len(tensors) {
		t.Errorf("got %d tensors, want %d", len(f.Tensors), len(tensors))
	}
	for _, want := range tensors {
		got, ok := f.Get(want.Name)
		if !ok {
			t.Errorf("Get(%q) found nothing", want.Name)
			continue
		}
		if !equalTensor(got, want) {
			t.Errorf("Get(%q) = %+v, want %+v", want.Name, got, want)
		}
	}
	if !maps.Equal(f.Meta, meta) {
		t.Errorf("Meta = %v, want %v", f.Meta, meta)
	}
}

func TestDecodeOrderAndWhitespace(t *testing.T) {
	// Tensors listed out of offset order, keys in unusual order, and the
	// header padded with JSON whitespace of all kinds.
	header := `{"b":{"data_offsets":[2,6],"shape":[4],"dtype":"U8"},` +
		"\n\t" + `"__metadata__":{},"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}` + " \t\r\n  "
	b := raw(header, "\x01\x02\x03\x04\x05\x06")
	f, err := Decode(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	want := []Tensor{
		{Name: "a", DType: "U8", Shape: []int{2}, Data: []byte{1, 2}},
		{Name: "b", DType: "U8", Shape: []int{4}, Data: []byte{3, 4, 5, 6}},
	}
	if len(f.Tensors) != len(want) {
		t.Fatalf("Decode gave %d tensors, want %d", len(f.Tensors), len(want))
	}
	for i := range want {
		if !equalTensor(f.Tensors[i], want[i]) {
			t.Errorf("Tensors[%d] = %+v, want %+v", i, f.Tensors[i], want[i])
		}
	}
	if f.Meta == nil || len(f.Meta) != 0 {
		t.Errorf("Meta = %#v, want an empty non-nil map for an empty __metadata__", f.Meta)
	}
	if _, ok := f.Get("c"); ok {
		t.Errorf(`Get("c") found a tensor, want none`)
	}
}

func TestDecodeErrors(t *testing.T) {
	u8 := func(name string, n, begin, end int) string {
		return `"` + name + `":{"dtype":"U8","shape":[` + strconv.Itoa(n) + `],"data_offsets":[` + strconv.Itoa(begin) + `,` + strconv.Itoa(end) + `]}`
	}
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"empty file", nil, "file is 0 bytes, want at least 8"},
		{"shorter than 8 bytes", []byte{2, 0, 0, 0, 0, 0, 0}, "file is 7 bytes, want at least 8"},
		{"header length beyond file", []byte(le8(100) + "{}"), "header length 100 exceeds the 2 bytes after the length prefix"},
		{"header length over cap", []byte(le8(200<<20) + "{}"), "header length 209715200, want at most 104857600"},
		{"header length max uint64", []byte("\xff\xff\xff\xff\xff\xff\xff\xff{}"), "header length 18446744073709551615, want at most"},
		{"empty header", raw("", ""), "header does not start with '{'"},
		{"header is an array", raw(`[]`, ""), "header does not start with '{'"},
		{"header is a string", raw(`"x"`, ""), "header does not start with '{'"},
		{"header not UTF-8", raw("{\"\xff\":1}", ""), "header is not valid UTF-8"},
		{"truncated JSON", raw(`{"a":`, ""), "unexpected EOF"},
		{"invalid JSON", raw(`{"a" 1}`, ""), `tensor "a": invalid JSON at header byte 5: invalid character '1' after object key`},
		{"trailing value", raw(`{}{}`, ""), `after the top-level object: got "{", want only whitespace`},
		{"trailing garbage", raw(`{} x`, ""), "after the top-level object: invalid JSON"},
		{"empty tensor name", raw(`{`+u8("", 1, 0, 1)+`}`, "x"), "tensor with an empty name"},
		{"duplicate tensor", raw(`{`+u8("a", 1, 0, 1)+`,`+u8("a", 1, 1, 2)+`}`, "xy"), `duplicate key "a"`},
		{"duplicate metadata", raw(`{"__metadata__":{},"__metadata__":{}}`, ""), `duplicate key "__metadata__"`},
		{"metadata not an object", raw(`{"__metadata__":"x"}`, ""), `__metadata__: got string "x", want "{" (an object of string to string)`},
		{"metadata value not a string", raw(`{"__metadata__":{"epoch":3}}`, ""), `__metadata__ "epoch": got number 3, want a string`},
		{"metadata value an object", raw(`{"__metadata__":{"k":{}}}`, ""), `__metadata__ "k": got "{", want a string`},
		{"metadata duplicate key", raw(`{"__metadata__":{"k":"1","k":"2"}}`, ""), `__metadata__: duplicate key "k"`},
		{"tensor not an object", raw(`{"a":[1]}`, ""), `tensor "a": got "[", want "{"`},
		{"unknown field", raw(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"foo":1}}`, "x"), `tensor "a": unknown key "foo"`},
		{"field name case", raw(`{"a":{"DTYPE":"U8","shape":[1],"data_offsets":[0,1]}}`, "x"), `unknown key "DTYPE"`},
		{"duplicate field", raw(`{"a":{"dtype":"U8","dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, "x"), `tensor "a": duplicate key "dtype"`},
		{"missing data_offsets", raw(`{"a":{"dtype":"U8","shape":[1]}}`, "x"), `tensor "a": missing data_offsets`},
		{"missing dtype", raw(`{"a":{"shape":[1],"data_offsets":[0,1]}}`, "x"), `tensor "a": missing dtype`},
		{"dtype not a string", raw(`{"a":{"dtype":4,"shape":[1],"data_offsets":[0,1]}}`, "x"), "dtype: got number 4, want a string"},
		{"unknown dtype", raw(`{"a":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}`, strings.Repeat("x", 16)), `tensor "a": unknown dtype "F128"`},
		{"shape not an array", raw(`{"a":{"dtype":"U8","shape":null,"data_offsets":[0,1]}}`, "x"), `shape: got null, want "["`},
		{"negative dim", raw(`{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}}`, ""), "shape[0]: got -1, want a non-negative integer"},
		{"fractional dim", raw(`{"a":{"dtype":"U8","shape":[1.5],"data_offsets":[0,0]}}`, ""), "shape[0]: got 1.5, want a non-negative integer"},
		{"absurd dim", raw(`{"a":{"dtype":"U8","shape":[1,99999999999999999999],"data_offsets":[0,0]}}`, ""), "shape[1]: got 99999999999999999999, want at most 9223372036854775807"},
		{"dim as string", raw(`{"a":{"dtype":"U8","shape":["1"],"data_offsets":[0,1]}}`, "x"), `shape[0]: got string "1", want a non-negative integer`},
		{"too many dims", raw(`{"a":{"dtype":"U8","shape":[`+strings.Repeat("1,", 64)+`1],"data_offsets":[0,1]}}`, "x"), "more than 64 dimensions"},
		{"product overflow", raw(`{"a":{"dtype":"U8","shape":[4294967296,4294967296],"data_offsets":[0,0]}}`, ""), "byte size overflows int64"},
		{"product overflow hidden by zero", raw(`{"a":{"dtype":"U8","shape":[0,4294967296,4294967296],"data_offsets":[0,0]}}`, ""), "byte size overflows int64"},
		{"size mismatch", raw(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,8]}}`, "12345678"), `tensor "a": data_offsets [0 8] span 8 bytes, want 4 for F32[1]`},
		{"one offset", raw(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0]}}`, "x"), "data_offsets: got 1 values, want 2 [begin, end]"},
		{"three offsets", raw(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1,2]}}`, "x"), "data_offsets: got more than 2 values"},
		{"negative offset", raw(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[-1,0]}}`, "x"), "data_offsets[0]: got -1, want a non-negative integer"},
		{"begin after end", raw(`{`+u8("a", 1, 2, 1)+`}`, "xy"), `tensor "a": data_offsets [2 1] begin after end`},
		{"offsets beyond data", raw(`{`+u8("a", 4, 0, 4)+`}`, "xy"), `tensor "a": data_offsets [0 4] outside data area of 2 bytes`},
		{"huge offsets", raw(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[9223372036854775806,9223372036854775807]}}`, "x"), "outside data area of 1 bytes"},
		{"overlap", raw(`{`+u8("a", 8, 0, 8)+`,`+u8("b", 8, 4, 12)+`}`, strings.Repeat("x", 12)), `tensor "b": data_offsets [4 12] overlap tensor "a" ending at 8`},
		{"same offsets", raw(`{`+u8("a", 2, 0, 2)+`,`+u8("b", 2, 0, 2)+`}`, "xy"), `tensor "b": data_offsets [0 2] overlap tensor "a"`},
		{"gap", raw(`{`+u8("a", 4, 0, 4)+`,`+u8("b", 4, 6, 10)+`}`, strings.Repeat("x", 10)), `gap in data area at [4 6) before tensor "b"`},
		{"gap at start", raw(`{`+u8("a", 4, 2, 6)+`}`, strings.Repeat("x", 6)), `gap in data area at [0 2) before tensor "a"`},
		{"trailing data bytes", raw(`{`+u8("a", 4, 0, 4)+`}`, strings.Repeat("x", 6)), "data area bytes [4 6) belong to no tensor"},
		{"data but no tensors", raw(`{}`, "x"), "data area bytes [0 1) belong to no tensor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Decode(bytes.NewReader(tt.file), int64(len(tt.file)))
			if err == nil {
				t.Fatalf("Decode = %+v, want an error containing %q", f, tt.want)
			}
			if f != nil {
				t.Errorf("Decode returned a file with error %v, want nil", err)
			}
			if !strings.HasPrefix(err.Error(), "safetensors: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Decode error = %q, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestDecodeErrorMessage(t *testing.T) {
	b := raw(`{"conv1.weight":{"dtype":"F32","shape":[128],"data_offsets":[0,512]}}`, strings.Repeat("\x00", 256))
	_, err := Decode(bytes.NewReader(b), int64(len(b)))
	want := `safetensors: tensor "conv1.weight": data_offsets [0 512] outside data area of 256 bytes`
	if err == nil || err.Error() != want {
		t.Errorf("Decode error = %v, want %s", err, want)
	}
}

// TestDecodeAllocation checks that lengths claimed by the file or the caller
// are checked before anything is allocated by them.
func TestDecodeAllocation(t *testing.T) {
	tests := []struct {
		name string
		file []byte
		size int64
		want string
	}{
		{"header length near cap, file tiny", []byte(le8(maxHeader) + "{}"), 10, "exceeds the 2 bytes"},
		{"caller overstates size", raw(`{"a":{"dtype":"U8","shape":[1073741824],"data_offsets":[0,1073741824]}}`, ""), 1<<30 + 200, "read last byte"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := Decode(bytes.NewReader(tt.file), tt.size)
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Decode error = %v, want one containing %q", err, tt.want)
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
				t.Errorf("Decode allocated %d bytes, want under 1 MiB", got)
			}
		})
	}
}
