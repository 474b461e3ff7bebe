package tui

import (
	"fmt"
	"math"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"convscope/internal/dynamics"
	"convscope/views"
)

func (t *dataTab) View(st views.Styles) string {
	if t.w <= 0 || t.h <= 0 {
		return ""
	}
	status := t.statusLine(st)
	var body string
	l := t.layout()
	f := t.figures()
	switch {
	case t.rs.dyn.get == nil, t.rs.dyn.none && t.rs.dyn.f == nil:
		body = t.noDynamics(st)
	case t.view == viewCalib:
		body = t.calibView(l, st)
	case f == nil:
		body = t.notYet(st)
	default:
		var left string
		if t.view == viewLists {
			rows := t.listRows(f)
			crs := make([]views.CountRow, len(rows))
			for i, r := range rows {
				crs[i] = r.CountRow
			}
			sel := t.row
			if t.search >= 0 {
				sel = -1
			}
			left = views.CountList(crs, sel, l.leftW, l.bodyH, st)
		} else {
			left = t.mapView(f, l, st)
		}
		body = lipgloss.JoinHorizontal(lipgloss.Top, views.FitBlock(left, l.leftW, l.bodyH), " ", t.rightPane(f, l, st))
	}
	return strings.Join([]string{ansi.Truncate(status, t.w, "…"), views.FitBlock(body, t.w, max(0, t.h-2)), ansi.Truncate(t.hintLine(st), t.w, "…")}, "\n")
}

// statusLine names the views (the one shown highlighted), the set and what
// the figures are of.
func (t *dataTab) statusLine(st views.Styles) string {
	var b strings.Builder
	for v := range viewCount {
		if v > 0 {
			b.WriteString(" ")
		}
		if v == t.view {
			b.WriteString(st.Selected.Render(" " + v.String() + " "))
		} else {
			b.WriteString(st.Muted.Render(" " + v.String() + " "))
		}
	}
	set := "training set"
	if t.set == dynamics.Test {
		set = "test set"
	}
	if t.view == viewCalib {
		set = "test set"
	}
	b.WriteString(st.Muted.Render("  ·  ") + st.Title.Render(set))
	if df := t.rs.dyn.f; df != nil {
		f := t.figures()
		switch {
		case t.view != viewCalib && t.set == dynamics.Train && df.live && f != nil:
			b.WriteString(st.Warn.Render(fmt.Sprintf("  live: epoch %d, %s of %s seen", df.liveEpoch, views.GroupInt(df.liveSeen), views.GroupInt(len(f.ex)))))
		case f != nil && t.view != viewCalib:
			b.WriteString(st.Muted.Render("  " + views.Plural(len(f.ex), "image") + " · " + views.Plural(f.epochs, "epoch")))
		}
	}
	if t.class >= 0 && t.view != viewCalib {
		b.WriteString(st.Muted.Render("  class ") + st.Accent.Render(t.rs.className(t.class)))
	}
	if t.typing {
		b.WriteString(st.Muted.Render("  go to #") + st.Accent.Render(t.query+"_"))
	}
	return b.String()
}

// hintLine is the keys that apply, or why the last key did nothing, or the
// export's outcome.
func (t *dataTab) hintLine(st views.Styles) string {
	switch {
	case t.hint != "":
		return st.Warn.Render(t.hint)
	case t.rs.noteLine(st) != "":
		return t.rs.noteLine(st)
	case t.typing:
		return keyHints([][2]string{{"0-9", "index"}, {"enter", "go"}, {"esc", "cancel"}}, t.w, st)
	case t.view == viewCalib:
		return keyHints([][2]string{{"[ ]", "epoch"}, {"v", "view"}, {"e", "export"}, {"?", "sources, all keys"}}, t.w, st)
	case t.gallery:
		return keyHints([][2]string{{"←↓↑→", "image"}, {"enter", "layers"}, {"esc", "back"}, {"o", "order"}, {"n/p", "page"},
			{"f", "class"}, {"/", "index"}, {"?", "sources, all keys"}}, t.w, st)
	case t.view == viewLists:
		return keyHints([][2]string{{"↑↓", "row"}, {"enter", "gallery"}, {"t", "train/test"}, {"v", "view"}, {"o", "order"},
			{"f", "class"}, {"/", "index"}, {"?", "sources, all keys"}}, t.w, st)
	}
	return keyHints([][2]string{{"←↓↑→", "cell"}, {"E/A/H", "region"}, {"enter", "gallery"}, {"t", "train/test"}, {"c", "colour"},
		{"v", "view"}, {"o", "order"}, {"f", "class"}, {"/", "index"}, {"?", "sources, all keys"}}, t.w, st)
}

