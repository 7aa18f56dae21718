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
	rearm chan struct{} // a route failed: recompute when to try again
	clock func() time.Time

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

	pending int // exchanges under way on the route
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
	for _, p := range ls.peers {
		key := ls.id + "/" + p
		if n.links[key] != nil {
			continue
		}
		lg := ls.logs[ls.me]
		lg.mu.Lock()
		has := lg.receipts[p]
		lg.mu.Unlock()
		l := &link{n: n, ls: ls, peer: p, wake: make(chan struct{}, 1), rearm: make(chan struct{}, 1), clock: n.now,
			peerHas: has, receiptSeen: has, sentHi: has, health: map[string]*RouteHealth{}}
		routes := routesFor(n.routes, ls.id)
		for _, r := range routes {
			l.health[r.Name()] = &RouteHealth{Route: r.Name(), Mailbox: isMailbox(r)}
		}
		n.links[key] = l
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			l.run(n.ctx, routes)
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
	for _, h := range l.health {
		h.LastInbound = l.clock()
		if !h.Mailbox && h.Failures > 0 {
			h.Failures, retry = 0, true // it reached us, so try it again now
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

func (l *link) delay() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	d := heartbeat
	if l.failures > 0 {
		d = min(minBackoff<<min(l.failures-1, 10), maxBackoff)
		d = d/2 + rand.N(d/2+1) // jitter, so two sides do not retry in lockstep
	}
	// A failed route that answers (rather than a mailbox) is tried again
	// as soon as its rest ends, so that a cable that comes back carries
	// traffic within that rest, not at the next heartbeat. The pull goes
	// on the first usable route in the charter's order: routes that answer
	// come first.
	now := l.clock()
	for _, h := range l.health {
		if h.Failures > 0 && !h.Mailbox && h.pending == 0 {
			d = min(d, max(h.LastFailure.Add(routeBackoff(h.Failures)).Sub(now), minBackoff))
		}
	}
	return d
}

func (l *link) run(ctx context.Context, routes []Route) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	due := time.Now()
	for {
		pull := false
		select {
		case <-ctx.Done():
			return
		case <-l.wake:
		case <-l.rearm:
			// A route failed after the timer was set: try it again when
			// its rest ends, if that comes first.
			if d := l.delay(); time.Now().Add(d).Before(due) {
				timer.Reset(d)
				due = time.Now().Add(d)
			}
			continue
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
		d := l.delay()
		timer.Reset(d)
		due = time.Now().Add(d)
	}
}

// build returns the next bundle for the peer, or nil if there is nothing
// to say and no reason to ask.
func (l *link) build(pull bool) *wire.Bundle {
	n, ls := l.n, l.ls
	own := ls.logs[ls.me]
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
	l.mu.Unlock()
	seg, err := n.segment(ls, from)
	if err != nil {
		n.log.Error("build segment", "peer", l.peer, "err", err)
		return nil
	}
	b, cosigSize := n.reply(ls, l.peer)
	owed := cosigSize > cosigSent
	lg := ls.logs[l.peer]
	lg.mu.Lock()
	urgentAt := lg.urgentAt
	lg.mu.Unlock()
	l.mu.Lock()
	l.builtCosig = cosigSize
	// The receipt of a FLASH is as urgent as the FLASH: the sender's
	// people are waiting for "delivered".
	l.urgentReceipt = owed && urgentAt > cosigSent
	l.mu.Unlock()
	if seg == nil && !owed && !pull {
		return nil
	}
	if seg != nil {
		b.Segments = []wire.Segment{*seg}
	}
	b.Pull = pull
	return b
}

// exchange sends b by the sending policy and takes in the reply. Urgent
// traffic (a FLASH or IMMEDIATE entry the peer has not cosigned) goes on
// every usable route at once; the rest goes on the first usable route in
// the charter's order, failing over to the next. It reports whether the
// link should go on at once.
func (l *link) exchange(ctx context.Context, routes []Route, b *wire.Bundle) bool {
	n, ls := l.n, l.ls
	usable, stalled := l.usable(routes)
	var replies []*wire.Bundle
	var err error
	l.mu.Lock()
	urgent := l.urgentReceipt
	l.mu.Unlock()
	if (urgent || l.urgent(b)) && len(usable) > 1 {
		replies, err = l.fanOut(ctx, usable, b)
	} else {
		// A stalled route comes last: the usable ones are tried first, and
		// it is tried again only if they fail or are late too.
		replies, err = l.failover(ctx, append(usable, stalled...), b)
	}
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
		more = more || ls.logs[ls.me].committed.Load() > l.peerHas || len(resp.Segments) > 0
		l.mu.Unlock()
	}
	return more
}

// send carries b on one route and records what happened. A nil reply with
// a nil error means the route is a mailbox and took the bundle.
func (l *link) send(ctx context.Context, r Route, b *wire.Bundle) (*wire.Bundle, error) {
	if isMailbox(r) && !l.worthPosting(r.Name(), b) {
		return nil, nil
	}
	start := l.clock()
	rctx, cancel := context.WithTimeout(ctx, exchangeTimeout(b))
	defer cancel()
	// An exchange unanswered past its hedge time marks the route stalled,
	// so that later bundles do not queue behind it on a dead cable.
	ended := false // guarded by l.mu
	l.mu.Lock()
	h := l.health[r.Name()]
	if h != nil {
		h.pending++
	}
	l.mu.Unlock()
	stall := time.AfterFunc(l.hedgeAfter(r, b), func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if h != nil && !ended {
			h.Stalled = true
		}
	})
	resp, err := r.Exchange(rctx, l.ls.id, l.peer, b)
	stall.Stop()
	l.mu.Lock()
	ended = true
	if h != nil {
		h.pending--
	}
	l.mu.Unlock()
	l.record(r.Name(), start, err)
	l.measureClock(b, resp, err, start)
	if err == nil && len(b.Segments) > 0 {
		l.noteSent(b.Segments[0], r.Name(), start)
		if isMailbox(r) {
			l.notePosted(r.Name(), b)
		}
	}
	return resp, err
}

