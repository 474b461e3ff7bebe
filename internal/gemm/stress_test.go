package gemm

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestHandOffStress makes many short calls separated by pauses around
// spinTime, so that workers are caught spinning, parking and parked.
func TestHandOffStress(t *testing.T) {
	lowSerial(t)
	e := NewEngine(2)
	defer e.Close()
	rng := rand.New(rand.NewPCG(11, 12))
	a := randSlice(rng, 64*64)
	b := randSlice(rng, 64*64)
	c := make([]float32, 64*64)
	var sum [2]int
	fn := func(lo, hi int) { sum[lo] += hi - lo }
	n := 3000
	if testing.Short() {
		n = 300
	}
	for i := range n {
		if i%2 == 0 {
			e.Sgemm(false, i%4 == 0, 64, 64, 64, a, 64, b, 64, 0, c, 64)
		} else {
			e.Parallel(2, fn)
		}
		if d := rng.IntN(3); d > 0 {
			time.Sleep(time.Duration(rng.IntN(int(2*spinTime/time.Microsecond))) * time.Microsecond)
		}
	}
}
