package node

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"sync"

	"github.com/hotline-line/hotline/internal/wire"
)

// Timing of a link. Retries stay in seconds, never minutes: a line that
// comes back must be used at once.
const (
	heartbeat  = 10 * time.Second
	minBackoff = 50 * time.Millisecond
	maxBackoff = 2 * time.Second
)

// link delivers this party's log to one peer on one line and fetches the
// peer's receipts, over the node's routes.
type link struct {
	n     *Node
	ls    *lineState
	peer  string
	wake  chan struct{}
	clock func() time.Time

	mu        sync.Mutex
	peerHas   uint64 // how much of our log the peer holds, by its word or its receipt
	cosigSent uint64 // size of our latest cosignature the peer has received
	sentHi    uint64 // entries below this have been sent at least once
	failures  int
	ok        bool // at least one exchange succeeded
	health    map[string]*RouteHealth
}

// RouteHealth is what real traffic says about one route to one peer.
type RouteHealth struct {
	Route       string        `json:"route"`
	LastSuccess time.Time     `json:"last_success,omitzero"`
	LastFailure time.Time     `json:"last_failure,omitzero"`
	LastError   string        `json:"last_error,omitempty"`
	RTT         time.Duration `json:"rtt"`
	Failures    int           `json:"consecutive_failures"`
	LastInbound time.Time     `json:"last_inbound,omitzero"`
}

// Start runs a delivery link to every peer of every line over routes, in
// the order given: the first route that answers carries the bundle.
func (n *Node) Start(routes ...Route) {
	n.linkMu.Lock()
	n.routes = routes
	n.linkMu.Unlock()
	n.mu.RLock()
	defer n.mu.RUnlock()
	for _, ls := range n.lines {
		n.startLinks(ls)
	}
}

func (n *Node) startLinks(ls *lineState) {
	n.linkMu.Lock()
	defer n.linkMu.Unlock()
	if len(n.routes) == 0 {
		return
	}
	for _, p := range ls.peers {
		key := ls.id + "/" + p
		if n.links[key] != nil {
			continue
		}
		lg := ls.logs[ls.me]
		lg.mu.Lock()
		has := lg.receipts[p]
		lg.mu.Unlock()
		l := &link{n: n, ls: ls, peer: p, wake: make(chan struct{}, 1), clock: n.now,
			peerHas: has, sentHi: has, health: map[string]*RouteHealth{}}
		for _, r := range n.routes {
			l.health[r.Name()] = &RouteHealth{Route: r.Name()}
		}
		n.links[key] = l
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			l.run(n.ctx, n.routes)
		}()
	}
}

func (n *Node) linkFor(line, peer string) *link {
	n.linkMu.Lock()
	defer n.linkMu.Unlock()
	return n.links[line+"/"+peer]
}

func (n *Node) wakeLinks(line string) {
	n.linkMu.Lock()
	defer n.linkMu.Unlock()
	for _, l := range n.links {
		if l.ls.id == line {
			l.poke()
		}
	}
}

func (l *link) poke() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// inbound is called when the peer reached us: it tells how much of our log
// it holds, and it proves the peer is alive, so a link in backoff retries
// at once.
func (l *link) inbound(have map[string]uint64) {
	l.mu.Lock()
	if has, ok := have[l.ls.me]; ok {
		l.peerHas = has
	}
	retry := l.failures > 0
	l.failures = 0
	for _, h := range l.health {
		h.LastInbound = l.clock()
	}
	l.mu.Unlock()
	if retry {
		l.poke()
	}
}

// heard is called when something of the peer's arrived by a carrier: the
// peer is alive, and we probably owe it a cosignature.
func (l *link) heard() {
	l.mu.Lock()
	l.failures = 0
	l.mu.Unlock()
	l.poke()
}

func (l *link) failing() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failures > 0 || !l.ok
}

func (l *link) delay() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failures == 0 {
		return heartbeat
	}
	d := min(minBackoff<<min(l.failures-1, 10), maxBackoff)
	return d/2 + rand.N(d/2+1) // jitter, so two sides do not retry in lockstep
}

