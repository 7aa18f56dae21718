package node_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/memroute"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
	"github.com/hotline-line/hotline/internal/wire"
)

// cable is an in-memory route with a name that can be blackholed: an
// exchange then hangs until its deadline, as on a cut cable that drops
// packets rather than refusing them.
type cable struct {
	name  string
	inner node.Route
	dark  *atomic.Bool
	calls *atomic.Int64
}

func (c *cable) Name() string { return c.name }

// maxCalls is where a cable stops answering at once. In a synctest bubble
// time passes only when every goroutine waits: a link that busy-looped on
// a refusing route would hold the bubble's clock still and hang its test
// instead of failing it.
const maxCalls = 1000

func (c *cable) Exchange(ctx context.Context, line, peer string, b *wire.Bundle) (*wire.Bundle, error) {
	if c.calls.Add(1) > maxCalls || c.dark.Load() {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return c.inner.Exchange(ctx, line, peer, b)
}

// pairWith pairs two nodes and starts them on routes made by mk.
func pairWith(t *testing.T, mk func(net *memroute.Net, n *node.Node) []node.Route) ([]*node.Node, string) {
	t.Helper()
	nodes, line := nodetest.Pair(t, nodetest.Dirs(t), node.Options{})
	net := memroute.New()
	for _, n := range nodes {
		net.Add(n)
	}
	for _, n := range nodes {
		n.Start(mk(net, n)...)
	}
	return nodes, line
}

// waitReceipt waits until peer's receipt covers size entries, and returns
// how long that took. The failover tests run in a testing/synctest bubble:
// the time is the bubble's, which passes only when every goroutine of the
// test waits, so timings are the link's policy, not the machine's load.
func waitReceipt(t *testing.T, n *node.Node, line, peer string, size uint64, d time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	nodetest.Wait(t, d, fmt.Sprintf("%s's receipt for %d entries", peer, size), func() bool {
		r, _ := n.Receipt(line, peer)
		return r >= size
	})
	return time.Since(start)
}

// A first route that swallows bundles silently holds a ROUTINE message
// for a second or so, not for the whole exchange timeout on each side: the
// next route is started beside it.
func TestFailoverPastASilentRoute(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dark := new(atomic.Bool)
		nodes, line := pairWith(t, func(net *memroute.Net, n *node.Node) []node.Route {
			return []node.Route{
				&cable{"direct", net.Route(n.Me()), dark, new(atomic.Int64)},
				&cable{"second", net.Route(n.Me()), new(atomic.Bool), new(atomic.Int64)},
			}
		})
		a := nodes[0]
		ctx := context.Background()
		if _, err := a.Send(ctx, node.SendRequest{Line: line, Text: "before"}); err != nil {
			t.Fatal(err)
		}
		waitReceipt(t, a, line, "beijing", 2, 10*time.Second)
		dark.Store(true)
		if _, err := a.Send(ctx, node.SendRequest{Line: line, Text: "with the first route dark"}); err != nil {
			t.Fatal(err)
		}
		// Before hedging, this took the whole exchange timeout (5 s); now
		// about minHedge (500 ms).
		took := waitReceipt(t, a, line, "beijing", 3, 20*time.Second)
		t.Logf("ROUTINE delivered past a silent route in %v", took)
		if took > 3*time.Second {
			t.Fatalf("ROUTINE took %v past a silent route: failover waited for the timeout", took)
		}
		// Once the first route is marked stalled, the next message does not
		// wait for it at all.
		if _, err := a.Send(ctx, node.SendRequest{Line: line, Precedence: entry.Routine, Text: "again"}); err != nil {
			t.Fatal(err)
		}
		waitReceipt(t, a, line, "beijing", 4, 20*time.Second)
	})
}

// mailbox is an in-memory store-and-forward route: a bundle is sealed,
// left for the peer and taken in later by it; no reply comes back.
type mailbox struct {
	from  string
	nodes map[string]*node.Node
	mu    *sync.Mutex
	sizes *[]int // entries carried by each post of the first party
}

func (m *mailbox) Name() string  { return "relay" }
func (m *mailbox) Mailbox() bool { return true }

func (m *mailbox) Exchange(ctx context.Context, line, peer string, b *wire.Bundle) (*wire.Bundle, error) {
	m.mu.Lock()
	src, dst := m.nodes[m.from], m.nodes[peer]
	m.mu.Unlock()
	if src == nil || dst == nil {
		return nil, memroute.ErrUnreachable // the other node is not started yet
	}
	data, err := src.SealFor(line, peer, b)
	if err != nil {
		return nil, err
	}
	if m.from == "seoul" {
		n := 0
		for _, s := range b.Segments {
			n += len(s.Entries)
		}
		m.mu.Lock()
		*m.sizes = append(*m.sizes, n)
		m.mu.Unlock()
	}
	go dst.AbsorbMailbox(context.Background(), line, m.from, data)
	return nil, nil
}

// When only a mailbox carries traffic, the peer's receipts (which come
// back through our own mailbox) say what it holds: each post carries the
// new entries, not everything since the last direct answer.
func TestMailboxReceiptsAdvance(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var sizes []int
		nodes := map[string]*node.Node{}
		ns, line := pairWith(t, func(_ *memroute.Net, n *node.Node) []node.Route {
			mu.Lock()
			defer mu.Unlock()
			nodes[n.Me()] = n
			return []node.Route{&mailbox{from: n.Me(), nodes: nodes, mu: &mu, sizes: &sizes}}
		})
		a := ns[0]
		ctx := context.Background()
		for i := range 8 {
			if _, err := a.Send(ctx, node.SendRequest{Line: line, Text: fmt.Sprintf("by mailbox %d", i)}); err != nil {
				t.Fatal(err)
			}
			waitReceipt(t, a, line, "beijing", uint64(i+2), 20*time.Second)
		}
		mu.Lock()
		defer mu.Unlock()
		t.Logf("entries per post: %v", sizes)
		if last := sizes[len(sizes)-1]; last > 2 {
			t.Fatalf("the last post carried %d entries (posts: %v): receipts from the mailbox were not taken into account", last, sizes)
		}
	})
}

// When every route refuses at once, the link backs off instead of
// retrying in a busy loop.
func TestNoBusyLoopWhenEveryRouteRefuses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int64
		var net *memroute.Net
		nodes, line := pairWith(t, func(m *memroute.Net, n *node.Node) []node.Route {
			net = m
			return []node.Route{
				&cable{"direct", m.Route(n.Me()), new(atomic.Bool), &calls},
				&cable{"second", m.Route(n.Me()), new(atomic.Bool), &calls},
			}
		})
		a := nodes[0]
		waitReceipt(t, a, line, "beijing", 1, 10*time.Second)
		net.Cut("seoul", "beijing")
		net.Cut("beijing", "seoul")
		if _, err := a.Send(context.Background(), node.SendRequest{Line: line, Text: "nobody hears"}); err != nil {
			t.Fatal(err)
		}
		before := calls.Load()
		start := time.Now()
		deadline := time.NewTimer(3 * time.Second)
		<-deadline.C
		n := calls.Load() - before
		rate := float64(n) / time.Since(start).Seconds()
		t.Logf("%d exchanges in %v with every route refusing", n, time.Since(start).Round(time.Millisecond))
		if rate > 50 {
			t.Fatalf("%.0f exchanges a second with every route refusing: a busy loop", rate)
		}
	})
}
