package checkpoint

import (
	"io"

	"convscope/nn"
)

// SaveNetThrough is SaveNet with the file's bytes passed through wrap on
// their way to the disk (nil: none), as SaveRun does; the run loop's
// snapshots use it so that its Wrap sees every byte it writes.
func SaveNetThrough(path string, net *nn.Net, meta map[string]string, wrap func(io.Writer) io.Writer) error {
	return saveNetThrough(path, net, meta, wrap)
}
