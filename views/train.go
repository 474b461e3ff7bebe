package views

import (
	"math"
	"strings"

	"convscope/nn"
)

// TrainData is what the Train tab shows below the header.
type TrainData struct {
	LossTrain, LossTest []Point
	AccTrain, AccTest   []Point
	XMax                float64   // right end of the charts' x axis in epochs
	Zoom                bool      // fit the y axes to the later epochs
	LRMarks             []float64 // where the learning rate was changed, x in epochs (ChartSpec.Marks)

	Epochs   []nn.EpochStats
	TableTop int // first table row shown; < 0 follows the last epoch
}

// trainWide is the width from which the table goes beside the charts.
const trainWide = 150

// Train draws the Train tab in exactly h lines of width w: the loss and
// accuracy charts and the per-epoch table. Wide, the charts stack on the left
// and the table stands on the right; narrower, the charts sit side by side
// above the table.
func Train(d TrainData, w, h int, st Styles) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	if w >= trainWide {
		tw := 64
		cw := w - tw - 2
		top := (h + 1) / 2
		charts := Chart(d.loss(), cw, top, st) + "\n" + Chart(d.acc(), cw, h-top, st)
		table := st.Title.Render("by epoch") + "\n" + Epochs(d.Epochs, d.TableTop, tw, h-1, st)
		return besides(charts, "  ", FitBlock(table, tw, h))
	}
	th := min(max(len(d.Epochs)+1, 3), max(3, h/3))
	if h-th < 6 {
		th = max(0, h-6)
	}
	ch := h - th
	lw := (w - 2) / 2
	charts := besides(Chart(d.loss(), lw, ch, st), "  ", Chart(d.acc(), w-lw-2, ch, st))
	if th == 0 {
		return charts
	}
	return charts + "\n" + Epochs(d.Epochs, d.TableTop, w, th, st)
}

func (d TrainData) loss() ChartSpec {
	return ChartSpec{Title: "loss", Train: d.LossTrain, Test: d.LossTest, XMax: d.XMax, YFrom: d.yFrom(), Marks: d.LRMarks}
}

func (d TrainData) acc() ChartSpec {
	return ChartSpec{Title: "accuracy", Train: d.AccTrain, Test: d.AccTest, XMax: d.XMax, Percent: true, YFrom: d.yFrom(), Marks: d.LRMarks}
}

// yFrom is where a zoomed chart's y axis starts to fit: after the first
// epoch's steep fall, or halfway through the first epoch.
func (d TrainData) yFrom() float64 {
	if !d.Zoom {
		return 0
	}
	x := d.XMax
	if x <= 0 {
		x = 1
	}
	return math.Min(1, x/2)
}

// TrainTableRows is how many table rows Train shows at w x h, so that the
// caller can scroll the table.
func TrainTableRows(epochs, w, h int) int {
	room := 0
	if w >= trainWide {
		room = h - 2 // the title and the table's header
	} else {
		th := min(max(epochs+1, 3), max(3, h/3))
		if h-th < 6 {
			th = max(0, h-6)
		}
		room = th - 1
	}
	return max(0, min(epochs, room))
}

// besides puts block b to the right of block a, gap between: both blocks
// have the same number of lines, each line already its block's width.
func besides(a, gap, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var sb strings.Builder
	sb.Grow(len(a) + len(b) + len(al)*len(gap))
	for i := range max(len(al), len(bl)) {
		if i > 0 {
			sb.WriteByte('\n')
		}
		if i < len(al) {
			sb.WriteString(al[i])
		}
		sb.WriteString(gap)
		if i < len(bl) {
			sb.WriteString(bl[i])
		}
	}
	return sb.String()
}
