package node_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/amend"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/memroute"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
	"github.com/hotline-line/hotline/internal/wire"
)

// mailRoute stands in for the relay route: it serves a line only while the
// charter in force names a relay (as relayroute does), and counts the
// bundles it carries, over a network of its own.
type mailRoute struct {
	n     *node.Node
	inner node.Route
	used  atomic.Int64
}

func (r *mailRoute) Name() string { return "relay" }
func (r *mailRoute) Serves(line string) bool {
	rs, err := r.n.Relays(line)
	return err == nil && len(rs) > 0
}
func (r *mailRoute) Exchange(ctx context.Context, line, peer string, b *wire.Bundle) (*wire.Bundle, error) {
	r.used.Add(1)
	return r.inner.Exchange(ctx, line, peer, b)
}

var testRelay = entry.RelayAddr{Addr: "relay.example:8443", TLSKey: bytes.Repeat([]byte{7}, 32)}

// amendmentOf returns amendment id as n sees it, or nil.
func amendmentOf(t testing.TB, n *node.Node, line, id string) *amend.Amendment {
	t.Helper()
	v, err := n.Amendments(line)
	if err != nil {
		t.Fatal(err)
	}
	for i := range v.Amendments {
		if v.Amendments[i].ID == id {
			return &v.Amendments[i]
		}
	}
	return nil
}

