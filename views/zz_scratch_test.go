package views

import (
	"fmt"
	"math"
	"testing"
	"time"

	"convscope/nn"
	"github.com/charmbracelet/colorprofile"
)

func scratchData(epochs, per int) TrainData {
	var d TrainData
	for e := 0; e < epochs; e++ {
		for i := 1; i <= per; i++ {
			x := float64(e) + float64(i)/float64(per)
			l := 2.3*math.Exp(-x*2) + 0.05 + 0.1/float64(i)
			d.LossTrain = append(d.LossTrain, Point{x, l})
			d.AccTrain = append(d.AccTrain, Point{x, 1 - l/2.5})
		}
		tl := 2.3*math.Exp(-float64(e+1)*2) + 0.04
		d.LossTest = append(d.LossTest, Point{float64(e + 1), tl})
		d.AccTest = append(d.AccTest, Point{float64(e + 1), 1 - tl/2.5})
		d.Epochs = append(d.Epochs, nn.EpochStats{Epoch: e + 1, TrainLoss: 0.1, TrainAcc: 0.97, TestLoss: tl, TestAcc: 1 - tl/2.5, Seconds: 31.2})
	}
	d.XMax = float64(epochs)
	d.TableTop = -1
	return d
}

func TestScratchTrain(t *testing.T) {
	st := NewStyles(true, colorprofile.Ascii)
	hd := HeaderData{Network: "paper-cnn 28x28x1 → 10 classes, 1,234,567 params", Optimizer: "adam", LR: 0.001, Batch: 64, Seed: 1,
		State: StateTraining, Epoch: 4, Epochs: 10, Seen: 30000, Total: 60000, Elapsed: 13 * time.Second, ImagesPerSec: 4812.3,
		TrainLoss: 0.0734, TrainAcc: 0.9781, Done: 3, BestAcc: 0.989, BestEpoch: 2, Note: "saved out/ckpt-3.bin"}
	bar, _ := Tabs([]string{"Train", "Samples", "Mistakes", "Confusion", "Layers", "Draw"}, 0, "", 80, st)
	fmt.Println(bar)
	fmt.Println(Header(hd, 80, st))
	fmt.Println(Train(scratchData(3, 40), 80, 19, st))
	fmt.Println("---")
	fmt.Println(Train(scratchData(10, 40), 200, 40, st))
	hd.State = StateFinished
	fmt.Println(Header(hd, 80, st))
	fmt.Println(TooSmall(50, 10, 60, 20, st))
}
