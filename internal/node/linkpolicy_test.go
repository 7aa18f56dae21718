package node

import (
	"errors"
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func TestLinkBackoff(t *testing.T) {
	for _, c := range []struct {
		failures int
		jitter   float64
		want     time.Duration
	}{
		{1, 0, 25 * time.Millisecond},
		{1, 0.999, 50 * time.Millisecond},
		{2, 0, 50 * time.Millisecond},
		{3, 0, 100 * time.Millisecond},
		{6, 0, 800 * time.Millisecond},
		{7, 0, time.Second},                 // capped at maxBackoff
		{7, 0.999, 1999 * time.Millisecond}, // the top of the step
		{500, 0.5, 1500 * time.Millisecond},
	} {
		got := linkBackoff(c.failures, c.jitter)
		if got.Round(time.Millisecond) != c.want {
			t.Errorf("linkBackoff(%d, %v) = %v, want %v", c.failures, c.jitter, got, c.want)
		}
	}
}

func TestRouteBackoff(t *testing.T) {
	for failures, want := range map[int]time.Duration{
		1: 500 * time.Millisecond, 2: time.Second, 5: 8 * time.Second, 6: 15 * time.Second, 100: 15 * time.Second,
	} {
		if got := routeBackoff(failures); got != want {
			t.Errorf("routeBackoff(%d) = %v, want %v", failures, got, want)
		}
	}
}

func TestHedgeAfter(t *testing.T) {
	answered := func(rtt time.Duration) *RouteHealth { return &RouteHealth{LastSuccess: t0, RTT: rtt} }
	for _, c := range []struct {
		name    string
		h       *RouteHealth
		entries int
		want    time.Duration
	}{
		{"no health kept", nil, 0, maxHedge},
		{"never answered", &RouteHealth{}, 0, maxHedge},
		{"answered at once", answered(0), 0, minHedge},
		{"fast", answered(10 * time.Millisecond), 0, minHedge},
		{"a few round trips", answered(300 * time.Millisecond), 0, 1200 * time.Millisecond},
		{"slow", answered(time.Second), 0, maxHedge},
		{"a big bundle takes longer", answered(10 * time.Millisecond), 1000, minHedge + time.Second},
	} {
		if got := hedgeAfter(c.h, c.entries); got != c.want {
			t.Errorf("%s: hedge after %v, want %v", c.name, got, c.want)
		}
	}
}

// failed is a route that failed failures times, the last at last.
func failed(failures int, last time.Duration) *RouteHealth {
	return &RouteHealth{Failures: failures, LastFailure: at(last)}
}

func TestNextPull(t *testing.T) {
	now := at(0)
	for _, c := range []struct {
		name     string
		failures int
		routes   []*RouteHealth
		want     time.Time
	}{
		{"healthy: the heartbeat", 0, []*RouteHealth{{}, {}}, at(heartbeat)},
		{"after failed exchanges: the backoff", 3, []*RouteHealth{{}}, at(100 * time.Millisecond)},
		{"a failed route: when its rest ends", 0, []*RouteHealth{{}, failed(1, -100*time.Millisecond)}, at(400 * time.Millisecond)},
		{"a rest long over: soon, not at once", 0, []*RouteHealth{failed(1, -time.Hour)}, at(minBackoff)},
		{"a failed mailbox: the heartbeat", 0, []*RouteHealth{{Failures: 1, LastFailure: now, Mailbox: true}}, at(heartbeat)},
		{"a failed route under way: the heartbeat", 0, []*RouteHealth{{Failures: 1, LastFailure: now, inFlight: []time.Time{at(time.Second)}}}, at(heartbeat)},
		{"the earliest of backoff and rest", 1, []*RouteHealth{failed(5, 0)}, at(25 * time.Millisecond)},
	} {
		if got := nextPull(now, c.failures, 0, c.routes); !got.Equal(c.want) {
			t.Errorf("%s: next pull at %v, want %v", c.name, got.Sub(now), c.want.Sub(now))
		}
	}
}

func TestWakeFor(t *testing.T) {
	now := at(0)
	underWay := &RouteHealth{inFlight: []time.Time{at(2 * time.Second), at(-time.Second)}}
	for _, c := range []struct {
		name   string
		at     time.Time
		routes []*RouteHealth
		want   time.Time
	}{
		{"nothing under way", at(time.Second), []*RouteHealth{{}}, at(time.Second)},
		{"nothing at all", time.Time{}, []*RouteHealth{{}}, time.Time{}},
		{"a stall comes first", at(5 * time.Second), []*RouteHealth{{}, underWay}, at(2 * time.Second)},
		{"a stall, nothing else", time.Time{}, []*RouteHealth{underWay}, at(2 * time.Second)},
		{"the time comes first", at(time.Second), []*RouteHealth{underWay}, at(time.Second)},
	} {
		if got := wakeFor(now, c.at, c.routes); !got.Equal(c.want) {
			t.Errorf("%s: wake at %v, want %v", c.name, got, c.want)
		}
	}
}

func TestChooseRoutes(t *testing.T) {
	now := at(0)
	stalled := func() *RouteHealth { return &RouteHealth{inFlight: []time.Time{at(-time.Millisecond)}} }
	underWay := func() *RouteHealth { return &RouteHealth{inFlight: []time.Time{at(time.Second)}} }
	for _, c := range []struct {
		name   string
		routes []*RouteHealth
		urgent bool
		want   []int
		fanOut bool
	}{
		{"routine: in the charter's order", []*RouteHealth{{}, {}}, false, []int{0, 1}, false},
		{"urgent: all at once", []*RouteHealth{{}, {}}, true, []int{0, 1}, true},
		{"urgent on one usable route: no fan-out", []*RouteHealth{failed(1, 0), {}}, true, []int{1}, false},
		{"a resting route is left out", []*RouteHealth{failed(1, 0), {}}, false, []int{1}, false},
		{"a rest that is over", []*RouteHealth{failed(1, -time.Second), {}}, false, []int{0, 1}, false},
		{"a failed route being tried already", []*RouteHealth{{Failures: 1, LastFailure: at(-time.Minute), inFlight: []time.Time{at(time.Second)}}, {}}, false, []int{1}, false},
		{"a healthy route under way is usable", []*RouteHealth{underWay(), {}}, false, []int{0, 1}, false},
		{"a stalled route comes last", []*RouteHealth{stalled(), {}}, false, []int{1, 0}, false},
		{"urgent leaves a stalled route out", []*RouteHealth{stalled(), {}, {}}, true, []int{1, 2}, true},
		{"none usable: all of them", []*RouteHealth{failed(1, 0), failed(2, 0)}, false, []int{0, 1}, false},
		{"none usable, urgent: all at once", []*RouteHealth{failed(1, 0), stalled()}, true, []int{0, 1}, true},
	} {
		got := chooseRoutes(now, c.routes, c.urgent)
		if !slices.Equal(got.routes, c.want) || got.fanOut != c.fanOut {
			t.Errorf("%s: routes %v fan-out %v, want %v %v", c.name, got.routes, got.fanOut, c.want, c.fanOut)
		}
	}
}

// A route's health: failures counted once per outage, a success clears
// them, and an exchange unanswered past its hedge time stalls the route
// until it ends.
func TestRouteHealth(t *testing.T) {
	h := &RouteHealth{}
	if !h.ended(at(0), at(time.Second), errors.New("dead")) || h.Failures != 1 {
		t.Fatalf("first failure: %+v", h)
	}
	// Started before that failure was noted: the same outage.
	h.ended(at(500*time.Millisecond), at(2*time.Second), errors.New("dead"))
	if h.Failures != 1 {
		t.Fatalf("an exchange queued on the same outage counted again: %d failures", h.Failures)
	}
	h.ended(at(3*time.Second), at(4*time.Second), errors.New("dead"))
	if h.Failures != 2 || !h.restsUntil().Equal(at(5*time.Second)) {
		t.Fatalf("second outage: %d failures, rests until %v", h.Failures, h.restsUntil())
	}
	if h.ended(at(5*time.Second), at(5300*time.Millisecond), nil) || h.Failures != 0 || h.RTT != 300*time.Millisecond || h.LastError != "" {
		t.Fatalf("after a success: %+v", h)
	}
	if m := (&RouteHealth{Mailbox: true}); m.ended(at(0), at(0), errors.New("full")) {
		t.Fatal("a failed mailbox asks the link to rearm: nothing answers on it")
	}
	if r := failed(3, 0); !r.heard(at(time.Second)) || r.Failures != 0 || !r.LastInbound.Equal(at(time.Second)) {
		t.Fatalf("a failed route is not retried when the peer reaches us: %+v", r)
	}

	s := &RouteHealth{}
	s.begin(at(time.Second))
	s.begin(at(3 * time.Second))
	if s.refresh(at(999 * time.Millisecond)); s.Stalled {
		t.Fatal("stalled before its hedge time")
	}
	if got := s.nextStall(at(0)); !got.Equal(at(time.Second)) {
		t.Fatalf("next stall at %v", got)
	}
	if s.refresh(at(time.Second)); !s.Stalled {
		t.Fatal("not stalled at its hedge time")
	}
	if s.finish(at(time.Second), at(2*time.Second)); s.Stalled {
		t.Fatal("still stalled once the late exchange ended")
	}
	if s.refresh(at(3 * time.Second)); !s.Stalled {
		t.Fatal("the other exchange under way did not stall")
	}
}

// event is one thing that happens to a bundle under way.
type event struct {
	at   time.Duration
	what string // "ok", "fail", "refused", "hedge"
}

func TestSending(t *testing.T) {
	hedges := []time.Duration{500 * time.Millisecond, time.Second, time.Second}
	for _, c := range []struct {
		name    string
		routes  int
		fanOut  bool
		events  []event
		started [][]int // routes started by begin, then by each event
		ok      bool
		done    int // the event after which the link stops waiting (-1: never)
		left    int // routes still under way then, to drain
	}{
		{"the first route carries it", 2, false, []event{{10 * time.Millisecond, "ok"}},
			[][]int{{0}, nil}, true, 0, 0},
		{"a failure passes it to the next at once", 2, false, []event{{10 * time.Millisecond, "fail"}, {20 * time.Millisecond, "ok"}},
			[][]int{{0}, {1}, nil}, true, 1, 0},
		{"a silent route gets the next beside it", 2, false, []event{{500 * time.Millisecond, "hedge"}, {600 * time.Millisecond, "ok"}},
			[][]int{{0}, {1}, nil}, true, 1, 1},
		{"a hedge before its time does nothing", 2, false, []event{{499 * time.Millisecond, "hedge"}},
			[][]int{{0}, nil}, false, -1, 1},
		{"refused: no other route", 3, false, []event{{10 * time.Millisecond, "refused"}},
			[][]int{{0}, nil}, false, 0, 0},
		{"refused beside a late route: wait for it, no hedge", 3, false, []event{{500 * time.Millisecond, "hedge"}, {600 * time.Millisecond, "refused"}, {5 * time.Second, "hedge"}, {6 * time.Second, "fail"}},
			[][]int{{0}, {1}, nil, nil, nil}, false, 3, 0},
		{"every route failed", 2, false, []event{{10 * time.Millisecond, "fail"}, {20 * time.Millisecond, "fail"}},
			[][]int{{0}, {1}, nil}, false, 1, 0},
		{"the last route late and the others failed: give up", 2, false, []event{{10 * time.Millisecond, "fail"}, {1010 * time.Millisecond, "hedge"}},
			[][]int{{0}, {1}, nil}, false, 1, 1},
		{"all late, then one fails: give up, leave the rest", 2, false, []event{{500 * time.Millisecond, "hedge"}, {1500 * time.Millisecond, "hedge"}, {5 * time.Second, "fail"}},
			[][]int{{0}, {1}, nil, nil}, false, 2, 1},
		{"fan-out: all at once, the first answer is enough", 3, true, []event{{10 * time.Millisecond, "fail"}, {20 * time.Millisecond, "ok"}},
			[][]int{{0, 1, 2}, nil, nil}, true, 1, 1},
		{"fan-out does not hedge", 2, true, []event{{time.Hour, "hedge"}},
			[][]int{{0, 1}, nil}, false, -1, 2},
		{"fan-out: every route failed", 2, true, []event{{10 * time.Millisecond, "fail"}, {20 * time.Millisecond, "refused"}},
			[][]int{{0, 1}, nil, nil}, false, 1, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newSending(choice{routes: make([]int, c.routes), fanOut: c.fanOut}, hedges[:c.routes])
			st := s.begin(at(0))
			steps := []step{st}
			for i, e := range c.events {
				now := at(e.at)
				switch e.what {
				case "ok":
					st = s.succeeded()
				case "fail", "refused":
					st = s.failedOn(now, e.what == "refused")
				case "hedge":
					st = s.hedge(now)
				}
				steps = append(steps, st)
				if st.done != (i == c.done) {
					t.Fatalf("after event %d (%s): done %v", i, e.what, st.done)
				}
				if st.done {
					break
				}
			}
			for i, st := range steps {
				if !slices.Equal(st.start, c.started[i]) {
					t.Errorf("step %d started %v, want %v", i, st.start, c.started[i])
				}
			}
			if st.done && st.ok != c.ok {
				t.Errorf("ok %v, want %v", st.ok, c.ok)
			}
			if s.inFlight != c.left {
				t.Errorf("%d routes left under way, want %d", s.inFlight, c.left)
			}
		})
	}
}