func (l *link) run(ctx context.Context, routes []Route) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		pull := false
		select {
		case <-ctx.Done():
			return
		case <-l.wake:
		case <-timer.C:
			pull = true
		}
		for ctx.Err() == nil {
			b := l.build(pull)
			if b == nil || !l.exchange(ctx, routes, b) {
				break
			}
			pull = false
		}
		timer.Reset(l.delay())
	}
}

// build returns the next bundle for the peer, or nil if there is nothing
// to say and no reason to ask.
func (l *link) build(pull bool) *wire.Bundle {
	n, ls := l.n, l.ls
	l.mu.Lock()
	from, cosigSent := l.peerHas, l.cosigSent
	l.mu.Unlock()
	seg, err := n.segment(ls, from)
	if err != nil {
		n.log.Error("build segment", "peer", l.peer, "err", err)
		return nil
	}
	b := n.reply(ls, l.peer)
	owed := ls.logs[l.peer].committed.Load() > cosigSent && len(b.Cosigs) > 0
	if seg == nil && !owed && !pull {
		return nil
	}
	if seg != nil {
		b.Segments = []wire.Segment{*seg}
	}
	b.Pull = pull
	return b
}

// exchange sends b over the first route that answers and takes in the
// reply. It reports whether the link should go on at once.
func (l *link) exchange(ctx context.Context, routes []Route, b *wire.Bundle) bool {
	n, ls := l.n, l.ls
	var resp *wire.Bundle
	var err error
	for _, r := range routes {
		start := l.clock()
		rctx, cancel := context.WithTimeout(ctx, exchangeTimeout(b))
		resp, err = r.Exchange(rctx, ls.id, l.peer, b)
		cancel()
		l.record(r.Name(), start, err)
		if err == nil {
			if len(b.Segments) > 0 {
				l.noteSent(b.Segments[0], r.Name())
			}
			break
		}
		var refused *RefusedError
		if errors.As(err, &refused) {
			break // the peer answered and said no: another route would hear the same
		}
	}
	if err != nil {
		l.fail()
		if ctx.Err() == nil {
			n.log.Warn("exchange failed", "line", ls.id, "peer", l.peer, "err", err)
		}
		return false
	}
	if resp.From != l.peer || resp.Line != ls.id {
		l.fail()
		n.log.Warn("reply from the wrong party", "peer", l.peer, "from", resp.From)
		return false
	}
	if err := n.absorb(ctx, ls, l.peer, resp); err != nil {
		l.fail()
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failures, l.ok = 0, true
	if h, ok := resp.Have[ls.me]; ok {
		l.peerHas = h
	}
	if len(b.Cosigs) > 0 {
		l.cosigSent = ls.logs[l.peer].committed.Load()
	}
	more := ls.logs[ls.me].committed.Load() > l.peerHas || len(resp.Segments) > 0
	return more
}

// exchangeTimeout gives a bundle time in proportion to its size, so a dead
// route is noticed in seconds and a big catch-up is not cut short.
func exchangeTimeout(b *wire.Bundle) time.Duration {
	n := 0
	for _, s := range b.Segments {
		n += len(s.Entries)
	}
	return 5*time.Second + time.Duration(n)*5*time.Millisecond
}

func (l *link) noteSent(seg wire.Segment, route string) {
	end := seg.Start + uint64(len(seg.Entries))
	l.mu.Lock()
	lo := max(seg.Start, l.sentHi)
	if end > l.sentHi {
		l.sentHi = end
	}
	l.mu.Unlock()
	if lo < end {
		l.n.recordSent(l.ls.id, l.peer, lo, end-1, route)
	}
}

func (l *link) record(route string, start time.Time, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.health[route]
	if h == nil {
		return
	}
	now := l.clock()
	if err != nil {
		h.LastFailure, h.LastError = now, err.Error()
		h.Failures++
		return
	}
	h.LastSuccess, h.RTT, h.Failures, h.LastError = now, now.Sub(start), 0, ""
}

func (l *link) fail() {
	l.mu.Lock()
	l.failures++
	l.mu.Unlock()
}

// RefusedError is returned by a route when the peer answered and refused
// the bundle; retrying on another route would not help.
type RefusedError struct{ Msg string }

func (e *RefusedError) Error() string { return "peer refused: " + e.Msg }
