package node_test

import (
	"context"
	"crypto/hpke"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/amend"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/memroute"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
	"github.com/hotline-line/hotline/internal/readmodel"
	"github.com/hotline-line/hotline/internal/seal"
)

// partiesOf returns the parties in force on line at n.
func partiesOf(t testing.TB, n *node.Node, line string) []string {
	t.Helper()
	c, err := n.Rules(line)
	if err != nil {
		t.Fatal(err)
	}
	return c.Slugs()
}

// passAmendment has proposer propose changes and every other node accept
// them, and waits until they are in force on all of them.
func passAmendment(t *testing.T, line string, proposer *node.Node, others []*node.Node, ch *entry.Changes) string {
	t.Helper()
	ctx := context.Background()
	id, err := proposer.Amend(ctx, node.AmendRequest{Line: line, Act: entry.AmendPropose, Officer: "officer of " + proposer.Me(), Reason: "by note", Changes: ch})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range others {
		nodetest.Wait(t, 10*time.Second, n.Me()+" holds the proposal", func() bool { return amendmentOf(t, n, line, id) != nil })
		if _, err := n.Amend(ctx, node.AmendRequest{Line: line, Act: entry.AmendAccept, Proposal: id, Officer: "officer of " + n.Me()}); err != nil {
			t.Fatal(err)
		}
	}
	nodetest.Wait(t, 10*time.Second, id+" in force", func() bool {
		for _, n := range append([]*node.Node{proposer}, others...) {
			// In force by the node's own charter, not only by a fold.
			if a := amendmentOf(t, n, line, id); a == nil || a.State != amend.InForce || stateOf(t, n, line).CharterVersion != a.Version {
				return false
			}
		}
		return true
	})
	return id
}

// joining is a line of seoul and beijing, linked in memory, on which
// seoul wrote one message (before), and tokyo's node, not on it yet.
type joining struct {
	dirs                  []string
	seoul, beijing, tokyo *node.Node
	net                   *memroute.Net
	line, before          string
	card                  []byte // tokyo's signed card
}

func newJoining(t *testing.T) *joining {
	t.Helper()
	j := &joining{dirs: nodetest.DirsOf(t, append(slices.Clone(nodetest.Default), nodetest.Tokyo)...)}
	var nodes []*node.Node
	nodes, j.line = nodetest.Pair(t, j.dirs[:2], node.Options{})
	j.seoul, j.beijing = nodes[0], nodes[1]
	j.net = nodetest.Connect(j.seoul, j.beijing)
	j.tokyo = nodetest.Open(t, j.dirs[2], node.Options{})
	var err error
	if _, j.card, err = j.tokyo.Card(); err != nil {
		t.Fatal(err)
	}
	if j.before, err = j.seoul.Send(context.Background(), node.SendRequest{Line: j.line, Text: "before tokyo", Precedence: entry.Routine}); err != nil {
		t.Fatal(err)
	}
	return j
}

// admit has seoul propose tokyo, beijing accept, and tokyo open the line
// from seoul's invitation; it returns the amendment's ID. Tokyo's links
// are the caller's to start.
func (j *joining) admit(t *testing.T) string {
	t.Helper()
	add := passAmendment(t, j.line, j.seoul, []*node.Node{j.beijing}, &entry.Changes{AddParty: j.card})
	inv, err := j.seoul.Invite(j.line, "tokyo")
	if err != nil {
		t.Fatal(err)
	}
	if inv.Amendment != add {
		t.Fatalf("the invitation names %s, want %s", inv.Amendment, add)
	}
	if err := j.tokyo.Join(context.Background(), inv); err != nil {
		t.Fatal(err)
	}
	return add
}

// holds reports whether n holds message id with its text.
func holds(t testing.TB, n *node.Node, line, id, text string) bool {
	m, err := n.Message(line, id)
	return err == nil && m.Text == text
}

// sealedTo lists the parties whose sealed copy the envelope of entry id
// carries, as n stored it.
func sealedTo(t testing.TB, n *node.Node, line, id string) []string {
	t.Helper()
	author, index, err := entry.ParseID(id)
	if err != nil {
		t.Fatal(err)
	}
	e, err := n.Store.Entry(line, author, index)
	if err != nil {
		t.Fatal(err)
	}
	env, err := seal.Parse(e.Envelope)
	if err != nil {
		t.Fatal(err)
	}
	out := slices.Collect(maps.Keys(env.Sealed))                // version 1
	out = append(out, slices.Collect(maps.Keys(env.Epochs))...) // version 2
	slices.Sort(out)
	return out
}

