package duty_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/duty"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/escalate"
	"github.com/hotline-line/hotline/internal/nodetest"
)

// TestOwed: the receiving side owes an acknowledgement at once for FLASH,
// from the deadline for PRIORITY, and a reply from the reply deadline; acts
// close them, and a reply asks for no reply.
func TestOwed(t *testing.T) {
	p := newPair(t)
	ctx := context.Background()
	src := duty.New(p.b)
	flash := p.send(p.a, entry.Flash, "")
	prio := p.send(p.a, entry.Priority, "")
	p.delivered(p.a, prio)
	p.delivered(p.a, flash)
	in, err := p.b.Message(p.line, flash)
	if err != nil {
		t.Fatal(err)
	}
	arrived := in.Received
	now := p.clock.Now()

	got := alertsOf(t, src, now)
	if k := kinds(got); !slices.Equal(k, []string{"owed_ack " + flash + " beijing"}) {
		t.Fatalf("at arrival: %q", k)
	}
	a := got[0]
	if !a.Owed || a.ID != "owed_ack:"+p.line+":"+flash || a.Line != p.line || a.LineTitle != "test line" || a.Precedence != "FLASH" ||
		!a.Opened.Equal(arrived) || !a.Deadline.Equal(arrived.Add(10*time.Minute)) || !a.Facts.Delivered.Equal(arrived) {
		t.Fatalf("owed_ack: %+v", a)
	}
	if want := "We owe seoul an acknowledgement of " + flash + " — due " + hm(now, arrived.Add(10*time.Minute)) + " UTC"; a.Summary != want {
		t.Errorf("summary %q, want %q", a.Summary, want)
	}
	if !strings.HasPrefix(a.Detail, "arrived "+hm(now, arrived)+" UTC, not displayed, not acknowledged; ack deadline ") {
		t.Errorf("detail %q", a.Detail)
	}

	// Three hours on: PRIORITY's acknowledgement and FLASH's reply are due.
	later := arrived.Add(3 * time.Hour)
	got = alertsOf(t, src, later)
	want := []string{"owed_ack " + flash + " beijing", "owed_ack " + prio + " beijing", "owed_reply " + flash + " beijing"}
	if k := kinds(got); !slices.Equal(k, want) {
		t.Fatalf("three hours on: %q, want %q", k, want)
	}
	if pa := got[slices.IndexFunc(got, func(a escalate.Alert) bool { return a.Message == prio && a.Kind == escalate.OwedAck })]; !pa.Opened.Equal(arrived.Add(3*time.Hour)) ||
		!strings.Contains(pa.Summary, "deadline "+hm(later, arrived.Add(3*time.Hour))+" UTC passed") {
		t.Errorf("PRIORITY owed_ack: opened %v, %q", pa.Opened, pa.Summary)
	}

	// Acknowledging closes the acknowledgement; replying closes the reply.
	if _, err := p.b.Ack(ctx, p.line, flash, "Wang Lei"); err != nil {
		t.Fatal(err)
	}
	if k := kinds(alertsOf(t, src, later)); !slices.Equal(k, want[1:]) {
		t.Fatalf("after the acknowledgement: %q", k)
	}
	reply := p.send(p.b, entry.Flash, flash)
	p.delivered(p.b, reply)
	got = alertsOf(t, src, later)
	// Beijing's side also sees that Seoul has not acknowledged its FLASH
	// reply, three hours after it was sent.
	if k := kinds(got); !slices.Equal(k, []string{want[1], "peer_ack_overdue " + reply + " seoul"}) {
		t.Fatalf("after the reply: %q", k)
	}

	// Seoul owes an acknowledgement of the reply, and never a reply to it.
	srcA := duty.New(p.a)
	owedBySeoul := slices.DeleteFunc(alertsOf(t, srcA, later.Add(48*time.Hour)), func(a escalate.Alert) bool { return !a.Owed })
	if k := kinds(owedBySeoul); !slices.Equal(k, []string{"owed_ack " + reply + " seoul"}) {
		t.Fatalf("seoul, about the reply: %q", k)
	}

	// A new message after all that is still found.
	again := p.send(p.a, entry.Immediate, "")
	p.delivered(p.a, again)
	if k := kinds(alertsOf(t, src, later)); !slices.Contains(k, "owed_ack "+again+" beijing") {
		t.Fatalf("a new message: %q", k)
	}
}

