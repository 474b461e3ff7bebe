package safetensors

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// File is a decoded safetensors file.
type File struct {
	Tensors []Tensor          // in data-offset order
	Meta    map[string]string // nil if the header has no "__metadata__"
}

// Get returns the tensor with the given name, and false if there is none.
// It scans f.Tensors.
func (f *File) Get(name string) (Tensor, bool) {
	for _, t := range f.Tensors {
		if t.Name == name {
			return t, true
		}
	}
	return Tensor{}, false
}

// entry is one tensor as described by the header.
type entry struct {
	name       string
	dtype      string
	shape      []int
	begin, end int64
}

// Decode reads a safetensors file of size bytes from r.
//
// It validates the whole header before reading any tensor data: the header
// length against size and a 100 MiB cap, the JSON (an object, no duplicate
// keys at any level, no unknown fields, nothing after it but whitespace),
// every dtype, shape and offset pair, and that the tensors tile the data
// area exactly. Each tensor's Data is a separate slice.
func Decode(r io.ReaderAt, size int64) (*File, error) {
	f, err := decode(r, size)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	return f, nil
}

// decode is Decode without the package prefix on errors.
func decode(r io.ReaderAt, size int64) (*File, error) {
	if size < 8 {
		return nil, fmt.Errorf("file is %d bytes, want at least 8", size)
	}
	var prefix [8]byte
	if err := readAt(r, prefix[:], 0); err != nil {
		return nil, fmt.Errorf("read header length: %w", err)
	}
	// Check that size is honest before allocating anything by it.
	var last [1]byte
	if err := readAt(r, last[:], size-1); err != nil {
		return nil, fmt.Errorf("read last byte at offset %d: %w", size-1, err)
	}
	n := binary.LittleEndian.Uint64(prefix[:])
	if n > maxHeader {
		return nil, fmt.Errorf("header length %d, want at most %d", n, maxHeader)
	}
	if n > uint64(size-8) {
		return nil, fmt.Errorf("header length %d exceeds the %d bytes after the length prefix", n, size-8)
	}
	header := make([]byte, n)
	if err := readAt(r, header, 8); err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	entries, meta, err := parseHeader(header)
	if err != nil {
		return nil, err
	}
	dataStart := 8 + int64(n)
	if size-dataStart > math.MaxInt {
		return nil, fmt.Errorf("data area of %d bytes does not fit in memory", size-dataStart)
	}
	if err := validate(entries, size-dataStart); err != nil {
		return nil, err
	}
	f := &File{Tensors: make([]Tensor, len(entries)), Meta: meta}
	for i, e := range entries {
		data := make([]byte, e.end-e.begin)
		if err := readAt(r, data, dataStart+e.begin); err != nil {
			return nil, fmt.Errorf("read tensor %q: %w", e.name, err)
		}
		f.Tensors[i] = Tensor{Name: e.name, DType: e.dtype, Shape: e.shape, Data: data}
	}
	return f, nil
}

// readAt fills p from r at off. A short read is an error; io.EOF together
// with a full read is not.
func readAt(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) && (err == nil || errors.Is(err, io.EOF)) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("got %d of %d bytes: %w", n, len(p), err)
}

// validate checks each entry against the data area of dataLen bytes and
// sorts entries by offset. The entries must tile [0, dataLen) exactly.
func validate(entries []entry, dataLen int64) error {
	for _, e := range entries {
		size, ok := dtypeSize(e.dtype)
		if !ok {
			return fmt.Errorf("tensor %q: unknown dtype %q", e.name, e.dtype)
		}
		if e.begin > e.end {
			return fmt.Errorf("tensor %q: data_offsets [%d %d] begin after end", e.name, e.begin, e.end)
		}
		if e.end > dataLen {
			return fmt.Errorf("tensor %q: data_offsets [%d %d] outside data area of %d bytes",
				e.name, e.begin, e.end, dataLen)
		}
		nb, err := numBytes(e.shape, size)
		if err != nil {
			return fmt.Errorf("tensor %q: %w", e.name, err)
		}
		if nb != e.end-e.begin {
			return fmt.Errorf("tensor %q: data_offsets [%d %d] span %d bytes, want %d for %s%v",
				e.name, e.begin, e.end, e.end-e.begin, nb, e.dtype, e.shape)
		}
	}
	slices.SortFunc(entries, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.begin, b.begin), cmp.Compare(a.end, b.end), cmp.Compare(a.name, b.name))
	})
	var pos int64
	for i, e := range entries {
		if e.begin < pos {
			return fmt.Errorf("tensor %q: data_offsets [%d %d] overlap tensor %q ending at %d",
				e.name, e.begin, e.end, entries[i-1].name, pos)
		}
		if e.begin > pos {
			return fmt.Errorf("gap in data area at [%d %d) before tensor %q", pos, e.begin, e.name)
		}
		pos = e.end
	}
	if pos != dataLen {
		return fmt.Errorf("data area bytes [%d %d) belong to no tensor", pos, dataLen)
	}
	return nil
}

