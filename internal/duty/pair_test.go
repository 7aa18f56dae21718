package duty_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/escalate"
	"github.com/hotline-line/hotline/internal/memroute"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
	"github.com/hotline-line/hotline/internal/testclock"
)

// pair is Seoul (a) and Beijing (b) on one line over an in-memory network,
// both on a clock the test moves.
type pair struct {
	t     *testing.T
	clock *testclock.Clock
	net   *memroute.Net
	a, b  *node.Node
	line  string
}

func newPair(t *testing.T) *pair {
	t.Helper()
	p := newOfflinePair(t)
	for _, n := range []*node.Node{p.a, p.b} {
		n.Start(p.net.Route(n.Me()))
	}
	return p
}

// newOfflinePair is a pair whose links are not started: entries move only
// when the test carries parcels.
func newOfflinePair(t *testing.T) *pair {
	t.Helper()
	// Cosignature timestamps come from the wall clock, not the node's:
	// start the test's clock at the wall clock's time, so that a message's
	// delivery and the deadlines counted from it fall where the test
	// moves the clock.
	clock := testclock.New(time.Now().UTC().Truncate(time.Second))
	nodes, line := nodetest.Pair(t, nodetest.Dirs(t), node.Options{Now: clock.Now})
	net := memroute.New()
	for _, n := range nodes {
		net.Add(n)
	}
	return &pair{t: t, clock: clock, net: net, a: nodes[0], b: nodes[1], line: line}
}

func (p *pair) send(from *node.Node, prec entry.Precedence, replyTo string) string {
	p.t.Helper()
	id, err := from.Send(context.Background(), node.SendRequest{Line: p.line, Precedence: prec, Text: "secret text " + string(prec), ReplyTo: replyTo})
	if err != nil {
		p.t.Fatal(err)
	}
	return id
}

// carry moves from's log to to by parcels, as files would, and brings
// back to's receipt, until to holds all of it.
func (p *pair) carry(from, to *node.Node) {
	p.t.Helper()
	ctx := context.Background()
	for range 1000 {
		st, err := from.Status(p.line)
		if err != nil {
			p.t.Fatal(err)
		}
		var size uint64
		for _, ps := range st.Parties {
			if ps.Party == from.Me() {
				size = ps.LogSize
			}
		}
		if r, _ := from.Receipt(p.line, to.Me()); r >= size {
			return
		}
		for _, dir := range [][2]*node.Node{{from, to}, {to, from}} {
			data, _, err := dir[0].ExportParcel(p.line, dir[1].Me())
			if err != nil {
				p.t.Fatal(err)
			}
			if _, err := dir[1].ImportParcel(ctx, data); err != nil {
				p.t.Fatal(err)
			}
		}
	}
	p.t.Fatal("carrying parcels made no progress")
}

// delivered waits until the author of id holds to's receipt for it.
func (p *pair) delivered(author *node.Node, id string) {
	p.t.Helper()
	nodetest.Wait(p.t, 20*time.Second, "the receipt of "+id, func() bool {
		m, err := author.Message(p.line, id)
		return err == nil && m.Ladder[0].State != "queued" && m.Ladder[0].State != "sent"
	})
}

// rung waits until the author of id sees it reach state at the peer.
func (p *pair) rung(author *node.Node, id, state string) {
	p.t.Helper()
	nodetest.Wait(p.t, 20*time.Second, id+" "+state, func() bool {
		m, err := author.Message(p.line, id)
		return err == nil && m.Ladder[0].State == state
	})
}

// kinds lists alerts as "kind message party", sorted, leaving out the
// link tests that a test moving its clock by hours leaves overdue.
func kinds(alerts []escalate.Alert) []string {
	var out []string
	for _, a := range alerts {
		if a.Kind == escalate.LinkTestOverdue {
			continue
		}
		out = append(out, fmt.Sprintf("%s %s %s", a.Kind, a.Message, a.Party))
	}
	slices.Sort(out)
	return out
}

func alertsOf(t *testing.T, src interface {
	Alerts(context.Context, time.Time) ([]escalate.Alert, error)
}, now time.Time) []escalate.Alert {
	t.Helper()
	a, err := src.Alerts(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range a {
		if strings.Contains(x.Summary+x.Detail, "secret text") {
			t.Fatalf("an alert carries message text: %+v", x)
		}
	}
	return a
}

func find(alerts []escalate.Alert, kind escalate.Kind) *escalate.Alert {
	for i := range alerts {
		if alerts[i].Kind == kind {
			return &alerts[i]
		}
	}
	return nil
}

// hm writes t as an alert evaluated at now does: the time of day, with
// the date when it is another day.
func hm(now, t time.Time) string {
	now, t = now.UTC(), t.UTC()
	switch {
	case t.Year() != now.Year():
		return t.Format("2006-01-02 15:04")
	case t.YearDay() != now.YearDay():
		return t.Format("Jan 2 15:04")
	}
	return t.Format("15:04")
}