// TestPartyJoinsAndLeaves: a third party added to a two-party line by an
// amendment both signed opens the line from an invitation, receives the
// logs, cannot read what was written before it joined (shown as such, not
// as an error), and sends and receives; removed again, it receives no new
// body and its links end. Hostile changes are refused with their own
// errors, and exports before and after verify.
func TestPartyJoinsAndLeaves(t *testing.T) {
	ctx := context.Background()
	j := newJoining(t)
	seoul, beijing, tokyo, line, before := j.seoul, j.beijing, j.tokyo, j.line, j.before
	nodes := []*node.Node{seoul, beijing}
	nodetest.Wait(t, 10*time.Second, "beijing holds the first message", func() bool { return holds(t, beijing, line, before, "before tokyo") })
	exportVerifies(t, seoul, line)

	// An invitation before the amendment is in force is refused.
	if _, err := seoul.Invite(line, "tokyo"); !errors.Is(err, node.ErrNotAdded) {
		t.Fatalf("an invitation for a party not added: %v, want ErrNotAdded", err)
	}
	tokyoCard := j.card
	add := passAmendment(t, line, seoul, []*node.Node{beijing}, &entry.Changes{AddParty: tokyoCard})
	for _, n := range nodes {
		if got := partiesOf(t, n, line); !slices.Equal(got, []string{"seoul", "beijing", "tokyo"}) {
			t.Fatalf("%s: parties in force %v", n.Me(), got)
		}
	}
	// Hostile changes, each refused with its own error.
	_, beijingCard, _ := beijing.Card()
	for _, tc := range []struct {
		ch *entry.Changes
		is error
	}{
		{&entry.Changes{AddParty: tokyoCard}, amend.ErrPartyPresent},
		{&entry.Changes{AddParty: beijingCard}, amend.ErrPartyPresent},
		{&entry.Changes{RemoveParty: "hanoi"}, amend.ErrNoSuchParty},
	} {
		_, err := seoul.Amend(ctx, node.AmendRequest{Line: line, Act: entry.AmendPropose, Officer: "Gen. Kim", Reason: "hostile", Changes: tc.ch})
		if !errors.Is(err, tc.is) {
			t.Fatalf("%+v: %v, want %v", tc.ch, err, tc.is)
		}
	}

	inv, err := seoul.Invite(line, "tokyo")
	if err != nil {
		t.Fatal(err)
	}
	if inv.Amendment != add {
		t.Fatalf("the invitation names %s, want %s", inv.Amendment, add)
	}
	if err := beijing.Join(ctx, inv); !errors.Is(err, node.ErrBadInvite) {
		t.Fatalf("beijing joins with tokyo's invitation: %v, want ErrBadInvite", err)
	}
	if err := tokyo.Join(ctx, inv); err != nil {
		t.Fatal(err)
	}
	j.net.Add(tokyo)
	tokyo.Start(j.net.Route("tokyo"))

	// Tokyo verifies the chain that admitted it from the logs it receives,
	// and holds what was written before, sealed to the others.
	nodetest.Wait(t, 20*time.Second, "tokyo in force by its own chain", func() bool {
		return slices.Contains(partiesOf(t, tokyo, line), "tokyo")
	})
	nodetest.Wait(t, 10*time.Second, "tokyo holds the first message", func() bool {
		_, err := tokyo.Message(line, before)
		return err == nil
	})
	m, err := tokyo.Message(line, before)
	if err != nil {
		t.Fatal(err)
	}
	if !m.BeforeJoining || m.Text != "" || m.BodyError != "" {
		t.Fatalf("tokyo reads the message written before it joined: %+v", m)
	}
	if _, err := tokyo.Ack(ctx, line, before, "Adm. Sato"); !errors.Is(err, node.ErrNotAPeerMessage) {
		t.Fatalf("tokyo acknowledges a message written before it joined: %v, want ErrNotAPeerMessage", err)
	}

	// All three send and receive.
	sent := map[string]*node.Node{}
	for _, n := range []*node.Node{seoul, beijing, tokyo} {
		id, err := n.Send(ctx, node.SendRequest{Line: line, Text: "from " + n.Me(), Precedence: entry.Flash})
		if err != nil {
			t.Fatal(err)
		}
		sent[id] = n
	}
	for id, from := range sent {
		for _, n := range []*node.Node{seoul, beijing, tokyo} {
			if n != from {
				nodetest.Wait(t, 20*time.Second, n.Me()+" reads "+id, func() bool { return holds(t, n, line, id, "from "+from.Me()) })
			}
		}
	}
	owedAfterJoining(t, line, sent, before, seoul, beijing, tokyo)
	exportVerifies(t, seoul, line)
	exportVerifies(t, tokyo, line)

	// Tokyo is removed: beijing proposes, seoul accepts, tokyo is not asked.
	passAmendment(t, line, beijing, []*node.Node{seoul}, &entry.Changes{RemoveParty: "tokyo"})
	if _, err := seoul.Amend(ctx, node.AmendRequest{Line: line, Act: entry.AmendPropose, Officer: "Gen. Kim", Reason: "alone",
		Changes: &entry.Changes{RemoveParty: "beijing"}}); !errors.Is(err, amend.ErrLastParty) {
		t.Fatalf("removing the last other party: %v, want ErrLastParty", err)
	}
	after, err := seoul.Send(ctx, node.SendRequest{Line: line, Text: "after tokyo", Precedence: entry.Flash})
	if err != nil {
		t.Fatal(err)
	}
	if got := sealedTo(t, seoul, line, after); !slices.Equal(got, []string{"beijing"}) {
		t.Fatalf("a message after tokyo left is sealed to %v", got)
	}
	nodetest.Wait(t, 10*time.Second, "beijing reads the message after", func() bool { return holds(t, beijing, line, after, "after tokyo") })
	if holds(t, tokyo, line, after, "after tokyo") {
		t.Fatal("tokyo reads a message written after it was removed")
	}
	// Tokyo cosigned seoul's acceptance before it counted: it holds the
	// step that removed it, knows it left, and writes nothing more.
	nodetest.Wait(t, 10*time.Second, "tokyo knows it left", func() bool {
		return !slices.Contains(partiesOf(t, tokyo, line), "tokyo")
	})
	if _, err := tokyo.Send(ctx, node.SendRequest{Line: line, Text: "still here?"}); !errors.Is(err, node.ErrLeft) {
		t.Fatalf("tokyo sends after it left: %v, want ErrLeft", err)
	}
	exportVerifies(t, seoul, line)
	exportVerifies(t, beijing, line)
}

