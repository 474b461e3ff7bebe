// Package safetensors reads and writes tensors in the Hugging Face
// safetensors format.
//
// A file is an 8-byte little-endian uint64 N, then N bytes of UTF-8 JSON
// (the header), then the raw little-endian tensor data. The header maps each
// tensor name to {"dtype", "shape", "data_offsets"}, with offsets relative to
// the first byte after the header, and may hold a "__metadata__" object of
// string to string. The tensors tile the data area without gaps or overlap.
//
// Encode and WriteFile produce files that the reference implementation
// reads; unlike it, they keep the tensors in the order given rather than
// sorting them by dtype and name, so the output is exactly what the caller
// asked for and is deterministic.
//
// Decode and ReadFile treat the file as untrusted: they never run code,
// never panic, and allocate only what the file size justifies, after
// checking every length against it. They are stricter than the reference
// implementation in a few ways, each reported as an error that names the
// problem: duplicate or unknown JSON keys, more than 64 dimensions, and
// sub-byte dtypes (F4, F6_*) are rejected. Headers are capped at 100 MiB.
package safetensors
