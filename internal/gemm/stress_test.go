package gemm

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// TestHandOffStress makes many short calls separated by pauses around
// spinTime, so that workers are caught spinning, parking and parked, and
// checks every result: each product equals a single-threaded engine's bit
// for bit, and each Parallel call ran both halves exactly once.
func TestHandOffStress(t *testing.T) {
	lowSerial(t)
	e := NewEngine(2)
	defer e.Close()
	rng := rand.New(rand.NewPCG(11, 12))
	a := randSlice(rng, 64*64)
	b := randSlice(rng, 64*64)
	c := make([]float32, 64*64)
	// The products the stress calls must give: a single-threaded engine's.
	one := NewEngine(1)
	defer one.Close()
	want := [2][]float32{make([]float32, 64*64), make([]float32, 64*64)}
	for tb := range want {
		one.Sgemm(false, tb == 1, 64, 64, 64, a, 64, b, 64, 0, want[tb], 64)
	}
	var sum [2]int
	fn := func(lo, hi int) { sum[lo] += hi - lo }
	calls, bad := 0, 0
	n := 3000
	if testing.Short() {
		n = 300
	}
	for i := range n {
		if i%2 == 0 {
			clear(c)
			tb := i%4 == 0
			e.Sgemm(false, tb, 64, 64, 64, a, 64, b, 64, 0, c, 64)
			w := want[0]
			if tb {
				w = want[1]
			}
			for j := range c {
				if math.Float32bits(c[j]) != math.Float32bits(w[j]) {
					bad++
					break
				}
			}
		} else {
			e.Parallel(2, fn)
			calls++
		}
		if d := rng.IntN(3); d > 0 {
			time.Sleep(time.Duration(rng.IntN(int(2*spinTime/time.Microsecond))) * time.Microsecond)
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d products differ from the single-threaded engine's", bad, n-calls)
	}
	if sum != [2]int{calls, calls} {
		t.Errorf("Parallel(2) ran its halves %v times over %d calls, want each once per call", sum, calls)
	}
}
