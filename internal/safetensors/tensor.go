package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
)

// maxRank is the largest number of dimensions accepted, as in NumPy.
const maxRank = 64

// dtypeSize returns the element size in bytes of a dtype, and false if the
// dtype is unknown. Sub-byte dtypes (F4, F6_E2M3, F6_E3M2) are not supported.
func dtypeSize(dtype string) (int, bool) {
	switch dtype {
	case "BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0":
		return 1, true
	case "I16", "U16", "F16", "BF16":
		return 2, true
	case "I32", "U32", "F32":
		return 4, true
	case "I64", "U64", "F64", "C64":
		return 8, true
	}
	return 0, false
}

// Tensor is one named tensor: a dtype, a shape and its raw bytes.
type Tensor struct {
	Name  string
	DType string // "F32", "F64", "I64", "I32", "U8", ...; see dtypeSize
	Shape []int  // row-major (C order); empty for a scalar
	Data  []byte // raw little-endian bytes, len = product(Shape) * element size
}

// F32 returns an F32 tensor with the given name and shape holding a copy of
// v. It does not check that the shape matches len(v); Encode does.
func F32(name string, shape []int, v []float32) Tensor {
	data := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(x))
	}
	return Tensor{Name: name, DType: "F32", Shape: slices.Clone(shape), Data: data}
}

// Float32s returns t's elements as float32s. It fails unless t has dtype F32
// and its data length matches its shape.
func (t Tensor) Float32s() ([]float32, error) {
	if t.DType != "F32" {
		return nil, fmt.Errorf("safetensors: tensor %q: dtype %s, want F32", t.Name, t.DType)
	}
	if err := t.check(); err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	v := make([]float32, len(t.Data)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
	}
	return v, nil
}

// check reports whether t's dtype is known and its data length matches its
// shape.
func (t Tensor) check() error {
	size, ok := dtypeSize(t.DType)
	if !ok {
		return fmt.Errorf("tensor %q: unknown dtype %q", t.Name, t.DType)
	}
	n, err := numBytes(t.Shape, size)
	if err != nil {
		return fmt.Errorf("tensor %q: %w", t.Name, err)
	}
	if int64(len(t.Data)) != n {
		return fmt.Errorf("tensor %q: %d bytes of data, want %d for %s%v",
			t.Name, len(t.Data), n, t.DType, t.Shape)
	}
	return nil
}

// numBytes returns product(shape) * size, failing on negative dimensions,
// too many dimensions, or overflow of int64. Overflow is checked over the
// non-zero dimensions, so a shape with a zero never hides absurd ones.
func numBytes(shape []int, size int) (int64, error) {
	if len(shape) > maxRank {
		return 0, fmt.Errorf("shape has %d dimensions, want at most %d", len(shape), maxRank)
	}
	n, zero := int64(size), false
	for i, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("shape %v: dimension %d is %d, want >= 0", shape, i, d)
		}
		if d == 0 {
			zero = true
			continue
		}
		if n > math.MaxInt64/int64(d) {
			return 0, fmt.Errorf("shape %v: byte size overflows int64", shape)
		}
		n *= int64(d)
	}
	if zero {
		return 0, nil
	}
	return n, nil
}
