package nn

import (
	"fmt"
	"math"
)

// Optimizer updates parameters from their gradients.
type Optimizer interface {
	// Step applies one update with learning rate lr.
	Step(params []*Param, lr float64)
	// Name is "adam" or "sgd".
	Name() string
	// State returns the optimizer's per-parameter state tensors (for checkpoints)
	// and the step count.
	State() (tensors [][]float32, step int)
	// SetState restores what State returned.
	SetState(tensors [][]float32, step int) error
}

// Adam is Adam with Keras's defaults (beta1 0.9, beta2 0.999, epsilon 1e-7):
// w -= lr·sqrt(1-β2ᵗ)/(1-β1ᵗ) · m / (sqrt(v) + ε).
type Adam struct {
	Beta1, Beta2, Eps float64
	t                 int
	m, v              [][]float32
}

// NewAdam returns Adam with Keras's defaults.
func NewAdam() *Adam { return &Adam{Beta1: 0.9, Beta2: 0.999, Eps: 1e-7} }

// Name is "adam".
func (a *Adam) Name() string { return "adam" }

// Step applies one Adam update.
func (a *Adam) Step(params []*Param, lr float64) {
	if a.m == nil {
		for _, p := range params {
			a.m = append(a.m, make([]float32, len(p.W)))
			a.v = append(a.v, make([]float32, len(p.W)))
		}
	}
	a.t++
	lrt := float32(lr * math.Sqrt(1-math.Pow(a.Beta2, float64(a.t))) / (1 - math.Pow(a.Beta1, float64(a.t))))
	b1, b2, eps := float32(a.Beta1), float32(a.Beta2), float32(a.Eps)
	for i, p := range params {
		m, v := a.m[i], a.v[i]
		for j, g := range p.G {
			mj := b1*m[j] + (1-b1)*g
			vj := b2*v[j] + (1-b2)*g*g
			m[j], v[j] = mj, vj
			p.W[j] -= lrt * mj / (float32(math.Sqrt(float64(vj))) + eps)
		}
	}
}

// State returns the first and second moments, interleaved per parameter (m0, v0, m1, v1, ...).
func (a *Adam) State() ([][]float32, int) {
	var out [][]float32
	for i := range a.m {
		out = append(out, a.m[i], a.v[i])
	}
	return out, a.t
}

// SetState restores moments saved by State.
func (a *Adam) SetState(ts [][]float32, step int) error {
	if len(ts)%2 != 0 {
		return fmt.Errorf("nn: adam state has %d tensors, want an even number", len(ts))
	}
	a.m, a.v = nil, nil
	for i := 0; i < len(ts); i += 2 {
		a.m = append(a.m, append([]float32(nil), ts[i]...))
		a.v = append(a.v, append([]float32(nil), ts[i+1]...))
	}
	a.t = step
	return nil
}

// SGD is stochastic gradient descent with (heavy-ball) momentum: v = μv - lr·g; w += v.
type SGD struct {
	Momentum float64
	t        int
	vel      [][]float32
}

// NewSGD returns SGD with the given momentum (0 for plain SGD).
func NewSGD(momentum float64) *SGD { return &SGD{Momentum: momentum} }

// Name is "sgd".
func (s *SGD) Name() string { return "sgd" }

// Step applies one update.
func (s *SGD) Step(params []*Param, lr float64) {
	if s.vel == nil {
		for _, p := range params {
			s.vel = append(s.vel, make([]float32, len(p.W)))
		}
	}
	s.t++
	mu, l := float32(s.Momentum), float32(lr)
	for i, p := range params {
		v := s.vel[i]
		for j, g := range p.G {
			v[j] = mu*v[j] - l*g
			p.W[j] += v[j]
		}
	}
}

// State returns the velocities.
func (s *SGD) State() ([][]float32, int) { return s.vel, s.t }

// SetState restores velocities saved by State.
func (s *SGD) SetState(ts [][]float32, step int) error {
	s.vel = nil
	for _, t := range ts {
		s.vel = append(s.vel, append([]float32(nil), t...))
	}
	s.t = step
	return nil
}

// NewOptimizer returns the optimizer of kind k.
func NewOptimizer(k OptimizerKind, momentum float64) (Optimizer, error) {
	switch k {
	case OptAdam:
		return NewAdam(), nil
	case OptSGD:
		return NewSGD(momentum), nil
	}
	_, err := ParseOptimizer(string(k))
	return nil, fmt.Errorf("nn: %w", err)
}
