package safetensors

import (
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"strconv"
	"unicode/utf8"
)

// maxHeader is the largest header accepted or written, in bytes, as in the
// reference implementation.
const maxHeader = 100 << 20

// metadataKey is the header key that holds the string-to-string metadata.
const metadataKey = "__metadata__"

// Encode writes tensors and meta to w in safetensors format.
//
// The output is deterministic: the data holds the tensors in the given order
// without gaps; the header is compact JSON with "__metadata__" first (only if
// meta is non-empty, keys sorted), then the tensors in the given order, each
// as {"dtype","shape","data_offsets"}; the header is padded with spaces to a
// multiple of 8 bytes so the data area starts 8-byte aligned.
//
// Encode fails before writing anything if a tensor has an empty, duplicate,
// reserved or non-UTF-8 name, an unknown dtype, a bad shape, or data whose
// length does not match its shape, or if a metadata string is not UTF-8.
func Encode(w io.Writer, tensors []Tensor, meta map[string]string) error {
	if err := encode(w, tensors, meta); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}

// encode is Encode without the package prefix on errors.
func encode(w io.Writer, tensors []Tensor, meta map[string]string) error {
	header, err := encodeHeader(tensors, meta)
	if err != nil {
		return err
	}
	buf := make([]byte, 8, 8+len(header))
	binary.LittleEndian.PutUint64(buf, uint64(len(header)))
	buf = append(buf, header...)
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("write header: %w", err)
	}
	for _, t := range tensors {
		if len(t.Data) == 0 {
			continue
		}
		if _, err := w.Write(t.Data); err != nil {
			return fmt.Errorf("write tensor %q: %w", t.Name, err)
		}
	}
	return nil
}

// encodeHeader validates tensors and meta and returns the padded JSON header.
func encodeHeader(tensors []Tensor, meta map[string]string) ([]byte, error) {
	seen := make(map[string]bool, len(tensors))
	for i, t := range tensors {
		switch {
		case t.Name == "":
			return nil, fmt.Errorf("tensor %d has an empty name", i)
		case t.Name == metadataKey:
			return nil, fmt.Errorf("tensor %d: name %q is reserved", i, metadataKey)
		case !utf8.ValidString(t.Name):
			return nil, fmt.Errorf("tensor %d: name %q is not valid UTF-8", i, t.Name)
		case seen[t.Name]:
			return nil, fmt.Errorf("duplicate tensor name %q", t.Name)
		}
		seen[t.Name] = true
		if err := t.check(); err != nil {
			return nil, err
		}
	}
	keys := make([]string, 0, len(meta))
	for k, v := range meta {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return nil, fmt.Errorf("metadata %q: %q is not valid UTF-8", k, v)
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)

	b := []byte{'{'}
	if len(keys) > 0 {
		b = appendString(b, metadataKey)
		b = append(b, ':', '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = appendString(b, meta[k])
		}
		b = append(b, '}')
	}
	var off int64
	for i, t := range tensors {
		if i > 0 || len(keys) > 0 {
			b = append(b, ',')
		}
		b = appendString(b, t.Name)
		b = append(b, `:{"dtype":`...)
		b = appendString(b, t.DType)
		b = append(b, `,"shape":[`...)
		for j, d := range t.Shape {
			if j > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(d), 10)
		}
		b = append(b, `],"data_offsets":[`...)
		b = strconv.AppendInt(b, off, 10)
		off += int64(len(t.Data))
		b = append(b, ',')
		b = strconv.AppendInt(b, off, 10)
		b = append(b, ']', '}')
	}
	b = append(b, '}')
	for len(b)%8 != 0 {
		b = append(b, ' ')
	}
	if len(b) > maxHeader {
		return nil, fmt.Errorf("header is %d bytes, want at most %d", len(b), maxHeader)
	}
	return b, nil
}

// appendString appends s as a JSON string, escaping only what JSON requires
// (quote, backslash, control characters), as serde_json does. s must be
// valid UTF-8.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c >= 0x20:
			b = append(b, c)
		case c == '\b':
			b = append(b, '\\', 'b')
		case c == '\f':
			b = append(b, '\\', 'f')
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
	}
	return append(b, '"')
}
