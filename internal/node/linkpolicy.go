package node

import "time"

// The link's policy: which routes carry a bundle, when a slow route gets
// the next one started beside it, how long a failed route rests, how long
// the link backs off and when it next asks the peer for news. Everything
// here is a function of the link's state and of the time it is given: no
// I/O, no goroutines, no clock of its own. The link (link.go) reads its
// node's clock, carries out what these functions decide and reports back
// what happened, so the tests can replay any history at any pace.

// Timing of a link. Retries stay in seconds, never minutes: a line that
// comes back must be used at once.
const (
	heartbeat  = 10 * time.Second
	minBackoff = 50 * time.Millisecond
	maxBackoff = 2 * time.Second
)

// Bounds of hedgeAfter.
const (
	minHedge = 500 * time.Millisecond
	maxHedge = 2 * time.Second
)

// linkBackoff is how long a link whose exchanges failed failures times
// in a row waits before it tries again. jitter, in [0, 1), places the
// retry in the upper half of the step, so that two sides do not retry in
// lockstep.
func linkBackoff(failures int, jitter float64) time.Duration {
	d := min(minBackoff<<min(failures-1, 10), maxBackoff)
	return d/2 + time.Duration(jitter*float64(d/2+1))
}

// routeBackoff is how long a failed route rests before the link tries it
// again: while it rests, traffic goes on the other routes, so a dead route
// costs nothing but its probes.
func routeBackoff(failures int) time.Duration {
	return min(250*time.Millisecond<<min(failures, 10), 15*time.Second)
}

// hedgeAfter is how long failover waits for route h (nil: no health kept)
// to carry a bundle of entries before it starts the next route too: a few
// of its round trips, more for a big bundle, within bounds. A route that
// never answered yet gets the longest.
func hedgeAfter(h *RouteHealth, entries int) time.Duration {
	d := maxHedge
	if h != nil && !h.LastSuccess.IsZero() {
		d = min(max(4*h.RTT, minHedge), maxHedge)
	}
	return d + time.Duration(entries)*time.Millisecond
}

// exchangeTimeout gives a bundle time in proportion to its size, so a dead
// route is noticed in seconds and a big catch-up is not cut short.
func exchangeTimeout(entries int) time.Duration {
	return 5*time.Second + time.Duration(entries)*5*time.Millisecond
}

// restsUntil is when a failed route's rest ends.
func (h *RouteHealth) restsUntil() time.Time {
	return h.LastFailure.Add(routeBackoff(h.Failures))
}

// begin notes an exchange started on the route, to count as stalled if it
// is still unanswered at stallAt.
func (h *RouteHealth) begin(stallAt time.Time) {
	h.inFlight = append(h.inFlight, stallAt)
}

// finish notes that the exchange begun with stallAt has ended.
func (h *RouteHealth) finish(stallAt time.Time, now time.Time) {
	for i, at := range h.inFlight {
		if at.Equal(stallAt) {
			h.inFlight = append(h.inFlight[:i], h.inFlight[i+1:]...)
			break
		}
	}
	h.refresh(now)
}

// refresh sets Stalled at now: an exchange on the route has gone
// unanswered past its hedge time (a dead cable drops packets, it does not
// refuse them).
func (h *RouteHealth) refresh(now time.Time) {
	h.Stalled = false
	for _, at := range h.inFlight {
		if !now.Before(at) {
			h.Stalled = true
		}
	}
}

// nextStall is when the first exchange under way on the route that has
// not stalled yet will, or the zero time.
func (h *RouteHealth) nextStall(now time.Time) time.Time {
	var next time.Time
	for _, at := range h.inFlight {
		if now.Before(at) && (next.IsZero() || at.Before(next)) {
			next = at
		}
	}
	return next
}

// ended records how an exchange begun at start ended at now. It reports
// whether the link should recompute when it next wakes: a route that
// answers failed, and may be tried again before the link's timer.
func (h *RouteHealth) ended(start, now time.Time, err error) (rearm bool) {
	if err == nil {
		h.LastSuccess, h.RTT, h.Failures, h.LastError = now, now.Sub(start), 0, ""
		return false
	}
	// Exchanges that were already under way when the last failure was
	// noted fail for the same reason (they queued on the same dead
	// connection): they are one failure, not one each, or the route
	// would rest for the longest time after its first outage.
	if h.Failures == 0 || start.After(h.LastFailure) {
		h.Failures++
	}
	h.LastFailure, h.LastError = now, err.Error()
	return !h.Mailbox
}

// heard records that the peer reached us at now, whatever the route: a
// failed route that answers is worth trying again at once. It reports
// whether any was.
func (h *RouteHealth) heard(now time.Time) (retry bool) {
	h.LastInbound = now
	if !h.Mailbox && h.Failures > 0 {
		h.Failures = 0
		return true
	}
	return false
}

// nextPull is when a link should next ask its peer for news, at now: at
// the heartbeat, sooner after failed exchanges (failures in a row), and
// as soon as a failed route that answers ends its rest, so that a cable
// that comes back carries traffic within that rest, not at the next
// heartbeat. The pull goes on the first usable route in the charter's
// order: routes that answer come first.
func nextPull(now time.Time, failures int, jitter float64, routes []*RouteHealth) time.Time {
	at := now.Add(heartbeat)
	if failures > 0 {
		at = now.Add(linkBackoff(failures, jitter))
	}
	for _, h := range routes {
		if h.Failures > 0 && !h.Mailbox && len(h.inFlight) == 0 {
			at = earliest(at, later(h.restsUntil(), now.Add(minBackoff)))
		}
	}
	return at
}

