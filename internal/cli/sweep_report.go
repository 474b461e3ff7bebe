package cli

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"convscope/internal/atomicfile"
	"convscope/internal/report"
	"convscope/nn"
	"convscope/views"
)

// sub is the result of setting i alone (Plan.sub), its runs' Setting 0.
func (r *sweepResult) sub(i int) *sweepResult {
	q := *r
	q.Plan = r.Plan.sub(i)
	q.Runs = nil
	for _, run := range r.Runs {
		if run.Setting == i {
			run.Setting = 0
			q.Runs = append(q.Runs, run)
		}
	}
	return &q
}

// at returns the run whose figures stand for seed after e epochs, and those
// figures; ok is false when that run is missing or unfinished.
func (r *sweepResult) at(seed uint64, e int) (run *sweepRun, st nn.EpochStats, ok bool) {
	for i := range r.Runs {
		run := &r.Runs[i]
		if run.Seed != seed || (r.Plan.separate() && run.Epochs != e) || len(run.History) < e {
			continue
		}
		return run, run.History[e-1], true
	}
	return nil, st, false
}

// countSummary is the test accuracy after one epoch count over the seeds.
type countSummary struct {
	Epochs   int
	N        int       // seeds with a finished run
	Acc      []float64 // per seed, in plan order (NaN: no finished run)
	Loss     []float64 // test loss per seed
	Mean     float64
	Std      float64 // sample standard deviation (n-1); 0 for one seed
	Min, Max float64
	MeanLoss float64
}

// summarize computes the accuracy by epoch count.
func (r *sweepResult) summarize() []countSummary {
	out := make([]countSummary, len(r.Plan.Counts))
	for i, e := range r.Plan.Counts {
		c := countSummary{Epochs: e, Min: math.NaN(), Max: math.NaN()}
		var acc, loss []float64
		for _, s := range r.Plan.Seeds {
			_, st, ok := r.at(s, e)
			if !ok {
				c.Acc, c.Loss = append(c.Acc, math.NaN()), append(c.Loss, math.NaN())
				continue
			}
			c.Acc = append(c.Acc, st.TestAcc)
			c.Loss = append(c.Loss, st.TestLoss)
			acc, loss = append(acc, st.TestAcc), append(loss, st.TestLoss)
			if len(acc) == 1 {
				c.Min, c.Max = st.TestAcc, st.TestAcc
			}
			c.Min, c.Max = min(c.Min, st.TestAcc), max(c.Max, st.TestAcc)
		}
		c.N = len(acc)
		c.Mean, c.Std = meanStd(acc)
		c.MeanLoss, _ = meanStd(loss)
		out[i] = c
	}
	return out
}

// meanStd returns the mean and the sample standard deviation of v (0 for
// fewer than two values).
func meanStd(v []float64) (mean, std float64) {
	if len(v) == 0 {
		return math.NaN(), math.NaN()
	}
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	if len(v) < 2 {
		return mean, 0
	}
	var ss float64
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(v)-1))
}

// best returns the run and epoch count with the highest test accuracy;
// ties go to fewer epochs, then to the earlier seed. The run is nil if no
// cell finished.
func (r *sweepResult) best() (*sweepRun, int, nn.EpochStats) {
	var (
		br *sweepRun
		be int
		bs nn.EpochStats
	)
	for _, e := range r.Plan.Counts {
		if run, st := r.bestAt(e); run != nil && (br == nil || st.TestAcc > bs.TestAcc) {
			br, be, bs = run, e, st
		}
	}
	return br, be, bs
}

// bestAt returns the run with the highest test accuracy after e epochs;
// ties go to the earlier seed. The run is nil if no seed has one.
func (r *sweepResult) bestAt(e int) (*sweepRun, nn.EpochStats) {
	var (
		br *sweepRun
		bs nn.EpochStats
	)
	for _, s := range r.Plan.Seeds {
		run, st, ok := r.at(s, e)
		if ok && (br == nil || st.TestAcc > bs.TestAcc) {
			br, bs = run, st
		}
	}
	return br, bs
}

// classTableMD writes ev's per-class figures as a Markdown table with a macro row.
func classTableMD(b *bytes.Buffer, ev *nn.Eval, classes []string) {
	b.WriteString(report.ClassTable(ev.Classes, ev.Macro, classes, report.MD).Markdown())
	b.WriteByte('\n')
}

// curve is the mean over seeds of one epoch of the longest runs.
type curve struct {
	Epoch                                      int
	LR, TrainLoss, TrainAcc, TestLoss, TestAcc float64
	SeedAcc                                    []float64 // test accuracy per seed
}

