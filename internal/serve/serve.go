// Package serve serves Bubble Tea UIs over SSH with Charm's wish: public-key
// authentication only, against an authorized_keys file, a host key made on
// first use, a limit on concurrent sessions and an idle timeout.
//
// The security model:
//   - Only public keys log in: the keys in the authorized-keys file, and those
//     in the controllers file. No passwords, no keyboard-interactive, no
//     anonymous sessions, no port forwarding, no commands: a session is a UI.
//   - Keys in the controllers file control the run; every other key watches.
//   - The host key is made on first use (ed25519, mode 0600) and reused; a key
//     file that others may read is refused.
//   - A non-loopback address without an authorized-keys file is refused.
//   - At most MaxSessions UIs at once (the next is told so and refused); a
//     connection with no traffic for IdleTimeout is closed.
package serve

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"charm.land/wish/v2"
	bm "charm.land/wish/v2/bubbletea"
	gossh "golang.org/x/crypto/ssh"
)

// Defaults.
const (
	DefaultAddr        = "127.0.0.1:2222"
	DefaultMaxSessions = 16
	DefaultIdleTimeout = 15 * time.Minute
	handshakeTimeout   = 10 * time.Second
	remoteFPS          = 10
)

// Options is where and to whom the server listens.
type Options struct {
	Addr string // host:port; "" = DefaultAddr
	// AuthorizedKeys is the file of keys that may log in ("" = the user's
	// ~/.ssh/authorized_keys). On a loopback address it may be missing when
	// Controllers lists keys.
	AuthorizedKeys string
	// Controllers is a file of keys (authorized_keys format) that may control
	// the run, and log in; "" = none: every client is read-only.
	Controllers string
	// HostKey is the server's private key, made on first use; "" =
	// DefaultHostKey().
	HostKey     string
	MaxSessions int           // 0 = DefaultMaxSessions
	IdleTimeout time.Duration // 0 = DefaultIdleTimeout
	// Log, if set, gets one line per session that starts, ends or is refused.
	Log io.Writer
}

// Viewer is an authenticated client.
type Viewer struct {
	User    string // the name it logged in as
	Key     string // its key's SHA256 fingerprint
	Control bool   // its key is a controller's
}

// Name is how the other UIs call v.
func (v Viewer) Name() string { return v.User + " " + v.Key }

// App returns the UI for a session: its root model, and leave, called once
// the session has ended.
type App func(v Viewer) (m tea.Model, leave func())

// Server is a running SSH server.
type Server struct {
	srv      *ssh.Server
	ln       net.Listener
	hostKey  string
	sessions atomic.Int32
	conns    atomic.Int32  // open connections, authenticated or not
	done     chan struct{} // closed when Serve returned
	err      error         // what Serve returned, after done
}

// DefaultHostKey is where the host key is kept: convscope/ssh_host_ed25519_key
// in the user's configuration folder (~/.config on Linux).
func DefaultHostKey() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("serve: host key: %w", err)
	}
	return filepath.Join(dir, "convscope", "ssh_host_ed25519_key"), nil
}

// Check refuses options Listen would refuse for their keys (the address
// aside), without listening: a command checks them before it starts work.
func Check(opts Options) error {
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	if _, _, err := loadKeys(opts); err != nil {
		return err
	}
	if opts.HostKey != "" {
		if fi, err := os.Stat(opts.HostKey); err == nil && fi.Mode().Perm()&0o077 != 0 {
			return fmt.Errorf("serve: host key %s has mode %04o, want 0600 (chmod 600 %s)", opts.HostKey, fi.Mode().Perm(), opts.HostKey)
		}
	}
	return nil
}