// routeResult is what one route brought back for a bundle.
type routeResult struct {
	resp *wire.Bundle
	err  error
}

// failover carries b on the first route that takes it, in the charter's
// order. A route that fails passes the bundle to the next at once; one
// that neither answers nor fails within hedgeAfter (a dead cable drops
// packets, it does not refuse them) gets the next route started beside
// it, so a blackholed route costs about a second, not a whole timeout, and
// does not hold up the link. What a slow route brings back later is still
// taken in.
func (l *link) failover(ctx context.Context, routes []Route, b *wire.Bundle) ([]*wire.Bundle, error) {
	results := make(chan routeResult, len(routes))
	next := 0
	launch := func() time.Duration {
		r := routes[next]
		next++
		go func() {
			resp, err := l.send(ctx, r, b)
			results <- routeResult{resp, err}
		}()
		return l.hedgeAfter(r, b)
	}
	hedge := time.NewTimer(launch())
	defer hedge.Stop()
	inFlight, refused, stalled := 1, false, false
	var errs []error
	// giveUp leaves the routes still under way, all stalled, to finish in
	// the background once another has failed: the link retries after its
	// backoff, on the routes that are not stalled.
	giveUp := func() ([]*wire.Bundle, error) {
		go l.drain(ctx, results, inFlight)
		return nil, errors.Join(errs...)
	}
	for inFlight > 0 {
		var hedged <-chan time.Time
		if !refused && !stalled {
			hedged = hedge.C
		}
		select {
		case r := <-results:
			inFlight--
			if r.err == nil {
				if inFlight > 0 {
					go l.drain(ctx, results, inFlight)
				}
				if r.resp == nil {
					return nil, nil
				}
				return []*wire.Bundle{r.resp}, nil
			}
			errs = append(errs, r.err)
			var rf *RefusedError
			switch {
			case errors.As(r.err, &rf):
				refused = true // the peer answered and said no: another route would hear the same
			case !refused && next < len(routes):
				hedge.Reset(launch())
				inFlight++
			case stalled && inFlight > 0:
				return giveUp()
			}
		case <-hedged:
			if next < len(routes) {
				hedge.Reset(launch())
				inFlight++
				continue
			}
			stalled = true // every route is under way or failed, and the last one is late
			if len(errs) > 0 {
				return giveUp()
			}
		}
	}
	return nil, errors.Join(errs...)
}

