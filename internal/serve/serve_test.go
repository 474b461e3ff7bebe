package serve

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	gossh "golang.org/x/crypto/ssh"

	"convscope/internal/gemm"
	"convscope/mnist"
	"convscope/nn"
	"convscope/tui"
)

// newKey makes a client key.
func newKey(t testing.TB) gossh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// writeKeys writes an authorized_keys file of keys.
func writeKeys(t testing.TB, path string, keys ...gossh.Signer) {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("# a comment, then the keys\n\n")
	for _, k := range keys {
		b.Write(gossh.MarshalAuthorizedKey(k.PublicKey()))
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// liveTrain reports batches, a millisecond apart, until cancelled, with an
// epoch end every 100 batches.
func liveTrain(ctx context.Context, report func(nn.Progress)) error {
	for b := 1; ; b++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		e := 1 + b/100
		report(nn.Progress{Kind: nn.BatchProgress, Epoch: e, Epochs: 1000, Batch: b % 100, Batches: 100, Seen: b % 100, Total: 100})
		if b%100 == 0 {
			st := nn.EpochStats{Epoch: e - 1}
			report(nn.Progress{Kind: nn.EpochDone, Epoch: e - 1, Epochs: 1000, Stats: &st})
		}
		time.Sleep(time.Millisecond)
	}
}

// fixture is a hub with a server on a random loopback port, an authorized
// viewer's key, a controller's key and a key nobody listed.
type fixture struct {
	hub                    *tui.Hub
	srv                    *Server
	viewer, ctl, stranger  gossh.Signer
	hostKey                gossh.PublicKey
	authorized, controller string
}

func newFixture(t testing.TB, train func(context.Context, func(nn.Progress)) error, opts Options) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{viewer: newKey(t), ctl: newKey(t), stranger: newKey(t),
		authorized: filepath.Join(dir, "authorized_keys"), controller: filepath.Join(dir, "controllers")}
	writeKeys(t, f.authorized, f.viewer)
	writeKeys(t, f.controller, f.ctl)
	net, err := nn.NewPaper(28, 28, 10, nn.InitRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	f.hub, err = tui.NewHub(context.Background(), tui.Options{Net: net, Config: nn.Config{Epochs: 1000, Batch: 64, LR: 0.001}, Train: train})
	if err != nil {
		t.Fatal(err)
	}
	opts.Addr = "127.0.0.1:0"
	opts.AuthorizedKeys, opts.Controllers = f.authorized, f.controller
	opts.HostKey = filepath.Join(dir, "host", "key")
	f.srv, err = Listen(opts, func(v Viewer) (tea.Model, func()) {
		return f.hub.Attach(tui.Viewer{Name: v.Name(), Control: v.Control, Refresh: tui.RemoteRefresh})
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(opts.HostKey)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := gossh.ParsePrivateKey(b)
	if err != nil {
		t.Fatal(err)
	}
	f.hostKey = hs.PublicKey()
	t.Cleanup(func() {
		if err := f.srv.Close(); err != nil {
			t.Error(err)
		}
		f.hub.Stop()
		if err := f.hub.Wait(); err != nil && !errors.Is(err, context.Canceled) {
			t.Error(err)
		}
	})
	return f
}

// dial logs in with auth.
func (f *fixture) dial(auth gossh.AuthMethod) (*gossh.Client, error) {
	return gossh.Dial("tcp", f.srv.Addr().String(), &gossh.ClientConfig{
		User: "tester", Auth: []gossh.AuthMethod{auth},
		HostKeyCallback: gossh.FixedHostKey(f.hostKey), Timeout: 5 * time.Second,
	})
}

// screen is a session's output, read as it comes.
type screen struct {
	mu   sync.Mutex
	b    bytes.Buffer
	in   io.Writer
	sess *gossh.Session
}

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *screen) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Len()
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor waits until the output holds want.
func (s *screen) waitFor(t testing.TB, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(s.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q on the screen after 10s; got %d bytes: %q", want, len(s.String()), tail(s.String()))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func tail(s string) string {
	if len(s) > 400 {
		return s[len(s)-400:]
	}
	return s
}

// open starts a UI session on c: a PTY and a shell. With read false nothing
// reads its output, as a stalled client.
func open(t testing.TB, c *gossh.Client, read bool) *screen {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	s := &screen{sess: sess}
	if read {
		sess.Stdout = s
	} else if _, err := sess.StdoutPipe(); err != nil { // never read: the server's writes back up
		t.Fatal(err)
	}
	if s.in, err = sess.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm-256color", 30, 100, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestAuth: an authorized key sees the UI's first frame; an unknown key and
// a password are refused.
func TestAuth(t *testing.T) {
	f := newFixture(t, liveTrain, Options{})
	c, err := f.dial(gossh.PublicKeys(f.viewer))
	if err != nil {
		t.Fatalf("an authorized key: %v", err)
	}
	defer c.Close()
	s := open(t, c, true)
	s.waitFor(t, "Train")
	s.waitFor(t, "read-only")

	if c, err := f.dial(gossh.PublicKeys(f.stranger)); err == nil {
		c.Close()
		t.Error("a key in neither file logged in")
	}
	if c, err := f.dial(gossh.Password("hunter2")); err == nil {
		c.Close()
		t.Error("a password logged in")
	}
	if c, err := f.dial(gossh.KeyboardInteractive(func(string, string, []string, []bool) ([]string, error) { return nil, nil })); err == nil {
		c.Close()
		t.Error("keyboard-interactive logged in")
	}
}

// TestControl: a read-only key's space does not pause the run; a
// controller's does, and its second space resumes it.
func TestControl(t *testing.T) {
	f := newFixture(t, liveTrain, Options{})
	rc, err := f.dial(gossh.PublicKeys(f.viewer))
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	ro := open(t, rc, true)
	ro.waitFor(t, "Train")
	if _, err := ro.in.Write([]byte(" ")); err != nil {
		t.Fatal(err)
	}
	ro.waitFor(t, "only a controller")
	if f.hub.Paused() {
		t.Fatal("a read-only key's space paused the run")
	}

	cc, err := f.dial(gossh.PublicKeys(f.ctl))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctl := open(t, cc, true)
	ctl.waitFor(t, "Train")
	if _, err := ctl.in.Write([]byte(" ")); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the controller's space pauses", f.hub.Paused)
	ro.waitFor(t, "paused by tester")
	if _, err := ctl.in.Write([]byte(" ")); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the controller's second space resumes", func() bool { return !f.hub.Paused() })
}

func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after 10s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// countTrain reports n batches as fast as it can and counts them.
func countTrain(n int, done *atomic.Int64) func(context.Context, func(nn.Progress)) error {
	return func(ctx context.Context, report func(nn.Progress)) error {
		for b := 1; b <= n; b++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			report(nn.Progress{Kind: nn.BatchProgress, Epoch: 1, Epochs: 1, Batch: b, Batches: n, Seen: b, Total: n})
			done.Add(1)
		}
		st := nn.EpochStats{Epoch: 1}
		report(nn.Progress{Kind: nn.EpochDone, Epoch: 1, Epochs: 1, Stats: &st})
		return nil
	}
}

// TestStalledClient: a client that never reads its screen does not hold
// training up, nor the client that reads, and leaving mid-frame leaves the
// run alone.
func TestStalledClient(t *testing.T) {
	var batches atomic.Int64
	gate := make(chan struct{})
	const n = 200000
	train := countTrain(n, &batches)
	f := newFixture(t, func(ctx context.Context, report func(nn.Progress)) error {
		select { // start once both clients are on
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
		return train(ctx, report)
	}, Options{})
	sc, err := f.dial(gossh.PublicKeys(f.ctl))
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	open(t, sc, false)
	rc, err := f.dial(gossh.PublicKeys(f.viewer))
	if err != nil {
		t.Fatal(err)
	}
	reader := open(t, rc, true)
	reader.waitFor(t, "Train")
	waitUntil(t, "two viewers", func() bool { return f.hub.Viewers() == 2 })
	close(gate)
	select {
	case <-f.hub.Done():
	case <-time.After(60 * time.Second):
		t.Fatalf("training stalled at %d of %d batches with a client that never reads", batches.Load(), n)
	}
	if got := batches.Load(); got != n {
		t.Errorf("trained %d batches, want %d", got, n)
	}
	reader.waitFor(t, "finished")
	// The reader leaving mid-frame: the server and the stalled session stay.
	rc.Close()
	waitUntil(t, "the reader's session ends", func() bool { return f.srv.Sessions() == 1 })
}

// TestLimit: past MaxSessions the next session is told so and refused.
func TestLimit(t *testing.T) {
	f := newFixture(t, liveTrain, Options{MaxSessions: 2})
	for range 2 {
		c, err := f.dial(gossh.PublicKeys(f.viewer))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		open(t, c, true).waitFor(t, "Train")
	}
	c, err := f.dial(gossh.PublicKeys(f.viewer))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out := &screen{} // stdout and stderr are copied by two goroutines
	sess.Stdout, sess.Stderr = out, out
	if err := sess.RequestPty("xterm", 30, 100, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	err = sess.Wait()
	var exit *gossh.ExitError
	if !errors.As(err, &exit) || exit.ExitStatus() == 0 || !strings.Contains(out.String(), "2 viewers are connected") {
		t.Errorf("third session: err %v, output %q; want a refusal naming the limit", err, out.String())
	}
}

// TestIdleTimeout: a connection with no traffic is closed.
func TestIdleTimeout(t *testing.T) {
	f := newFixture(t, liveTrain, Options{IdleTimeout: 300 * time.Millisecond})
	c, err := f.dial(gossh.PublicKeys(f.viewer))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		c.Close()
		t.Fatal("an idle connection was not closed")
	}
}

// TestRefusals: options that would leave the server open, or useless, are
// refused with a line saying what to do.
func TestRefusals(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("HOME", dir) // no ~/.ssh/authorized_keys
	keys := filepath.Join(dir, "keys")
	writeKeys(t, keys, newKey(t))
	bad := filepath.Join(dir, "bad")
	if err := os.WriteFile(bad, []byte("ssh-ed25519 not-base64!\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	openKey := filepath.Join(dir, "open-key")
	if _, err := hostKey(openKey); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(openKey, 0o644); err != nil {
		t.Fatal(err)
	}
	app := func(Viewer) (tea.Model, func()) { return nil, func() {} }
	for _, c := range []struct {
		name string
		o    Options
		want string
	}{
		{"non-loopback without keys", Options{Addr: "0.0.0.0:0"}, "not a loopback address"},
		{"loopback without any key", Options{Addr: "127.0.0.1:0"}, "no key may connect"},
		{"missing --authorized-keys", Options{Addr: "127.0.0.1:0", AuthorizedKeys: filepath.Join(dir, "nope")}, "no such file"},
		{"missing --controllers", Options{Addr: "127.0.0.1:0", AuthorizedKeys: keys, Controllers: filepath.Join(dir, "nope")}, "--controllers"},
		{"a line that is not a key", Options{Addr: "127.0.0.1:0", AuthorizedKeys: bad}, "bad:1: not a public key"},
		{"a host key others may read", Options{Addr: "127.0.0.1:0", AuthorizedKeys: keys, HostKey: openKey}, "want 0600"},
	} {
		s, err := Listen(c.o, app)
		if err == nil {
			s.Close()
			t.Errorf("%s: Listen succeeded, want an error with %q", c.name, c.want)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
}

// TestHostKeyReused: the host key is made with mode 0600 on first use and
// read, not replaced, after.
func TestHostKeyReused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "convscope", "ssh_host_ed25519_key")
	a, err := hostKey(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("host key mode %04o, want 0600", fi.Mode().Perm())
	}
	b, err := hostKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("the host key changed on second use")
	}
}

// BenchmarkServed trains b.N fake batches of about 100µs through a hub with
// 20 SSH clients attached, one of which never reads; compare its batches/s
// with BenchmarkUnserved's, the same with no clients.
func BenchmarkServed(b *testing.B) { benchServed(b, 20) }

// BenchmarkUnserved is BenchmarkServed with no clients.
func BenchmarkUnserved(b *testing.B) { benchServed(b, 0) }

func benchServed(b *testing.B, clients int) {
	var batches atomic.Int64
	gate := make(chan struct{})
	work := func(ctx context.Context, report func(nn.Progress)) error {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
		b.ResetTimer()
		for i := range b.N {
			if err := ctx.Err(); err != nil {
				return err
			}
			spin() // a batch's worth of work, so that the UIs compete for the CPU
			if i%reportEvery == 0 {
				report(nn.Progress{Kind: nn.BatchProgress, Epoch: 1, Epochs: 1, Batch: i, Batches: b.N, Seen: i, Total: b.N})
			}
			batches.Add(1)
		}
		b.StopTimer()
		st := nn.EpochStats{Epoch: 1}
		report(nn.Progress{Kind: nn.EpochDone, Epoch: 1, Epochs: 1, Stats: &st})
		return nil
	}
	f := newFixture(b, work, Options{MaxSessions: 32}) // 20 clients: past the default 16
	for i := range clients {
		c, err := f.dial(gossh.PublicKeys(f.viewer))
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		open(b, c, i != 0)
	}
	waitUntil(b, "every client on", func() bool { return f.hub.Viewers() == clients })
	close(gate)
	<-f.hub.Done()
	b.ReportMetric(float64(batches.Load())/b.Elapsed().Seconds(), "batches/s")
}

// BenchmarkServedTraining trains the paper network (batches of 64, on
// every core, reporting at most 10 times a second as nn.Train does) through a
// hub with 20 SSH clients attached, one of which never reads; compare its
// images/s with BenchmarkUnservedTraining's, the same with no clients. This
// is the measure: what 20 viewers cost a real run.
func BenchmarkServedTraining(b *testing.B) { benchServedTraining(b, 20) }

// BenchmarkUnservedTraining is BenchmarkServedTraining with no clients.
func BenchmarkUnservedTraining(b *testing.B) { benchServedTraining(b, 0) }

func benchServedTraining(b *testing.B, clients int) {
	net, err := nn.NewPaper(28, 28, 10, nn.InitRNG(1))
	if err != nil {
		b.Fatal(err)
	}
	tr, err := nn.NewTrainer(net, nn.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	eng := gemm.NewEngine(0)
	defer eng.Close()
	net.SetEngine(eng)
	const n = 64 * 16
	set := &mnist.Set{Images: make([]uint8, n*28*28), Labels: make([]uint8, n), N: n, Rows: 28, Cols: 28}
	for i := range set.Images {
		set.Images[i] = uint8(i * 7 % 256)
	}
	for i := range set.Labels {
		set.Labels[i] = uint8(i % 10)
	}
	tr.Step(set, 0, 64) // warm
	gate := make(chan struct{})
	var elapsed time.Duration
	work := func(ctx context.Context, report func(nn.Progress)) error {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
		b.ResetTimer()
		start, last := time.Now(), time.Time{}
		for i := range b.N {
			if err := ctx.Err(); err != nil {
				return err
			}
			tr.Step(set, (i%16)*64, 64)
			if now := time.Now(); now.Sub(last) >= 100*time.Millisecond {
				last = now
				report(nn.Progress{Kind: nn.BatchProgress, Epoch: 1, Epochs: 1, Batch: i, Batches: b.N, Seen: 64 * i, Total: 64 * b.N,
					ImagesPerSec: float64(64*i) / now.Sub(start).Seconds()})
			}
		}
		b.StopTimer()
		elapsed = time.Since(start)
		st := nn.EpochStats{Epoch: 1}
		report(nn.Progress{Kind: nn.EpochDone, Epoch: 1, Epochs: 1, Stats: &st})
		return nil
	}
	f := newFixture(b, work, Options{MaxSessions: 32})
	var screens []*screen
	for i := range clients {
		c, err := f.dial(gossh.PublicKeys(f.viewer))
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		if sc := open(b, c, i != 0); i != 0 {
			screens = append(screens, sc)
		}
	}
	waitUntil(b, "every client on", func() bool { return f.hub.Viewers() == clients })
	// A client's start (its size, colours, first frames) happens once per
	// connection: let it pass, so that what is timed is watching a run.
	for _, sc := range screens {
		sc.waitFor(b, "1 Train")
	}
	time.Sleep(time.Second)
	sent := func() (n int) {
		for _, sc := range screens {
			n += sc.len()
		}
		return n
	}
	before := sent()
	close(gate)
	<-f.hub.Done()
	if clients > 0 {
		b.ReportMetric(float64(sent()-before)/float64(len(screens))/elapsed.Seconds(), "B/s/client")
	}
	b.ReportMetric(float64(64*b.N)/elapsed.Seconds(), "images/s")
}

// reportEvery is how many batches go between progress reports: every 10ms
// at 100µs a batch, ten times as often as training reports.
const reportEvery = 100

var sink atomic.Uint64

// spin is about 100µs of arithmetic on every core, as a training batch
// keeps every core of the engine busy: the UIs compete with it for all of
// them.
func spin() {
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			x := 1.0
			for i := range 100000 {
				x += float64(i&7) * 1e-9
			}
			sink.Store(math.Float64bits(x))
		})
	}
	wg.Wait()
}
