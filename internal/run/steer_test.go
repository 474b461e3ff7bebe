package run

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"convscope/internal/checkpoint"
	"convscope/nn"
)

// TestSteer: a rate halved during epoch 1 and a stop asked for during
// epoch 2 end the run Stopped after exactly epoch 2, saved; metrics.jsonl
// and last.safetensors record the change (and the file the stop); resuming
// from last.safetensors goes on at the halved rate, keeps both records in
// metrics.jsonl, and finishes.
func TestSteer(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	f, err := CreateNew(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	tr := testTrainer(t, 4)
	tr.Cfg.ProgressEvery = 1
	lr := tr.Cfg.LR
	var r *Run
	var epochs []int
	r, err = Start(Options{Trainer: tr, Data: testData(), Folder: f, NoDynamics: true, OnEvent: func(e Event) {
		switch {
		case e.Kind == nn.EpochDone:
			epochs = append(epochs, e.Epoch)
		case e.Epoch == 1:
			if _, err := r.SetLR(lr/2, "alice"); err != nil {
				t.Errorf("SetLR: %v", err)
			}
			if _, err := r.SetLR(-1, "alice"); err == nil {
				t.Error("SetLR(-1) = nil error, want a refusal")
			}
		case e.Epoch == 2:
			if err := r.StopAfter(2, "bob"); err != nil {
				t.Errorf("StopAfter(2): %v", err)
			}
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Train(context.Background()); err != nil {
		t.Fatalf("Train = %v", err)
	}
	f.Close()
	if r.State() != Stopped || tr.Epoch != 2 || !reflect.DeepEqual(epochs, []int{1, 2}) {
		t.Fatalf("state %v after epochs %v (trainer at %d), want Stopped after 1 and 2", r.State(), epochs, tr.Epoch)
	}
	want := []nn.LRChange{{Epoch: 1, Batch: 1, Step: 1, LR: lr / 2, By: "alice"}}
	if got := tr.History[1].LR; got != lr/2 {
		t.Errorf("epoch 2 trained at %v, want %v", got, lr/2)
	}
	log, err := ReadLog(filepath.Join(dir, MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	wantStops := []StopRequest{{Epoch: 2, By: "bob"}}
	if len(log.Epochs) != 2 || !reflect.DeepEqual(log.LR, want) || !reflect.DeepEqual(log.Stops, wantStops) {
		t.Errorf("metrics.jsonl: %d epochs, changes %+v, stops %+v; want 2, %+v, %+v", len(log.Epochs), log.LR, log.Stops, want, wantStops)
	}
	raw, err := os.ReadFile(filepath.Join(dir, MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], `{"event":"lr","epoch":1,"batch":1,"step":1,"lr":0.0005,"by":"alice"}`) ||
		!strings.HasPrefix(lines[2], `{"event":"stop","epoch":2,"by":"bob"}`) || lines[4] != `{"event":"end","state":"stopped","epoch":2}` {
		t.Errorf("metrics.jsonl =\n%s\nwant the change before epoch 1's line, the stop before epoch 2's, and the end (stopped)", raw)
	}
	if _, err := os.Stat(filepath.Join(dir, checkpoint.InterruptedFile)); err == nil {
		t.Errorf("a stop between epochs wrote %s", checkpoint.InterruptedFile)
	}

	last := filepath.Join(dir, checkpoint.LastFile)
	ck, err := checkpoint.Load(last)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Epoch != 2 || !reflect.DeepEqual(ck.LRChanges, want) {
		t.Fatalf("last.safetensors: epoch %d, changes %+v; want 2, %+v", ck.Epoch, ck.LRChanges, want)
	}
	rt, err := ck.Trainer()
	if err != nil {
		t.Fatal(err)
	}
	f2, err := OpenExisting(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f2.Close()
	r2, err := Start(Options{Trainer: rt, Data: testData(), Folder: f2, From: last, NoDynamics: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := r2.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r2.State() != Finished || rt.Epoch != 4 || rt.History[3].LR != lr/2 || rt.BaseLR() != lr/2 {
		t.Errorf("resumed: state %v at epoch %d, last rate %v, base %v; want Finished at 4 at %v", r2.State(), rt.Epoch, rt.History[3].LR, rt.BaseLR(), lr/2)
	}
	log, err = ReadLog(filepath.Join(dir, MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(log.Epochs) != 4 || !reflect.DeepEqual(log.LR, want) || !reflect.DeepEqual(log.Stops, wantStops) {
		t.Errorf("resumed metrics.jsonl: %d epochs, changes %+v, stops %+v; want 4, %+v, %+v", len(log.Epochs), log.LR, log.Stops, want, wantStops)
	}
}

// TestStopAfterCancelled: a stop asked for and withdrawn in the same epoch
// leaves the run to finish, and both requests are in metrics.jsonl.
func TestStopAfterCancelled(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	f, err := CreateNew(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := testTrainer(t, 2)
	tr.Cfg.ProgressEvery = 1
	var r *Run
	r, err = Start(Options{Trainer: tr, Data: testData(), Folder: f, NoDynamics: true, OnEvent: func(e Event) {
		if e.Kind == nn.BatchProgress && e.Epoch == 1 {
			for _, ep := range []int{1, 0} {
				if err := r.StopAfter(ep, "carol"); err != nil {
					t.Errorf("StopAfter(%d): %v", ep, err)
				}
			}
			if err := r.StopAfter(5, "carol"); err == nil {
				t.Error("StopAfter(5) in epoch 1 = nil error, want a refusal")
			}
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	log, err := ReadLog(filepath.Join(dir, MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	want := []StopRequest{{Epoch: 1, By: "carol"}, {Epoch: 1, Cancel: true, By: "carol"}}
	if r.State() != Finished || len(log.Epochs) != 2 || !reflect.DeepEqual(log.Stops, want) {
		t.Errorf("state %v, %d epochs, stops %+v; want Finished, 2, %+v", r.State(), len(log.Epochs), log.Stops, want)
	}
}

// TestReadLogEvents: ReadMetrics skips event lines (and those of unknown
// events); ReadLog keeps them, and a replayed epoch replaces the changes
// made in the attempt it replaces.
func TestReadLogEvents(t *testing.T) {
	text := `{"epoch":1,"test_acc":0.5}
{"event":"lr","epoch":2,"batch":3,"step":13,"lr":0.0005,"by":"a"}
{"event":"stop","epoch":2}
{"event":"future","epoch":99}
{"epoch":2,"test_acc":0.6}
{"event":"lr","epoch":2,"batch":1,"step":11,"lr":0.002}
{"epoch":2,"test_acc":0.7}
`
	path := filepath.Join(t.TempDir(), MetricsFile)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := ReadMetrics(path)
	if err != nil || len(st) != 2 || st[1].TestAcc != 0.7 {
		t.Fatalf("ReadMetrics = %+v, %v; want epochs 1 and 2 (the replay's)", st, err)
	}
	log, err := ReadLog(path)
	if err != nil {
		t.Fatal(err)
	}
	wantLR := []nn.LRChange{{Epoch: 2, Batch: 1, Step: 11, LR: 0.002}}
	if !reflect.DeepEqual(log.LR, wantLR) || len(log.Stops) != 1 {
		t.Errorf("ReadLog: changes %+v, stops %+v; want %+v and one stop", log.LR, log.Stops, wantLR)
	}
	for _, bad := range []string{
		`{"event":"lr","epoch":1,"batch":0,"step":0,"lr":0}`,
		`{"event":"lr","epoch":3,"batch":0,"step":0,"lr":0.1}`,
		`{"event":"lr","epoch":1,"batch":0,"lr":"fast"}`,
	} {
		if err := os.WriteFile(path, []byte(bad+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadLog(path); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("ReadLog(%s) = %v, want an error naming line 1", bad, err)
		}
	}
}
