package node

import (
	"context"
	"errors"
	"time"

	"github.com/hotline-line/hotline/internal/wire"
)

// How a link carries one bundle over its routes: it starts each route when
// the policy says (see sending in linkpolicy.go), waits for the routes and
// its timer, and reports back to the policy what happened.

// routeResult is what one route brought back for a bundle.
type routeResult struct {
	resp *wire.Bundle
	err  error
}

// carry takes b over the routes of c, starting each when the policy says
// (see sending). What a slow route brings back after the bundle went, or
// after the link gave up, is still taken in.
func (l *link) carry(ctx context.Context, c choice, b *wire.Bundle) ([]*wire.Bundle, error) {
	entries := entriesIn(b)
	hedges := make([]time.Duration, len(c.routes))
	l.mu.Lock()
	for i, ri := range c.routes {
		hedges[i] = hedgeAfter(l.health[l.routes[ri].Name()], entries)
	}
	l.mu.Unlock()
	s := newSending(c, hedges)
	results := make(chan routeResult, len(c.routes))
	var errs []error
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	var got *wire.Bundle
	st := s.begin(l.clock())
	for {
		for _, i := range st.start {
			r := l.routes[c.routes[i]]
			l.n.wg.Go(func() {
				resp, err := l.send(ctx, r, b, hedges[i])
				results <- routeResult{resp, err}
			})
		}
		if st.done {
			if left := s.inFlight; left > 0 {
				l.n.wg.Go(func() { l.drain(ctx, results, left) })
			}
			switch {
			case !st.ok:
				return nil, errors.Join(errs...)
			case got == nil:
				return nil, nil // a mailbox took it
			}
			return []*wire.Bundle{got}, nil
		}
		// Wake for the next hedge, or when an exchange under way stalls,
		// so that route health shows it.
		wake := l.nextWake(s.hedgeDue())
		var fired <-chan time.Time
		if !wake.IsZero() {
			if timer == nil {
				timer = l.timerAt(wake)
			} else {
				l.resetAt(timer, wake)
			}
			fired = timer.C
		}
		select {
		case r := <-results:
			if r.err == nil {
				got, st = r.resp, s.succeeded()
				continue
			}
			errs = append(errs, r.err)
			var rf *RefusedError
			st = s.failedOn(l.clock(), errors.As(r.err, &rf))
		case <-fired:
			// The timer firing means the time it was set for has come,
			// even on a clock that a test holds still.
			now := later(l.clock(), wake)
			l.refresh(now)
			st = s.hedge(now)
		}
	}
}

// refresh marks the link's routes stalled at now, or not.
func (l *link) refresh(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, h := range l.health {
		h.refresh(now)
	}
}

// nextWake is when the link must next look, by wakeFor: at (zero: never),
// or sooner when an exchange under way stalls.
func (l *link) nextWake(at time.Time) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return wakeFor(l.clock(), at, l.ordered())
}

// send carries b on one route and records what happened. A nil reply with
// a nil error means the route is a mailbox and took the bundle. The
// exchange counts as stalled if it is unanswered after hedge.
func (l *link) send(ctx context.Context, r Route, b *wire.Bundle, hedge time.Duration) (*wire.Bundle, error) {
	if isMailbox(r) && !l.worthPosting(r.Name(), b) {
		return nil, nil
	}
	start := l.clock()
	stallAt := start.Add(hedge)
	rctx, cancel := context.WithTimeout(ctx, exchangeTimeout(entriesIn(b)))
	defer cancel()
	l.mu.Lock()
	h := l.health[r.Name()]
	if h != nil {
		h.begin(stallAt)
	}
	l.mu.Unlock()
	resp, err := r.Exchange(rctx, l.ls.id, l.peer, b)
	l.mu.Lock()
	if h != nil {
		h.finish(stallAt, l.clock())
	}
	l.mu.Unlock()
	l.record(r.Name(), start, err)
	l.measureClock(b, resp, err, start)
	if err == nil && len(b.Segments) > 0 {
		for _, s := range b.Segments {
			l.noteSent(s, r.Name(), start)
		}
		if isMailbox(r) {
			l.notePosted(r.Name(), b)
		}
	}
	return resp, err
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

func entriesIn(b *wire.Bundle) int {
	n := 0
	for _, s := range b.Segments {
		n += len(s.Entries)
	}
	return n
}
