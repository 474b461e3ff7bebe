package nn

import (
	"testing"

	"convscope/internal/gemm"
	"convscope/mnist"
)

// TestStepAllocs: once warmed up, a training step allocates nothing, on one
// thread and on two.
func TestStepAllocs(t *testing.T) {
	const n = 16
	set := &mnist.Set{Images: make([]uint8, 2*n*784), Labels: make([]uint8, 2*n), N: 2 * n, Rows: 28, Cols: 28}
	for i := range set.Images {
		set.Images[i] = uint8(i * 7)
	}
	for i := range set.Labels {
		set.Labels[i] = uint8(i % 10)
	}
	for _, threads := range []int{1, 2} {
		net, _ := NewPaper(28, 28, 10, InitRNG(1))
		eng := gemm.NewEngine(threads)
		net.SetEngine(eng)
		tr, err := NewTrainer(net, DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		tr.Step(set, 0, n)
		tr.Step(set, n, n)
		allocs := testing.AllocsPerRun(5, func() { tr.Step(set, 0, n) })
		if allocs != 0 {
			t.Errorf("%d threads: a training step allocates %v times, want 0", threads, allocs)
		}
		eng.Close()
	}
}