// TestPeerOverdue: the sending side sees a peer's missed deadlines, counted
// from delivery, with what is proven.
func TestPeerOverdue(t *testing.T) {
	p := newPair(t)
	ctx := context.Background()
	src := duty.New(p.a)
	id := p.send(p.a, entry.Immediate, "")
	p.delivered(p.a, id)
	p.clock.Advance(time.Minute)
	if err := p.b.MarkDisplayed(ctx, p.line, id); err != nil {
		t.Fatal(err)
	}
	p.rung(p.a, id, "displayed")
	m, _ := p.a.Message(p.line, id)
	r := m.Ladder[0]
	if k := kinds(alertsOf(t, src, r.Delivered.Add(30*time.Minute-time.Second))); len(k) != 0 {
		t.Fatalf("before the deadline: %q", k)
	}
	got := alertsOf(t, src, r.Delivered.Add(30*time.Minute))
	if k := kinds(got); !slices.Equal(k, []string{"peer_ack_overdue " + id + " beijing"}) {
		t.Fatalf("at the deadline: %q", k)
	}
	a := got[0]
	at := r.Delivered.Add(30 * time.Minute)
	if a.Owed || a.Party != "beijing" || !a.Facts.Delivered.Equal(r.Delivered) || a.Facts.DeliveryProof != "cosigned receipt" ||
		!a.Facts.Displayed.Equal(r.Displayed) || !a.Facts.Queued.Equal(r.Queued) || !a.Deadline.Equal(r.AckBy) || !a.Opened.Equal(r.AckBy) {
		t.Fatalf("peer_ack_overdue: %+v\nladder: %+v", a, r)
	}
	if want := "beijing has not acknowledged " + id + " — deadline " + hm(at, r.AckBy) + " UTC passed"; a.Summary != want {
		t.Errorf("summary %q, want %q", a.Summary, want)
	}
	if want := "delivered " + hm(at, r.Delivered) + " UTC (cosigned receipt), displayed " + hm(at, r.Displayed) + ", not acknowledged; ack deadline " + hm(at, r.AckBy) + " passed"; a.Detail != want {
		t.Errorf("detail %q, want %q", a.Detail, want)
	}

	// Acknowledged but not answered.
	if _, err := p.b.Ack(ctx, p.line, id, "Wang Lei"); err != nil {
		t.Fatal(err)
	}
	p.rung(p.a, id, "acknowledged")
	if k := kinds(alertsOf(t, src, r.Delivered.Add(time.Hour))); len(k) != 0 {
		t.Fatalf("after the acknowledgement: %q", k)
	}
	got = alertsOf(t, src, r.ReplyBy)
	if k := kinds(got); !slices.Equal(k, []string{"peer_reply_overdue " + id + " beijing"}) {
		t.Fatalf("at the reply deadline: %q", k)
	}
	if a := got[0]; a.Facts.AckedBy != "Wang Lei" || !strings.Contains(a.Detail, "by Wang Lei, no reply; reply deadline") {
		t.Errorf("peer_reply_overdue: %+v", a)
	}
	p.send(p.b, entry.Routine, id)
	p.rung(p.a, id, "replied")
	if k := kinds(alertsOf(t, src, r.ReplyBy)); len(k) != 0 {
		t.Fatalf("after the reply: %q", k)
	}
}

// TestUndelivered: the cut cable. An urgent message with no receipt by its
// acknowledgement deadline raises undelivered, with the routes' health.
func TestUndelivered(t *testing.T) {
	p := newPair(t)
	src := duty.New(p.a)
	// An exchange carries both ways: only a cut both ways stops delivery.
	p.net.Cut("seoul", "beijing")
	p.net.Cut("beijing", "seoul")
	queued := p.clock.Now()
	id := p.send(p.a, entry.Flash, "")
	p.send(p.a, entry.Routine, "") // not urgent: never undelivered
	waitFailure(t, p)
	if k := kinds(alertsOf(t, src, queued.Add(10*time.Minute-time.Second))); len(k) != 0 {
		t.Fatalf("before the deadline: %q", k)
	}
	got := alertsOf(t, src, queued.Add(10*time.Minute))
	if k := kinds(got); !slices.Equal(k, []string{"undelivered " + id + " beijing"}) {
		t.Fatalf("after the deadline: %q", k)
	}
	a := got[0]
	if !a.Facts.Queued.Equal(queued) || !a.Facts.Sent.IsZero() || !a.Facts.Delivered.IsZero() || len(a.Facts.Routes) != 1 ||
		a.Facts.Routes[0].Name != "memory" || a.Facts.Routes[0].Failures == 0 || !strings.Contains(a.Facts.Routes[0].LastError, "unreachable") {
		t.Fatalf("undelivered: %+v", a.Facts)
	}
	for _, want := range []string{"queued " + hm(queued.Add(10*time.Minute), queued) + " UTC, not sent: no route has reached beijing; deadline ", " passed; routes: memory failing"} {
		if !strings.Contains(a.Detail, want) {
			t.Errorf("detail %q lacks %q", a.Detail, want)
		}
	}
	if !strings.HasPrefix(a.Summary, id+" not delivered to beijing — queued ") {
		t.Errorf("summary %q", a.Summary)
	}
	p.net.Mend("seoul", "beijing")
	p.net.Mend("beijing", "seoul")
	p.delivered(p.a, id)
	// Delivered late: the acknowledgement deadline counts from now on.
	m, _ := p.a.Message(p.line, id)
	if k := kinds(alertsOf(t, src, m.Ladder[0].Delivered.Add(time.Minute))); len(k) != 0 {
		t.Fatalf("after delivery: %q", k)
	}
}