// noDynamics says that the run has no learning dynamics at all.
func (t *dataTab) noDynamics(st views.Styles) string {
	why := "this program records none"
	if t.rs.dyn.get != nil {
		why = "the run records none (a resumed run whose dynamics.safetensors could not continue it: see the note printed when it started)"
	}
	if t.rs.explore {
		why = "the model's run folder has no readable dynamics.safetensors for this data set (a run from an older version, another data set, or a model file on its own)"
	}
	return st.Title.Render("No learning dynamics") + "\n\n" +
		views.Wrap(st.Text.Render("This tab shows how every image is learned: the data map, when each image is learned or forgotten, suspected label errors and the calibration per epoch. ")+
			st.Warn.Render("There are none to show: "+why+".")+
			st.Muted.Render(" A run trained by this version records them in its folder (dynamics.safetensors) as it trains."), max(20, t.w-2))
}

// notYet says why the selected set has no figures yet.
func (t *dataTab) notYet(st views.Styles) string {
	var s string
	switch df := t.rs.dyn.f; {
	case t.set == dynamics.Test && df != nil && df.live:
		s = st.Warn.Render("The test set is measured at the end of each epoch, and no epoch has ended yet.") + "\n" +
			st.Muted.Render("t shows the training set, live from the epoch in progress.")
	case t.rs.dyn.busy || t.rs.dyn.asked.IsZero() && t.rs.state == views.StateTraining:
		s = st.Muted.Render("reading the learning dynamics…")
	default:
		s = st.Warn.Render("No epoch has ended yet, and no training image has been seen.") + "\n" +
			st.Muted.Render("The training set's map fills in as epoch 1 trains (each image's current probability), the test set's when it ends.")
	}
	return st.Title.Render("Data: how every image is learned") + "\n\n" + s
}

// mapView is the data map of f with its cursor.
func (t *dataTab) mapView(f *setFigures, l dataLayout, st views.Styles) string {
	pts := make([]views.MapPoint, 0, len(f.ex))
	for i := range f.ex {
		e := &f.ex[i]
		if t.class >= 0 && e.Label != t.class {
			continue
		}
		pts = append(pts, views.MapPoint{Variability: e.Variability, Confidence: e.Confidence, Class: e.Label, Region: e.Region})
	}
	o := views.MapOptions{Colour: t.colour, Classes: t.rs.classes, K: t.classCount(), CurX: -1, CurY: -1}
	if t.region == selNone && t.search < 0 {
		o.CurX, o.CurY = t.curX, t.curY
	}
	return views.DataMap(pts, o, l.leftW, l.bodyH, st)
}

// selectionTitle says what the gallery holds.
func (t *dataTab) selectionTitle(f *setFigures) string {
	switch {
	case t.search >= 0:
		return fmt.Sprintf("%s #%d", t.set, t.search)
	case t.view == viewLists:
		rows := t.listRows(f)
		if t.row >= 0 && t.row < len(rows) {
			head := ""
			for j := t.row; j >= 0; j-- {
				if rows[j].Head {
					head = rows[j].Label + " "
					break
				}
			}
			return head + rows[t.row].Label
		}
		return ""
	case t.region != selNone:
		return dynamics.Region(t.region).String()
	}
	v0, v1, c0, c1 := t.mapLayout().CellRange(t.curX, t.curY)
	return fmt.Sprintf("variability %.3f–%.3f, confidence %.2f–%.2f", v0, v1, c0, c1)
}

// rightPane is the gallery's title, its tiles and the selected image's story.
func (t *dataTab) rightPane(f *setFigures, l dataLayout, st views.Styles) string {
	if l.rightW <= 0 {
		return ""
	}
	mark := st.Muted.Render("  ")
	if t.gallery {
		mark = st.Accent.Render("▸ ")
	}
	title := mark + st.Title.Render(views.Plural(len(t.list), "image")) + st.Text.Render(": "+t.selectionTitle(f)) +
		st.Muted.Render(" · by "+t.order.String())
	gl := t.gridLayout()
	if per := gl.PerPage(); per > 0 && len(t.list) > per {
		title += st.Muted.Render(fmt.Sprintf(" · page %d/%d", pageStart(t.cursor, gl)/per+1, (len(t.list)+per-1)/per))
	}
	var grid, detail string
	switch {
	case len(t.list) == 0:
		grid = st.Muted.Render("no images here")
		if t.class >= 0 {
			grid += st.Muted.Render(" of class " + t.rs.className(t.class) + " (x clears the filter)")
		}
	default:
		grid = t.tiles(f, gl, st)
		detail = t.detail(f, t.list[t.cursor], l, st)
	}
	return views.FitBlock(ansi.Truncate(title, l.rightW, "…"), l.rightW, 1) + "\n" +
		views.FitBlock(grid, l.rightW, l.galH) + "\n" + views.FitBlock(detail, l.rightW, l.detH)
}

