package node

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/hotline-line/hotline/internal/wire"
)

// link delivers this party's log to one peer on one line and fetches the
// peer's receipts, over the node's routes.
type link struct {
	n    *Node
	ls   *lineState
	peer string
	// routes are the node's routes that serve the line, in the charter's
	// order; written only by the link's own goroutine, under mu, when the
	// charter in force changes (routesAt is the version they follow).
	routes   []Route
	routesAt uint64
	wake     chan struct{}
	rearm    chan struct{} // a route failed: recompute when to try again
	clock    func() time.Time

	mu            sync.Mutex
	peerHas       uint64 // how much of our log the peer holds, by its word or its receipt
	receiptSeen   uint64 // the largest receipt of the peer's that build has taken into peerHas
	cosigSent     uint64 // size of our latest cosignature the peer has received
	builtCosig    uint64 // size of the cosignature in the bundle being sent
	urgentReceipt bool   // that cosignature covers a FLASH or IMMEDIATE entry
	sentHi        uint64 // entries below this have been sent at least once
	failures      int
	ok            bool // at least one exchange succeeded
	health        map[string]*RouteHealth
	posted        map[string]*posting // mailbox routes: what was last left there
	peerClock     clockSamples        // the peer's clock against ours (clock.go)
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
	Mailbox     bool          `json:"mailbox,omitempty"` // a store-and-forward route: no answer comes back on it
	// Stalled means an exchange on the route has gone unanswered for
	// longer than it should (packets dropped, not refused): until it ends,
	// one way or the other, traffic goes on the other routes.
	Stalled bool `json:"stalled,omitempty"`

	inFlight []time.Time // exchanges under way on the route: when each counts as stalled
}

// Start runs a delivery link to every peer of every line over routes, in
// the order given: the first route that answers carries the bundle.
func (n *Node) Start(routes ...Route) {
	n.linkMu.Lock()
	n.routes = routes
	n.linkMu.Unlock()
	if len(routes) > 0 {
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			n.linkTester(n.ctx)
		}()
	}
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
	for _, p := range ls.peers() {
		key := ls.id + "/" + p
		if n.links[key] != nil {
			continue
		}
		lg := ls.log(ls.me)
		lg.mu.Lock()
		has := lg.receipts[p]
		lg.mu.Unlock()
		l := &link{n: n, ls: ls, peer: p, routes: routesFor(n.routes, ls.id), routesAt: ls.version.Load(),
			wake: make(chan struct{}, 1), rearm: make(chan struct{}, 1), clock: n.now,
			peerHas: has, receiptSeen: has, sentHi: has, health: map[string]*RouteHealth{}}
		for _, r := range l.routes {
			l.health[r.Name()] = &RouteHealth{Route: r.Name(), Mailbox: isMailbox(r)}
		}
		n.links[key] = l
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			l.run(n.ctx)
		}()
	}
}

// A lineScoped route serves only some lines: the relay route, only lines
// whose charter names a relay.
type lineScoped interface{ Serves(line string) bool }

