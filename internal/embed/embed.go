// Package embed projects what a network's layers make of a set of images
// to two dimensions, so a person can see the classes pull apart over
// training: the 256-value feature vector (the Flatten output) and the
// 64-value second dense layer (after its ReLU) of every image, by
// principal component analysis (gonum), with the share of the variance the
// two axes explain.
package embed

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"convscope/mnist"
	"convscope/nn"
)

// batch is the images one forward pass takes.
const batch = 100

// Projection is a set's images projected onto the first two principal
// axes of one layer's outputs.
type Projection struct {
	Layer int    // the layer's index in the network
	Name  string // its name, e.g. "flatten_1"
	Dim   int    // values per image in that layer
	// X and Y are image i's coordinates on axis 1 and 2 (the centred
	// outputs' dot products with the axes).
	X, Y   []float32
	Labels []uint8 // the set's labels
	Pred   []uint8 // the network's predictions (argmax of the logits)
	// Explained is the share (0..1) of the outputs' total variance along
	// axis 1 and axis 2.
	Explained [2]float64
	// Mean and Axes turn another image's outputs v into coordinates:
	// x = Σ (v-Mean)·Axes[0], y likewise with Axes[1].
	Mean []float64
	Axes [2][]float64
}

// Place returns the coordinates of one image's outputs v of the layer
// (a drawn digit, say).
func (p *Projection) Place(v []float32) (x, y float64) {
	for i, f := range v {
		d := float64(f) - p.Mean[i]
		x += d * p.Axes[0][i]
		y += d * p.Axes[1][i]
	}
	return x, y
}

// FeatureLayer is the index of the network's Flatten layer (the feature
// vector), or -1.
func FeatureLayer(net *nn.Net) int {
	for i, l := range net.Layers {
		if l.Kind() == nn.KindFlatten {
			return i
		}
	}
	return -1
}

// DenseLayer is the index of the output of the network's second dense layer
// (the ReLU after it, when there is one), or -1.
func DenseLayer(net *nn.Net) int {
	seen := 0
	for i, l := range net.Layers {
		if l.Kind() != nn.KindDense {
			continue
		}
		if seen++; seen == 2 {
			if i+1 < len(net.Layers) && net.Layers[i+1].Kind() == nn.KindReLU {
				return i + 1
			}
			return i
		}
	}
	return -1
}

// Project runs every image of set through net (evaluation mode, on net's
// buffers and engine: net must not be in use elsewhere) and projects layer's
// outputs by PCA.
func Project(net *nn.Net, set *mnist.Set, layer int) (*Projection, error) {
	ps, err := ProjectLayers(net, set, []int{layer})
	if err != nil {
		return nil, err
	}
	return ps[0], nil
}

// ProjectLayers is Project of several layers from one pass over the set.
func ProjectLayers(net *nn.Net, set *mnist.Set, layers []int) ([]*Projection, error) {
	if set == nil || set.N < 3 {
		return nil, fmt.Errorf("embed: need at least 3 images")
	}
	if set.Rows != net.Input.H || set.Cols != net.Input.W {
		return nil, fmt.Errorf("embed: network takes %dx%d images, the set has %dx%d", net.Input.H, net.Input.W, set.Rows, set.Cols)
	}
	n := set.N
	feats := make([][]float64, len(layers)) // per layer: [dim, n], an image per column
	dims := make([]int, len(layers))
	for j, li := range layers {
		if li < 0 || li >= len(net.Layers) {
			return nil, fmt.Errorf("embed: layer %d of %d", li, len(net.Layers))
		}
		dims[j] = net.Layers[li].Out().Size()
		feats[j] = make([]float64, dims[j]*n)
	}
	pred := make([]uint8, n)
	k := net.Classes()
	pix := set.Rows * set.Cols
	x := make([]float32, min(batch, n)*pix)
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		m := hi - lo
		for i, v := range set.Images[lo*pix : hi*pix] {
			x[i] = float32(v) * (1.0 / 255)
		}
		outs := net.ForwardTrace(x[:m*pix], m)
		logits := outs[len(outs)-1]
		for i := range m {
			pred[lo+i] = uint8(nn.Predict(logits[i*k : (i+1)*k]))
		}
		for j, li := range layers {
			d, o, f := dims[j], outs[li], feats[j]
			for i := range m {
				row := o[i*d : (i+1)*d]
				for c, v := range row {
					f[c*n+lo+i] = float64(v)
				}
			}
		}
	}
	out := make([]*Projection, len(layers))
	for j, li := range layers {
		p, err := pca(feats[j], dims[j], n)
		if err != nil {
			return nil, fmt.Errorf("embed: layer %s: %w", net.LayerName(li), err)
		}
		p.Layer, p.Name = li, net.LayerName(li)
		p.Labels = append([]uint8(nil), set.Labels[:n]...)
		p.Pred = pred
		out[j] = p
	}
	return out, nil
}