// Listen checks the options, listens on opts.Addr and serves app in its own
// goroutine until Close.
func Listen(opts Options, app App) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	if opts.MaxSessions <= 0 {
		opts.MaxSessions = DefaultMaxSessions
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	allowed, controllers, err := loadKeys(opts)
	if err != nil {
		return nil, err
	}
	if opts.HostKey == "" {
		if opts.HostKey, err = DefaultHostKey(); err != nil {
			return nil, err
		}
	}
	hostPEM, err := hostKey(opts.HostKey)
	if err != nil {
		return nil, err
	}
	s := &Server{hostKey: opts.HostKey, done: make(chan struct{})}
	logf := func(format string, a ...any) {
		if opts.Log != nil {
			fmt.Fprintf(opts.Log, "ssh: "+format+"\n", a...)
		}
	}
	srv, err := wish.NewServer(
		wish.WithHostKeyPEM(hostPEM), // first: wish would otherwise write a key in the working folder
		wish.WithAddress(opts.Addr),
		wish.WithVersion("convscope"),
		wish.WithIdleTimeout(opts.IdleTimeout),
		wish.WithPublicKeyAuth(func(_ ssh.Context, key ssh.PublicKey) bool {
			return allowed.has(key)
		}),
		wish.WithMiddleware(
			bm.Middleware(func(sess ssh.Session) (tea.Model, []tea.ProgramOption) {
				v := Viewer{User: sess.User(), Key: gossh.FingerprintSHA256(sess.PublicKey()), Control: controllers.has(sess.PublicKey())}
				m, leave := app(v)
				// The UI leaves when it quits (q) or when the connection goes.
				go func() { <-sess.Context().Done(); leave() }()
				// 10 frames a second is plenty over a network (a key shows
				// within 100ms) and keeps many viewers from competing with
				// training: each Bubble Tea program's frame ticker wakes the
				// scheduler at this rate, changed frame or not, and 20
				// viewers at 20 Hz cost training 8% (README, "What viewers
				// cost a run").
				return m, []tea.ProgramOption{tea.WithoutSignalHandler(), tea.WithFPS(remoteFPS)}
			}),
			s.gate(opts.MaxSessions, logf),
		),
	)
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	srv.HandshakeTimeout = handshakeTimeout
	// Connections still shaking hands count too, so that a flood of them
	// cannot use the server up before any session starts.
	srv.ConnCallback = func(_ ssh.Context, c net.Conn) net.Conn {
		if int(s.conns.Add(1)) > 4*opts.MaxSessions {
			s.conns.Add(-1)
			logf("%s refused: too many connections", c.RemoteAddr())
			return nil
		}
		var o sync.Once
		return &countedConn{Conn: c, release: func() { o.Do(func() { s.conns.Add(-1) }) }}
	}
	// No passwords, no keyboard-interactive (wish sets neither; say so), no
	// forwarding (nil callbacks deny it), and every session needs a key.
	srv.PasswordHandler, srv.KeyboardInteractiveHandler = nil, nil
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	s.srv, s.ln = srv, ln
	go func() {
		defer close(s.done)
		s.err = srv.Serve(ln)
	}()
	return s, nil
}

