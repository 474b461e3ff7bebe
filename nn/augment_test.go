package nn

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"convscope/mnist"
)

// randImage returns rows×cols random pixels, a quarter of them 255.
func randImage(rng *rand.Rand, rows, cols int) []uint8 {
	px := make([]uint8, rows*cols)
	for i := range px {
		if rng.IntN(4) == 0 {
			px[i] = 255
		} else {
			px[i] = uint8(rng.IntN(256))
		}
	}
	return px
}

// TestAugmentShapeAndRange checks that Augment writes exactly rows·cols
// values, all in [0, 1], for square and non-square images.
func TestAugmentShapeAndRange(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sz := range []struct{ rows, cols int }{{28, 28}, {32, 32}, {5, 7}, {7, 5}, {1, 1}} {
		src := randImage(rng, sz.rows, sz.cols)
		pix := sz.rows * sz.cols
		dst := make([]float32, pix+3)
		for draw := 0; draw < 200; draw++ {
			for i := range dst {
				dst[i] = -1
			}
			Augment(dst[:pix], src, sz.rows, sz.cols, 3, 20, rng)
			for i, v := range dst[:pix] {
				if !(v >= 0 && v <= 1) {
					t.Fatalf("%dx%d draw %d: pixel %d = %v, want a value in [0, 1]", sz.rows, sz.cols, draw, i, v)
				}
			}
			for i, v := range dst[pix:] {
				if v != -1 {
					t.Fatalf("%dx%d: Augment wrote past rows·cols, at %d", sz.rows, sz.cols, pix+i)
				}
			}
		}
	}
}

// TestTransformShiftMovesPixel checks that a whole-pixel shift moves one lit
// pixel exactly, by dx columns and dy rows, and leaves the rest black.
func TestTransformShiftMovesPixel(t *testing.T) {
	const rows, cols = 6, 9
	tests := []struct {
		dx, dy       int
		wantR, wantC int // where the pixel at (2, 4) lands; -1 if outside
	}{
		{0, 0, 2, 4},
		{2, 0, 2, 6},
		{-3, 0, 2, 1},
		{0, 1, 3, 4},
		{0, -2, 0, 4},
		{2, -1, 1, 6},
		{5, 0, -1, -1},
		{0, -3, -1, -1},
	}
	src := make([]uint8, rows*cols)
	src[2*cols+4] = 200
	lit := make([]float32, 1)
	toFloat(lit, []uint8{200})
	for _, tt := range tests {
		dst := make([]float32, rows*cols)
		Transform(dst, src, rows, cols, float64(tt.dx), float64(tt.dy), 0)
		for r := 0; r < rows; r++ {
			for c := 0; c < cols; c++ {
				want := float32(0)
				if r == tt.wantR && c == tt.wantC {
					want = lit[0]
				}
				if got := dst[r*cols+c]; got != want {
					t.Errorf("Transform(dx %d, dy %d): pixel (%d, %d) = %v, want %v", tt.dx, tt.dy, r, c, got, want)
				}
			}
		}
	}
}

// TestTransformIdentity checks that no shift and no rotation is a plain
// conversion, through the whole-pixel path and, with a negligible angle,
// through the bilinear one (which must agree about the centre).
func TestTransformIdentity(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, sz := range []struct{ rows, cols int }{{28, 28}, {5, 8}} {
		src := randImage(rng, sz.rows, sz.cols)
		want := make([]float32, len(src))
		toFloat(want, src)
		got := make([]float32, len(src))
		Transform(got, src, sz.rows, sz.cols, 0, 0, 0)
		if !slices.Equal(got, want) {
			t.Errorf("%dx%d: Transform(0, 0, 0) is not the plain conversion", sz.rows, sz.cols)
		}
		Augment(got, src, sz.rows, sz.cols, 0, 0, rng)
		if !slices.Equal(got, want) {
			t.Errorf("%dx%d: Augment with no shift and no rotation is not the plain conversion", sz.rows, sz.cols)
		}
		Transform(got, src, sz.rows, sz.cols, 0, 0, 1e-12)
		for i := range got {
			if math.Abs(float64(got[i]-want[i])) > 1e-6 {
				t.Fatalf("%dx%d: rotation by 1e-12 rad: pixel %d = %v, want %v", sz.rows, sz.cols, i, got[i], want[i])
			}
		}
	}
}

// TestTransformQuarterTurns checks that a 90° rotation permutes the pixels of
// a square image and four of them give the image back.
func TestTransformQuarterTurns(t *testing.T) {
	const n = 7
	rng := rand.New(rand.NewPCG(5, 6))
	orig := randImage(rng, n, n)
	img := slices.Clone(orig)
	f := make([]float32, n*n)
	for turn := 1; turn <= 4; turn++ {
		Transform(f, img, n, n, 0, 0, math.Pi/2)
		for i, v := range f {
			b := math.Round(float64(v) * 255)
			if math.Abs(float64(v)*255-b) > 1e-3 {
				t.Fatalf("turn %d: pixel %d = %v·255, want a whole value (a pure permutation)", turn, i, float64(v)*255)
			}
			img[i] = uint8(b)
		}
		a, b := slices.Clone(orig), slices.Clone(img)
		slices.Sort(a)
		slices.Sort(b)
		if !slices.Equal(a, b) {
			t.Fatalf("turn %d: pixel values changed, want a permutation", turn)
		}
	}
	if !slices.Equal(img, orig) {
		t.Errorf("four quarter turns did not give the image back")
	}
}

