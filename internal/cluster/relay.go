package cluster

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/hotline-line/hotline/internal/faultproxy"
)

// Relay is the line's relay, with Options.FaultRoutes: a "hotline relay
// serve" process behind a fault proxy, which is what the charter names.
type Relay struct {
	Dir    string
	Listen string
	Proxy  *faultproxy.Proxy
	log    string
	debug  bool
	c      *Cluster

	mu   sync.Mutex
	proc *Proc
}

// Log is the path of the relay's log.
func (r *Relay) Log() string { return r.log }

// Alive reports whether the relay process runs.
func (r *Relay) Alive() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.proc != nil && r.proc.Alive()
}

// Start starts the relay process and waits until it accepts connections.
func (r *Relay) Start(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.proc != nil && r.proc.Alive() {
		return fmt.Errorf("the relay is already running")
	}
	args := []string{"relay", "serve", "--dir", r.Dir}
	if r.debug {
		args = append(args, "--log-level", "debug")
	}
	pr, err := StartProc(r.c.Bin, args, r.log)
	if err != nil {
		return err
	}
	r.proc = pr
	r.c.logf("relay: started, pid %d", pr.Pid())
	return Poll(ctx, StartTimeout, "relay serving", func() (bool, error) {
		if !pr.Alive() {
			return false, fmt.Errorf("relay %w", pr.Exited())
		}
		conn, err := net.DialTimeout("tcp", r.Listen, time.Second)
		if err != nil {
			return false, nil
		}
		conn.Close()
		return true, nil
	})
}

// Kill SIGKILLs the relay process, if it runs.
func (r *Relay) Kill() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.proc != nil && r.proc.Alive() {
		r.proc.Kill()
		r.c.logf("relay: killed")
	}
	r.proc = nil
}