// TestAmendmentAddsARelay: an amendment adding a relay takes effect on
// both nodes only once both parties signed it, at the same point on each,
// and the relay is then used; exports before and after verify.
func TestAmendmentAddsARelay(t *testing.T) {
	ctx := context.Background()
	nodes, line := nodetest.Pair(t, nodetest.Dirs(t), node.Options{})
	seoul, beijing := nodes[0], nodes[1]
	direct, mail := memroute.New(), memroute.New()
	routes := map[string]*mailRoute{}
	for _, n := range nodes {
		direct.Add(n)
		mail.Add(n)
	}
	for _, n := range nodes {
		routes[n.Me()] = &mailRoute{n: n, inner: mail.Route(n.Me())}
		n.Start(direct.Route(n.Me()), routes[n.Me()])
	}
	relays := func(n *node.Node) int {
		rs, err := n.Relays(line)
		if err != nil {
			t.Fatal(err)
		}
		return len(rs)
	}

	id, err := seoul.Amend(ctx, node.AmendRequest{Line: line, Act: entry.AmendPropose, Officer: "Gen. Kim",
		Reason: "a second carrier, by diplomatic note 12", Changes: &entry.Changes{RelaysAdd: []entry.RelayAddr{testRelay}}})
	if err != nil {
		t.Fatal(err)
	}
	nodetest.Wait(t, 10*time.Second, "beijing holds the proposal", func() bool { return amendmentOf(t, beijing, line, id) != nil })
	for _, n := range nodes {
		if a := amendmentOf(t, n, line, id); a.State != amend.Proposed || !slices.Equal(a.Waiting, []string{"beijing"}) || a.Base != 1 {
			t.Fatalf("%s: the proposal is %+v, want proposed, waiting for beijing", n.Me(), a)
		}
		if relays(n) != 0 {
			t.Fatalf("%s uses the relay of an amendment only seoul signed", n.Me())
		}
		if st := stateOf(t, n, line); st.CharterVersion != 1 || st.AmendmentsWaiting != 1 {
			t.Fatalf("%s's status: charter version %d, %d waiting", n.Me(), st.CharterVersion, st.AmendmentsWaiting)
		}
	}
	exportVerifies(t, beijing, line)

	// The rule's refusals, each with its own error, and nothing written.
	for _, tc := range []struct {
		n   *node.Node
		req node.AmendRequest
		is  error
	}{
		{seoul, node.AmendRequest{Act: entry.AmendAccept, Proposal: id}, amend.ErrOwnAmendment},
		{beijing, node.AmendRequest{Act: entry.AmendAccept, Proposal: "seoul-99"}, amend.ErrNoSuchAmendment},
		{seoul, node.AmendRequest{Act: entry.AmendPropose, Reason: "another", Changes: &entry.Changes{LinkTests: new(entry.Duration(time.Minute))}}, amend.ErrCompeting},
	} {
		tc.req.Line, tc.req.Officer = line, "officer"
		if _, err := tc.n.Amend(ctx, tc.req); !errors.Is(err, tc.is) {
			t.Fatalf("%s %s: %v, want %v", tc.n.Me(), tc.req.Act, err, tc.is)
		}
	}

	acc, err := beijing.Amend(ctx, node.AmendRequest{Line: line, Act: entry.AmendAccept, Proposal: id, Officer: "Col. Li"})
	if err != nil {
		t.Fatal(err)
	}
	nodetest.Wait(t, 10*time.Second, "the relay in force on both nodes", func() bool { return relays(seoul) == 1 && relays(beijing) == 1 })
	for _, n := range nodes {
		a := amendmentOf(t, n, line, id)
		if a.State != amend.InForce || a.Version != 2 || a.Entry != acc {
			t.Fatalf("%s: %+v, want in force as version 2 from %s", n.Me(), a, acc)
		}
		if st := stateOf(t, n, line); st.CharterVersion != 2 || st.AmendmentsWaiting != 0 {
			t.Fatalf("%s's status: charter version %d, %d waiting", n.Me(), st.CharterVersion, st.AmendmentsWaiting)
		}
	}
	if a, b := amendmentOf(t, seoul, line, id), amendmentOf(t, beijing, line, id); !a.Since.Equal(b.Since) {
		t.Fatalf("in force from %s at seoul and %s at beijing", a.Since, b.Since)
	}

	// With the direct route cut, the relay carries the line.
	direct.Cut("seoul", "beijing")
	direct.Cut("beijing", "seoul")
	before := routes["seoul"].used.Load()
	msg, err := seoul.Send(ctx, node.SendRequest{Line: line, Text: "over the relay", Precedence: entry.Flash})
	if err != nil {
		t.Fatal(err)
	}
	nodetest.Wait(t, 20*time.Second, "beijing's receipt over the relay", func() bool {
		r, _ := seoul.Receipt(line, "beijing")
		return r >= mustIndex(t, msg)+1
	})
	if routes["seoul"].used.Load() == before {
		t.Fatal("the message arrived, but not by the relay the amendment added")
	}
	exportVerifies(t, beijing, line)

	// A second amendment removes the relay again: once both signed, the
	// links stop using it.
	direct.Mend("seoul", "beijing")
	direct.Mend("beijing", "seoul")
	rm, err := beijing.Amend(ctx, node.AmendRequest{Line: line, Act: entry.AmendPropose, Officer: "Col. Li", Reason: "the relay's lease ended",
		Changes: &entry.Changes{RelaysRemove: []string{testRelay.Addr}}})
	if err != nil {
		t.Fatal(err)
	}
	nodetest.Wait(t, 10*time.Second, "seoul holds the second proposal", func() bool { return amendmentOf(t, seoul, line, rm) != nil })
	if a := amendmentOf(t, seoul, line, rm); a.Base != 2 {
		t.Fatalf("the second amendment amends version %d, want 2", a.Base)
	}
	if _, err := seoul.Amend(ctx, node.AmendRequest{Line: line, Act: entry.AmendAccept, Proposal: rm, Officer: "Gen. Kim"}); err != nil {
		t.Fatal(err)
	}
	nodetest.Wait(t, 10*time.Second, "the relay removed on both nodes", func() bool { return relays(seoul) == 0 && relays(beijing) == 0 })
	msg, err = seoul.Send(ctx, node.SendRequest{Line: line, Text: "direct again", Precedence: entry.Flash})
	if err != nil {
		t.Fatal(err)
	}
	nodetest.Wait(t, 10*time.Second, "beijing's receipt of the last message", func() bool {
		r, _ := seoul.Receipt(line, "beijing")
		return r >= mustIndex(t, msg)+1
	})
	used := routes["seoul"].used.Load()
	if _, err := seoul.Send(ctx, node.SendRequest{Line: line, Text: "and again", Precedence: entry.Flash}); err != nil {
		t.Fatal(err)
	}
	nodetest.Wait(t, 10*time.Second, "beijing's receipt", func() bool {
		r, _ := seoul.Receipt(line, "beijing")
		return r >= mustIndex(t, msg)+2
	})
	if routes["seoul"].used.Load() != used {
		t.Fatal("a FLASH went by the relay the second amendment removed")
	}
	exportVerifies(t, seoul, line)
}

