package nn

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"convscope/internal/gemm"
)

// TestLayerTimes prints a Markdown table of each layer's forward and
// backward time per training batch (batch 64, the trainer's step order, on
// all cores) and its inference forward per batch of 100. It runs only with
// LAYER_TIMES set (to the number of timed steps, default 50), e.g.
//
//	LAYER_TIMES=100 go test -run LayerTimes -v ./nn
//
// (scripts/layer-times.sh prints it beside PyTorch's). A ReLU that its batch
// norm applies in training (fuseBNReLU) shows as 0 there.
func TestLayerTimes(t *testing.T) {
	env := os.Getenv("LAYER_TIMES")
	if env == "" {
		t.Skip("set LAYER_TIMES=<steps> to run")
	}
	steps, err := strconv.Atoi(env)
	if err != nil || steps < 1 {
		steps = 50
	}
	tr, te := realData(t)
	net, _ := NewPaper(28, 28, 10, InitRNG(1))
	eng := gemm.NewEngine(0)
	defer eng.Close()
	net.SetEngine(eng)
	trn, err := NewTrainer(net, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	const bs, ebs = 64, 100
	nl := len(net.Layers)
	fwd, bwd, inf := make([]time.Duration, nl), make([]time.Duration, nl), make([]time.Duration, nl)
	var loss, opt time.Duration
	pix := 28 * 28
	x := make([]float32, ebs*pix)
	k := net.Classes()
	prob, dlog := make([]float32, ebs*k), make([]float32, ebs*k)
	params := net.Params()
	for s := -5; s < steps; s++ {
		lo := ((s + 5) * bs) % (tr.N - bs)
		toFloat(x[:bs*pix], tr.Images[lo*pix:(lo+bs)*pix])
		net.ZeroGrad()
		h := x[:bs*pix]
		for i, l := range net.Layers {
			t0 := time.Now()
			h = l.Forward(h, bs, true)
			if s >= 0 {
				fwd[i] += time.Since(t0)
			}
		}
		t0 := time.Now()
		SoftmaxCrossEntropy(h, tr.Labels[lo:lo+bs], bs, k, prob[:bs*k], dlog[:bs*k], nil)
		if s >= 0 {
			loss += time.Since(t0)
		}
		d := dlog[:bs*k]
		for i := nl - 1; i >= 0; i-- {
			t0 := time.Now()
			d = net.Layers[i].Backward(d)
			if s >= 0 {
				bwd[i] += time.Since(t0)
			}
		}
		t0 = time.Now()
		trn.Opt.Step(params, 1e-4)
		if s >= 0 {
			opt += time.Since(t0)
		}
		// One inference batch of 100 test images.
		lo = ((s + 5) * ebs) % (te.N - ebs)
		toFloat(x, te.Images[lo*pix:(lo+ebs)*pix])
		h = x
		for i, l := range net.Layers {
			t0 := time.Now()
			h = l.Forward(h, ebs, false)
			if s >= 0 {
				inf[i] += time.Since(t0)
			}
		}
	}
	ms := func(d time.Duration) float64 { return d.Seconds() * 1000 / float64(steps) }
	var b strings.Builder
	fmt.Fprintf(&b, "convscope, kernel %s, %d threads, %d steps: ms per batch\n\n", gemm.Kernel(), eng.Threads(), steps)
	fmt.Fprintf(&b, "| layer | output | train fwd (64) | train bwd (64) | infer fwd (100) |\n|---|---|--:|--:|--:|\n")
	var tf, tb, ti float64
	for i, l := range net.Layers {
		fmt.Fprintf(&b, "| %s | %v | %.2f | %.2f | %.2f |\n", net.LayerName(i), l.Out(), ms(fwd[i]), ms(bwd[i]), ms(inf[i]))
		tf, tb, ti = tf+ms(fwd[i]), tb+ms(bwd[i]), ti+ms(inf[i])
	}
	fmt.Fprintf(&b, "| loss | | %.2f | | |\n| optimizer (Adam) | | | %.2f | |\n", ms(loss), ms(opt))
	fmt.Fprintf(&b, "| **total** | | %.2f | %.2f | %.2f |\n", tf+ms(loss), tb+ms(opt), ti)
	fmt.Print(b.String())
}
