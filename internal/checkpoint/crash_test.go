//go:build unix

package checkpoint

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"convscope/nn"
)

// TestSaveFailsMidWrite makes the file system refuse the write part-way (a
// file size limit) and checks that the previous checkpoint is untouched and
// no temporary file is left.
func TestSaveFailsMidWrite(t *testing.T) {
	tr, d := trained(t, "adam", 1)
	dir := t.TempDir()
	path := filepath.Join(dir, LastFile)
	if err := Save(path, tr); err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tr.Step(d.Train, 0, 4)

	signal.Ignore(syscall.SIGXFSZ) // so the write fails with EFBIG instead
	defer signal.Reset(syscall.SIGXFSZ)
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Skipf("no file size limit: %v", err)
	}
	small := lim
	small.Cur = 64 << 10
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &small); err != nil {
		t.Skipf("cannot set a file size limit: %v", err)
	}
	err = Save(path, tr)
	if rerr := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); rerr != nil {
		t.Fatal(rerr)
	}
	if err == nil {
		t.Fatal("Save under a 64 KiB file size limit succeeded, want an error")
	}
	t.Logf("Save: %v", err)
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("Save error %q is not one line", err)
	}
	now, rerr := os.ReadFile(path)
	if rerr != nil {
		t.Fatal(rerr)
	}
	if !bytes.Equal(now, old) {
		t.Error("the previous checkpoint changed")
	}
	if _, err := Load(path); err != nil {
		t.Errorf("Load(previous) = %v", err)
	}
	checkOnlyFiles(t, dir, LastFile)
}

// checkOnlyFiles fails unless dir holds exactly the named files.
func checkOnlyFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if fmt.Sprint(got) != fmt.Sprint(names) {
		t.Errorf("folder holds %v, want %v", got, names)
	}
}

// saveLoopEnv makes the test binary a child that saves two runs in turn to
// the path it names, announcing each save on stdout, until it is killed (or
// for at most a minute, should its parent die first).
const saveLoopEnv = "CHECKPOINT_TEST_SAVE_LOOP"

// TestSaveKilledMidWrite kills a process that is saving checkpoints over
// and over: whenever the kill lands, the file at the path must be one of
// the complete checkpoints.
func TestSaveKilledMidWrite(t *testing.T) {
	if path := os.Getenv(saveLoopEnv); path != "" {
		saveLoop(t, path)
		return
	}
	dir := t.TempDir()
	path := filepath.Join(dir, LastFile)
	a, b := twoRuns(t)
	if err := Save(path, a); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSaveKilledMidWrite$")
	cmd.Env = append(os.Environ(), saveLoopEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for i := 0; i < 4 && sc.Scan(); i++ {
	}
	time.Sleep(time.Duration(time.Now().UnixNano()%7) * time.Millisecond)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil {
		t.Fatal("the saving process exited by itself")
	}

	c, err := Load(path)
	if err != nil {
		t.Fatalf("after a kill mid-save, Load = %v", err)
	}
	first := c.Net.Params()[0].W[0]
	if first != a.Net.Params()[0].W[0] && first != b.Net.Params()[0].W[0] {
		t.Errorf("loaded weight %v is from neither run", first)
	}
	// A killed write may leave its temporary file, never a partial checkpoint.
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if n := e.Name(); n != LastFile && !(strings.HasPrefix(n, "."+LastFile+".") && strings.HasSuffix(n, ".tmp")) {
			t.Errorf("unexpected file %s after the kill", n)
		}
	}
}

// twoRuns returns two trainers with different weights.
func twoRuns(t testing.TB) (*nn.Trainer, *nn.Trainer) {
	a := newTrainer(t, testConfig(1))
	cfg := testConfig(1)
	cfg.Seed = 8
	return a, newTrainer(t, cfg)
}

func saveLoop(t *testing.T, path string) {
	a, b := twoRuns(t)
	start := time.Now()
	for i := 0; time.Since(start) < time.Minute; i++ {
		tr := a
		if i%2 == 1 {
			tr = b
		}
		fmt.Println("save", i)
		if err := Save(path, tr); err != nil {
			t.Fatal(err)
		}
	}
}