func waitFailure(t *testing.T, p *pair) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, err := p.a.Status(p.line)
		if err != nil {
			t.Fatal(err)
		}
		for _, ps := range st.Parties {
			for _, r := range ps.Routes {
				if r.Failures > 0 {
					return
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no route failure recorded")
		}
		select {
		case <-p.a.Changed():
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestLinkTestOverdue: a peer whose link tests stop arriving.
func TestLinkTestOverdue(t *testing.T) {
	p := newPair(t)
	p.net.Cut("seoul", "beijing")
	p.net.Cut("beijing", "seoul")
	src := duty.New(p.a)
	if a := alertsOf(t, src, p.clock.Now().Add(2*time.Hour)); len(a) != 0 {
		t.Fatalf("two hours on: %+v", a)
	}
	p.clock.Advance(2*time.Hour + time.Minute)
	got := alertsOf(t, src, p.clock.Now())
	if len(got) != 1 || got[0].Kind != escalate.LinkTestOverdue || got[0].Party != "beijing" {
		t.Fatalf("two hours on: %+v", got)
	}
	if a := got[0]; a.Owed || !strings.HasPrefix(a.Summary, "beijing's link tests are overdue — none since the line opened here ") ||
		!strings.Contains(a.Detail, "every 1h0m0s; none for 2h0m0s") {
		t.Fatalf("linktest_overdue: %+v", a)
	}

	// Beijing's next link test arrives: the alert closes, and the next
	// one counts from it.
	p.net.Mend("seoul", "beijing")
	p.net.Mend("beijing", "seoul")
	tested := p.clock.Now()
	if _, err := p.b.RunLinkTests(context.Background(), p.line); err != nil {
		t.Fatal(err)
	}
	nodetest.Wait(t, 20*time.Second, "beijing's link test at seoul", func() bool {
		at, err := p.a.Store.LatestLinkTest(context.Background(), p.line, "beijing")
		return err == nil && at != 0
	})
	if a := alertsOf(t, src, tested.Add(2*time.Hour)); len(a) != 0 {
		t.Fatalf("after beijing's link test: %+v", a)
	}
	got = alertsOf(t, src, tested.Add(2*time.Hour+time.Second))
	if len(got) != 1 || !strings.HasPrefix(got[0].Summary, "beijing's link tests are overdue — the latest is from ") ||
		!strings.HasSuffix(got[0].Summary, hm(tested.Add(2*time.Hour+time.Second), tested)+" UTC") ||
		!got[0].Facts.LastLinkTest.Equal(tested) {
		t.Fatalf("two hours after beijing's link test: %+v", got)
	}
}

// TestLinkTestNotOverdueOnClosedLine: a closed line takes no link tests,
// so no peer's are overdue on it, however long it stays closed.
func TestLinkTestNotOverdueOnClosedLine(t *testing.T) {
	p := newOfflinePair(t)
	if _, err := p.a.SetLineState(context.Background(), p.line, entry.LineClosed, "end of the arrangement", "Kim Min-jun"); err != nil {
		t.Fatal(err)
	}
	p.clock.Advance(48 * time.Hour)
	for _, a := range alertsOf(t, duty.New(p.a), p.clock.Now()) {
		if a.Kind == escalate.LinkTestOverdue {
			t.Fatalf("a closed line has an overdue link test: %+v", a)
		}
	}
}

// TestNext: the source names the next deadline of a message, when its
// alert opens with nothing new on the node.
func TestNext(t *testing.T) {
	p := newPair(t)
	src := duty.New(p.b)
	if next := src.Next(); !next.IsZero() {
		t.Fatalf("before any evaluation: %v", next)
	}
	prio := p.send(p.a, entry.Priority, "")
	p.delivered(p.a, prio)
	in, err := p.b.Message(p.line, prio)
	if err != nil {
		t.Fatal(err)
	}
	if a := alertsOf(t, src, p.clock.Now()); len(kinds(a)) != 0 {
		t.Fatalf("before the deadline: %q", kinds(a))
	}
	due := in.Received.Add(3 * time.Hour)
	if next := src.Next(); !next.Equal(due) {
		t.Fatalf("next deadline %v, want the acknowledgement's %v", next, due)
	}
	if k := kinds(alertsOf(t, src, due)); !slices.Equal(k, []string{"owed_ack " + prio + " beijing"}) {
		t.Fatalf("at the deadline: %q", k)
	}
}