// curves returns the per-epoch figures of the runs of the largest count,
// averaged over the seeds that have one (nil if none has).
func (r *sweepResult) curves() []curve {
	last := r.Plan.Counts[len(r.Plan.Counts)-1]
	var runs []*sweepRun
	for _, s := range r.Plan.Seeds {
		run, _, _ := r.at(s, last)
		runs = append(runs, run)
	}
	n := 0.0
	for _, run := range runs {
		if run != nil {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]curve, last)
	for e := 1; e <= last; e++ {
		c := curve{Epoch: e}
		for _, run := range runs {
			if run == nil {
				c.SeedAcc = append(c.SeedAcc, math.NaN())
				continue
			}
			st := run.History[e-1]
			c.LR += st.LR / n
			c.TrainLoss += st.TrainLoss / n
			c.TrainAcc += st.TrainAcc / n
			c.TestLoss += st.TestLoss / n
			c.TestAcc += st.TestAcc / n
			c.SeedAcc = append(c.SeedAcc, st.TestAcc)
		}
		out[e-1] = c
	}
	return out
}

// Report file names, in the sweep's folder.
const (
	sweepMD         = "sweep.md"
	sweepCSV        = "sweep.csv"
	sweepClassesCSV = "sweep-classes.csv"
	sweepCurvesCSV  = "sweep-curves.csv"
)

