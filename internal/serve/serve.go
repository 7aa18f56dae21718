// Package serve runs a node as a service: the direct-route listener (mutual
// TLS), the delivery links, the control socket the command line uses, and
// the escalation engine that alerts the party's people.
package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hotline-line/hotline/internal/control"
	"github.com/hotline-line/hotline/internal/direct"
	"github.com/hotline-line/hotline/internal/escalate"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/officer"
	"github.com/hotline-line/hotline/internal/relayroute"
	"github.com/hotline-line/hotline/internal/twoperson"
)

// Server is a running node.
type Server struct {
	Node       *node.Node
	DirectAddr net.Addr
	// ConsoleURL is where the officers' web console answers ("" when it
	// is not served); see console.go.
	ConsoleURL string
	// ConsoleOfficers is how many officer accounts the node had when the
	// console started: none means nobody can log in yet.
	ConsoleOfficers int
	// Alerts is the escalation engine: what is owed, where each alert
	// stands on the chain, silencing. See escalation.go.
	Alerts     *escalate.Engine
	alertsDone chan struct{} // closed when the engine's Run returns
	console    *consoleServer
	officers   *officer.Store  // accounts and drafts (officers.db)
	desk       *twoperson.Desk // two-person release, for the console and the control socket
	direct     *http.Server
	control    *http.Server
	stop       context.CancelFunc
	log        *slog.Logger
}

// Start opens the node in dir and starts serving. Close stops it.
func Start(dir string, log *slog.Logger, opts ...Option) (*Server, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	// A bad escalation chain stops the start: a node that would not page
	// anyone when it should must not look healthy.
	chain, err := escalate.Load(dir)
	if err != nil {
		return nil, err
	}
	nopts := node.Options{Logger: log, Now: time.Now}
	if o.skew != 0 {
		nopts.Now = func() time.Time { return time.Now().Add(o.skew) }
	}
	n, err := node.Open(dir, nopts)
	if err != nil {
		return nil, err
	}
	s := &Server{Node: n}
	if s.Alerts, err = newEscalation(n, chain, log, nopts.Now); err != nil {
		n.Close()
		return nil, err
	}
	if err := s.start(log, o); err != nil {
		s.Alerts.Close()
		n.Close()
		return nil, err
	}
	return s, nil
}

func (s *Server) start(log *slog.Logger, o options) error {
	n := s.Node
	s.log = log
	cert, err := n.Keys.TLSCertificate()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", n.Cfg.Listen)
	if err != nil {
		return fmt.Errorf("direct route: listen on %s: %w", n.Cfg.Listen, err)
	}
	s.DirectAddr = ln.Addr()
	// The direct listener takes a quarter of the descriptors at most (the
	// default of package peerlimit); the rest stays for the console, the
	// control socket, SQLite and the node's own dials.
	s.direct, _ = direct.Serve(ln, n, n, cert, direct.Limits{}, slog.NewLogLogger(log.Handler(), slog.LevelDebug))

	// One desk settles interrupted releases once, then serves both the
	// console and the command line.
	if s.officers, err = officer.OpenDir(n.Dir, officer.Config{}); err != nil {
		s.direct.Close()
		return err
	}
	s.desk = twoperson.Open(context.Background(), n, s.officers, log)

	sock := filepath.Join(n.Dir, node.SocketFile)
	os.Remove(sock) // a stale socket from a crash; the directory lock proves nobody else serves
	cl, err := net.Listen("unix", sock)
	if err != nil {
		s.direct.Close()
		s.officers.Close()
		return fmt.Errorf("control socket: %w", err)
	}
	os.Chmod(sock, 0o600)
	s.control = control.Serve(cl, control.Local{N: n, Engine: s.Alerts, Desk: s.desk})
	if err := s.startConsole(log, o.console); err != nil {
		s.direct.Close()
		s.control.Close()
		s.officers.Close()
		os.Remove(sock)
		return err
	}

	// The direct route first: it answers at once. The relay carries what
	// the direct route cannot, and urgent traffic goes on both.
	relays := relayroute.New(n, cert, log)
	var ctx context.Context
	ctx, s.stop = context.WithCancel(context.Background())
	go relays.Run(ctx)
	n.Start(direct.NewRotatingClient(n), relays)
	if o.importDir != "" {
		go watch(ctx, n, o.importDir, log)
	}
	s.runEscalation(ctx, log)
	log.Info("serving", "party", n.Me(), "direct", s.DirectAddr.String(), "socket", sock)
	return nil
}

// Close stops serving and closes the node; committed state is on disk. It
// returns within about stopWait + escalationStopWait whatever the node is
// doing (see docs/operations.md, "Stopping").
func (s *Server) Close(ctx context.Context) error {
	start := time.Now()
	s.Node.Stopping()
	s.stop()
	// The listeners and the engine stop side by side: each wait is
	// bounded, and none needs another to end first.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	wg.Go(func() { errs[0] = s.closeConsole(ctx) })
	wg.Go(func() { errs[1] = shutdown(ctx, s.direct) })
	wg.Go(func() { errs[2] = shutdown(ctx, s.control) })
	wg.Go(func() { errs[3] = s.closeEscalation() })
	wg.Wait()
	listeners := time.Since(start)
	err := errors.Join(append(errs, s.officers.Close())...)
	os.Remove(filepath.Join(s.Node.Dir, node.SocketFile))
	// The node last: the writer commits what it had accepted, and a
	// handler cut short above finds it closed.
	err = errors.Join(err, s.Node.Close())
	s.log.Info("stopped", "listeners", listeners.Round(time.Millisecond).String(),
		"node", (time.Since(start) - listeners).Round(time.Millisecond).String(), "err", err)
	return err
}

// stopWait bounds how long a listener waits for its requests under way.
// A peer resends whatever was not answered, a command line reports the
// error, and an HTTP/2 connection would otherwise hold the stop for a
// second after its GOAWAY.
const stopWait = 500 * time.Millisecond

// shutdown stops srv: it refuses new requests at once, lets those under
// way finish for up to stopWait, then closes their connections.
func shutdown(ctx context.Context, srv *http.Server) error {
	ctx, cancel := context.WithTimeout(ctx, stopWait)
	defer cancel()
	if err := srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	// Shutdown has closed the listeners already.
	if err := srv.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}