// parseHeader parses the JSON header with a token walk, so that duplicate
// keys and unknown fields are caught rather than silently merged.
func parseHeader(b []byte) ([]entry, map[string]string, error) {
	if len(b) == 0 || b[0] != '{' {
		return nil, nil, errors.New("header does not start with '{', want a JSON object")
	}
	if !utf8.Valid(b) {
		return nil, nil, errors.New("header is not valid UTF-8")
	}
	p := parser{dec: json.NewDecoder(bytes.NewReader(b))}
	p.dec.UseNumber()
	entries, meta, err := p.header()
	if err != nil {
		return nil, nil, fmt.Errorf("header: %w", err)
	}
	return entries, meta, nil
}

// parser walks the header JSON token by token.
type parser struct {
	dec *json.Decoder
}

// token returns the next token, turning a premature end into an error.
func (p *parser) token() (json.Token, error) {
	tok, err := p.dec.Token()
	if errors.Is(err, io.EOF) {
		return nil, io.ErrUnexpectedEOF
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return nil, fmt.Errorf("invalid JSON at header byte %d: %w", se.Offset, err)
	}
	if err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	return tok, nil
}

// delim consumes the delimiter d. For errors, what names the value and
// hint, if not empty, says what it should be.
func (p *parser) delim(d json.Delim, what, hint string) error {
	tok, err := p.token()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if tok != d {
		if hint != "" {
			hint = " (" + hint + ")"
		}
		return fmt.Errorf("%s: got %s, want %q%s", what, describe(tok), string(d), hint)
	}
	return nil
}

// key returns the next object key. Call it only after dec.More.
func (p *parser) key(what string) (string, error) {
	tok, err := p.token()
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	k, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("%s: got %s, want a key", what, describe(tok))
	}
	return k, nil
}

// header parses the top-level object and checks that only whitespace follows.
func (p *parser) header() ([]entry, map[string]string, error) {
	if err := p.delim('{', "top level", ""); err != nil {
		return nil, nil, err
	}
	var (
		entries []entry
		meta    map[string]string
		seen    = make(map[string]bool)
	)
	for p.dec.More() {
		k, err := p.key("top level")
		if err != nil {
			return nil, nil, err
		}
		if seen[k] {
			return nil, nil, fmt.Errorf("duplicate key %q", k)
		}
		seen[k] = true
		switch k {
		case metadataKey:
			if meta, err = p.metadata(); err != nil {
				return nil, nil, err
			}
		case "":
			return nil, nil, errors.New("tensor with an empty name")
		default:
			e, err := p.entry(k)
			if err != nil {
				return nil, nil, err
			}
			entries = append(entries, e)
		}
	}
	if err := p.delim('}', "top level", ""); err != nil {
		return nil, nil, err
	}
	if tok, err := p.dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, nil, fmt.Errorf("after the top-level object: invalid JSON: %w", err)
		}
		return nil, nil, fmt.Errorf("after the top-level object: got %s, want only whitespace", describe(tok))
	}
	return entries, meta, nil
}

// metadata parses the "__metadata__" object of string to string.
func (p *parser) metadata() (map[string]string, error) {
	const what = metadataKey
	if err := p.delim('{', what, "an object of string to string"); err != nil {
		return nil, err
	}
	meta := make(map[string]string)
	for p.dec.More() {
		k, err := p.key(what)
		if err != nil {
			return nil, err
		}
		if _, dup := meta[k]; dup {
			return nil, fmt.Errorf("%s: duplicate key %q", what, k)
		}
		tok, err := p.token()
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", what, k, err)
		}
		v, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("%s %q: got %s, want a string", what, k, describe(tok))
		}
		meta[k] = v
	}
	if err := p.delim('}', what, ""); err != nil {
		return nil, err
	}
	return meta, nil
}

