package checkpoint

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"

	"convscope/mnist"
	"convscope/nn"
)

// keyDataset is the metadata key of the data set a run trained on.
const keyDataset = "dataset"

// Dataset is what a checkpoint records of the data set its run trained on:
// where it came from, a fingerprint to tell it from another, and the class
// names, so that eval, explore and resume need no flags to find them.
type Dataset struct {
	// Dir is the folder given with --data, made absolute; "" is the MNIST
	// copy in the Go module cache.
	Dir     string   `json:"dir"`
	Train   int      `json:"train"`  // training images in the files (before --train-limit)
	Test    int      `json:"test"`   // test images
	Rows    int      `json:"rows"`   // image height
	Cols    int      `json:"cols"`   // image width
	Labels  string   `json:"labels"` // SHA-256 of the training labels then the test labels, hex
	Classes []string `json:"classes"`
}

// DatasetOf describes data read from dir ("" = the module cache copy).
func DatasetOf(dir string, data nn.Data) *Dataset {
	if dir != "" {
		if abs, err := filepath.Abs(dir); err == nil {
			dir = abs
		}
	}
	h := sha256.New()
	h.Write(data.Train.Labels[:data.Train.N])
	h.Write(data.Test.Labels[:data.Test.N])
	return &Dataset{Dir: dir, Train: data.Train.N, Test: data.Test.N, Rows: data.Train.Rows, Cols: data.Train.Cols,
		Labels: hex.EncodeToString(h.Sum(nil)), Classes: append([]string(nil), data.Train.Classes...)}
}

// Where names the data set for a message: its folder, or MNIST.
func (d *Dataset) Where() string {
	if d.Dir == "" {
		return "MNIST (the Go module cache copy)"
	}
	return d.Dir
}

// Same reports how other differs from d (nil when it is the same data):
// another count, image size or label sequence.
func (d *Dataset) Same(other *Dataset) error {
	switch {
	case d.Train != other.Train || d.Test != other.Test:
		return fmt.Errorf("the run trained on %d training and %d test images, this data set has %d and %d", d.Train, d.Test, other.Train, other.Test)
	case d.Rows != other.Rows || d.Cols != other.Cols:
		return fmt.Errorf("the run trained on %dx%d images, this data set has %dx%d", d.Rows, d.Cols, other.Rows, other.Cols)
	case d.Labels != other.Labels:
		return fmt.Errorf("the labels differ from those the run trained on (same counts, another label sequence)")
	}
	return nil
}

// encode returns d's metadata value.
func (d *Dataset) encode() (string, error) { return encodeJSON(keyDataset, d) }

// parseDataset reads the "dataset" metadata, if present, for a network of
// classes outputs. Class names lose their control characters.
func parseDataset(meta map[string]string, classes int) (*Dataset, error) {
	s, ok := meta[keyDataset]
	if !ok {
		return nil, nil
	}
	var d Dataset
	if err := decodeJSON(keyDataset, s, &d); err != nil {
		return nil, err
	}
	switch {
	case d.Train < 0 || d.Test < 0 || d.Train > 1<<30 || d.Test > 1<<30:
		return nil, fmt.Errorf("metadata %q: image counts %d and %d out of range", keyDataset, d.Train, d.Test)
	case len(d.Classes) != 0 && len(d.Classes) < classes:
		return nil, fmt.Errorf("metadata %q names %d classes, the network has %d", keyDataset, len(d.Classes), classes)
	case len(d.Classes) > 256:
		return nil, fmt.Errorf("metadata %q names %d classes, want at most 256", keyDataset, len(d.Classes))
	}
	for i, c := range d.Classes {
		d.Classes[i] = mnist.CleanName(c)
		if d.Classes[i] == "" {
			d.Classes[i] = fmt.Sprint(i)
		}
	}
	return &d, nil
}
