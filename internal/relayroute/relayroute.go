// Package relayroute is the relay route of a node: it leaves sealed
// bundles in a peer's mailbox on the relays the charter in force names, and takes
// the bundles peers left in ours. The relay is untrusted: it sees parcels
// sealed to their recipient, and everything inside is verified as if it
// came by any other route.
package relayroute

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/relay"
	"github.com/hotline-line/hotline/internal/wire"
)

// Route carries bundles through relays.
type Route struct {
	n    *node.Node
	cert tls.Certificate
	log  *slog.Logger

	mu      sync.Mutex
	clients map[string]*relay.Client // by address and key
	running map[string]bool          // receive loops, by line and relay
}

// New returns the relay route of node n.
func New(n *node.Node, cert tls.Certificate, log *slog.Logger) *Route {
	return &Route{n: n, cert: cert, log: log, clients: map[string]*relay.Client{}, running: map[string]bool{}}
}

// Name implements node.Route.
func (r *Route) Name() string { return "relay" }

// Serves tells the node the route carries only lines whose charter names
// a relay.
func (r *Route) Serves(line string) bool {
	rs, err := r.n.Relays(line)
	return err == nil && len(rs) > 0
}

// Mailbox tells the node that replies come back through our own mailbox.
func (r *Route) Mailbox() bool { return true }

func (r *Route) client(addr string, key []byte) *relay.Client {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := addr + "|" + string(key)
	c := r.clients[id]
	if c == nil {
		c = relay.NewClient(r.cert, addr, ed25519.PublicKey(key))
		r.clients[id] = c
	}
	return c
}

// ErrNoRelay means the line's charter names no relay.
var ErrNoRelay = errors.New("the charter names no relay")

// Exchange seals b to peer and leaves it on the first relay that takes it.
// It returns no reply: the peer answers through our mailbox.
func (r *Route) Exchange(ctx context.Context, line, peer string, b *wire.Bundle) (*wire.Bundle, error) {
	relays, err := r.n.Relays(line)
	if err != nil {
		return nil, err
	}
	if len(relays) == 0 {
		return nil, ErrNoRelay
	}
	blob, err := r.n.SealFor(line, peer, b)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, rl := range relays {
		if _, err := r.client(rl.Addr, rl.TLSKey).Put(ctx, line, peer, blob); err != nil {
			errs = append(errs, fmt.Errorf("relay %s: %w", rl.Addr, err))
			continue
		}
		return nil, nil
	}
	return nil, errors.Join(errs...)
}

// Run fetches our mailbox on every relay of every line until ctx ends,
// starting new loops as lines are installed.
func (r *Route) Run(ctx context.Context) {
	for {
		changed := r.n.Changed()
		for _, line := range r.n.Lines() {
			relays, _ := r.n.Relays(line)
			for _, rl := range relays {
				key := line + "|" + rl.Addr
				r.mu.Lock()
				start := !r.running[key]
				r.running[key] = true
				r.mu.Unlock()
				if start {
					go r.receive(ctx, line, rl.Addr, r.client(rl.Addr, rl.TLSKey))
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
		}
	}
}

// receive long-polls one mailbox. A parcel is acknowledged (deleted from
// the relay) only once the node has durably taken it in, or refused it for
// good; one the node could not take in now stays for the next try.
func (r *Route) receive(ctx context.Context, line, addr string, c *relay.Client) {
	me := r.n.Me()
	var after uint64
	failures := 0
	for ctx.Err() == nil {
		if !r.names(line, addr) {
			// An amendment removed the relay: stop asking it. Run starts
			// a new loop if one adds it again.
			r.mu.Lock()
			delete(r.running, line+"|"+addr)
			r.mu.Unlock()
			return
		}
		// The relay answers a long poll within fetchWait; a fetch that
		// takes much longer hangs on a dead connection and is given up.
		fctx, cancel := context.WithTimeout(ctx, fetchWait+15*time.Second)
		msgs, err := c.Fetch(fctx, line, me, after, fetchWait)
		cancel()
		if err != nil {
			failures++
			if ctx.Err() == nil && failures%10 == 1 {
				r.log.Warn("relay fetch failed", "line", line, "err", err)
			}
			wait(ctx, min(50*time.Millisecond<<min(failures, 6), 2*time.Second))
			continue
		}
		failures = 0
		done := after
		for _, m := range msgs {
			err := r.n.AbsorbMailbox(ctx, line, m.Sender, m.Blob)
			if errors.Is(err, node.ErrUnavailable) || errors.Is(err, node.ErrClosed) || ctx.Err() != nil {
				break // keep it on the relay; try again
			}
			if err != nil {
				r.log.Warn("refused a parcel from the relay", "line", line, "sender", m.Sender, "err", err)
			}
			done = m.Seq
		}
		if done > after {
			if err := c.Ack(ctx, line, me, done); err != nil && ctx.Err() == nil {
				r.log.Warn("relay ack failed", "line", line, "err", err)
			}
			after = done
		}
		if len(msgs) > 0 && done == after && done < msgs[len(msgs)-1].Seq {
			wait(ctx, time.Second) // the node is busy or full: do not spin
		}
	}
}

// names reports whether the charter in force on line names the relay at
// addr.
func (r *Route) names(line, addr string) bool {
	relays, _ := r.n.Relays(line)
	for _, rl := range relays {
		if rl.Addr == addr {
			return true
		}
	}
	return false
}

// fetchWait is how long a fetch waits on the relay for a parcel to arrive.
const fetchWait = 25 * time.Second

func wait(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
