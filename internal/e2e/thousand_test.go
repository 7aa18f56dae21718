package e2e

import (
	"sync"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/soak"
)

// TestThousandEachWay sends 1,000 messages each way between two running
// serve processes, eight "hotline send" processes at a time, and checks
// that each arrives exactly once, in its author's order, and that each
// sender holds the other party's cosignature on all of it.
func TestThousandEachWay(t *testing.T) {
	const (
		each    = 1000
		workers = 4 // per party
	)
	c := newCluster(t)
	startAll(t, c)
	ctx := t.Context()

	ledger := soak.NewLedger()
	began := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 2*workers)
	for p := range 2 {
		for w := range workers {
			wg.Go(func() {
				// Worker w sends sequence numbers w, w+workers, ...: one
				// after the other, so their order is defined.
				for seq := w; seq < each; seq += workers {
					a := ledger.Begin(p, w, seq, 1)
					id, err := c.Parties[p].Send(ctx, "", a.Text)
					ledger.End(a, id, err)
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	sent := time.Since(began)
	sz, err := c.WaitConverged(ctx, 120*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("sent %d each way in %v, converged %v later: %s", each, sent.Round(time.Millisecond),
		(time.Since(began) - sent).Round(time.Millisecond), sz)

	var v soak.Violations
	for author := range 2 {
		to := 1 - author
		from, dest := c.Parties[author].Slug, c.Parties[to].Slug
		if sz.Log[author] != each+1 { // the charter, then the messages
			t.Errorf("%s's log has %d entries, want %d", from, sz.Log[author], each+1)
		}
		listed := time.Now()
		in, err := c.Parties[to].Inbox(ctx, 10*each)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("hotline inbox --json on %s listed %d messages in %v", dest, len(in), time.Since(listed).Round(time.Millisecond))
		if len(in) != each {
			t.Errorf("%s's inbox has %d messages, want %d", dest, len(in), each)
		}
		r := soak.NewReceiver(author, to)
		r.Add(in, ledger, &v)
		if r.Count() != each {
			t.Errorf("%s received %d distinct messages from %s, want %d", dest, r.Count(), from, each)
		}
		if n := r.CheckDelivered(ledger, sz.Log[author], &v); n != each {
			t.Errorf("%d of %s's accepted sends arrived on %s, want %d", n, from, dest, each)
		}
		out, err := c.Parties[author].Outbox(ctx, 10*each)
		if err != nil {
			t.Fatal(err)
		}
		r.CheckOutbox(out, ledger, &v)
		st := sz.Statuses[author]
		for _, p := range st.Parties {
			if p.Party == dest && (p.Receipt != sz.Log[author] || p.Pending != 0) {
				t.Errorf("%s: %s has cosigned %d of %d entries (%d pending)", from, dest, p.Receipt, sz.Log[author], p.Pending)
			}
		}
		t.Logf("%s → %s: %d messages, worst delay %v (%s)", from, dest, r.Count(), r.MaxDelay.Round(time.Millisecond), r.MaxDelayID)
	}
	for _, p := range c.LogProblems() {
		v.Addf("%s", p)
	}
	if err := v.Err(); err != nil {
		t.Fatal(err)
	}
}