// tiles draws the gallery's page; without the set's images, a list of
// indexes.
func (t *dataTab) tiles(f *setFigures, gl views.GridLayout, st views.Styles) string {
	s := t.rs.images(t.set)
	start := pageStart(t.cursor, gl)
	if s == nil || gl.PerPage() == 0 {
		var lines []string
		for j := t.cursor; j < min(len(t.list), t.cursor+20); j++ {
			i := t.list[j]
			p, _ := predOf(f, i)
			lines = append(lines, fmt.Sprintf("#%d %s→%s", i, t.rs.className(f.ex[i].Label), t.rs.className(p)))
		}
		return strings.Join(lines, "\n")
	}
	ids := t.list[start:min(len(t.list), start+gl.PerPage())]
	rows, cols := (s.Rows+tileShrink-1)/tileShrink, (s.Cols+tileShrink-1)/tileShrink
	items := make([]views.DigitItem, len(ids))
	for j, i := range ids {
		p, _ := predOf(f, i)
		items[j] = views.DigitItem{Pixels: shrink(s.Image(i), s.Rows, s.Cols, tileShrink), Rows: rows, Cols: cols, Label: f.ex[i].Label, Pred: p}
	}
	cur := t.cursor - start
	if !t.gallery {
		cur = -1
	}
	out, _ := views.Grid(items, t.rs.classes, cur, gl.Cols*(gl.TileW+views.GridGap), gl.Rows*gl.TileH, st)
	return out
}

// detail is image i's story.
func (t *dataTab) detail(f *setFigures, i int, l dataLayout, st views.Styles) string {
	if l.detH <= 0 {
		return ""
	}
	e := &f.ex[i]
	p, what := predOf(f, i)
	d := views.ExampleData{
		Set: string(t.set), Index: i, Label: e.Label, Classes: t.rs.classes, Pred: p, PredWhat: what,
		Region: e.Region.String(), Confidence: e.Confidence, Variability: e.Variability, Correctness: e.Correctness,
		Score: math.NaN(), Suspect: e.Suspect(), Measurements: e.Measurements, FirstLearned: e.FirstLearned,
		NeverLearned: e.NeverLearned, Forgotten: e.Forgotten, RightWrong: t.set == dynamics.Train,
	}
	if t.set == dynamics.Train {
		d.Score, d.ScoreName = e.AUM, "AUM"
	} else if e.Suggested >= 0 {
		d.Score, d.ScoreName = e.CLScore, "CL score"
	}
	if df := t.rs.dyn.f; df.live && t.set == dynamics.Train {
		d.Live = fmt.Sprintf("epoch %d in progress: figures so far", df.liveEpoch)
	}
	d.Curve, d.History = f.data.Curve(t.set, i)
	if s := t.rs.images(t.set); s != nil && l.detImage && i < s.N {
		d.Pixels, d.Rows, d.Cols = s.Image(i), s.Rows, s.Cols
	}
	return views.ExampleDetail(d, l.rightW, l.detH, st)
}

// calibView is the reliability diagram of the epoch shown beside (or above)
// every epoch's figures.
func (t *dataTab) calibView(l dataLayout, st views.Styles) string {
	df := t.rs.dyn.f
	if df == nil || len(df.calib) == 0 {
		msg := "The test set's calibration comes when epoch 1 ends."
		if df == nil && !t.rs.dyn.busy && t.rs.dyn.asked.IsZero() && t.rs.state != views.StateTraining {
			msg = "No epoch has ended yet: the test set's calibration comes when epoch 1 ends."
		}
		return st.Title.Render("Calibration") + "\n\n" + st.Warn.Render(msg)
	}
	n := len(df.calib)
	i := t.calShown(n)
	c := df.calib[i]
	title := st.Title.Render(fmt.Sprintf("Reliability, epoch %d", c.Epoch)) +
		st.Muted.Render(fmt.Sprintf(" · ECE %s → %s at T %.2f", views.Pct(c.ECE), views.Pct(c.ECEScaled), c.Temperature))
	if t.calPin < 0 {
		title += st.Muted.Render(" · the latest")
	}
	const tableW = 52
	h := l.bodyH
	if t.w >= 100 {
		rw := t.w - tableW - 2
		left := views.FitBlock(ansi.Truncate(title, rw, "…"), rw, 1) + "\n" + views.Reliability(c, rw, h-1, st)
		sum := views.CalibrationSummary(c, tableW, st)
		tab := views.CalibrationTable(df.calib, i, tableW, max(2, h-lipgloss.Height(sum)-1), st)
		return lipgloss.JoinHorizontal(lipgloss.Top, left, "  ", views.FitBlock(tab+"\n\n"+sum, tableW, h))
	}
	tabH := min(1+n, max(2, h/3))
	relH := h - tabH - 1
	return views.FitBlock(ansi.Truncate(title, t.w, "…"), t.w, 1) + "\n" + views.Reliability(c, t.w, relH, st) + "\n" +
		views.CalibrationTable(df.calib, i, t.w, tabH, st)
}