// entry parses one tensor's {"dtype","shape","data_offsets"} object.
func (p *parser) entry(name string) (entry, error) {
	e := entry{name: name}
	what := fmt.Sprintf("tensor %q", name)
	if err := p.delim('{', what, "an object with dtype, shape, data_offsets"); err != nil {
		return e, err
	}
	seen := make(map[string]bool, 3)
	for p.dec.More() {
		k, err := p.key(what)
		if err != nil {
			return e, err
		}
		if seen[k] {
			return e, fmt.Errorf("%s: duplicate key %q", what, k)
		}
		seen[k] = true
		switch k {
		case "dtype":
			tok, err := p.token()
			if err != nil {
				return e, fmt.Errorf("%s: dtype: %w", what, err)
			}
			s, ok := tok.(string)
			if !ok {
				return e, fmt.Errorf("%s: dtype: got %s, want a string", what, describe(tok))
			}
			e.dtype = s
		case "shape":
			if e.shape, err = p.shape(what); err != nil {
				return e, err
			}
		case "data_offsets":
			if e.begin, e.end, err = p.offsets(what); err != nil {
				return e, err
			}
		default:
			return e, fmt.Errorf("%s: unknown key %q, want dtype, shape or data_offsets", what, k)
		}
	}
	if err := p.delim('}', what, ""); err != nil {
		return e, err
	}
	for _, k := range []string{"dtype", "shape", "data_offsets"} {
		if !seen[k] {
			return e, fmt.Errorf("%s: missing %s", what, k)
		}
	}
	return e, nil
}

// shape parses an array of at most maxRank non-negative integers.
func (p *parser) shape(what string) ([]int, error) {
	what += ": shape"
	if err := p.delim('[', what, "an array of integers"); err != nil {
		return nil, err
	}
	shape := []int{}
	for p.dec.More() {
		if len(shape) == maxRank {
			return nil, fmt.Errorf("%s: more than %d dimensions", what, maxRank)
		}
		d, err := p.int(fmt.Sprintf("%s[%d]", what, len(shape)))
		if err != nil {
			return nil, err
		}
		shape = append(shape, int(d))
	}
	if err := p.delim(']', what, ""); err != nil {
		return nil, err
	}
	return shape, nil
}

// offsets parses a [begin, end] pair of non-negative integers.
func (p *parser) offsets(what string) (begin, end int64, err error) {
	what += ": data_offsets"
	if err := p.delim('[', what, "an array [begin, end]"); err != nil {
		return 0, 0, err
	}
	var v [2]int64
	for i := range v {
		if !p.dec.More() {
			return 0, 0, fmt.Errorf("%s: got %d values, want 2 [begin, end]", what, i)
		}
		if v[i], err = p.int(fmt.Sprintf("%s[%d]", what, i)); err != nil {
			return 0, 0, err
		}
	}
	if p.dec.More() {
		return 0, 0, fmt.Errorf("%s: got more than 2 values, want 2 [begin, end]", what)
	}
	if err := p.delim(']', what, ""); err != nil {
		return 0, 0, err
	}
	return v[0], v[1], nil
}

// int parses a non-negative integer that fits in an int.
func (p *parser) int(what string) (int64, error) {
	tok, err := p.token()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	num, ok := tok.(json.Number)
	if !ok {
		return 0, fmt.Errorf("%s: got %s, want a non-negative integer", what, describe(tok))
	}
	s := string(num)
	v, err := strconv.ParseInt(s, 10, 64)
	switch {
	case err == nil && v >= 0 && v <= math.MaxInt:
		return v, nil
	case errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(s, "-"), err == nil && v > math.MaxInt:
		return 0, fmt.Errorf("%s: got %s, want at most %d", what, truncate(s), math.MaxInt)
	default:
		return 0, fmt.Errorf("%s: got %s, want a non-negative integer", what, truncate(s))
	}
}

// describe names a JSON token for error messages.
func describe(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		return strconv.Quote(string(v))
	case string:
		return "string " + strconv.Quote(truncate(v))
	case json.Number:
		return "number " + truncate(string(v))
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return "null"
	}
	return fmt.Sprintf("%v", tok)
}

// truncate shortens s for error messages.
func truncate(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
