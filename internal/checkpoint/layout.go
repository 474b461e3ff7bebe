package checkpoint

import (
	"fmt"
	"strconv"

	"convscope/nn"
)

// slot is one float32 tensor of the network as the file stores it: a live
// slice of the network in nn's layout, and how to reorder it into PyTorch's.
type slot struct {
	name  string    // tensor name, "<layer>.<suffix>"
	data  []float32 // the network's values, nn layout
	shape []int     // PyTorch shape
	perm  []int     // PyTorch element i is data[perm[i]]; nil when the layouts agree
	param bool      // trainable: one of net.Params(), in that order

	bn *nn.BatchNorm2D // set on a batch norm's last slot (running_var): its Updates follow as num_batches_tracked
}

// slots lists net's tensors in layer order: for each layer its parameters in
// Params order, then a batch norm's running mean and variance. Tensors are
// named after their layer's index in net.Layers, as PyTorch names the
// entries of an nn.Sequential.
func slots(net *nn.Net) ([]slot, error) {
	var out []slot
	for i, l := range net.Layers {
		prefix := strconv.Itoa(i) + "."
		for _, p := range l.Params() {
			s := slot{name: prefix + p.Name, data: p.W, param: true}
			switch {
			case l.Kind() == "Conv2D" && p.Name == "weight":
				c := l.(*nn.Conv2D)
				s.shape, s.perm = convLayout(c.K, c.In().C, c.Out().C)
			case l.Kind() == "Dense" && p.Name == "weight":
				in := l.In()
				if i > 0 && net.Layers[i-1].Kind() == "Flatten" {
					in = net.Layers[i-1].In()
				}
				s.shape, s.perm = denseLayout(in, l.Out().C)
			case p.Name == "weight" || p.Name == "bias":
				s.shape = []int{len(p.W)}
			default:
				return nil, fmt.Errorf("layer %d (%s): unknown parameter %q", i, l.Kind(), p.Name)
			}
			out = append(out, s)
		}
		if b, ok := l.(*nn.BatchNorm2D); ok {
			c := []int{len(b.RunningMean)}
			out = append(out,
				slot{name: prefix + "running_mean", data: b.RunningMean, shape: c},
				slot{name: prefix + "running_var", data: b.RunningVar, shape: c, bn: b})
		}
	}
	return out, nil
}

// convLayout maps nn's conv weight [kh, kw, in, out] to PyTorch's
// [out, in, kh, kw].
func convLayout(k, in, out int) ([]int, []int) {
	perm := make([]int, k*k*in*out)
	t := 0
	for o := range out {
		for c := range in {
			for kh := range k {
				for kw := range k {
					perm[t] = ((kh*k+kw)*in+c)*out + o
					t++
				}
			}
		}
	}
	return []int{out, in, k, k}, perm
}

// denseLayout maps nn's dense weight [in, out] to PyTorch's [out, in]. When
// the layer's input is a flattened h×w×c activation, nn flattens it in HWC
// order and PyTorch's Flatten in CHW order, so the input index is permuted
// too (for the paper's network at 28×28 the activation is 1×1×256 and the
// two orders agree).
func denseLayout(in nn.Shape, out int) ([]int, []int) {
	n := in.Size()
	perm := make([]int, n*out)
	t := 0
	for o := range out {
		for c := range in.C {
			for h := range in.H {
				for w := range in.W {
					i := (h*in.W+w)*in.C + c
					perm[t] = i*out + o
					t++
				}
			}
		}
	}
	return []int{out, n}, perm
}

// toTorch returns s's values (or v, of the same layout) in PyTorch's layout.
func (s slot) toTorch(v []float32) []float32 {
	if s.perm == nil {
		return v
	}
	out := make([]float32, len(v))
	for t, i := range s.perm {
		out[t] = v[i]
	}
	return out
}

// fromTorch copies v, in PyTorch's layout, into dst in nn's layout.
func (s slot) fromTorch(dst, v []float32) {
	if s.perm == nil {
		copy(dst, v)
		return
	}
	for t, i := range s.perm {
		dst[i] = v[t]
	}
}
