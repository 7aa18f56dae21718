package node_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/direct"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/linestate"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
	"github.com/hotline-line/hotline/internal/transcript"
)

// named gives a line's charter a name and a title from it.
func named(name string) func(*charter.Charter) {
	return func(c *charter.Charter) { c.Name, c.Title = name, name+" line" }
}

// stateOf returns the state n sees on line.
func stateOf(t testing.TB, n *node.Node, line string) *node.LineStatus {
	t.Helper()
	st, err := n.Status(line)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestThreeLinesOneNode runs three lines on Seoul's one node and one
// direct listener, over real mutual TLS on loopback: the ministers' line
// and the navy's line with Beijing, and the air force's line with Tokyo.
// Every message, acknowledgement, link test and state stays on its line.
func TestThreeLinesOneNode(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var nodes []*node.Node
	for _, p := range append(slices.Clone(nodetest.Default), nodetest.Party{Slug: "tokyo", Name: "Ministry of Defense, Tokyo", Lang: "ja"}) {
		n, err := node.Open(nodetest.Create(t, dir, p), node.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.Close() })
		nodes = append(nodes, n)
	}
	seoul, beijing, tokyo := nodes[0], nodes[1], nodes[2]
	ministers := nodetest.Line(t, []*node.Node{seoul, beijing}, named("ministers"))
	navy := nodetest.Line(t, []*node.Node{seoul, beijing}, named("navy"))
	air := nodetest.Line(t, []*node.Node{seoul, tokyo}, named("air"))

	// The names are what --line takes, and unique on each node.
	for name, id := range map[string]string{"ministers": ministers, "navy": navy, "air": air, air: air} {
		if got, err := seoul.ResolveLine(name); err != nil || got != id {
			t.Fatalf("seoul resolves %q to %q, %v; want %s", name, got, err, id)
		}
	}
	if _, err := beijing.ResolveLine("air"); !errors.Is(err, node.ErrNoLine) {
		t.Fatalf("beijing resolves the air line it is not on: %v", err)
	}
	if _, err := seoul.ResolveLine(""); err == nil {
		t.Fatal("seoul picked one of its three lines without being told which")
	}
	second := nodetest.Charter(t, []*node.Node{seoul, tokyo}, named("navy"))
	if err := seoul.Install(ctx, second); !errors.Is(err, node.ErrNameTaken) {
		t.Fatalf("a second line named navy on seoul: %v, want ErrNameTaken", err)
	}
	infos, err := seoul.LineInfos()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range infos {
		names = append(names, l.Name+":"+strings.Join(l.Parties, ",")+":"+string(l.Status.State))
	}
	if want := []string{"ministers:seoul,beijing:open", "navy:seoul,beijing:open", "air:seoul,tokyo:open"}; !slices.Equal(names, want) {
		t.Fatalf("seoul's lines: %v, want %v", names, want)
	}

	// One listener per node, one client per node: the lines share them.
	addrs := map[string]string{}
	for _, n := range nodes {
		addrs[n.Me()] = serveDirect(t, n)
	}
	for _, n := range nodes {
		cert, err := n.Keys.TLSCertificate()
		if err != nil {
			t.Fatal(err)
		}
		r := direct.NewClient(cert, peersAt{n, addrs})
		t.Cleanup(r.CloseIdle)
		n.Start(r)
	}

	send := func(n *node.Node, line, text string, p entry.Precedence) string {
		t.Helper()
		id, err := n.Send(ctx, node.SendRequest{Line: line, Text: text, Precedence: p})
		if err != nil {
			t.Fatalf("%s sends on %s: %v", n.Me(), line, err)
		}
		return id
	}
	toMinisters := send(seoul, ministers, "seoul to the ministers' line", entry.Flash)
	toNavy := send(seoul, navy, "seoul to the navy's line", entry.Routine)
	toAir := send(seoul, air, "seoul to the air force's line", entry.Priority)
	send(beijing, ministers, "beijing on the ministers' line", entry.Routine)
	send(beijing, navy, "beijing on the navy's line", entry.Routine)
	send(tokyo, air, "tokyo on the air force's line", entry.Routine)

	// Beijing suspends the navy's line only.
	if _, err := beijing.SetLineState(ctx, navy, entry.LineSuspended, "port visit cancelled", "Cdr. Wang"); err != nil {
		t.Fatal(err)
	}
	waitState(t, seoul, navy, entry.LineSuspended)
	if _, err := seoul.Send(ctx, node.SendRequest{Line: navy, Text: "routine on a suspended line"}); !errors.Is(err, linestate.ErrSuspended) {
		t.Fatalf("routine on the suspended navy line: %v", err)
	}
	send(seoul, ministers, "routine on the ministers' line goes on", entry.Routine)
	for _, l := range []string{ministers, air} {
		if st := stateOf(t, seoul, l); st.State != string(entry.LineOpen) {
			t.Fatalf("suspending navy changed line %s to %s", l, st.State)
		}
	}

	// Acknowledgements and link tests, on their own lines.
	nodetest.Wait(t, 30*time.Second, "beijing holds seoul's FLASH", func() bool {
		_, err := beijing.Message(ministers, toMinisters)
		return err == nil
	})
	if _, err := beijing.Ack(ctx, ministers, toMinisters, "Col. Li"); err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{ministers, navy, air} {
		if _, err := seoul.RunLinkTests(ctx, l); err != nil {
			t.Fatalf("link tests on %s: %v", l, err)
		}
	}

	// Everything delivered and cosigned on every line.
	pairs := map[string][]*node.Node{ministers: {seoul, beijing}, navy: {seoul, beijing}, air: {seoul, tokyo}}
	nodetest.Wait(t, 60*time.Second, "every log of every line cosigned in full", func() bool {
		for line, ns := range pairs {
			for _, n := range ns {
				size := held(t, n, line, n.Me())
				for _, p := range ns {
					if r, _ := n.Receipt(line, p.Me()); p != n && r != size {
						return false
					}
				}
			}
		}
		return true
	})

	// Each inbox holds exactly what its line's peers wrote on that line.
	want := map[string]map[string][]string{ // node -> line -> texts received
		"seoul": {ministers: {"beijing on the ministers' line"}, navy: {"beijing on the navy's line"}, air: {"tokyo on the air force's line"}},
		"beijing": {ministers: {"routine on the ministers' line goes on", "seoul to the ministers' line"},
			navy: {"seoul to the navy's line"}},
		"tokyo": {air: {"seoul to the air force's line"}},
	}
	for _, n := range nodes {
		lines := n.Lines()
		if len(lines) != len(want[n.Me()]) {
			t.Fatalf("%s holds %d lines, want %d", n.Me(), len(lines), len(want[n.Me()]))
		}
		for line, texts := range want[n.Me()] {
			var got []string
			for _, text := range inbox(t, n, line) {
				got = append(got, text)
			}
			slices.Sort(got)
			if !slices.Equal(got, texts) {
				t.Errorf("%s's inbox on %s: %q, want %q", n.Me(), line, got, texts)
			}
		}
	}
	// The acknowledgement is on the ministers' message only.
	for line, id := range map[string]string{ministers: toMinisters, navy: toNavy, air: toAir} {
		m, err := seoul.Message(line, id)
		if err != nil {
			t.Fatal(err)
		}
		acked := m.Ladder[0].AckedBy
		if (line == ministers) != (acked == "Col. Li") {
			t.Errorf("message %s on %s acknowledged by %q", id, line, acked)
		}
	}
	// Link tests: Seoul's show on each line it ran them on, with that
	// line's peer only.
	for line, ns := range pairs {
		views, err := ns[1].LinkTests(line)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range views {
			if v.By != seoul.Me() {
				continue
			}
			if len(v.Results) == 0 {
				t.Fatalf("%s sees no link test by seoul on %s", ns[1].Me(), line)
			}
			for _, r := range v.Results {
				if r.Peer != ns[1].Me() || !r.OK {
					t.Errorf("seoul's link test on %s: %+v", line, r)
				}
			}
		}
	}
	// A line's entries reach only its parties: Tokyo holds nothing of the
	// lines with Beijing.
	for _, l := range []string{ministers, navy} {
		if _, err := tokyo.Status(l); !errors.Is(err, node.ErrNoLine) {
			t.Errorf("tokyo knows line %s: %v", l, err)
		}
		if rows, err := tokyo.Store.Entries(l, seoul.Me(), 0, 1<<40); err != nil || len(rows) != 0 {
			t.Errorf("tokyo stored %d entries of line %s (%v)", len(rows), l, err)
		}
	}
}

