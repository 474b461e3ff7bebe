package cli

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"flag"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"convscope/internal/checkpoint"
)

func TestServeArgs(t *testing.T) {
	for _, c := range []struct{ in, want []string }{
		{[]string{"--serve"}, []string{"--serve"}},
		{[]string{"--serve", "0.0.0.0:2222", "--epochs", "1"}, []string{"--serve=0.0.0.0:2222", "--epochs", "1"}},
		{[]string{"-serve", "--no-tui"}, []string{"-serve", "--no-tui"}},
		{[]string{"--serve", "notanaddr"}, []string{"--serve", "notanaddr"}},
	} {
		if got := serveArgs(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("serveArgs(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	var o ServeOptions
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	o.register(fs)
	if err := parseFlags(fs, []string{"--serve"}); err != nil || o.Addr != "127.0.0.1:2222" {
		t.Errorf("--serve alone: addr %q, err %v; want the default", o.Addr, err)
	}
	if err := parseFlags(fs, []string{"--serve=:x:"}); err == nil {
		t.Error("--serve=:x: was taken")
	}
}

// trainServed runs args like cmdTrain with the UI served and calls
// listening with the server's address.
func trainServed(t *testing.T, args []string, listening func(net.Addr), stdout *lockedBuffer) error {
	t.Helper()
	var o TrainOptions
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	o.register(fs)
	if err := parseFlags(fs, serveArgs(args)); err != nil {
		return err
	}
	o.given = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { o.given[f.Name] = true })
	o.Serve.listening = listening
	return runTrain(context.Background(), o, env{stdout: stdout})
}

// TestServedRunEqualsUnserved: a headless run served over SSH to a client
// that never reads its screen trains exactly what an unserved run trains,
// and the command ends once that client has left.
func TestServedRunEqualsUnserved(t *testing.T) {
	if testing.Short() {
		t.Skip("trains twice")
	}
	dir := writeData(t, 400, 40)
	tmp := t.TempDir()
	plain, served := filepath.Join(tmp, "plain"), filepath.Join(tmp, "served")
	common := []string{"--epochs", "2", "--schedule", "constant"}
	if err := Run(append(trainArgs(dir, plain), common...)); err != nil {
		t.Fatal(err)
	}

	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	keys := filepath.Join(tmp, "authorized_keys")
	if err := os.WriteFile(keys, gossh.MarshalAuthorizedKey(key.PublicKey()), 0o600); err != nil {
		t.Fatal(err)
	}
	args := append(trainArgs(dir, served), common...)
	args = append(args[1:], "--serve", "127.0.0.1:0", "--authorized-keys", keys, "--host-key", filepath.Join(tmp, "host_key"))
	addrs := make(chan net.Addr, 1)
	var out lockedBuffer
	done := make(chan error, 1)
	go func() { done <- trainServed(t, args, func(a net.Addr) { addrs <- a }, &out) }()

	var addr net.Addr
	select {
	case addr = <-addrs:
	case err := <-done:
		t.Fatalf("served run ended before listening: %v", err)
	}
	c, err := gossh.Dial("tcp", addr.String(), &gossh.ClientConfig{
		User: "stalled", Auth: []gossh.AuthMethod{gossh.PublicKeys(key)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 5 * time.Second, // the test's own fresh host key
	})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sess.StdoutPipe(); err != nil { // never read
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm-256color", 40, 120, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(2 * time.Minute)
wait:
	for {
		select {
		case err := <-done:
			c.Close()
			if err != nil {
				t.Fatal(err)
			}
			break wait
		case <-deadline:
			c.Close()
			t.Fatalf("served run did not end; output %q", out.String())
		case <-time.After(20 * time.Millisecond):
			if strings.Contains(out.String(), "serving until the last") {
				c.Close() // the viewer leaves; the command ends
			}
		}
	}
	if !strings.Contains(out.String(), "serving the UI over SSH at 127.0.0.1:") {
		t.Errorf("output does not say where it serves: %q", out.String())
	}
	checkSameRun(t, load(t, filepath.Join(served, checkpoint.LastFile)), load(t, filepath.Join(plain, checkpoint.LastFile)))
}

// TestServeRefusedBeforeTraining: a server that cannot start (a
// non-loopback address and no authorized-keys file) trains nothing and says
// why in one line.
func TestServeRefusedBeforeTraining(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	dir := writeData(t, 8, 4)
	out := filepath.Join(t.TempDir(), "run")
	err := Run(trainArgs(dir, out, "--epochs", "1", "--serve", "0.0.0.0:0"))
	if err == nil || !strings.Contains(err.Error(), "not a loopback address") {
		t.Fatalf("err = %v, want a refusal naming the non-loopback address", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a refused server's run made its folder")
	}
}
