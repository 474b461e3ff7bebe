package cli

import (
	"bytes"
	"context"
	"convscope/internal/atomicfile"
	"encoding/binary"
	"encoding/csv"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"convscope/internal/run"
	"convscope/nn"
)

// fashionClasses are Fashion-MNIST's class names; the tests use the first few.
var fashionClasses = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}

// writeIDX writes an IDX file: a big-endian magic and dimensions, then data.
func writeIDX(t *testing.T, path string, magic uint32, dims []int, data []byte) {
	t.Helper()
	var b bytes.Buffer
	for _, v := range append([]uint32{magic}, toU32(dims)...) {
		if err := binary.Write(&b, binary.BigEndian, v); err != nil {
			t.Fatal(err)
		}
	}
	b.Write(data)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func toU32(v []int) []uint32 {
	out := make([]uint32, len(v))
	for i, x := range v {
		out[i] = uint32(x)
	}
	return out
}

// writeDataset writes a folder of the four MNIST-named IDX files with nTrain
// and nTest rows×cols images in k classes (each class a bright bar at its
// own height, plus noise), and a classes.txt if names is not nil. It returns
// the folder.
func writeDataset(t *testing.T, nTrain, nTest, rows, cols, k int, names []string) string {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(rows*1000+cols), uint64(k)))
	set := func(n int) ([]byte, []byte) {
		px := make([]byte, n*rows*cols)
		lbl := make([]byte, n)
		for i := range lbl {
			c := i % k
			lbl[i] = byte(c)
			img := px[i*rows*cols : (i+1)*rows*cols]
			for j := range img {
				img[j] = byte(rng.IntN(40))
			}
			top := 2 + c*(rows-6)/k
			for r := top; r < top+3; r++ {
				for x := 3; x < cols-3; x++ {
					img[r*cols+x] = byte(200 + rng.IntN(56))
				}
			}
		}
		return px, lbl
	}
	for _, s := range []struct {
		prefix string
		n      int
	}{{"train", nTrain}, {"t10k", nTest}} {
		px, lbl := set(s.n)
		writeIDX(t, filepath.Join(dir, s.prefix+"-images-idx3-ubyte"), 0x00000803, []int{s.n, rows, cols}, px)
		writeIDX(t, filepath.Join(dir, s.prefix+"-labels-idx1-ubyte"), 0x00000801, []int{s.n}, lbl)
	}
	if names != nil {
		if err := os.WriteFile(filepath.Join(dir, "classes.txt"), []byte(strings.Join(names, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// readCSV reads a CSV file into a header and rows of maps by column name.
func readCSV(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

func parseF(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return v
}

// runSweepTest runs the sweep command with args and returns its output.
func runSweepTest(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	if err := sweepMain(context.Background(), args, &out, false); err != nil {
		t.Fatalf("sweep %s: %v\noutput:\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// mustMetrics reads a run's metrics.jsonl.
func mustMetrics(t *testing.T, dir string) []nn.EpochStats {
	t.Helper()
	st, err := run.ReadMetrics(filepath.Join(dir, run.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestSweepReport runs a tiny sweep (2 seeds, epoch counts 1 and 2) on
// Fashion-MNIST-like data with named classes and checks that every figure of
// the report is the one in the runs' metrics.jsonl files.
func TestSweepReport(t *testing.T) {
	const testN = 12
	names := fashionClasses[:3]
	data := writeDataset(t, 48, testN, 28, 28, 3, names)
	out := filepath.Join(t.TempDir(), "sweep")
	// A constant rate, so that each seed trains once for all counts.
	log := runSweepTest(t, "--data", data, "--epochs", "2,1", "--seeds", "2,1", "--train-limit", "6", "--batch", "3", "--schedule", "constant",
		"--augment", "--weight-decay", "0.01", "--out", out)
	if !strings.Contains(log, filepath.Join(out, sweepMD)) {
		t.Errorf("output does not say where the report is:\n%s", log)
	}

	seeds := []uint64{2, 1}
	metrics := map[uint64][]nn.EpochStats{}
	for _, s := range seeds {
		dir := filepath.Join(out, "seed-"+strconv.FormatUint(s, 10))
		m := mustMetrics(t, dir)
		if len(m) != 2 {
			t.Fatalf("seed %d: %d epochs in metrics.jsonl, want 2", s, len(m))
		}
		metrics[s] = m
		if _, err := os.Stat(filepath.Join(dir, "config.json")); err != nil {
			t.Errorf("seed %d: %v", s, err)
		}
	}

	md, err := os.ReadFile(filepath.Join(out, sweepMD))
	if err != nil {
		t.Fatal(err)
	}
	mdText := string(md)
	summary := readCSV(t, filepath.Join(out, sweepCSV))
	if len(summary) != 2 {
		t.Fatalf("%s has %d rows, want 2 (epoch counts 1 and 2)", sweepCSV, len(summary))
	}
	bestAcc, bestSeed, bestEpochs := -1.0, uint64(0), 0
	for i, row := range summary {
		e := i + 1
		if row["epochs"] != strconv.Itoa(e) || row["seeds"] != "2" {
			t.Errorf("row %d: epochs %s seeds %s, want %d and 2", i, row["epochs"], row["seeds"], e)
		}
		var accs, losses []float64
		countAcc, countSeed := -1.0, uint64(0)
		for _, s := range seeds {
			st := metrics[s][e-1]
			if st.TestAcc > countAcc {
				countAcc, countSeed = st.TestAcc, s
			}
			accs = append(accs, st.TestAcc)
			losses = append(losses, st.TestLoss)
			if got := parseF(t, row["test_acc_seed_"+strconv.FormatUint(s, 10)]); got != st.TestAcc {
				t.Errorf("%d epochs, seed %d: csv accuracy %v, metrics.jsonl %v", e, s, got, st.TestAcc)
			}
			if st.TestAcc > bestAcc {
				bestAcc, bestSeed, bestEpochs = st.TestAcc, s, e
			}
		}
		mean := (accs[0] + accs[1]) / 2
		std := math.Abs(accs[0]-accs[1]) / math.Sqrt2
		want := map[string]float64{"mean_test_acc": mean, "std_test_acc": std, "min_test_acc": min(accs[0], accs[1]),
			"max_test_acc": max(accs[0], accs[1]), "mean_test_loss": (losses[0] + losses[1]) / 2}
		for col, w := range want {
			if got := parseF(t, row[col]); math.Abs(got-w) > 1e-12 {
				t.Errorf("%d epochs: %s = %v, want %v", e, col, got, w)
			}
		}
		line := "| " + strconv.Itoa(e) + " | " + pct(mean) + " | " + strconv.FormatFloat(100*std, 'f', 2, 64) + " | "
		if !strings.Contains(mdText, line) {
			t.Errorf("%s has no row starting %q", sweepMD, line)
		}
		// The per-class table of the count's best seed, one row per class
		// whose TP, FP, FN and TN add up to the test set.
		head := fmt.Sprintf("### %s: seed %d (%s)\n\n", plural(e, "epoch"), countSeed, pct(countAcc))
		i := strings.Index(mdText, head)
		if i < 0 {
			t.Errorf("%s has no per-class section %q", sweepMD, head)
			continue
		}
		rows := strings.Split(mdText[i+len(head):], "\n")[2:]
		for c, name := range names {
			f := mdCells(rows[c])
			if len(f) < 5 || f[0] != name {
				t.Errorf("%d epochs: class row %d is %q, want class %s", e, c, rows[c], name)
				continue
			}
			n := 0
			for _, v := range f[1:5] {
				k, _ := strconv.Atoi(v)
				n += k
			}
			if n != testN {
				t.Errorf("%d epochs, class %s: TP+FP+FN+TN = %d, want %d", e, name, n, testN)
			}
		}
		if f := mdCells(rows[len(names)]); len(f) == 0 || f[0] != "macro" {
			t.Errorf("%d epochs: no macro row after the classes: %q", e, rows[len(names)])
		}
	}

	classes := readCSV(t, filepath.Join(out, sweepClassesCSV))
	if len(classes) != 4 {
		t.Fatalf("%s has %d rows, want 3 classes and macro", sweepClassesCSV, len(classes))
	}
	tpSum := 0
	for i, row := range classes[:3] {
		if row["name"] != names[i] || row["seed"] != strconv.FormatUint(bestSeed, 10) || row["epochs"] != strconv.Itoa(bestEpochs) {
			t.Errorf("class row %d: %v, want class %q of seed %d after %d epochs", i, row, names[i], bestSeed, bestEpochs)
		}
		n := 0
		for _, c := range []string{"tp", "fp", "fn", "tn"} {
			v, _ := strconv.Atoi(row[c])
			n += v
		}
		if n != testN {
			t.Errorf("class %s: TP+FP+FN+TN = %d, want the %d test images", names[i], n, testN)
		}
		tp, _ := strconv.Atoi(row["tp"])
		tpSum += tp
		if !mdHasRow(mdText, names[i], row["tp"], row["fp"]) {
			t.Errorf("%s has no per-class row for %q with TP %s FP %s", sweepMD, names[i], row["tp"], row["fp"])
		}
	}
	if got := float64(tpSum) / testN; got != bestAcc {
		t.Errorf("per-class table's accuracy %v, want the best run's %v (seed %d, %d epochs)", got, bestAcc, bestSeed, bestEpochs)
	}
	if classes[3]["class"] != "macro" || !mdHasRow(mdText, "macro") {
		t.Errorf("no macro row: %v", classes[3])
	}
	if want := "best run: seed " + strconv.FormatUint(bestSeed, 10) + " after " + plural(bestEpochs, "epoch") + " (" + pct(bestAcc) + ")"; !strings.Contains(mdText, want) {
		t.Errorf("%s does not say %q", sweepMD, want)
	}

	curves := readCSV(t, filepath.Join(out, sweepCurvesCSV))
	if len(curves) != 4 {
		t.Fatalf("%s has %d rows, want 2 seeds x 2 epochs", sweepCurvesCSV, len(curves))
	}
	for _, row := range curves {
		s, _ := strconv.ParseUint(row["seed"], 10, 64)
		e, _ := strconv.Atoi(row["epoch"])
		st := metrics[s][e-1]
		if parseF(t, row["train_loss"]) != st.TrainLoss || parseF(t, row["test_acc"]) != st.TestAcc || parseF(t, row["lr"]) != st.LR {
			t.Errorf("curve row %v differs from metrics.jsonl %+v", row, st)
		}
	}
	for e := 1; e <= 2; e++ {
		m := (metrics[1][e-1].TrainLoss + metrics[2][e-1].TrainLoss) / 2
		if line := "| " + strconv.Itoa(e) + " | 0.001 | " + strconv.FormatFloat(m, 'f', 4, 64) + " | "; !strings.Contains(mdText, line) {
			t.Errorf("%s has no curve row starting %q", sweepMD, line)
		}
	}
	for _, want := range []string{"accuracy (%) by epoch", "loss by epoch", "```text", "seed-1", "seed-2",
		"6 training and 12 test images of 28x28 pixels in 3 classes (T-shirt/top, Trouser, Pullover)"} {
		if !strings.Contains(mdText, want) {
			t.Errorf("%s lacks %q", sweepMD, want)
		}
	}
	if strings.Contains(mdText, "\x1b[") {
		t.Errorf("%s holds terminal escape codes", sweepMD)
	}
	ents, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}

	// A shorter sweep with the same seed gives the same first epoch, also
	// with augmentation and weight decay: the premise of training once for
	// the largest count.
	out1 := filepath.Join(t.TempDir(), "short")
	runSweepTest(t, "--data", data, "--epochs", "1", "--seeds", "1", "--train-limit", "6", "--batch", "3", "--schedule", "constant",
		"--augment", "--weight-decay", "0.01", "--out", out1)
	a, b := mustMetrics(t, filepath.Join(out1, "seed-1"))[0], metrics[1][0]
	if a.TrainLoss != b.TrainLoss || a.TestAcc != b.TestAcc || a.TestLoss != b.TestLoss || a.LR != b.LR {
		t.Errorf("epoch 1 of a 1-epoch run %+v differs from epoch 1 of a 2-epoch run %+v", a, b)
	}

	// The same folder again is refused rather than mixed.
	var buf bytes.Buffer
	err = sweepMain(context.Background(), []string{"--data", data, "--epochs", "1", "--seeds", "1", "--train-limit", "6", "--out", out1}, &buf, false)
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("sweep into a used folder: %v, want an error saying metrics.jsonl already exists", err)
	}
}

// TestSweepCosine checks that under the cosine schedule each epoch count is
// trained as a run of its own, and the report takes each count from its run.
func TestSweepCosine(t *testing.T) {
	data := writeDataset(t, 8, 6, 28, 28, 3, nil)
	out := t.TempDir()
	runSweepTest(t, "--data", data, "--epochs", "1,2", "--seeds", "3", "--train-limit", "4", "--batch", "2", "--schedule", "cosine", "--out", out)
	one := mustMetrics(t, filepath.Join(out, "seed-3", "epochs-1"))
	two := mustMetrics(t, filepath.Join(out, "seed-3", "epochs-2"))
	if len(one) != 1 || len(two) != 2 {
		t.Fatalf("runs have %d and %d epochs, want 1 and 2", len(one), len(two))
	}
	if one[0].LR == two[0].LR {
		t.Errorf("epoch 1 ends at lr %v in both runs; cosine should depend on the total", one[0].LR)
	}
	summary := readCSV(t, filepath.Join(out, sweepCSV))
	for i, want := range []float64{one[0].TestAcc, two[1].TestAcc} {
		if got := parseF(t, summary[i]["mean_test_acc"]); got != want {
			t.Errorf("%d epochs: accuracy %v, want %v from the %d-epoch run", i+1, got, want, i+1)
		}
	}
	md, err := os.ReadFile(filepath.Join(out, sweepMD))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "trained as a run of its own") || !strings.Contains(string(md), "seed-3/epochs-2") {
		t.Errorf("%s does not explain the separate cosine runs:\n%s", sweepMD, md)
	}
	// Default class names: the net has as many outputs as Load's names.
	if !mdHasRow(string(md), "0") || !mdHasRow(string(md), "9") {
		t.Errorf("%s lacks the default class names 0..9", sweepMD)
	}
}

// TestSweepCosineOneCount checks that a single epoch count under the cosine
// schedule trains one run per seed in seed-<s>/ and that the report does not
// claim the figures equal a shorter run's.
func TestSweepCosineOneCount(t *testing.T) {
	data := writeDataset(t, 8, 6, 28, 28, 3, nil)
	out := t.TempDir()
	runSweepTest(t, "--data", data, "--epochs", "2", "--seeds", "3", "--train-limit", "4", "--batch", "2", "--schedule", "cosine", "--out", out)
	if m := mustMetrics(t, filepath.Join(out, "seed-3")); len(m) != 2 {
		t.Fatalf("seed-3 has %d epochs, want 2", len(m))
	}
	md, err := os.ReadFile(filepath.Join(out, sweepMD))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "Each seed trained once for 2 epochs, the learning rate falling along a cosine from 0.001 to 0") ||
		strings.Contains(string(md), "equal a shorter run's") {
		t.Errorf("%s misdescribes a one-count cosine sweep:\n%s", sweepMD, md)
	}
}

// TestSweepOtherSize trains on 32x32 images in 4 classes named with
// --classes: the network adapts, and the report uses the names.
func TestSweepOtherSize(t *testing.T) {
	data := writeDataset(t, 8, 8, 32, 32, 4, []string{"one", "two", "three", "four"})
	out := t.TempDir()
	runSweepTest(t, "--data", data, "--epochs", "1", "--train-limit", "4", "--batch", "4", "--classes", "cat, dog,bird,fish", "--out", out)
	md, err := os.ReadFile(filepath.Join(out, sweepMD))
	if err != nil {
		t.Fatal(err)
	}
	if want := "images of 32x32 pixels in 4 classes (cat, dog, bird, fish)"; !strings.Contains(string(md), want) {
		t.Errorf("%s lacks %q:\n%s", sweepMD, want, md)
	}
	classes := readCSV(t, filepath.Join(out, sweepClassesCSV))
	if len(classes) != 5 {
		t.Fatalf("%d per-class rows, want 4 classes and macro", len(classes))
	}
	for i, n := range []string{"cat", "dog", "bird", "fish"} {
		if classes[i]["name"] != n || !mdHasRow(string(md), n) {
			t.Errorf("class %d: name %q, want %q in the CSV and the Markdown", i, classes[i]["name"], n)
		}
	}
	if m := mustMetrics(t, filepath.Join(out, "seed-1")); len(m) != 1 {
		t.Errorf("%d epochs, want 1", len(m))
	}
}

// TestSweepErrors checks that bad data and flags fail clearly, before any
// folder is made.
func TestSweepErrors(t *testing.T) {
	small := writeDataset(t, 4, 4, 20, 20, 3, nil)
	ok := writeDataset(t, 4, 4, 28, 28, 3, nil)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"20x20 images", []string{"--data", small}, []string{"at least 28x28", "got 20x20"}},
		{"too few class names", []string{"--data", ok, "--classes", "a,b"}, []string{"--classes", "got 2 names", "at least 3"}},
		{"empty class name", []string{"--data", ok, "--classes", "a,,c"}, []string{"--classes", "name 2", "empty"}},
		{"epoch count 0", []string{"--data", ok, "--epochs", "0,5"}, []string{"epochs", "at least 1"}},
		{"epoch count not a number", []string{"--data", ok, "--epochs", "five"}, []string{"epochs", `"five"`}},
		{"bad seed", []string{"--data", ok, "--seeds", "1,x"}, []string{"seeds", `"1,x"`}},
		{"bad schedule", []string{"--data", ok, "--schedule", "linear"}, []string{"schedule", "linear"}},
		{"single-seed flag", []string{"--data", ok, "--seed", "2"}, []string{"seed"}},
		{"missing data", []string{"--data", filepath.Join(ok, "nope")}, []string{"nope"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			var buf bytes.Buffer
			err := sweepMain(context.Background(), append(tt.args, "--out", out), &buf, false)
			if err == nil {
				t.Fatalf("sweep %v succeeded, want an error", tt.args)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if _, serr := os.Stat(out); serr == nil {
				t.Errorf("the failed sweep made its folder %s", out)
			}
		})
	}
}

// TestSweepLists checks the --epochs and --seeds parsers.
func TestSweepLists(t *testing.T) {
	var e intList
	if err := e.Set("20, 5,10,5"); err != nil || e.String() != "5,10,20" {
		t.Errorf("epochs 20,5,10,5 = %v (%v), want 5,10,20", e.String(), err)
	}
	var s seedList
	if err := s.Set("3,1,3,2"); err != nil || s.String() != "3,1,2" {
		t.Errorf("seeds 3,1,3,2 = %v (%v), want 3,1,2 in order without repeats", s.String(), err)
	}
	for _, bad := range []string{"", "1,", "-1", "1.5"} {
		if e.Set(bad) == nil {
			t.Errorf("epochs %q accepted, want an error", bad)
		}
	}
	if s.Set("-1") == nil {
		t.Errorf("seed -1 accepted, want an error")
	}
}

// TestMeanStd checks the summary statistics against hand-computed values.
func TestMeanStd(t *testing.T) {
	tests := []struct {
		in        []float64
		mean, std float64
	}{
		{[]float64{0.5}, 0.5, 0},
		{[]float64{0.98, 0.99}, 0.985, 0.01 / math.Sqrt2},
		{[]float64{2, 4, 4, 4, 5, 5, 7, 9}, 5, math.Sqrt(32.0 / 7)},
	}
	for _, tt := range tests {
		m, s := meanStd(tt.in)
		if math.Abs(m-tt.mean) > 1e-12 || math.Abs(s-tt.std) > 1e-12 {
			t.Errorf("meanStd(%v) = %v, %v; want %v, %v", tt.in, m, s, tt.mean, tt.std)
		}
	}
}

// TestClassNames checks where class names come from: classes.txt beside
// the IDX files, else 0..9, and --classes over both.
func TestClassNames(t *testing.T) {
	named := writeDataset(t, 6, 3, 28, 28, 3, fashionClasses[:3])
	plain := writeDataset(t, 6, 3, 28, 28, 3, nil)
	fashion := writeDataset(t, 20, 10, 28, 28, 10, fashionClasses)
	tests := []struct {
		name    string
		dir     string
		flag    string
		want    []string
		wantErr string
	}{
		{"classes.txt", named, "", fashionClasses[:3], ""},
		{"Fashion-MNIST's 10 classes", fashion, "", fashionClasses, ""},
		{"default", plain, "", []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}, ""},
		{"flag over classes.txt", named, "a,b,c", []string{"a", "b", "c"}, ""},
		{"flag trimmed", plain, " x , y,z ", []string{"x", "y", "z"}, ""},
		{"flag with more names", plain, "a,b,c,d", []string{"a", "b", "c", "d"}, ""},
		{"flag too short", named, "a,b", nil, "want at least 3"},
		{"flag empty name", plain, "a,,c", nil, "is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := loadData(tt.dir, "")
			if err != nil {
				t.Fatal(err)
			}
			before := strings.Join(d.Train.Classes, ",")
			err = setClassNames(d, tt.flag)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("setClassNames(%q) = %v, want an error with %q", tt.flag, err, tt.wantErr)
				}
				if got := strings.Join(d.Train.Classes, ","); got != before {
					t.Errorf("failed setClassNames changed the names to %s", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, got := range [][]string{d.Train.Classes, d.Test.Classes} {
				if strings.Join(got, "|") != strings.Join(tt.want, "|") {
					t.Errorf("classes = %q, want %q", got, tt.want)
				}
			}
		})
	}

	// A classes.txt naming fewer classes than the labels is an error of Load.
	short := writeDataset(t, 6, 3, 28, 28, 3, []string{"only", "two"})
	if _, err := loadData(short, ""); err == nil || !strings.Contains(err.Error(), "classes.txt") {
		t.Errorf("loadData with 2 names for 3 classes = %v, want an error naming classes.txt", err)
	}
}

// TestWriteFileAtomic checks that the file is replaced whole and no
// temporary file stays.
func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "r.md")
	for _, s := range []string{"first version, longer", "second"} {
		if err := atomicfile.Write(p, []byte(s)); err != nil {
			t.Fatal(err)
		}
		if got, err := os.ReadFile(p); err != nil || string(got) != s {
			t.Errorf("read back %q (%v), want %q", got, err, s)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d files in the folder, want only r.md", len(ents))
	}
	if err := atomicfile.Write(filepath.Join(dir, "missing", "r.md"), nil); err == nil {
		t.Errorf("writing into a missing folder succeeded")
	}
}

// mdCells splits a Markdown table row into its trimmed cells.
func mdCells(row string) []string {
	row = strings.TrimSpace(row)
	if !strings.HasPrefix(row, "|") {
		return nil
	}
	parts := strings.Split(strings.Trim(row, "|"), "|")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

// mdHasRow reports whether md has a table row whose first cells are cells.
func mdHasRow(md string, cells ...string) bool {
	for _, l := range strings.Split(md, "\n") {
		f := mdCells(l)
		if len(f) >= len(cells) && slices.Equal(f[:len(cells)], cells) {
			return true
		}
	}
	return false
}