// TestPartialAcceptance: on a line of three, an amendment two parties
// signed leaves the charter in force as it was on every node, and a party
// that accepted it cannot propose another of the same version meanwhile;
// the third signature puts it in force everywhere, read side included.
func TestPartialAcceptance(t *testing.T) {
	ctx := context.Background()
	dirs := nodetest.DirsOf(t, append(slices.Clone(nodetest.Default), nodetest.Tokyo)...)
	nodes, line := nodetest.Pair(t, dirs, node.Options{})
	nodetest.Connect(nodes...)
	seoul, beijing, tokyo := nodes[0], nodes[1], nodes[2]
	flash := func(n *node.Node) time.Duration {
		c, err := n.Rules(line)
		if err != nil {
			t.Fatal(err)
		}
		return time.Duration(c.Deadline(entry.Flash).Ack)
	}
	id, err := seoul.Amend(ctx, node.AmendRequest{Line: line, Act: entry.AmendPropose, Officer: "Gen. Kim", Reason: "faster FLASH",
		Changes: &entry.Changes{Deadlines: map[entry.Precedence]entry.DeadlineOf{entry.Flash: {Ack: entry.Duration(5 * time.Minute), Reply: entry.Duration(time.Hour)}}}})
	if err != nil {
		t.Fatal(err)
	}
	nodetest.Wait(t, 10*time.Second, "beijing holds the proposal", func() bool { return amendmentOf(t, beijing, line, id) != nil })
	if _, err := beijing.Amend(ctx, node.AmendRequest{Line: line, Act: entry.AmendAccept, Proposal: id, Officer: "Col. Li"}); err != nil {
		t.Fatal(err)
	}
	nodetest.Wait(t, 10*time.Second, "every node holds beijing's acceptance", func() bool {
		for _, n := range nodes {
			if a := amendmentOf(t, n, line, id); a == nil || len(a.Accepted) != 1 || a.Accepted[0].Unconfirmed {
				return false
			}
		}
		return true
	})
	for _, n := range nodes {
		if a := amendmentOf(t, n, line, id); a.State != amend.Proposed || !slices.Equal(a.Waiting, []string{"tokyo"}) {
			t.Fatalf("%s: %+v, want proposed, waiting for tokyo", n.Me(), a)
		}
		if flash(n) != 10*time.Minute {
			t.Fatalf("%s: FLASH acknowledgement within %v before tokyo signed", n.Me(), flash(n))
		}
	}
	if _, err := beijing.Amend(ctx, node.AmendRequest{Line: line, Act: entry.AmendPropose, Officer: "Col. Li", Reason: "next",
		Changes: &entry.Changes{LinkTests: new(entry.Duration(time.Minute))}}); !errors.Is(err, amend.ErrCompeting) {
		t.Fatalf("beijing proposes another amendment of version 1: %v, want ErrCompeting", err)
	}
	if _, err := tokyo.Amend(ctx, node.AmendRequest{Line: line, Act: entry.AmendAccept, Proposal: id, Officer: "Adm. Sato"}); err != nil {
		t.Fatal(err)
	}
	nodetest.Wait(t, 10*time.Second, "the new deadline in force on every node", func() bool {
		return flash(seoul) == 5*time.Minute && flash(beijing) == 5*time.Minute && flash(tokyo) == 5*time.Minute
	})
	// The read side follows: the deadlines of a FLASH message are the new ones.
	rl, err := beijing.ReadLine(line)
	if err != nil {
		t.Fatal(err)
	}
	if ack, _ := rl.Deadlines(entry.Flash); ack != 5*time.Minute {
		t.Fatalf("the read model's FLASH deadline: %v", ack)
	}
	// A message written before the amendment keeps the deadlines it was
	// written under.
	if ack, _ := rl.DeadlinesAt(entry.Flash, time.Now().Add(-time.Hour)); ack != 10*time.Minute {
		t.Fatalf("the FLASH deadline of a message written an hour ago: %v", ack)
	}
	if ack, _ := rl.DeadlinesAt(entry.Flash, time.Now().Add(time.Minute)); ack != 5*time.Minute {
		t.Fatalf("the FLASH deadline of a message written after the amendment: %v", ack)
	}
}