// TestJoinedPartyReopens: a node that joined a line by invitation, and a
// node of the charter that holds the joiner's log, both reopen with the
// line as it stands: the parties in force, the joiner's log, the message
// written before it joined still shown as such.
func TestJoinedPartyReopens(t *testing.T) {
	ctx := context.Background()
	j := newJoining(t)
	seoul, tokyo, line, before, dirs := j.seoul, j.tokyo, j.line, j.before, j.dirs
	j.admit(t)
	j.net.Add(tokyo)
	tokyo.Start(j.net.Route("tokyo"))
	from, err := tokyo.Send(ctx, node.SendRequest{Line: line, Text: "from tokyo", Precedence: entry.Flash})
	if err != nil {
		t.Fatal(err)
	}
	nodetest.Wait(t, 20*time.Second, "seoul reads tokyo", func() bool { return holds(t, seoul, line, from, "from tokyo") })
	nodetest.Wait(t, 20*time.Second, "tokyo in force by its own chain", func() bool {
		_, err := tokyo.Message(line, before)
		return err == nil && slices.Contains(partiesOf(t, tokyo, line), "tokyo")
	})
	if err := tokyo.Close(); err != nil {
		t.Fatal(err)
	}
	tokyo = nodetest.Open(t, dirs[2], node.Options{})
	if got := partiesOf(t, tokyo, line); !slices.Equal(got, []string{"seoul", "beijing", "tokyo"}) {
		t.Fatalf("tokyo reopened: parties in force %v", got)
	}
	if m, err := tokyo.Message(line, before); err != nil || !m.BeforeJoining {
		t.Fatalf("tokyo reopened: the message before it joined: %+v, %v", m, err)
	}
	if err := seoul.Close(); err != nil {
		t.Fatal(err)
	}
	seoul = nodetest.Open(t, dirs[0], node.Options{})
	if !holds(t, seoul, line, from, "from tokyo") {
		t.Fatal("seoul reopened does not hold tokyo's message")
	}
	st, err := seoul.Status(line)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Parties) != 3 || st.Parties[2].Party != "tokyo" || st.Parties[2].LogSize == 0 {
		t.Fatalf("seoul reopened: %+v", st.Parties)
	}
	// Both go on: a message from the reopened seoul reaches tokyo.
	nodetest.Connect(seoul, tokyo)
	again, err := seoul.Send(ctx, node.SendRequest{Line: line, Text: "after the restart", Precedence: entry.Flash})
	if err != nil {
		t.Fatal(err)
	}
	nodetest.Wait(t, 20*time.Second, "tokyo reads seoul after both reopened", func() bool { return holds(t, tokyo, line, again, "after the restart") })
	exportVerifies(t, tokyo, line)
}

