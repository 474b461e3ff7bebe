package views

import (
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
)

// mnistCounts are the class counts of the MNIST test set.
var mnistCounts = []int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}

// testConf10 is an MNIST-like confusion matrix: a few mistakes by formula and
// some classic confusions (4 as 9, 7 as 2, 5 and 3 both ways).
func testConf10() [][]int {
	conf := make([][]int, 10)
	for i := range conf {
		conf[i] = make([]int, 10)
		off := 0
		for j := range 10 {
			if v := (i*7 + j*13) % 17; i != j && v < 4 {
				conf[i][j] = v
				off += v
			}
		}
		for _, c := range [][3]int{{4, 9, 14}, {7, 2, 11}, {9, 4, 9}, {3, 5, 8}, {5, 3, 10}, {8, 3, 6}} {
			if c[0] == i {
				conf[i][c[1]] += c[2]
				off += c[2]
			}
		}
		conf[i][i] = mnistCounts[i] - off
	}
	return conf
}

// testConf3 is a small matrix for classes with long names, one never predicted.
func testConf3() [][]int {
	return [][]int{{50, 3, 0}, {7, 40, 0}, {1, 2, 0}}
}

var testNames3 = []string{"T-shirt/top", "Ankle boot (a long name)", "Pullover"}

var fashionNames = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}

// statsOf computes per-class figures and their macro means from a confusion
// matrix: the test's own reference, independent of nn.
func statsOf(conf [][]int) ([]ClassStats, ClassStats) {
	k := len(conf)
	n := 0
	for _, r := range conf {
		for _, v := range r {
			n += v
		}
	}
	div := func(a, b int) float64 {
		if b == 0 {
			return 0
		}
		return float64(a) / float64(b)
	}
	out := make([]ClassStats, k)
	var macro ClassStats
	for c := range k {
		s := ClassStats{TP: conf[c][c]}
		for j := range k {
			if j != c {
				s.FN += conf[c][j]
				s.FP += conf[j][c]
			}
		}
		s.TN = n - s.TP - s.FP - s.FN
		s.Precision, s.Recall = div(s.TP, s.TP+s.FP), div(s.TP, s.TP+s.FN)
		if s.Precision+s.Recall > 0 {
			s.F1 = 2 * s.Precision * s.Recall / (s.Precision + s.Recall)
		}
		s.Accuracy = div(s.TP+s.TN, n)
		out[c] = s
		macro.Precision += s.Precision / float64(k)
		macro.Recall += s.Recall / float64(k)
		macro.F1 += s.F1 / float64(k)
		macro.Accuracy += s.Accuracy / float64(k)
	}
	return out, macro
}

// predictionsOf lists (label, prediction) pairs that tally to conf.
func predictionsOf(conf [][]int) (labels, pred []uint8) {
	for i, r := range conf {
		for j, v := range r {
			for range v {
				labels = append(labels, uint8(i))
				pred = append(pred, uint8(j))
			}
		}
	}
	return labels, pred
}

func TestClassTable(t *testing.T) {
	conf10, conf3 := testConf10(), testConf3()
	s10, m10 := statsOf(conf10)
	s3, m3 := statsOf(conf3)
	cases := []struct {
		name    string
		stats   []ClassStats
		macro   ClassStats
		classes []string
		sel, w  int
		p       colorprofile.Profile
		dark    bool
	}{
		{"mnist_wide", s10, m10, nil, -1, 100, colorprofile.TrueColor, true},
		{"mnist_sel_light", s10, m10, nil, 4, 100, colorprofile.TrueColor, false},
		{"mnist_short_headers", s10, m10, nil, -1, 60, colorprofile.ANSI256, true},
		{"mnist_narrow", s10, m10, nil, -1, 40, colorprofile.Ascii, true},
		{"names3", s3, m3, testNames3, 1, 80, colorprofile.TrueColor, true},
		{"names3_narrow", s3, m3, testNames3, -1, 32, colorprofile.NoTTY, true},
		{"fashion", s10, m10, fashionNames, 9, 90, colorprofile.NoTTY, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := ClassTable(c.stats, c.macro, c.classes, c.sel, c.w, NewStyles(c.dark, c.p))
			if w, h := lipgloss.Size(out); w > c.w || h != len(c.stats)+3 {
				t.Errorf("ClassTable size = %dx%d, want width <= %d and %d lines", w, h, c.w, len(c.stats)+3)
			}
			golden.RequireEqual(t, out)
		})
	}
}

func TestClassTableFits(t *testing.T) {
	s, m := statsOf(testConf10())
	st := NewStyles(true, colorprofile.TrueColor)
	for w := 1; w <= 110; w++ {
		out := ClassTable(s, m, fashionNames, 2, w, st)
		if got := lipgloss.Width(out); got > w {
			t.Errorf("ClassTable(w=%d) is %d wide", w, got)
		}
		if got := lipgloss.Height(out); got != 13 {
			t.Errorf("ClassTable(w=%d) has %d lines, want 13", w, got)
		}
	}
	if out := ClassTable(nil, ClassStats{}, nil, -1, 80, st); out != "" {
		t.Errorf("ClassTable(nil) = %q, want \"\"", out)
	}
	// F1 always stays; TN and accuracy go first.
	out := ClassTable(s, m, nil, -1, 45, NewStyles(true, colorprofile.NoTTY))
	head := strings.Fields(strings.SplitN(out, "\n", 2)[0])
	if !strings.Contains(out, "F1") || strings.Contains(out, "TN") || strings.Contains(out, "acc") {
		t.Errorf("ClassTable(w=45) header = %v, want F1 kept and TN, accuracy dropped", head)
	}
}

// TestClassTableWideNames: names of wide (CJK) runes are padded by cells,
// so the columns line up (issue 18 #13), whole and cut.
func TestClassTableWideNames(t *testing.T) {
	classes := []string{"T恤", "裤子", "套头衫", "连衣裙", "外套", "凉鞋", "衬衫", "运动鞋", "包", "短靴短靴短靴短靴"}
	stats := make([]ClassStats, len(classes))
	for i := range stats {
		stats[i] = ClassStats{TP: 900 + i, FP: 10 * i, FN: i, TN: 9000, Precision: 0.9, Recall: 0.95, F1: 0.92, Accuracy: 0.99}
	}
	st := NewStyles(true, colorprofile.Ascii)
	for _, w := range []int{120, 60, 40} {
		lines := strings.Split(ansi.Strip(ClassTable(stats, ClassStats{F1: 0.9}, classes, -1, w, st)), "\n")
		head := lines[0]
		for i, l := range lines {
			if i == len(lines)-2 { // the rule
				continue
			}
			if Width(l) != Width(head) {
				t.Errorf("width %d: line %d is %d cells, the header %d:\n%s", w, i, Width(l), Width(head), strings.Join(lines, "\n"))
			}
		}
		// The first figure column ends in the same cell on every class row.
		end := func(l string) int {
			i := strings.IndexAny(l, "0123456789")
			j := i + strings.IndexFunc(l[i:], func(r rune) bool { return r < '0' || r > '9' })
			return Width(l[:j])
		}
		want := end(lines[1])
		for i := 2; i <= len(classes); i++ {
			if got := end(lines[i]); got != want {
				t.Errorf("width %d: row %d's first figure ends at cell %d, row 1's at %d:\n%s", w, i, got, want, strings.Join(lines, "\n"))
			}
		}
	}
}