// TestAugmentShiftRange draws many augmentations of one lit pixel near the
// centre with a seeded generator and checks that it always lands within
// maxShift pixels (plus what a small rotation moves it), and that without
// rotation every whole shift in range occurs and the pixel keeps its value.
func TestAugmentShiftRange(t *testing.T) {
	const rows, cols, r0, c0 = 28, 28, 14, 14
	src := make([]uint8, rows*cols)
	src[r0*cols+c0] = 255
	dst := make([]float32, rows*cols)
	one := make([]float32, 1)
	toFloat(one, []uint8{255})
	for _, maxShift := range []int{0, 1, 2, 4} {
		rng := rand.New(rand.NewPCG(uint64(maxShift), 7))
		seen := map[[2]int]int{}
		for draw := 0; draw < 1000; draw++ {
			Augment(dst, src, rows, cols, maxShift, 0, rng)
			lit := -1
			for i, v := range dst {
				switch {
				case v == one[0] && lit < 0:
					lit = i
				case v != 0:
					t.Fatalf("shift %d draw %d: pixel %d = %v, want exactly one pixel of %v and the rest 0", maxShift, draw, i, v, one[0])
				}
			}
			if lit < 0 {
				t.Fatalf("shift %d draw %d: the lit pixel vanished", maxShift, draw)
			}
			dy, dx := lit/cols-r0, lit%cols-c0
			if abs(dx) > maxShift || abs(dy) > maxShift {
				t.Fatalf("shift %d draw %d: pixel moved by (%d, %d), want at most %d each way", maxShift, draw, dx, dy, maxShift)
			}
			seen[[2]int{dx, dy}]++
		}
		if want := (2*maxShift + 1) * (2*maxShift + 1); len(seen) != want {
			t.Errorf("shift %d: %d distinct shifts in 1000 draws, want all %d", maxShift, len(seen), want)
		}
	}

	// With rotation the pixel's centre of mass moves at most maxShift plus
	// the rotation's displacement of a point 0.71 px from the centre.
	const maxShift, maxRotate = 2, 15.0
	rng := rand.New(rand.NewPCG(8, 9))
	cy, cx := float64(rows-1)/2, float64(cols-1)/2
	slack := math.Hypot(r0-cy, c0-cx)*2*math.Sin(maxRotate/2*math.Pi/180) + 1e-6
	for draw := 0; draw < 1000; draw++ {
		Augment(dst, src, rows, cols, maxShift, maxRotate, rng)
		var m, my, mx float64
		for i, v := range dst {
			m += float64(v)
			my += float64(v) * float64(i/cols)
			mx += float64(v) * float64(i%cols)
		}
		if m == 0 {
			t.Fatalf("draw %d: the lit pixel vanished", draw)
		}
		dy, dx := my/m-r0, mx/m-c0
		if math.Abs(dx) > maxShift+slack || math.Abs(dy) > maxShift+slack {
			t.Fatalf("draw %d: centre of mass moved by (%.3f, %.3f), want at most %.3f each way", draw, dx, dy, maxShift+slack)
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// TestTrainerAugmentKeepsLabels checks that augmented training leaves the
// set's images and labels untouched, and that augmentation with no shift and
// no rotation trains exactly like no augmentation: each image still goes
// with its own label.
func TestTrainerAugmentKeepsLabels(t *testing.T) {
	const n, rows, cols = 24, 10, 10
	rng := rand.New(rand.NewPCG(10, 11))
	set := &mnist.Set{Images: randImage(rng, n, rows*cols), Labels: make([]uint8, n), N: n, Rows: rows, Cols: cols,
		Classes: []string{"a", "b", "c"}}
	for i := range set.Labels {
		set.Labels[i] = uint8(rng.IntN(3))
	}
	images, labels := slices.Clone(set.Images), slices.Clone(set.Labels)
	data := Data{Train: set, Test: set}

	run := func(augment bool, maxShift int, maxRotate float64) []EpochStats {
		t.Helper()
		cfg := DefaultConfig()
		cfg.Epochs, cfg.Batch, cfg.Threads = 2, 8, 1
		cfg.Augment, cfg.MaxShift, cfg.MaxRotate = augment, maxShift, maxRotate
		tr, err := NewTrainer(miniNet(rand.New(rand.NewPCG(12, 13))), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := tr.Run(context.Background(), data, nil); err != nil {
			t.Fatal(err)
		}
		for i := range tr.History {
			tr.History[i].Seconds, tr.History[i].ImagesPerSec, tr.History[i].EvalSeconds = 0, 0, 0
		}
		return tr.History
	}

	run(true, 3, 20)
	if !slices.Equal(set.Labels, labels) {
		t.Errorf("augmented training changed the set's labels")
	}
	if !slices.Equal(set.Images, images) {
		t.Errorf("augmented training changed the set's images")
	}

	plain, noop := run(false, 2, 10), run(true, 0, 0)
	if !slices.Equal(plain, noop) {
		t.Errorf("augmentation with no shift and no rotation trains differently:\nplain %+v\nnoop  %+v", plain, noop)
	}
}