// TestHostileBodyWithheldFromJoiner: once a joiner holds the amendment
// that admitted it, an entry written after it was in force must carry a
// copy sealed to it. A party that seals a new message to the others only
// is refused with ErrBadBody and evidence kept, while the same log
// without that entry is taken in, its earlier bodies kept as written
// before the joiner joined.
func TestHostileBodyWithheldFromJoiner(t *testing.T) {
	j := newJoining(t)
	seoul, beijing, tokyo, line, before, dirs := j.seoul, j.beijing, j.tokyo, j.line, j.before, j.dirs
	j.admit(t)
	// Tokyo reaches beijing only; seoul's log comes from the hostile
	// seoul, first as it is: the proposal that admitted tokyo is in it.
	net := memroute.New()
	net.Add(beijing)
	net.Add(tokyo)
	tokyo.Start(net.Route("tokyo"))
	h := &hostile{me: "seoul", line: line, keys: loadKeys(t, dirs[0]), victim: tokyo, src: seoul,
		sealTo: map[string]hpke.PublicKey{"beijing": hpkeKey(t, beijing.Keys)}}
	log := h.entries(t)
	if _, err := h.send(h.bundle(h.segment(t, log, 0, uint64(len(log))))); err != nil {
		t.Fatalf("seoul's log as it is: %v", err)
	}
	nodetest.Wait(t, 20*time.Second, "tokyo in force by its own chain", func() bool {
		return slices.Contains(partiesOf(t, tokyo, line), "tokyo")
	})
	if m, err := tokyo.Message(line, before); err != nil || !m.BeforeJoining {
		t.Fatalf("the message before tokyo joined: %+v, %v", m, err)
	}
	withheld := append(log, h.message(t, uint64(len(log)), "not for tokyo"))
	_, err := h.send(h.bundle(h.segment(t, withheld, uint64(len(log)), uint64(len(withheld)))))
	if !errors.Is(err, node.ErrBadBody) {
		t.Fatalf("a message after tokyo joined, not sealed to it: %v, want ErrBadBody", err)
	}
	waitEvidence(t, tokyo, "seoul", err)
	if got := held(t, tokyo, line, "seoul"); got != uint64(len(log)) {
		t.Fatalf("tokyo holds %d of seoul's log after the refusal, want %d", got, len(log))
	}
}

// owedAfterJoining checks the read side follows the parties in force: a
// message written after tokyo joined has a rung for, and is owed by, every
// other party, tokyo included, and tokyo's own FLASH is owed by the others
// (so it raises their alarms); the message written before tokyo joined has
// no rung for tokyo and tokyo owes nothing for it.
func owedAfterJoining(t *testing.T, line string, sent map[string]*node.Node, before string, nodes ...*node.Node) {
	t.Helper()
	ctx := context.Background()
	for _, n := range nodes {
		l, err := n.ReadLine(line)
		if err != nil {
			t.Fatal(err)
		}
		owed := map[string][]string{} // message -> parties owing it
		err = readmodel.NewTracker(n.Store, l).Each(ctx, time.Now(), func(o *readmodel.Owed) {
			owed[o.ID] = append(owed[o.ID], o.Party)
		})
		if err != nil {
			t.Fatal(err)
		}
		for id, from := range sent {
			want := []string{}
			for _, p := range []string{"seoul", "beijing", "tokyo"} {
				if p != from.Me() && (from == n || p == n.Me()) {
					want = append(want, p)
				}
			}
			m, err := n.Message(line, id)
			if err != nil {
				t.Fatal(err)
			}
			var rungs []string
			for _, r := range m.Ladder {
				rungs = append(rungs, r.Party)
			}
			if len(rungs) != 2 || slices.Contains(rungs, from.Me()) {
				t.Errorf("%s: the ladder of %s has rungs for %v, want the two other parties", n.Me(), id, rungs)
			}
			got := owed[id]
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s: %s is owed by %v, want %v", n.Me(), id, got, want)
			}
		}
		if n.Me() == "tokyo" {
			continue
		}
		m, err := n.Message(line, before)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range m.Ladder {
			if r.Party == "tokyo" {
				t.Errorf("%s: the message written before tokyo joined has a rung for tokyo", n.Me())
			}
		}
		if slices.Contains(owed[before], "tokyo") {
			t.Errorf("%s: tokyo owes the message written before it joined", n.Me())
		}
	}
}