// waitState waits until n sees line in state.
func waitState(t *testing.T, n *node.Node, line string, state entry.LineState) *node.LineStatus {
	t.Helper()
	var st *node.LineStatus
	nodetest.Wait(t, 30*time.Second, fmt.Sprintf("%s sees line %s %s", n.Me(), line, state), func() bool {
		st = stateOf(t, n, line)
		return st.State == string(state)
	})
	return st
}

// TestLineStates suspends, reopens and closes a line by signed notices and
// checks what each side may send, what each side sees, and what the
// transcript proves.
func TestLineStates(t *testing.T) {
	ctx := context.Background()
	nodes, line := startedPair(t, nil, func(c *charter.Charter) { named("ministers")(c); withRollCall(c) })
	seoul, beijing := nodes[0], nodes[1]

	if _, err := beijing.SetLineState(ctx, line, entry.LineSuspended, "all official interactions halted", "Col. Li"); err != nil {
		t.Fatal(err)
	}
	st := waitState(t, seoul, line, entry.LineSuspended)
	if n := st.Notice; n == nil || n.By != "beijing" || n.Officer != "Col. Li" || n.Reason != "all official interactions halted" || n.Since.IsZero() {
		t.Fatalf("seoul's status of the suspension: %+v", st.Notice)
	}
	// The emergency channel never closes.
	for _, p := range []entry.Precedence{entry.Flash, entry.Immediate} {
		if _, err := seoul.Send(ctx, node.SendRequest{Line: line, Text: "urgent", Precedence: p}); err != nil {
			t.Fatalf("%s on a suspended line: %v", p, err)
		}
	}
	for _, p := range []entry.Precedence{entry.Priority, entry.Routine} {
		if _, err := seoul.Send(ctx, node.SendRequest{Line: line, Text: "not urgent", Precedence: p}); !errors.Is(err, linestate.ErrSuspended) {
			t.Fatalf("%s on a suspended line: %v, want ErrSuspended", p, err)
		}
	}
	id, err := seoul.Send(ctx, node.SendRequest{Line: line, Text: "knowingly", Precedence: entry.Routine, DespiteSuspension: true})
	if err != nil {
		t.Fatal(err)
	}
	e, err := seoul.Store.Entry(line, "seoul", mustIndex(t, id))
	if err != nil || !strings.Contains(string(e.Body), `"despite_suspension":true`) {
		t.Fatalf("the message sent despite the suspension does not record it: %s (%v)", e.Body, err)
	}
	if _, err := seoul.RunLinkTests(ctx, line); err != nil {
		t.Fatalf("link tests on a suspended line: %v", err)
	}
	if _, err := seoul.AnswerRollCall(ctx, line, "Gen. Kim"); err != nil {
		t.Fatalf("roll-call on a suspended line: %v", err)
	}
	if v, err := seoul.RollCalls(line); err != nil || len(v) != 2 {
		t.Fatalf("roll-calls on a suspended line: %+v, %v", v, err)
	}
	// Only the suspender reopens.
	if _, err := seoul.SetLineState(ctx, line, entry.LineOpen, "", "Gen. Kim"); !errors.Is(err, linestate.ErrNotSuspender) {
		t.Fatalf("seoul reopens beijing's suspension: %v, want ErrNotSuspender", err)
	}
	if _, err := beijing.SetLineState(ctx, line, entry.LineOpen, "", "Col. Li"); err != nil {
		t.Fatal(err)
	}
	waitState(t, seoul, line, entry.LineOpen)
	if _, err := seoul.Send(ctx, node.SendRequest{Line: line, Text: "routine again"}); err != nil {
		t.Fatal(err)
	}
	// Any party closes; then nothing new goes, on either side.
	if _, err := seoul.SetLineState(ctx, line, entry.LineClosed, "superseded by the new agreement", "Gen. Kim"); err != nil {
		t.Fatal(err)
	}
	waitState(t, beijing, line, entry.LineClosed)
	for _, n := range nodes {
		if _, err := n.Send(ctx, node.SendRequest{Line: line, Text: "after the close", Precedence: entry.Flash}); !errors.Is(err, linestate.ErrClosed) {
			t.Fatalf("%s sends FLASH on a closed line: %v, want ErrClosed", n.Me(), err)
		}
		if _, err := n.SetLineState(ctx, line, entry.LineOpen, "", "anyone"); !errors.Is(err, linestate.ErrClosed) {
			t.Fatalf("%s reopens a closed line: %v, want ErrClosed", n.Me(), err)
		}
		if _, err := n.RunLinkTests(ctx, line); !errors.Is(err, linestate.ErrClosed) {
			t.Fatalf("%s tests the links of a closed line: %v, want ErrClosed", n.Me(), err)
		}
		if _, err := n.AnswerRollCall(ctx, line, "anyone"); !errors.Is(err, linestate.ErrClosed) {
			t.Fatalf("%s answers a roll-call on a closed line: %v, want ErrClosed", n.Me(), err)
		}
		// A closed line asks for nothing more: no roll-call, no link test
		// is missed or overdue.
		if v, err := n.RollCalls(line); err != nil || v != nil {
			t.Fatalf("%s's roll-calls on a closed line: %+v, %v", n.Me(), v, err)
		}
	}

	// The closed line stays exportable, and its transcript proves the state.
	tr, err := transcript.Export(beijing.Store, beijing.Keys, line, true, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	rep, err := transcript.VerifyTranscript(tr)
	if err != nil {
		t.Fatal(err)
	}
	if rep.LineState == nil || rep.LineState.Status.State != entry.LineClosed || rep.LineState.Status.By != "seoul" || len(rep.LineState.Notices) != 3 {
		t.Fatalf("the report's line state: %+v", rep.LineState)
	}
	for _, m := range rep.Messages {
		if m.StateBreach != "" {
			t.Errorf("message %s (%s) reported against the line's state: %s", m.ID, m.Text, m.StateBreach)
		}
	}
	var text strings.Builder
	rep.WriteText(&text)
	if !strings.Contains(text.String(), "line state: closed by seoul (officer Gen. Kim)") ||
		!strings.Contains(text.String(), "superseded by the new agreement") {
		t.Fatalf("the report does not say the line is closed:\n%s", text.String())
	}
}

func mustIndex(t *testing.T, id string) uint64 {
	t.Helper()
	_, i, err := entry.ParseID(id)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

// TestHostileNotices: a party that runs its own code writes state notices
// the rules refuse. Each is stored (it is in a signed log) but changes
// nothing, and the status names the rule it broke.
func TestHostileNotices(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	beijing := f.nodes[1]

	// Beijing suspends the line (its own node, not started).
	if _, err := beijing.SetLineState(ctx, f.line, entry.LineSuspended, "exchanges halted", "Col. Li"); err != nil {
		t.Fatal(err)
	}
	log := f.h.entries(t)
	now := time.Now()
	body := func(n entry.Notice) []byte { b, _ := json.Marshal(n); return b }
	other := strings.Repeat("0", 32)
	log = append(log,
		// A notice that names another line: refused on receipt.
		f.h.craft(t, uint64(len(log)), entry.KindNotice, newSaltFor(t),
			body(entry.Notice{Line: other, State: entry.LineClosed, Reason: "closing your other line", Officer: "Gen. Kim"}), now.Add(time.Second)))
	log = append(log,
		// Seoul reopens the line Beijing suspended.
		f.h.craft(t, uint64(len(log)), entry.KindNotice, newSaltFor(t),
			body(entry.Notice{Line: f.line, State: entry.LineOpen, Officer: "Gen. Kim"}), now.Add(2*time.Second)))
	log = append(log,
		// And sends ROUTINE as if the line were open.
		f.h.craft(t, uint64(len(log)), entry.KindMessage, newSaltFor(t), messageBody("routine as if reopened"), now.Add(3*time.Second)))
	f.accept(t, f.h.bundle(f.h.segment(t, log, 0, uint64(len(log)))), uint64(len(log)))

	st := stateOf(t, beijing, f.line)
	if st.State != string(entry.LineSuspended) || st.Notice == nil || st.Notice.By != "beijing" {
		t.Fatalf("hostile notices changed the line's state: %s %+v", st.State, st.Notice)
	}
	var errs []string
	for _, r := range st.Refused {
		errs = append(errs, r.Notice+": "+r.Error)
	}
	want := []error{entry.ErrNoticeOtherLine, linestate.ErrNotSuspender}
	if len(errs) != len(want) {
		t.Fatalf("refused notices: %q, want %d", errs, len(want))
	}
	for i, w := range want {
		if !strings.Contains(errs[i], w.Error()) {
			t.Errorf("refusal %d: %q, want %v", i, errs[i], w)
		}
	}
	// The transcript shows the same, and the message sent against the
	// suspension.
	tr, err := transcript.Export(beijing.Store, beijing.Keys, f.line, true, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	rep, err := transcript.VerifyTranscript(tr)
	if err != nil {
		t.Fatal(err)
	}
	if rep.LineState == nil || rep.LineState.Status.State != entry.LineSuspended || len(rep.Messages) != 1 ||
		!strings.Contains(rep.Messages[0].StateBreach, linestate.ErrSuspended.Error()) {
		t.Fatalf("report: state %+v, messages %+v", rep.LineState, rep.Messages)
	}
	var refusedInReport int
	for _, n := range rep.LineState.Notices {
		if n.Refused != "" {
			refusedInReport++
		}
	}
	if refusedInReport != 2 {
		t.Fatalf("the report lists %d refused notices, want 2: %+v", refusedInReport, rep.LineState.Notices)
	}
	// Beijing's own sends still follow the suspension it gave.
	if _, err := beijing.Send(ctx, node.SendRequest{Line: f.line, Text: "routine"}); !errors.Is(err, linestate.ErrSuspended) {
		t.Fatalf("beijing sends routine after the hostile reopen: %v", err)
	}
}
