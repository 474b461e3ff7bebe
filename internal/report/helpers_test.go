package report

import "convscope/nn"

// Test fixtures, as in the views tests: an MNIST-like confusion matrix and its figures.

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
func statsOf(conf [][]int) ([]nn.ClassStats, nn.ClassStats) {
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
	out := make([]nn.ClassStats, k)
	var macro nn.ClassStats
	for c := range k {
		s := nn.ClassStats{TP: conf[c][c]}
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
