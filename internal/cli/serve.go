package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"convscope/internal/serve"
	"convscope/nn"
	"convscope/tui"
)

// ServeOptions is --serve and its companions, shared by train and explore:
// the live UI over SSH for every key allowed in.
type ServeOptions struct {
	Addr           string // "" = not served
	AuthorizedKeys string
	Controllers    string
	HostKey        string
	IdleTimeout    time.Duration

	// hold keeps a headless server up until ctrl+c, even after training
	// returned with nobody watching (explore: nothing trains).
	hold bool
	// For tests: called with the address once the server listens.
	listening func(net.Addr)
}

// serveFlag is --serve: alone it means serve.DefaultAddr, --serve=ADDR (or
// --serve ADDR, see serveArgs) a given address.
type serveFlag struct{ addr *string }

func (f serveFlag) String() string {
	if f.addr == nil {
		return ""
	}
	return *f.addr
}

func (f serveFlag) Set(s string) error {
	switch s {
	case "", "true":
		*f.addr = serve.DefaultAddr
	case "false":
		*f.addr = ""
	default:
		if _, _, err := net.SplitHostPort(s); err != nil {
			return fmt.Errorf("want HOST:PORT, e.g. %s", serve.DefaultAddr)
		}
		*f.addr = s
	}
	return nil
}

func (f serveFlag) IsBoolFlag() bool { return true }

// register adds the serve flags to fs.
func (o *ServeOptions) register(fs *flag.FlagSet) {
	fs.Var(serveFlag{&o.Addr}, "serve", "also serve the live UI over SSH at ADDR (--serve [ADDR], default "+serve.DefaultAddr+"); ssh -p PORT HOST to watch")
	fs.StringVar(&o.AuthorizedKeys, "authorized-keys", "", "with --serve: the public keys that may connect (default ~/.ssh/authorized_keys)")
	fs.StringVar(&o.Controllers, "controllers", "", "with --serve: the public keys that may also pause, save and stop (authorized_keys format); others only watch")
	fs.StringVar(&o.HostKey, "host-key", "", "with --serve: the server's host key, made on first use (default <config dir>/convscope/ssh_host_ed25519_key)")
	fs.DurationVar(&o.IdleTimeout, "idle-timeout", serve.DefaultIdleTimeout, "with --serve: close a connection with no traffic for this long")
}

// serveArgs lets --serve take its address as the next argument: "--serve
// 0.0.0.0:2222" becomes "--serve=0.0.0.0:2222". A next argument that is a
// flag, or not HOST:PORT, is left alone.
func serveArgs(args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if (a == "--serve" || a == "-serve") && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			if _, _, err := net.SplitHostPort(args[i+1]); err == nil {
				out = append(out, a+"="+args[i+1])
				i++
				continue
			}
		}
		out = append(out, a)
	}
	return out
}

// on says whether the UI is served.
func (o ServeOptions) on() bool { return o.Addr != "" }

// check refuses, before anything is made, options the server would refuse.
func (o ServeOptions) check() error {
	if !o.on() {
		return nil
	}
	return serve.Check(o.options(nil))
}

// options are the server's options.
func (o ServeOptions) options(log io.Writer) serve.Options {
	return serve.Options{
		Addr: o.Addr, AuthorizedKeys: o.AuthorizedKeys, Controllers: o.Controllers,
		HostKey: o.HostKey, IdleTimeout: o.IdleTimeout, Log: log,
	}
}

// start serves the hub's UI over SSH; log gets a line per session (nil:
// none, when the local terminal shows the UI).
func (o ServeOptions) start(h *tui.Hub, log io.Writer) (*serve.Server, error) {
	s, err := serve.Listen(o.options(log), func(v serve.Viewer) (tea.Model, func()) {
		return h.Attach(tui.Viewer{Name: v.Name(), Control: v.Control, Refresh: tui.RemoteRefresh})
	})
	if err != nil {
		return nil, err
	}
	if o.listening != nil {
		o.listening(s.Addr())
	}
	return s, nil
}

// serveRun runs a hub on opts with the UI served over SSH, and the local
// terminal's UI unless headless. Headless, it returns once training has
// returned and the last viewer has left (or ctx is done), so that those
// watching see the end; with the local UI, once that UI quits. It returns
// training's error and the local program's.
//
// log (headless only) takes the server's lines about connections; stdout
// the rest.
func serveRun(ctx context.Context, so ServeOptions, opts tui.Options, headless bool, stdout, log io.Writer) (terr, perr error) {
	// Training starts once the server listens, and not at all if it cannot.
	ready := make(chan error, 1)
	train := opts.Train
	if train == nil {
		return nil, errors.New("serve: nothing to train")
	}
	opts.Train = func(ctx context.Context, report func(nn.Progress)) error {
		if err := <-ready; err != nil {
			return err
		}
		return train(ctx, report)
	}
	h, err := tui.NewHub(ctx, opts)
	if err != nil {
		return nil, err
	}
	if !headless {
		log = nil
	}
	srv, err := so.start(h, log)
	ready <- err
	if err != nil {
		return h.Wait(), nil
	}
	fmt.Fprintf(stdout, "serving the UI over SSH at %s (host key %s)\n", srv.Addr(), srv.HostKey())
	if headless {
		select {
		case <-h.Done():
		case <-ctx.Done():
		}
		if so.hold {
			fmt.Fprintln(stdout, "serving until ctrl+c")
			<-ctx.Done()
		}
		if ctx.Err() == nil && srv.Sessions() > 0 {
			fmt.Fprintf(stdout, "training returned; serving until the last of %d viewers leaves (ctrl+c to stop)\n", srv.Sessions())
			for srv.Sessions() > 0 && ctx.Err() == nil {
				select {
				case <-ctx.Done():
				case <-time.After(200 * time.Millisecond):
				}
			}
		}
	} else {
		perr = h.Local(ctx)
	}
	h.Stop()
	terr = h.Wait()
	if err := srv.Close(); err != nil && perr == nil {
		perr = err
	}
	return terr, perr
}