// gate refuses sessions without a terminal and sessions past the limit,
// and logs each session.
func (s *Server) gate(limit int, logf func(string, ...any)) wish.Middleware {
	return func(next ssh.Handler) ssh.Handler {
		return func(sess ssh.Session) {
			who := fmt.Sprintf("%s %s from %s", sess.User(), gossh.FingerprintSHA256(sess.PublicKey()), sess.RemoteAddr())
			if _, _, ok := sess.Pty(); !ok {
				wish.Fatalln(sess, "convscope: this server shows a terminal UI; connect with ssh -t")
				logf("%s refused: no terminal", who)
				return
			}
			if n := s.sessions.Add(1); int(n) > limit {
				s.sessions.Add(-1)
				wish.Fatalf(sess, "convscope: %d viewers are connected, the most this server takes; try again later\r\n", limit)
				logf("%s refused: %d sessions already", who, limit)
				return
			}
			defer s.sessions.Add(-1)
			logf("%s connected", who)
			next(sess)
			logf("%s left", who)
		}
	}
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// HostKey is the host key file's path.
func (s *Server) HostKey() string { return s.hostKey }

// Sessions counts the UIs being served.
func (s *Server) Sessions() int { return int(s.sessions.Load()) }

// Close stops listening and closes every connection.
func (s *Server) Close() error {
	err := s.srv.Close()
	<-s.done
	if err != nil && !errors.Is(err, ssh.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// Shutdown stops listening and waits for the sessions to end, or ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	<-s.done
	if err != nil && !errors.Is(err, ssh.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// keySet is a set of public keys.
type keySet map[string]bool

func (k keySet) has(key ssh.PublicKey) bool { return key != nil && k[string(key.Marshal())] }

// loadKeys reads the authorized keys and the controllers' keys (which may log
// in too), and refuses what would leave the server open or useless.
func loadKeys(opts Options) (allowed, controllers keySet, err error) {
	path, given := opts.AuthorizedKeys, opts.AuthorizedKeys != ""
	if !given {
		home, herr := os.UserHomeDir()
		if herr != nil {
			return nil, nil, fmt.Errorf("serve: authorized keys: %w", herr)
		}
		path = filepath.Join(home, ".ssh", "authorized_keys")
	}
	allowed = keySet{}
	n, err := readKeys(path, allowed)
	missing := errors.Is(err, os.ErrNotExist)
	switch {
	case missing && given:
		return nil, nil, fmt.Errorf("serve: --authorized-keys %s: no such file", path)
	case err != nil && !missing:
		return nil, nil, err
	}
	if missing && !loopback(opts.Addr) {
		return nil, nil, fmt.Errorf("serve: %s is not a loopback address and there is no authorized-keys file (%s does not exist); give --authorized-keys FILE listing the keys that may connect", opts.Addr, path)
	}
	controllers = keySet{}
	if opts.Controllers != "" {
		if _, err := readKeys(opts.Controllers, controllers); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, nil, fmt.Errorf("serve: --controllers %s: no such file", opts.Controllers)
			}
			return nil, nil, err
		}
		for k := range controllers {
			allowed[k] = true
		}
	}
	if n == 0 && len(controllers) == 0 {
		return nil, nil, fmt.Errorf("serve: no key may connect: %s holds no keys and there is no --controllers file", path)
	}
	return allowed, controllers, nil
}

// readKeys adds the keys in an authorized_keys file to set and counts them.
// A line that is not a key is an error naming it: a typo must not quietly
// lock someone out, or in.
func readKeys(path string, set keySet) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("serve: keys: %w", err)
	}
	n := 0
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, _, _, _, err := gossh.ParseAuthorizedKey([]byte(line))
		if err != nil {
			return 0, fmt.Errorf("serve: keys: %s:%d: not a public key: %w", path, i+1, err)
		}
		set[string(k.Marshal())] = true
		n++
	}
	return n, nil
}

// loopback says whether addr's host is a loopback address (or localhost).
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// hostKey reads the host key at path, or makes one there (ed25519, mode
// 0600, in a folder of mode 0700) when there is none. A key others may read
// is refused, as sshd does.
func hostKey(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	switch {
	case err == nil:
		if fi.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("serve: host key %s has mode %04o, want 0600 (chmod 600 %s)", path, fi.Mode().Perm(), path)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("serve: host key: %w", err)
		}
		if _, err := gossh.ParsePrivateKey(b); err != nil {
			return nil, fmt.Errorf("serve: host key %s: %w", path, err)
		}
		return b, nil
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("serve: host key: %w", err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("serve: host key: %w", err)
	}
	blk, err := gossh.MarshalPrivateKey(priv, "convscope host key")
	if err != nil {
		return nil, fmt.Errorf("serve: host key: %w", err)
	}
	b := pem.EncodeToMemory(blk)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("serve: host key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("serve: host key: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("serve: host key %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("serve: host key %s: %w", path, err)
	}
	return b, nil
}

// countedConn is a connection that gives its slot back once closed.
type countedConn struct {
	net.Conn
	release func()
}

func (c *countedConn) Close() error {
	c.release()
	return c.Conn.Close()
}