// routesFor keeps the routes that serve line, in order. A route the line
// cannot use would only fail, in route health and in every link test.
func routesFor(routes []Route, line string) []Route {
	var out []Route
	for _, r := range routes {
		if s, ok := r.(lineScoped); ok && !s.Serves(line) {
			continue
		}
		out = append(out, r)
	}
	return out
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
	now := l.clock()
	for _, h := range l.health {
		if h.heard(now) {
			retry = true // it reached us, so try it again now
		}
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

// nextPull is when the link next asks the peer for news, by its policy.
func (l *link) nextPull() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return nextPull(l.clock(), l.failures, rand.Float64(), l.ordered())
}

// ordered returns the health of the link's routes in the charter's order.
// The caller holds l.mu.
func (l *link) ordered() []*RouteHealth {
	hs := make([]*RouteHealth, len(l.routes))
	for i, r := range l.routes {
		hs[i] = l.health[r.Name()]
	}
	return hs
}

// followCharter takes the routes of the charter in force, when it has
// changed since the link last looked: an amendment may have added or
// removed a relay. Only the link's goroutine calls it, so a bundle under
// way keeps the routes it started with.
func (l *link) followCharter() bool {
	v := l.ls.version.Load()
	if v == l.routesAt {
		return true
	}
	if !l.ls.isPeer(l.peer) {
		// The peer left the line, or we did: the link ends, and nothing
		// more of ours goes to it.
		l.n.linkMu.Lock()
		delete(l.n.links, l.ls.id+"/"+l.peer)
		l.n.linkMu.Unlock()
		return false
	}
	routes := routesFor(l.n.routes, l.ls.id)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.routes, l.routesAt = routes, v
	for _, r := range routes {
		if l.health[r.Name()] == nil {
			l.health[r.Name()] = &RouteHealth{Route: r.Name(), Mailbox: isMailbox(r)}
		}
	}
	for name := range l.health {
		if !slices.ContainsFunc(routes, func(r Route) bool { return r.Name() == name }) {
			delete(l.health, name)
		}
	}
	return true
}

// timerAt returns a timer that fires when the node's clock reaches at. It
// counts on the runtime's timers from the clock's now: tests that need the
// link's time to pass at once run it inside a testing/synctest bubble.
func (l *link) timerAt(at time.Time) *time.Timer {
	return time.NewTimer(at.Sub(l.clock()))
}

// resetAt sets t to fire when the node's clock reaches at.
func (l *link) resetAt(t *time.Timer, at time.Time) {
	t.Reset(at.Sub(l.clock()))
}

func (l *link) run(ctx context.Context) {
	due := l.clock() // the next pull; the first goes at once
	wakeAt := due    // the next pull, or before it an exchange under way stalls
	timer := l.timerAt(wakeAt)
	defer timer.Stop()
	setTimer := func() {
		wakeAt = l.nextWake(due)
		l.resetAt(timer, wakeAt)
	}
	for {
		if !l.followCharter() {
			return
		}
		pull := false
		select {
		case <-ctx.Done():
			return
		case <-l.wake:
		case <-l.rearm:
			// A route failed after the timer was set: try it again when
			// its rest ends, if that comes first.
			if at := l.nextPull(); at.Before(due) {
				due = at
			}
			setTimer()
			continue
		case <-timer.C:
			// The timer firing means the time it was set for has come,
			// even on a clock that a test holds still.
			now := later(l.clock(), wakeAt)
			l.refresh(now)
			if now.Before(due) {
				setTimer() // a stall, shown in route health
				continue
			}
			pull = true
		}
		for ctx.Err() == nil {
			b := l.build(pull)
			if b == nil || !l.exchange(ctx, b) {
				break
			}
			pull = false
		}
		due = l.nextPull()
		setTimer()
	}
}

// build returns the next bundle for the peer, or nil if there is nothing
// to say and no reason to ask.
func (l *link) build(pull bool) *wire.Bundle {
	n, ls := l.n, l.ls
	own := ls.log(ls.me)
	own.mu.Lock()
	receipt := own.receipts[l.peer]
	own.mu.Unlock()
	l.mu.Lock()
	// A new receipt says how much the peer holds, whatever route brought
	// it (a relay brings no reply): without this, every bundle on the
	// relay would carry again all that was sent since the direct route
	// last answered. Only a new one counts, so that a peer restored from
	// an old backup can still say, on the direct route, that it holds less.
	if receipt > l.receiptSeen {
		l.receiptSeen = receipt
		l.peerHas = max(l.peerHas, receipt)
	}
	from, cosigSent := l.peerHas, l.cosigSent
	// Several segments only to a peer that answers: while it does not,
	// each try would read and sign them all before failing.
	limit := 1
	if l.ok && l.failures == 0 {
		limit = catchUpSegments
	}
	l.mu.Unlock()
	segs, err := n.segments(ls, from, limit)
	if err != nil {
		n.log.Error("build segment", "peer", l.peer, "err", err)
		return nil
	}
	b, cosigSize := n.reply(ls, l.peer)
	owed := cosigSize > cosigSent
	lg := ls.log(l.peer)
	lg.mu.Lock()
	urgentAt := lg.urgentAt
	lg.mu.Unlock()
	l.mu.Lock()
	l.builtCosig = cosigSize
	// The receipt of a FLASH is as urgent as the FLASH: the sender's
	// people are waiting for "delivered".
	l.urgentReceipt = owed && urgentAt > cosigSent
	l.mu.Unlock()
	if len(segs) == 0 && !owed && !pull {
		return nil
	}
	b.Segments = segs
	b.Pull = pull
	return b
}

// exchange sends b by the sending policy (see chooseRoutes) and takes in
// the reply. It reports whether the link should go on at once.
func (l *link) exchange(ctx context.Context, b *wire.Bundle) bool {
	n, ls := l.n, l.ls
	l.mu.Lock()
	urgent := l.urgentReceipt || l.urgent(b)
	c := chooseRoutes(l.clock(), l.ordered(), urgent)
	l.mu.Unlock()
	replies, err := l.carry(ctx, c, b)
	if err != nil {
		l.fail()
		if ctx.Err() == nil {
			n.log.Warn("exchange failed", "line", ls.id, "peer", l.peer, "err", err)
		}
		return false
	}
	if len(replies) == 0 {
		// Posted to a mailbox: the reply comes back through ours. The
		// relay keeps our cosignature for the peer, so it is not owed
		// again; were it lost, the next heartbeat carries it.
		l.mu.Lock()
		l.cosigSent = max(l.cosigSent, l.builtCosig)
		l.mu.Unlock()
		return false
	}
	more := false
	for _, resp := range replies {
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
		l.failures, l.ok = 0, true
		if h, ok := resp.Have[ls.me]; ok {
			l.peerHas = h
		}
		l.cosigSent = max(l.cosigSent, l.builtCosig)
		more = more || ls.log(ls.me).committed.Load() > l.peerHas || len(resp.Segments) > 0
		l.mu.Unlock()
	}
	return more
}

func (l *link) noteSent(seg wire.Segment, route string, at time.Time) {
	end := seg.Start + uint64(len(seg.Entries))
	l.mu.Lock()
	lo := max(seg.Start, l.sentHi)
	if end > l.sentHi {
		l.sentHi = end
	}
	l.mu.Unlock()
	if lo < end {
		l.n.recordSent(l.ls.id, l.peer, lo, end-1, route, at)
	}
}

func (l *link) record(route string, start time.Time, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.health[route]
	if h == nil {
		return
	}
	if h.ended(start, l.clock(), err) {
		// The failure may end an exchange the link no longer waits for:
		// have it set its timer to try the route again when its rest ends
		// (see nextPull).
		select {
		case l.rearm <- struct{}{}:
		default:
		}
	}
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
