package views

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
)

func TestConfusion(t *testing.T) {
	conf10, conf3 := testConf10(), testConf3()
	cases := []struct {
		name     string
		conf     [][]int
		classes  []string
		row, col int
		w        int
		p        colorprofile.Profile
		dark     bool
	}{
		{"mnist_TrueColor_dark", conf10, nil, 4, 9, 80, colorprofile.TrueColor, true},
		{"mnist_TrueColor_light", conf10, nil, 2, 2, 80, colorprofile.TrueColor, false},
		{"mnist_ANSI256", conf10, nil, 7, 2, 80, colorprofile.ANSI256, true},
		{"mnist_ANSI", conf10, nil, 0, 0, 80, colorprofile.ANSI, true},
		{"mnist_Ascii_cursor", conf10, nil, 4, 9, 80, colorprofile.Ascii, true},
		{"mnist_narrow_Ascii", conf10, nil, 5, 3, 52, colorprofile.Ascii, true},
		{"mnist_narrow_no_totals_NoTTY", conf10, nil, 3, 9, 52, colorprofile.NoTTY, true},
		{"mnist_too_narrow_NoTTY", conf10, nil, -1, -1, 30, colorprofile.NoTTY, true},
		{"fashion_TrueColor", conf10, fashionNames, 4, 9, 100, colorprofile.TrueColor, true},
		{"fashion_narrow_Ascii", conf10, fashionNames, 9, 4, 60, colorprofile.Ascii, true},
		{"names3_TrueColor", conf3, testNames3, 1, 0, 80, colorprofile.TrueColor, true},
		{"names3_narrow_Ascii", conf3, testNames3, 2, 2, 24, colorprofile.Ascii, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := Confusion(c.conf, c.classes, c.row, c.col, c.w, NewStyles(c.dark, c.p))
			if w, h := lipgloss.Size(out); w > c.w || h != len(c.conf)+2 {
				t.Errorf("Confusion size = %dx%d, want width <= %d and %d lines", w, h, c.w, len(c.conf)+2)
			}
			golden.RequireEqual(t, out)
		})
	}
}

// asciiCell matches a cell in brackets: the cursor of a plain matrix.
var asciiCell = regexp.MustCompile(`\[ *([0-9]+k?|\.)\]`)

// TestConfusionNumbers reads plain matrices back at every width and checks
// the counts, the totals and the cursor brackets.
func TestConfusionNumbers(t *testing.T) {
	conf := testConf10()
	for _, p := range []colorprofile.Profile{colorprofile.NoTTY, colorprofile.TrueColor} {
		st := NewStyles(true, p)
		for w := 1; w <= 100; w++ {
			out := Confusion(conf, nil, 4, 9, w, st)
			lines := strings.Split(out, "\n")
			if len(lines) != 12 {
				t.Fatalf("%v w=%d: %d lines, want 12", p, w, len(lines))
			}
			for i, l := range lines {
				if lw := lipgloss.Width(l); lw > w {
					t.Errorf("%v w=%d: line %d is %d wide", p, w, i, lw)
				}
			}
			if p != colorprofile.NoTTY || w < 32 {
				continue // the narrowest layouts cut the lines
			}
			m := asciiCell.FindAllStringSubmatch(out, -1)
			if len(m) != 1 || m[0][1] != strconv.Itoa(conf[4][9]) {
				t.Errorf("w=%d: bracketed cells %v, want one holding %d:\n%s", w, m, conf[4][9], out)
			}
			if w >= 52 { // counts in full
				checkConfusionText(t, out, conf, w)
			}
		}
	}
}

// checkConfusionText parses a plain matrix and checks cells and totals.
func checkConfusionText(t *testing.T, out string, conf [][]int, w int) {
	t.Helper()
	k := len(conf)
	lines := strings.Split(ansi.Strip(out), "\n")
	num := func(s string) int {
		if s == "." || s == "·" {
			return 0
		}
		v, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("w=%d: bad number %q in\n%s", w, s, out)
		}
		return v
	}
	colSum := make([]int, k+1)
	for i := range k {
		f := strings.Fields(strings.NewReplacer("[", " ", "]", " ").Replace(lines[1+i]))
		if len(f) < 1+k {
			t.Fatalf("w=%d: row %d has %d fields: %q", w, i, len(f), lines[1+i])
		}
		sum := 0
		for j := range k {
			v := num(f[1+j])
			if v != conf[i][j] {
				t.Errorf("w=%d: cell (%d,%d) = %d, want %d", w, i, j, v, conf[i][j])
			}
			sum += v
			colSum[j] += v
		}
		if len(f) == k+2 {
			if got := num(f[k+1]); got != sum {
				t.Errorf("w=%d: row %d total = %d, want %d", w, i, got, sum)
			}
			colSum[k] += sum
		}
	}
	f := strings.Fields(lines[k+1])
	for j := range min(len(f)-1, k+1) {
		if got := num(f[1+j]); got != colSum[j] {
			t.Errorf("w=%d: column %d total = %d, want %d", w, j, got, colSum[j])
		}
	}
}

func TestConfusionEdges(t *testing.T) {
	st := NewStyles(true, colorprofile.TrueColor)
	if out := Confusion(nil, nil, 0, 0, 80, st); out != "" {
		t.Errorf("Confusion(nil) = %q, want \"\"", out)
	}
	out := Confusion([][]int{{0, 0}, {0, 0}}, nil, 0, 1, 80, NewStyles(true, colorprofile.NoTTY))
	want := "  0  1  Σ \n0 . [.] 0 \n1 .  .  0 \nΣ 0  0  0 "
	if out != want {
		t.Errorf("Confusion(zeros) =\n%s\nwant\n%s", out, want)
	}
}
