package checkpoint

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"

	"convscope/nn"
)

// paperName is the only architecture Load can build (nn.NewPaper's Net.Name).
const paperName = "paper-cnn"

// Bounds on the declared input size, checked before anything is built from
// it. NewPaper needs at least 28×28; the upper bound keeps every size
// computation far from overflow.
const (
	minSide = 28
	maxSide = 1 << 15
)

// arch is the "architecture" metadata: enough to rebuild the network with
// nn.NewPaper and to check, before building it, that the file's tensors are
// the ones that network has.
type arch struct {
	Name     string      `json:"name"`
	Rows     int         `json:"rows"`
	Cols     int         `json:"cols"`
	Channels int         `json:"channels"`
	Classes  int         `json:"classes"`
	Layers   []layerArch `json:"layers"`
}

// layerArch describes one layer: its kind, its output shape per image
// (height, width, channels) and the shapes of its tensors in PyTorch's
// layout, keyed by the tensor name's suffix ("weight", "running_mean", ...).
type layerArch struct {
	Kind     nn.LayerKind     `json:"kind"`
	Out      [3]int           `json:"out"`
	Eps      float64          `json:"eps,omitempty"`      // BatchNorm2D
	Momentum float64          `json:"momentum,omitempty"` // BatchNorm2D, Keras convention
	Tensors  map[string][]int `json:"tensors,omitempty"`
}

// layerSpec is what describe reads of a layer: its kind and settings, not
// its buffers or its own shapes.
type layerSpec struct {
	kind          nn.LayerKind
	k             int     // Conv2D: kernel size
	out           int     // Conv2D: output channels; Dense: outputs
	eps, momentum float64 // BatchNorm2D
}

// specsOf returns the specs of layers, failing for a kind Save cannot write.
func specsOf(layers []nn.Layer) ([]layerSpec, error) {
	specs := make([]layerSpec, len(layers))
	for i, l := range layers {
		sp := layerSpec{kind: l.Kind()}
		switch l := l.(type) {
		case *nn.Conv2D:
			sp.k, sp.out = l.K, l.Out().C
		case *nn.BatchNorm2D:
			sp.eps, sp.momentum = l.Eps, l.Momentum
		case *nn.Dense:
			sp.out = l.Out().C
		case *nn.ReLU, *nn.MaxPool2D, *nn.Flatten:
		default:
			return nil, fmt.Errorf("layer %d: kind %s cannot be saved", i, l.Kind())
		}
		specs[i] = sp
	}
	return specs, nil
}

// describe computes the architecture of the layers of specs applied to
// images of shape in. Since specs hold no shapes, the specs of a small
// network describe the same design at another input size without
// allocating it.
func describe(name string, specs []layerSpec, in nn.Shape) (arch, error) {
	a := arch{Name: name, Rows: in.H, Cols: in.W, Channels: in.C}
	s := in
	for i, l := range specs {
		la := layerArch{Kind: l.kind}
		switch l.kind {
		case nn.KindConv2D:
			k, o := l.k, l.out
			if s.H < k || s.W < k {
				return arch{}, fmt.Errorf("layer %d (Conv2D %dx%d) gets a %s input, smaller than its kernel", i, k, k, s)
			}
			la.Tensors = map[string][]int{"weight": {o, s.C, k, k}, "bias": {o}}
			s = nn.Shape{H: s.H - k + 1, W: s.W - k + 1, C: o}
		case nn.KindBatchNorm2D:
			la.Eps, la.Momentum = l.eps, l.momentum
			c := []int{s.C}
			la.Tensors = map[string][]int{"weight": c, "bias": c, "running_mean": c, "running_var": c}
		case nn.KindReLU:
		case nn.KindMaxPool2D:
			if s.H < 2 || s.W < 2 {
				return arch{}, fmt.Errorf("layer %d (MaxPool2D) gets a %s input, want at least 2x2", i, s)
			}
			s = nn.Shape{H: s.H / 2, W: s.W / 2, C: s.C}
		case nn.KindFlatten:
			s = nn.Shape{H: 1, W: 1, C: s.Size()}
		case nn.KindDense:
			o := l.out
			la.Tensors = map[string][]int{"weight": {o, s.Size()}, "bias": {o}}
			s = nn.Shape{H: 1, W: 1, C: o}
		default:
			return arch{}, fmt.Errorf("layer %d: kind %s cannot be saved", i, l.kind)
		}
		la.Out = [3]int{s.H, s.W, s.C}
		a.Layers = append(a.Layers, la)
	}
	if s.H != 1 || s.W != 1 {
		return arch{}, fmt.Errorf("network ends in %s, want 1x1xclasses", s)
	}
	a.Classes = s.C
	return a, nil
}

// netArch describes net, checking that describe agrees with the shapes the
// layers report.
func netArch(net *nn.Net) (arch, error) {
	specs, err := specsOf(net.Layers)
	if err != nil {
		return arch{}, err
	}
	a, err := describe(net.Name, specs, net.Input)
	if err != nil {
		return arch{}, err
	}
	for i, l := range net.Layers {
		o := l.Out()
		if a.Layers[i].Out != [3]int{o.H, o.W, o.C} {
			return arch{}, fmt.Errorf("layer %d (%s) outputs %s, want %v", i, l.Kind(), o, a.Layers[i].Out)
		}
	}
	return a, nil
}