// TestHostileAmendments: steps of an amendment that break the rule each
// change nothing on the receiving node, are kept, and are reported with
// their own error, there and in the transcript.
func TestHostileAmendments(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	beijing := f.nodes[1]
	prop, err := beijing.Amend(ctx, node.AmendRequest{Line: f.line, Act: entry.AmendPropose, Officer: "Col. Li", Reason: "a relay",
		Changes: &entry.Changes{RelaysAdd: []entry.RelayAddr{testRelay}}})
	if err != nil {
		t.Fatal(err)
	}
	log := f.h.entries(t)
	now := time.Now()
	step := func(a entry.Amendment, at time.Duration) {
		if a.Line == "" {
			a.Line = f.line
		}
		a.Officer = "Gen. Kim"
		log = append(log, f.h.craft(t, uint64(len(log)), entry.KindAmendment, newSaltFor(t), a.Marshal(), now.Add(at)))
	}
	step(entry.Amendment{Act: entry.AmendAccept, Proposal: "beijing-99"}, time.Second)                          // no such amendment
	step(entry.Amendment{Line: strings.Repeat("0", 32), Act: entry.AmendAccept, Proposal: prop}, 2*time.Second) // another line
	step(entry.Amendment{Act: entry.AmendPropose, Base: 1, Reason: "mine", Changes: &entry.Changes{LinkTests: new(entry.Duration(time.Hour))}}, 3*time.Second)
	step(entry.Amendment{Act: entry.AmendAccept, Proposal: entry.ID("seoul", uint64(len(log)-1))}, 4*time.Second)                                                     // its own
	step(entry.Amendment{Act: entry.AmendPropose, Base: 2, Reason: "as if in force", Changes: &entry.Changes{RelaysRemove: []string{testRelay.Addr}}}, 5*time.Second) // on a version not in force
	f.accept(t, f.h.bundle(f.h.segment(t, log, 0, uint64(len(log)))), uint64(len(log)))

	if rs, _ := beijing.Relays(f.line); len(rs) != 0 {
		t.Fatalf("hostile steps put an amendment in force: relays %v", rs)
	}
	v, err := beijing.Amendments(f.line)
	if err != nil {
		t.Fatal(err)
	}
	want := []error{amend.ErrNoSuchAmendment, amend.ErrOtherLine, amend.ErrOwnAmendment, amend.ErrNotInForce}
	if v.Version != 1 || len(v.Refused) != len(want) {
		t.Fatalf("version %d, refused %+v; want version 1 and %v", v.Version, v.Refused, want)
	}
	for i, w := range want {
		if !strings.Contains(v.Refused[i].Error, w.Error()) {
			t.Errorf("refusal %d: %q, want %v", i, v.Refused[i].Error, w)
		}
	}
	rep := exportVerifies(t, beijing, f.line)
	if c := rep.Chain; c == nil || c.Version != 1 || len(c.Refused) != len(want) || len(c.Amendments) != 3 {
		t.Fatalf("the transcript's chain: %+v", rep.Chain)
	}
	// Beijing's own amendment still waits for seoul, as before.
	if a := amendmentOf(t, beijing, f.line, prop); a.State != amend.Proposed || !slices.Equal(a.Waiting, []string{"seoul"}) {
		t.Fatalf("beijing's amendment: %+v", a)
	}
}

// TestOwnAcceptanceCountsOnceCosigned: the acceptor's node takes the
// amendment into force only when the proposer has cosigned the
// acceptance, not when it writes it; until then the acceptance is shown
// unconfirmed.
func TestOwnAcceptanceCountsOnceCosigned(t *testing.T) {
	ctx := context.Background()
	nodes, line := nodetest.Pair(t, nodetest.Dirs(t), node.Options{})
	seoul, beijing := nodes[0], nodes[1]
	net := memroute.New()
	for _, n := range nodes {
		net.Add(n)
	}
	for _, n := range nodes {
		n.Start(net.Route(n.Me()))
	}
	lt := entry.Duration(20 * time.Minute)
	id, err := seoul.Amend(ctx, node.AmendRequest{Line: line, Act: entry.AmendPropose, Officer: "Gen. Kim", Reason: "more tests",
		Changes: &entry.Changes{LinkTests: &lt}})
	if err != nil {
		t.Fatal(err)
	}
	nodetest.Wait(t, 10*time.Second, "beijing holds the proposal", func() bool { return amendmentOf(t, beijing, line, id) != nil })
	net.Cut("seoul", "beijing")
	net.Cut("beijing", "seoul")
	if _, err := beijing.Amend(ctx, node.AmendRequest{Line: line, Act: entry.AmendAccept, Proposal: id, Officer: "Col. Li"}); err != nil {
		t.Fatal(err)
	}
	a := amendmentOf(t, beijing, line, id)
	if a.State != amend.Proposed || len(a.Accepted) != 1 || !a.Accepted[0].Unconfirmed {
		t.Fatalf("beijing's view before seoul cosigned its acceptance: %+v", a)
	}
	for _, n := range nodes {
		if c, _ := n.Rules(line); c.LinkTestEvery() != time.Hour {
			t.Fatalf("%s tests every %v before seoul cosigned the acceptance", n.Me(), c.LinkTestEvery())
		}
	}
	net.Mend("seoul", "beijing")
	net.Mend("beijing", "seoul")
	nodetest.Wait(t, 20*time.Second, "the amendment in force on both nodes", func() bool {
		for _, n := range nodes {
			if c, _ := n.Rules(line); c.LinkTestEvery() != 20*time.Minute {
				return false
			}
		}
		return true
	})
}