// wakeFor is the earlier of at (zero: none) and the moment an exchange
// under way on one of routes stalls, so that route health shows the stall
// when it happens.
func wakeFor(now, at time.Time, routes []*RouteHealth) time.Time {
	for _, h := range routes {
		if s := h.nextStall(now); !s.IsZero() && (at.IsZero() || s.Before(at)) {
			at = s
		}
	}
	return at
}

// choice is which routes carry a bundle, and how.
type choice struct {
	routes []int // indexes into the link's routes, in the order to try
	fanOut bool  // start them all at once; else one by one, hedged
}

// chooseRoutes decides how a bundle goes, at now, over routes in the
// charter's order. Urgent traffic (a FLASH or IMMEDIATE entry or its
// receipt) goes on every usable route at once; the rest on the first
// usable route, failing over to the next. A route is usable if it is
// healthy, or failed and its rest is over and it is not being tried
// already (so a route that comes back is noticed by itself), but not if
// it has stalled: a stalled route comes last, tried again only if the
// usable ones fail or are late too. If none is usable, all are tried.
func chooseRoutes(now time.Time, routes []*RouteHealth, urgent bool) choice {
	var usable, stalled []int
	for i, h := range routes {
		h.refresh(now)
		switch {
		case h.Stalled:
			stalled = append(stalled, i)
		case h.Failures == 0 || len(h.inFlight) == 0 && !now.Before(h.restsUntil()):
			usable = append(usable, i)
		}
	}
	if len(usable) == 0 {
		all := make([]int, len(routes))
		for i := range all {
			all[i] = i
		}
		return choice{routes: all, fanOut: urgent && len(all) > 1}
	}
	if urgent && len(usable) > 1 {
		return choice{routes: usable, fanOut: true}
	}
	return choice{routes: append(usable, stalled...)}
}

// sending is the course of one bundle over the routes chosen for it: the
// link starts the routes it says, when it says, and tells it what each
// brought back.
type sending struct {
	hedges   []time.Duration // per route: how long before the next starts beside it
	fanOut   bool
	next     int       // the next route to start
	inFlight int       // routes started and not yet ended
	refused  bool      // the peer answered and said no: another route would hear the same
	stalled  bool      // every route is under way or failed, and the last one is late
	failed   int       // routes that failed
	hedgeAt  time.Time // when the next route starts beside the ones under way; zero: never
}

// step is what the link must do next for a bundle.
type step struct {
	start []int // routes to start now
	done  bool  // stop waiting: the bundle went (ok) or did not
	ok    bool
}

// newSending begins the course of a bundle over the routes with these
// hedge times, in order.
func newSending(c choice, hedges []time.Duration) *sending {
	return &sending{hedges: hedges, fanOut: c.fanOut}
}

// begin is the first step, at now.
func (s *sending) begin(now time.Time) step {
	if s.fanOut {
		st := step{}
		for s.next < len(s.hedges) {
			st.start = append(st.start, s.launch(now))
		}
		s.hedgeAt = time.Time{}
		return st
	}
	return step{start: []int{s.launch(now)}}
}

func (s *sending) launch(now time.Time) int {
	i := s.next
	s.next++
	s.inFlight++
	s.hedgeAt = now.Add(s.hedges[i])
	return i
}

// succeeded: a route carried the bundle. What the others bring back later
// is still taken in (the link drains them).
func (s *sending) succeeded() step {
	s.inFlight--
	return step{done: true, ok: true}
}

// failedOn: a route failed at now; refused means the peer answered and
// said no. A route that fails passes the bundle to the next at once. Once
// every route is under way or failed and the last one is late, the link
// gives up at the next failure and leaves the rest to finish in the
// background: it retries after its backoff, on the routes not stalled.
func (s *sending) failedOn(now time.Time, refused bool) step {
	s.inFlight--
	s.failed++
	switch {
	case s.fanOut:
	case refused:
		s.refused = true
	case !s.refused && s.next < len(s.hedges):
		return step{start: []int{s.launch(now)}}
	case s.stalled && s.inFlight > 0:
		return step{done: true}
	}
	return step{done: s.inFlight == 0}
}

// hedgeDue is when the link must call hedge, or the zero time.
func (s *sending) hedgeDue() time.Time {
	if s.fanOut || s.refused || s.stalled {
		return time.Time{}
	}
	return s.hedgeAt
}

// hedge: the routes under way have not answered by hedgeDue, at now. A
// route that neither answers nor fails in time gets the next route started
// beside it, so a blackholed route costs about a second, not a whole
// timeout, and does not hold up the link.
func (s *sending) hedge(now time.Time) step {
	if now.Before(s.hedgeAt) || s.hedgeDue().IsZero() {
		return step{}
	}
	if s.next < len(s.hedges) {
		return step{start: []int{s.launch(now)}}
	}
	s.stalled = true
	return step{done: s.failed > 0}
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
