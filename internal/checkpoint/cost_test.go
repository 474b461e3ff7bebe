package checkpoint

import (
	"runtime"
	"strconv"
	"strings"
	"testing"

	"convscope/nn"
)

// TestClassCountsKeepNoMemory loads a small file (the metadata of a real
// model, no tensors) once for every class count the network allows. Each
// load must fail cheaply: checking the claimed architecture used to build,
// and keep forever, a whole 28x28 network per class count (2.6 MB each,
// 650 MB for the 255 counts), so a few kilobytes of input pinned megabytes.
func TestClassCountsKeepNoMemory(t *testing.T) {
	net, err := nn.NewPaper(28, 28, 2, nn.InitRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	_, meta, _, err := encodeNet(net)
	if err != nil {
		t.Fatal(err)
	}
	meta[keyKind] = KindModel
	as := meta[keyArch]
	if !strings.Contains(as, `"classes":2,`) {
		t.Fatalf("architecture metadata has no \"classes\":2: %.80s", as)
	}
	files := make([][]byte, 0, 256)
	for k := 2; k <= 257; k++ {
		meta[keyArch] = strings.Replace(as, `"classes":2,`, `"classes":`+strconv.Itoa(k)+`,`, 1)
		files = append(files, fileBytes(t, nil, meta))
	}
	heap := func() int64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return int64(m.HeapAlloc)
	}
	before := heap()
	for i, b := range files {
		k := i + 2
		_, err := loadBytes(b)
		switch {
		case err == nil:
			t.Fatalf("%d classes: a file without tensors loaded", k)
		case k == 257 && !strings.Contains(err.Error(), "257"):
			t.Errorf("%d classes: error %q does not name the class count", k, err)
		}
	}
	if grown := heap() - before; grown > 16<<20 {
		t.Errorf("loading %d small files kept %d MB, want at most 16 MB", len(files), grown>>20)
	}
}