// Bounds of hedgeAfter.
const (
	minHedge = 500 * time.Millisecond
	maxHedge = 2 * time.Second
)

// hedgeAfter is how long failover waits for route r to carry b before it
// starts the next route too: a few of r's round trips, more for a big
// bundle, within bounds.
func (l *link) hedgeAfter(r Route, b *wire.Bundle) time.Duration {
	l.mu.Lock()
	rtt := time.Duration(0)
	if h := l.health[r.Name()]; h != nil {
		rtt = h.RTT
	}
	l.mu.Unlock()
	d := maxHedge
	if rtt > 0 {
		d = min(max(4*rtt, minHedge), maxHedge)
	}
	n := 0
	for _, s := range b.Segments {
		n += len(s.Entries)
	}
	return d + time.Duration(n)*time.Millisecond
}

func (l *link) fanOut(ctx context.Context, routes []Route, b *wire.Bundle) ([]*wire.Bundle, error) {
	results := make(chan routeResult, len(routes))
	for _, r := range routes {
		go func() {
			resp, err := l.send(ctx, r, b)
			results <- routeResult{resp, err}
		}()
	}
	// The first route that carries the bundle is enough; a slow or dead
	// route (a blackholed cable) must not hold up the next urgent message.
	// What the others bring back later is still taken in.
	var errs []error
	for i := range routes {
		r := <-results
		if r.err != nil {
			errs = append(errs, r.err)
			continue
		}
		if rest := len(routes) - i - 1; rest > 0 {
			go l.drain(ctx, results, rest)
		}
		if r.resp == nil {
			return nil, nil
		}
		return []*wire.Bundle{r.resp}, nil
	}
	return nil, errors.Join(errs...)
}

// drain takes in the replies of routes that answered after the first.
func (l *link) drain(ctx context.Context, results <-chan routeResult, n int) {
	for range n {
		r := <-results
		if r.err == nil && r.resp != nil && r.resp.From == l.peer && r.resp.Line == l.ls.id {
			l.n.absorb(ctx, l.ls, l.peer, r.resp)
		}
	}
}

// urgent reports whether b carries an entry of FLASH or IMMEDIATE
// precedence.
func (l *link) urgent(b *wire.Bundle) bool {
	for _, s := range b.Segments {
		for _, e := range s.Entries {
			if leafUrgent(e.Leaf) {
				return true
			}
		}
	}
	return false
}

// usable returns the routes worth trying now, in the charter's order: the
// healthy ones, and the failed ones whose retry time has come and that are
// not being tried already (so a route that comes back is noticed by
// itself), but not a stalled one. If none is, all of them. It returns the
// stalled ones apart.
func (l *link) usable(routes []Route) (usable, stalled []Route) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock()
	for _, r := range routes {
		h := l.health[r.Name()]
		switch {
		case h == nil || !h.Stalled && (h.Failures == 0 || h.pending == 0 && !now.Before(h.LastFailure.Add(routeBackoff(h.Failures)))):
			usable = append(usable, r)
		case h.Stalled:
			stalled = append(stalled, r)
		}
	}
	if len(usable) == 0 {
		return routes, nil
	}
	return usable, stalled
}

// routeBackoff is how long a failed route rests before the link tries it
// again: while it rests, traffic goes on the other routes, so a dead route
// costs nothing but its probes.
func routeBackoff(failures int) time.Duration {
	return min(250*time.Millisecond<<min(failures, 10), 15*time.Second)
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
	now := l.clock()
	h.Stalled = false
	if err != nil {
		// Exchanges that were already under way when the last failure was
		// noted fail for the same reason (they queued on the same dead
		// connection): they are one failure, not one each, or the route
		// would rest for the longest time after its first outage.
		if h.Failures == 0 || start.After(h.LastFailure) {
			h.Failures++
		}
		h.LastFailure, h.LastError = now, err.Error()
		if !h.Mailbox {
			// The failure may end an exchange the link no longer waits
			// for: have it set its timer to try the route again when its
			// rest ends (see delay).
			select {
			case l.rearm <- struct{}{}:
			default:
			}
		}
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
