package views

import (
	"fmt"
	"testing"
)

func TestScratchRange(t *testing.T) {
	d := scratchData(10, 40)
	a, _ := chartClean(d.AccTrain, true)
	b, _ := chartClean(d.AccTest, true)
	fmt.Println(yRange(a, b, 16, true))
	f, w := yFormatter(0, 100, 6.25, true)
	fmt.Println(f(50), w)
}
