package safetensors

import (
	"bytes"
	"encoding/binary"
	"maps"
	"strings"
	"testing"
)

// FuzzDecode checks that Decode never panics, fails with a package error,
// and that whatever it accepts survives Encode and Decode unchanged. The seed
// corpus is in testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	var buf bytes.Buffer
	if err := Encode(&buf, []Tensor{
		F32("conv1.weight", []int{1, 1, 2, 2}, []float32{1, 2, 3, 4}),
		{Name: "step", DType: "I64", Shape: []int{}, Data: make([]byte, 8)},
		{Name: "none", DType: "U8", Shape: []int{0}},
	}, map[string]string{"epoch": "2"}); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())

	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := Decode(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			if file != nil {
				t.Errorf("Decode returned a file and error %v", err)
			}
			if !strings.HasPrefix(err.Error(), "safetensors: ") {
				t.Errorf("Decode error %q lacks the package prefix", err)
			}
			return
		}
		var total int
		for _, x := range file.Tensors {
			total += len(x.Data)
		}
		if n := int(binary.LittleEndian.Uint64(b)); total != len(b)-8-n {
			t.Errorf("tensors hold %d bytes, want the %d after the header", total, len(b)-8-n)
		}

		var enc bytes.Buffer
		if err := Encode(&enc, file.Tensors, file.Meta); err != nil {
			t.Fatalf("Encode(Decode(b)): %v", err)
		}
		again, err := Decode(bytes.NewReader(enc.Bytes()), int64(enc.Len()))
		if err != nil {
			t.Fatalf("Decode(Encode(Decode(b))): %v", err)
		}
		if len(again.Tensors) != len(file.Tensors) {
			t.Fatalf("round trip gave %d tensors, want %d", len(again.Tensors), len(file.Tensors))
		}
		for i := range file.Tensors {
			if !equalTensor(again.Tensors[i], file.Tensors[i]) {
				t.Errorf("round trip tensor %d = %+v, want %+v", i, again.Tensors[i], file.Tensors[i])
			}
		}
		if len(again.Meta) != len(file.Meta) || len(file.Meta) > 0 && !maps.Equal(again.Meta, file.Meta) {
			t.Errorf("round trip Meta = %v, want %v", again.Meta, file.Meta)
		}
		var enc2 bytes.Buffer
		if err := Encode(&enc2, again.Tensors, again.Meta); err != nil {
			t.Fatalf("Encode again: %v", err)
		}
		if !bytes.Equal(enc2.Bytes(), enc.Bytes()) {
			t.Errorf("Encode is not deterministic:\n%q\n%q", enc.Bytes(), enc2.Bytes())
		}
	})
}
