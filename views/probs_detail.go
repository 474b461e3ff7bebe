package views

import (
	"strconv"
	"strings"

	"charm.land/lipgloss/v2"
)

// DetailData is what the detail pane of the Samples and Mistakes tabs shows
// about one test image.
type DetailData struct {
	Pixels []uint8 // Rows×Cols, row-major, 0 paper, 255 ink
	// Rows and Cols are the image size; 0 means a square image of len(Pixels).
	Rows, Cols int
	Index      int       // position in the test set, shown as "#123"; negative to hide
	Label      int       // true class
	Pred       int       // predicted class
	Probs      []float32 // probability of each class (softmax output)
	Loss       float64   // the image's cross-entropy
	Classes    []string  // class names; nil for numbers
	// TopK > 0 adds a summary of the TopK most probable classes.
	TopK int
	// Saliency, when set (Rows×Cols), is drawn over the image with Overlay.
	Saliency []float32
}

// detailGap is the space between the image and the text beside it.
const detailGap = 2

// detailBarsMax caps the width of the probability bars beside the image.
const detailBarsMax = 60

// Detail draws the detail pane in at most w×h cells: a header line
// ("#123  true 7  pred 2 ✗  loss 2.091"), the image, the probability bars
// (see Probs) and, if asked, the top-k summary (see TopK). It picks the
// largest layout that fits, in this order: the image at double size beside
// the text, at double size above it, at normal size beside it, at normal size
// above it. When none fits, it keeps the header and bars in view and clips
// the image.
func Detail(d DetailData, w, h int, st Styles) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	it := DigitItem{Pixels: d.Pixels, Rows: d.Rows, Cols: d.Cols, Label: d.Label, Pred: d.Pred}
	rows, cols := it.size()
	head := detailHeader(d, it.Wrong(), st)
	text := func(tw int) string {
		s := Probs(d.Probs, d.Classes, d.Label, d.Pred, tw, st)
		if d.TopK > 0 {
			s += "\n\n" + TopK(d.Probs, d.Classes, d.Label, d.TopK, tw, st)
		}
		return s
	}
	minText := probsFixed + min(3, MaxWidth(ClassNames(d.Classes, len(d.Probs)))) + 8
	beside := func(s, tw int) string {
		img := detailImage(d, rows, cols, s, st)
		return head + "\n" + lipgloss.JoinHorizontal(lipgloss.Top, img, strings.Repeat(" ", detailGap), text(tw))
	}
	for _, s := range []int{2, 1} {
		imgW, imgH := cols*s, (rows*s+1)/2
		if tw := min(w-imgW-detailGap, detailBarsMax); tw >= minText && 1+max(imgH, lipgloss.Height(text(tw))) <= h {
			return ClipBlock(beside(s, tw), w, h)
		}
		if tw := min(w, detailBarsMax); w >= imgW && 1+imgH+lipgloss.Height(text(tw)) <= h {
			return ClipBlock(head+"\n"+detailImage(d, rows, cols, s, st)+"\n"+text(tw), w, h)
		}
	}
	// Nothing fits whole: keep the bars in view and clip the image.
	if tw := min(w-cols-detailGap, detailBarsMax); tw >= minText {
		return ClipBlock(beside(1, tw), w, h)
	}
	tw := min(w, detailBarsMax)
	return ClipBlock(head+"\n"+text(tw)+"\n"+detailImage(d, rows, cols, 1, st), w, h)
}

// detailImage is the image of the pane at scale s, with the saliency overlay if any.
func detailImage(d DetailData, rows, cols, s int, st Styles) string {
	px := Upscale(d.Pixels, rows, cols, s)
	if len(d.Saliency) >= rows*cols {
		return Overlay(px, Upscale(d.Saliency, rows, cols, s), rows*s, cols*s, st)
	}
	return Digit(px, rows*s, cols*s, st)
}

// detailHeader is the pane's first line.
func detailHeader(d DetailData, wrong bool, st Styles) string {
	var parts []string
	if d.Index >= 0 {
		parts = append(parts, st.Title.Render("#"+strconv.Itoa(d.Index)))
	}
	parts = append(parts, st.Muted.Render("true ")+st.Text.Render(ClassName(d.Classes, d.Label)))
	predStyle, mark := st.Good, ""
	if wrong {
		predStyle, mark = st.Bad, " ✗"
	}
	parts = append(parts, st.Muted.Render("pred ")+predStyle.Render(ClassName(d.Classes, d.Pred)+mark))
	parts = append(parts, st.Muted.Render("loss ")+st.Text.Render(strconv.FormatFloat(d.Loss, 'f', 3, 64)))
	return strings.Join(parts, "  ")
}