// writeSweepReport writes the Markdown report and the CSV tables into the
// sweep's folder, each atomically, and returns their paths.
func writeSweepReport(r *sweepResult) ([]string, error) {
	files := []struct {
		name   string
		render func(*sweepResult) ([]byte, error)
	}{
		{sweepMD, func(r *sweepResult) ([]byte, error) { return sweepMarkdown(r), nil }},
		{sweepCSV, sweepSummaryCSV},
		{sweepClassesCSV, sweepClassCSV},
		{sweepCurvesCSV, sweepCurveCSV},
	}
	var paths []string
	for _, f := range files {
		data, err := f.render(r)
		if err != nil {
			return nil, err
		}
		p := filepath.Join(r.Plan.Out, f.name)
		if err := atomicfile.Write(p, data); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// pct formats a 0..1 fraction as a percentage with two decimals.
func pct(v float64) string { return views.Pct(v) }

// pctOr is pct, or "–" for NaN (a seed without a finished run).
func pctOr(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return pct(v)
}

// csvFloat is fmtFloat, or "" for NaN (no finished run).
func csvFloat(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return fmtFloat(v)
}

// settingLabel is setting i in words, e.g. "lr 0.002, batch 64, cosine".
func settingLabel(p sweepPlan, i int) string {
	s := p.Settings[i]
	return fmt.Sprintf("lr %g, batch %d, %s", s.LR, s.Batch, s.Schedule)
}

// sweepMarkdown renders the report: what was trained, the hyper-parameter
// table when several settings were, and for each setting the accuracy by
// epoch count, the per-class tables and the curves.
func sweepMarkdown(r *sweepResult) []byte {
	p := r.Plan
	cfg := p.Cfg
	var b bytes.Buffer
	seeds := strings.ReplaceAll((*seedList)(&p.Seeds).String(), ",", ", ")
	counts := strings.ReplaceAll((*intList)(&p.Counts).String(), ",", ", ")

	fmt.Fprintf(&b, "# Epoch sweep\n\n")
	fmt.Fprintf(&b, "The paper's network (%s) trained on %s: %d training and %d test images of %dx%d pixels in %d classes (%s).\n\n",
		r.Net, p.Data, r.TrainN, r.TestN, r.Rows, r.Cols, len(r.Classes), strings.Join(r.Classes, ", "))
	aug := "off"
	if cfg.Augment {
		aug = fmt.Sprintf("shifts up to %d px, rotations up to %g°", cfg.MaxShift, cfg.MaxRotate)
	}
	seedWord := "Seeds"
	if len(p.Seeds) == 1 {
		seedWord = "Seed"
	}
	var lrs, batches, scheds []string
	for _, s := range p.Settings {
		if v := fmt.Sprintf("%g", s.LR); !slices.Contains(lrs, v) {
			lrs = append(lrs, v)
		}
		if v := strconv.Itoa(s.Batch); !slices.Contains(batches, v) {
			batches = append(batches, v)
		}
		v := s.Schedule.String()
		if v == "step" {
			v = fmt.Sprintf("step (x%g every %s)", cfg.StepGamma, plural(cfg.StepEvery, "epoch"))
		}
		if !slices.Contains(scheds, v) {
			scheds = append(scheds, v)
		}
	}
	schedWord := "schedule"
	if len(scheds) > 1 {
		schedWord = "schedules"
	}
	fmt.Fprintf(&b, "Settings: %s, lr %s, %s %s, batch %s, weight decay %g, augmentation %s. %s %s; epoch counts %s. Training took %s (summed over runs).\n\n",
		cfg.Optimizer, strings.Join(lrs, " / "), strings.Join(scheds, " / "), schedWord, strings.Join(batches, " / "), cfg.WeightDecay, aug,
		seedWord, seeds, counts, r.Duration.Round(time.Second))
	if len(r.Missing) > 0 {
		fmt.Fprintf(&b, "**Incomplete:** %d of %d cells have no finished run yet; their figures are left out (–) and means are over the seeds that have one:\n\n",
			len(r.Missing), len(r.Missing)+len(r.Runs))
		for _, m := range r.Missing {
			fmt.Fprintf(&b, "- %s\n", m)
		}
		b.WriteByte('\n')
	}
	if len(p.Settings) == 1 {
		sweepSection(&b, r, "")
	} else {
		hparamTable(&b, r)
		for i := range p.Settings {
			fmt.Fprintf(&b, "# %s\n\n", settingLabel(p, i))
			sweepSection(&b, r.sub(i), settingLabel(p, i)+": ")
		}
	}
	fmt.Fprintf(&b, "The CSV files beside this one hold the same figures unrounded: %s (accuracy by setting and epoch count), %s (the per-class table) and %s (every epoch of every run). Compare runs with `convscope compare %s/seed-*`.\n",
		sweepCSV, sweepClassesCSV, sweepCurvesCSV, filepath.ToSlash(p.Out))
	return b.Bytes()
}

// hparamTable writes one row per setting: mean and spread of the test
// accuracy over seeds after each epoch count (TensorBoard's HParams view).
func hparamTable(b *bytes.Buffer, r *sweepResult) {
	p := r.Plan
	fmt.Fprintf(b, "## Test accuracy by setting\n\n")
	b.WriteString("| lr | batch | schedule |")
	for _, e := range p.Counts {
		fmt.Fprintf(b, " %s: mean | std |", plural(e, "epoch"))
	}
	b.WriteString(" seeds | folder |\n|---:|---:|---|" + strings.Repeat("---:|---:|", len(p.Counts)) + "---:|---|\n")
	for i, s := range p.Settings {
		fmt.Fprintf(b, "| %g | %d | %s |", s.LR, s.Batch, s.Schedule)
		n := 0
		for _, c := range r.sub(i).summarize() {
			fmt.Fprintf(b, " %s | %.2f |", pctOr(c.Mean), 100*c.Std)
			n = max(n, c.N)
		}
		fmt.Fprintf(b, " %d | %s |\n", n, p.settingName(i))
	}
	fmt.Fprintf(b, "\nOne row per setting; mean and sample standard deviation (percentage points) of the test accuracy over the seeds (%s).\n\n",
		strings.ReplaceAll((*seedList)(&p.Seeds).String(), ",", ", "))
}

// sweepSection writes the figures of a one-setting result, its headings
// led by title.
func sweepSection(b *bytes.Buffer, r *sweepResult, title string) {
	p := r.Plan
	cfg := p.Cfg
	sched := cfg.Schedule.String()
	last := p.Counts[len(p.Counts)-1]
	switch {
	case p.separate():
		fmt.Fprintf(b, "The cosine schedule depends on the total number of epochs, so each count was trained as a run of its own.\n\n")
	case len(p.Counts) == 1 && sched == "cosine":
		fmt.Fprintf(b, "Each seed trained once for %d epochs, the learning rate falling along a cosine from %g to 0 over those epochs.\n\n", last, cfg.LR)
	case len(p.Counts) == 1:
		fmt.Fprintf(b, "Each seed trained once for %d epochs.\n\n", last)
	default:
		fmt.Fprintf(b, "Each seed trained once for %d epochs; the figures after fewer epochs are those of that run, which equal a shorter run's: nothing in training depends on the total number of epochs under the %s schedule.\n\n",
			last, sched)
	}

	fmt.Fprintf(b, "## %sTest accuracy by number of epochs\n\n", title)
	b.WriteString("| epochs | mean | std | min | max | mean test loss |")
	for _, s := range p.Seeds {
		fmt.Fprintf(b, " seed %d |", s)
	}
	b.WriteString("\n|---:|---:|---:|---:|---:|---:|" + strings.Repeat("---:|", len(p.Seeds)) + "\n")
	for _, c := range r.summarize() {
		fmt.Fprintf(b, "| %d | %s | %.2f | %s | %s | %.4f |", c.Epochs, pctOr(c.Mean), 100*c.Std, pctOr(c.Min), pctOr(c.Max), c.MeanLoss)
		for _, a := range c.Acc {
			fmt.Fprintf(b, " %s |", pctOr(a))
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(b, "\nstd is the sample standard deviation over the %s, in percentage points (0 for one seed).\n\n", plural(len(p.Seeds), "seed"))

	if br, be, bs := r.best(); br != nil {
		fmt.Fprintf(b, "## %sPer-class figures of the best run: seed %d after %s (%s)\n\n", title, br.Seed, plural(be, "epoch"), pct(bs.TestAcc))
		if ev := br.Evals[be]; ev != nil {
			classTableMD(b, ev, r.Classes)
		}
	}
	if len(p.Counts) > 1 {
		fmt.Fprintf(b, "## %sPer-class figures after each epoch count\n\n", title)
		fmt.Fprintf(b, "For each count, the seed with the best test accuracy after that many epochs.\n\n")
		for _, e := range p.Counts {
			run, st := r.bestAt(e)
			if run == nil {
				continue
			}
			fmt.Fprintf(b, "### %s: seed %d (%s)\n\n", plural(e, "epoch"), run.Seed, pct(st.TestAcc))
			if ev := run.Evals[e]; ev != nil {
				classTableMD(b, ev, r.Classes)
			}
		}
	}

	if cs := r.curves(); cs != nil {
		n := 0
		for _, a := range cs[0].SeedAcc {
			if !math.IsNaN(a) {
				n++
			}
		}
		who := fmt.Sprintf("mean over %d seeds", n)
		if len(p.Seeds) == 1 {
			who = fmt.Sprintf("seed %d", p.Seeds[0])
		}
		fmt.Fprintf(b, "## %sCurves of the %d-epoch runs (%s)\n\n", title, last, who)
		b.WriteString("| epoch | lr | train loss | train acc | test loss | test acc |")
		if len(p.Seeds) > 1 {
			for _, s := range p.Seeds {
				fmt.Fprintf(b, " seed %d |", s)
			}
		}
		b.WriteString("\n|---:|---:|---:|---:|---:|---:|")
		if len(p.Seeds) > 1 {
			b.WriteString(strings.Repeat("---:|", len(p.Seeds)))
		}
		b.WriteByte('\n')
		trainAcc, testAcc := make([]float64, len(cs)), make([]float64, len(cs))
		trainLoss, testLoss := make([]float64, len(cs)), make([]float64, len(cs))
		for i, c := range cs {
			fmt.Fprintf(b, "| %d | %.3g | %.4f | %s | %.4f | %s |", c.Epoch, c.LR, c.TrainLoss, pct(c.TrainAcc), c.TestLoss, pct(c.TestAcc))
			if len(p.Seeds) > 1 {
				for _, a := range c.SeedAcc {
					fmt.Fprintf(b, " %s |", pctOr(a))
				}
			}
			b.WriteByte('\n')
			trainAcc[i], testAcc[i] = 100*c.TrainAcc, 100*c.TestAcc
			trainLoss[i], testLoss[i] = c.TrainLoss, c.TestLoss
		}
		o := report.ChartOptions{Width: 60, Height: 12}
		b.WriteString("\n```text\n")
		b.WriteString(report.Curves("accuracy (%) by epoch", []string{"train", "test"}, [][]float64{trainAcc, testAcc}, 2, o))
		b.WriteString("```\n\n```text\n")
		b.WriteString(report.Curves("loss by epoch", []string{"train", "test"}, [][]float64{trainLoss, testLoss}, 3, o))
		b.WriteString("```\n\n")
	}

	fmt.Fprintf(b, "## %sRuns\n\n| seed | epochs | folder | training time |\n|---:|---:|---|---:|\n", title)
	for _, run := range r.Runs {
		var sec float64
		for _, h := range run.History {
			sec += h.Seconds + h.EvalSeconds
		}
		rel, err := filepath.Rel(p.Out, run.Dir)
		if err != nil {
			rel = run.Dir
		}
		fmt.Fprintf(b, "| %d | %d | %s | %s |\n", run.Seed, run.Epochs, filepath.ToSlash(rel),
			(time.Duration(sec * float64(time.Second))).Round(time.Second))
	}
	b.WriteByte('\n')
}

// plural is n and noun, with an s unless n is 1.
func plural(n int, noun string) string { return views.Plural(n, noun) }

// mdEscape keeps a name from breaking a Markdown table.
func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// fmtFloat formats v with as many digits as it takes to read it back exactly.
func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// csvBytes renders rows as CSV.
func csvBytes(rows [][]string) ([]byte, error) {
	var b bytes.Buffer
	if err := csv.NewWriter(&b).WriteAll(rows); err != nil {
		return nil, fmt.Errorf("sweep: csv: %w", err)
	}
	return b.Bytes(), nil
}

// settingCols are the CSV columns of setting i.
func settingCols(p sweepPlan, i int) []string {
	s := p.Settings[i]
	return []string{fmtFloat(s.LR), strconv.Itoa(s.Batch), s.Schedule.String()}
}

// sweepSummaryCSV is the accuracy by setting and epoch count, one row per
// pair: fractions, unrounded, with each seed's accuracy in its own column
// (empty for a seed without a finished run).
func sweepSummaryCSV(r *sweepResult) ([]byte, error) {
	head := []string{"lr", "batch", "schedule", "epochs", "seeds", "mean_test_acc", "std_test_acc", "min_test_acc", "max_test_acc", "mean_test_loss"}
	for _, s := range r.Plan.Seeds {
		head = append(head, fmt.Sprintf("test_acc_seed_%d", s))
	}
	rows := [][]string{head}
	for i := range r.Plan.Settings {
		for _, c := range r.sub(i).summarize() {
			row := append(settingCols(r.Plan, i), strconv.Itoa(c.Epochs), strconv.Itoa(c.N), csvFloat(c.Mean), csvFloat(c.Std),
				csvFloat(c.Min), csvFloat(c.Max), csvFloat(c.MeanLoss))
			for _, a := range c.Acc {
				row = append(row, csvFloat(a))
			}
			rows = append(rows, row)
		}
	}
	return csvBytes(rows)
}

// sweepClassCSV is the per-class table of the best run of the sweep
// (report.ClassTable) with a macro row, each row led by the run's setting,
// seed and epoch count and the class's number.
func sweepClassCSV(r *sweepResult) ([]byte, error) {
	rows := [][]string{{"lr", "batch", "schedule", "seed", "epochs", "class", "name", "tp", "fp", "fn", "tn", "precision", "recall", "f1", "accuracy"}}
	var (
		br *sweepRun
		be int
		bs nn.EpochStats
		bi int
	)
	for i := range r.Plan.Settings {
		if run, e, st := r.sub(i).best(); run != nil && (br == nil || st.TestAcc > bs.TestAcc) {
			br, be, bs, bi = run, e, st, i
		}
	}
	if br == nil || br.Evals[be] == nil {
		return csvBytes(rows)
	}
	ev := br.Evals[be]
	lead := append(settingCols(r.Plan, bi), strconv.FormatUint(br.Seed, 10), strconv.Itoa(be))
	t := report.ClassTable(ev.Classes, ev.Macro, r.Classes, report.CSV)
	for i, row := range t.Rows {
		id, name := strconv.Itoa(i), row[0]
		if i == len(ev.Classes) { // the macro row
			id, name = "macro", ""
		}
		rows = append(rows, append(append(slices.Clone(lead), id, name), row[1:]...))
	}
	return csvBytes(rows)
}

// sweepCurveCSV has every epoch of every finished run: the setting (its
// base_lr), then lr, the rate the epoch ended at.
func sweepCurveCSV(r *sweepResult) ([]byte, error) {
	rows := [][]string{{"base_lr", "batch", "schedule", "seed", "run_epochs", "epoch", "lr", "train_loss", "train_acc", "test_loss", "test_acc", "seconds"}}
	for _, run := range r.Runs {
		for _, h := range run.History {
			rows = append(rows, append(settingCols(r.Plan, run.Setting), strconv.FormatUint(run.Seed, 10), strconv.Itoa(run.Epochs), strconv.Itoa(h.Epoch),
				fmtFloat(h.LR), fmtFloat(h.TrainLoss), fmtFloat(h.TrainAcc), fmtFloat(h.TestLoss), fmtFloat(h.TestAcc), fmtFloat(h.Seconds)))
		}
	}
	return csvBytes(rows)
}
