// Package memroute is an in-memory route between nodes in one process, for
// fast protocol tests. It can be cut, to play a dead cable.
package memroute

import (
	"context"
	"errors"
	"sync"

	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/wire"
)

// Net connects nodes by party name.
type Net struct {
	mu    sync.Mutex
	nodes map[string]*node.Node
	cut   map[string]bool // "a>b": bundles from a to b are lost
}

// New returns an empty network.
func New() *Net { return &Net{nodes: map[string]*node.Node{}, cut: map[string]bool{}} }

// Add attaches a node.
func (m *Net) Add(n *node.Node) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.nodes[n.Me()] = n
}

// Cut loses every bundle from a to b (and its reply) until Mend.
func (m *Net) Cut(a, b string) { m.set(a, b, true) }

// Mend undoes Cut.
func (m *Net) Mend(a, b string) { m.set(a, b, false) }

func (m *Net) set(a, b string, v bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cut[a+">"+b] = v
}

// ErrUnreachable is what a cut or unknown route returns.
var ErrUnreachable = errors.New("memroute: unreachable")

// Route returns the route that party from uses.
func (m *Net) Route(from string) node.Route { return &route{m, from} }

type route struct {
	m    *Net
	from string
}

func (r *route) Name() string { return "memory" }

func (r *route) Exchange(ctx context.Context, line, peer string, b *wire.Bundle) (*wire.Bundle, error) {
	r.m.mu.Lock()
	dst, cut := r.m.nodes[peer], r.m.cut[r.from+">"+peer]
	r.m.mu.Unlock()
	if dst == nil || cut {
		return nil, ErrUnreachable
	}
	// Round-trip through the encoding, as a real route would.
	in, err := wire.Parse(b.Marshal())
	if err != nil {
		return nil, err
	}
	reply, err := dst.HandleBundle(ctx, r.from, in)
	if err != nil {
		return nil, &node.RefusedError{Msg: err.Error()}
	}
	return wire.ParseReply(reply.Marshal())
}
