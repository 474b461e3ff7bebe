package nn

// fuseBNReLU lets every batch norm that is followed by a ReLU apply that
// ReLU itself in training: its forward writes max(0, BN(x)) in the same pass,
// the ReLU passes it on, and in backward the ReLU passes dy on and the batch
// norm masks it while it reads it anyway (the mask comes from x, which it
// keeps). That saves the ReLU's two passes over memory. Results are
// bit-identical to the separate layers. Evaluation forwards (train false)
// are not fused, so ForwardTrace still shows each layer's own output.
func fuseBNReLU(ls []Layer) {
	for i := 0; i+1 < len(ls); i++ {
		b, ok := ls[i].(*BatchNorm2D)
		if !ok {
			continue
		}
		if r, ok := ls[i+1].(*ReLU); ok {
			b.relu, r.skip = true, true
		}
	}
}