// paperArch is the architecture nn.NewPaper builds for rows×cols images and
// k classes, computed from the specs of a 28×28 copy so that a file's
// claimed size never allocates more than a fixed amount before its tensors
// are checked.
func paperArch(rows, cols, k int) (arch, error) {
	if rows < minSide || cols < minSide || rows > maxSide || cols > maxSide {
		return arch{}, fmt.Errorf("input %dx%d, want between %dx%d and %dx%d", rows, cols, minSide, minSide, maxSide, maxSide)
	}
	specs, err := paperSpecs(k)
	if err != nil {
		return arch{}, err
	}
	return describe(paperName, specs, nn.Shape{H: rows, W: cols, C: 1})
}

// paperSpecsByK caches the layer specs of the paper network per class count
// (a kilobyte or two each, 255 counts at most): building the network (214k
// random weights and its buffers, 2.6 MB) for every file read was most of
// what Load cost on a small or broken file, and keeping the built layers
// instead pinned 2.6 MB per class count a file had claimed.
var paperSpecsByK sync.Map // int -> []layerSpec

func paperSpecs(k int) ([]layerSpec, error) {
	if v, ok := paperSpecsByK.Load(k); ok {
		return v.([]layerSpec), nil
	}
	// NewPaper refuses a class count out of its range before allocating.
	small, err := nn.NewPaper(minSide, minSide, k, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, err
	}
	specs, err := specsOf(small.Layers)
	if err != nil {
		return nil, err
	}
	v, _ := paperSpecsByK.LoadOrStore(k, specs)
	return v.([]layerSpec), nil
}

// checkArch reports the first difference between the file's architecture got
// and the one the program builds, want.
func checkArch(got, want arch) error {
	switch {
	case got.Name != want.Name:
		return fmt.Errorf("architecture %q, want %q", got.Name, want.Name)
	case got.Rows != want.Rows || got.Cols != want.Cols || got.Channels != want.Channels:
		return fmt.Errorf("architecture input %dx%dx%d, want %dx%dx%d", got.Rows, got.Cols, got.Channels, want.Rows, want.Cols, want.Channels)
	case got.Classes != want.Classes:
		return fmt.Errorf("architecture has %d classes, want %d", got.Classes, want.Classes)
	}
	for i := range min(len(got.Layers), len(want.Layers)) {
		if g, w := got.Layers[i], want.Layers[i]; !sameLayer(g, w) {
			return fmt.Errorf("architecture differs at layer %d: file has %s, this program builds %s", i, g, w)
		}
	}
	if len(got.Layers) != len(want.Layers) {
		return fmt.Errorf("architecture has %d layers, want %d", len(got.Layers), len(want.Layers))
	}
	return nil
}

func sameLayer(a, b layerArch) bool {
	if a.Kind != b.Kind || a.Out != b.Out || a.Eps != b.Eps || a.Momentum != b.Momentum || len(a.Tensors) != len(b.Tensors) {
		return false
	}
	for k, v := range a.Tensors {
		if w, ok := b.Tensors[k]; !ok || !slices.Equal(v, w) {
			return false
		}
	}
	return true
}

// String is a short description for error messages, e.g.
// "Conv2D -> 26x26x32 weight[32 1 3 3] bias[32]".
func (l layerArch) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s -> %dx%dx%d", l.Kind, l.Out[0], l.Out[1], l.Out[2])
	if l.Eps != 0 || l.Momentum != 0 {
		fmt.Fprintf(&b, " eps %g momentum %g", l.Eps, l.Momentum)
	}
	names := make([]string, 0, len(l.Tensors))
	for k := range l.Tensors {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		fmt.Fprintf(&b, " %s%v", k, l.Tensors[k])
	}
	return b.String()
}

// PyTorch returns Python source for the torch.nn.Sequential module whose
// state_dict matches the tensors Save writes for net (after dropping the
// "optim." tensors). It fails for layers that cannot be saved.
func PyTorch(net *nn.Net) (string, error) {
	a, err := netArch(net)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("torch.nn.Sequential(\n")
	for i, la := range a.Layers {
		var m string
		switch la.Kind {
		case "Conv2D":
			w := la.Tensors["weight"]
			m = fmt.Sprintf("torch.nn.Conv2d(%d, %d, kernel_size=%d)", w[1], w[0], w[2])
		case "BatchNorm2D":
			// Keras's momentum m keeps m of the old running value; PyTorch's keeps 1-m.
			m = fmt.Sprintf("torch.nn.BatchNorm2d(%d, eps=%g, momentum=%.12g)", la.Out[2], la.Eps, 1-la.Momentum)
		case "ReLU":
			m = "torch.nn.ReLU()"
		case "MaxPool2D":
			m = "torch.nn.MaxPool2d(2)"
		case "Flatten":
			m = "torch.nn.Flatten()"
		case "Dense":
			w := la.Tensors["weight"]
			m = fmt.Sprintf("torch.nn.Linear(%d, %d)", w[1], w[0])
		}
		fmt.Fprintf(&b, "    %s,  # %d\n", m, i)
	}
	b.WriteString(")\n")
	return b.String(), nil
}
