package mnist

import (
	"math"
	"testing"
)

// disk draws filled discs (row, col, radius) on a rows×cols canvas, with a
// soft edge one pixel wide.
func disk(rows, cols int, discs ...[3]float64) []uint8 {
	px := make([]uint8, rows*cols)
	for _, d := range discs {
		for r := range rows {
			for c := range cols {
				dist := math.Hypot(float64(r)-d[0], float64(c)-d[1])
				v := math.Max(0, math.Min(1, d[2]+0.5-dist)) * 255
				px[r*cols+c] = max(px[r*cols+c], uint8(v))
			}
		}
	}
	return px
}

// rect fills rows r0..r1 and columns c0..c1 with ink.
func rect(rows, cols, r0, c0, r1, c1 int) []uint8 {
	px := make([]uint8, rows*cols)
	for r := r0; r <= r1; r++ {
		for c := c0; c <= c1; c++ {
			px[r*cols+c] = 255
		}
	}
	return px
}

func TestPreprocess(t *testing.T) {
	cases := []struct {
		name       string
		px         []uint8
		rows, cols int
		wantH      int // bounding box height and width after, ±1
		wantW      int
	}{
		{"small blob in the top left corner", disk(28, 28, [3]float64{4, 5, 2}), 28, 28, 20, 20},
		{"tall bar off to the right", rect(28, 28, 2, 22, 25, 25), 28, 28, 20, 4},
		{"wide bar at the bottom", rect(28, 28, 24, 1, 27, 20), 28, 28, 4, 20},
		{"lopsided digit: a big disc and a small one", disk(28, 28, [3]float64{8, 8, 6}, [3]float64{22, 20, 2}), 28, 28, 20, 18},
		{"a 56x56 canvas", disk(56, 56, [3]float64{40, 12, 9}, [3]float64{20, 30, 4}), 56, 56, 20, 20},
		{"one pixel", rect(28, 28, 3, 3, 3, 3), 28, 28, 20, 20},
		{"a 10x5 rectangle keeps its aspect", rect(28, 28, 0, 0, 9, 4), 28, 28, 20, 10},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := Preprocess(c.px, c.rows, c.cols)
			if len(out) != Side*Side {
				t.Fatalf("Preprocess gives %d pixels, want %d", len(out), Side*Side)
			}
			r0, c0, r1, c1, ok := BoundingBox(out, Side, Side)
			if !ok {
				t.Fatal("Preprocess lost the digit")
			}
			h, w := r1-r0+1, c1-c0+1
			if h > Box || w > Box {
				t.Errorf("bounding box %dx%d, want at most %dx%d", h, w, Box, Box)
			}
			if absInt(h-c.wantH) > 1 || absInt(w-c.wantW) > 1 {
				t.Errorf("bounding box %dx%d, want %dx%d (±1)", h, w, c.wantH, c.wantW)
			}
			cy, cx, _ := CenterOfMass(out, Side, Side)
			if math.Abs(cy-Side/2) > 0.5 || math.Abs(cx-Side/2) > 0.5 {
				t.Errorf("centre of mass (%.2f, %.2f), want (14, 14) ± 0.5", cy, cx)
			}
			peak := uint8(0)
			for _, v := range out {
				peak = max(peak, v)
			}
			if peak != 255 {
				t.Errorf("darkest pixel %d, want 255", peak)
			}
		})
	}
}

func TestPreprocessBlank(t *testing.T) {
	out := Preprocess(make([]uint8, 28*28), 28, 28)
	if _, _, _, _, ok := BoundingBox(out, Side, Side); ok || len(out) != Side*Side {
		t.Errorf("a blank canvas should stay blank and %dx%d", Side, Side)
	}
}

// TestPreprocessCentred checks an already centred square stays put: a
// 20x20 square with its centre of mass at (14.5, 14.5) is a fixed point
// (whole-pixel shifts cannot bring it nearer).
func TestPreprocessCentred(t *testing.T) {
	in := rect(28, 28, 5, 5, 24, 24)
	out := Preprocess(in, 28, 28)
	for i := range in {
		if in[i] != out[i] {
			t.Fatalf("pixel %d: %d, want %d: a centred 20x20 square should not change", i, out[i], in[i])
		}
	}
}

func TestPreprocessPanicsOnShortImage(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Preprocess of a short image did not panic")
		}
	}()
	Preprocess(make([]uint8, 10), 28, 28)
}

func TestCenterOfMass(t *testing.T) {
	px := []uint8{
		0, 0, 0,
		0, 0, 100,
		0, 0, 100,
	}
	r, c, ok := CenterOfMass(px, 3, 3)
	if !ok || r != 1.5 || c != 2 {
		t.Errorf("CenterOfMass = (%v, %v, %v), want (1.5, 2, true)", r, c, ok)
	}
	if _, _, ok := CenterOfMass(make([]uint8, 4), 2, 2); ok {
		t.Error("CenterOfMass of a blank image is ok")
	}
}

func absInt(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