// PCA projects n points of d values, given as rows of pts ([n, d]), onto
// their first two principal axes.
func PCA(pts []float64, n, d int) (*Projection, error) {
	if len(pts) != n*d {
		panic(fmt.Sprintf("embed: PCA of %d values, want %d points of %d", len(pts), n, d))
	}
	t := make([]float64, n*d)
	for i := range n {
		for c := range d {
			t[c*n+i] = pts[i*d+c]
		}
	}
	p, err := pca(t, d, n)
	if err != nil {
		return nil, fmt.Errorf("embed: %w", err)
	}
	p.Layer = -1
	return p, nil
}

// pca projects the n points held as columns of f ([d, n]; centred in
// place) onto their first two principal axes, found as the top
// eigenvectors of the d×d covariance. Each axis's sign is chosen so that
// its largest coefficient is positive, so that a projection does not flip
// between two nearby networks without cause.
func pca(f []float64, d, n int) (*Projection, error) {
	if d < 1 {
		return nil, fmt.Errorf("no values to project")
	}
	mean := make([]float64, d)
	for c := range d {
		row := f[c*n : (c+1)*n]
		var s float64
		for _, v := range row {
			s += v
		}
		m := s / float64(n)
		mean[c] = m
		for i := range row {
			row[i] -= m
		}
	}
	for _, v := range f {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("non-finite output")
		}
	}
	a := mat.NewDense(d, n, f)
	var cov mat.SymDense
	cov.SymOuterK(1/float64(n), a)
	var eig mat.EigenSym
	if !eig.Factorize(&cov, true) {
		return nil, fmt.Errorf("the eigen-decomposition of the covariance failed")
	}
	vals := eig.Values(nil) // ascending
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	var total float64
	for _, v := range vals {
		total += max(v, 0)
	}
	p := &Projection{Dim: d, Mean: mean, X: make([]float32, n), Y: make([]float32, n)}
	for ax := 0; ax < 2; ax++ {
		axis := make([]float64, d)
		col := d - 1 - ax
		if col >= 0 {
			mat.Col(axis, col, &vecs)
			if total > 0 {
				p.Explained[ax] = max(vals[col], 0) / total
			}
		}
		big := 0
		for c, v := range axis {
			if math.Abs(v) > math.Abs(axis[big]) {
				big = c
			}
		}
		if axis[big] < 0 {
			for c := range axis {
				axis[c] = -axis[c]
			}
		}
		p.Axes[ax] = axis
	}
	// Coordinates: axisᵀ·a for both axes at once.
	var ab mat.Dense
	ax := mat.NewDense(2, d, append(append([]float64(nil), p.Axes[0]...), p.Axes[1]...))
	ab.Mul(ax, a)
	for i := range n {
		p.X[i], p.Y[i] = float32(ab.At(0, i)), float32(ab.At(1, i))
	}
	return p, nil
}
