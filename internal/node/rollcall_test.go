package node_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
	"github.com/hotline-line/hotline/internal/testclock"
)

// at is a time on the test day, UTC.
func at(h, m int) time.Time { return time.Date(2026, 11, 26, h, m, 0, 0, time.UTC) }

// withRollCall makes the charter ask for a roll-call every 4 hours,
// answered within 15 minutes, in slots from 07:30.
func withRollCall(c *charter.Charter) {
	c.Created = at(7, 30)
	c.RollCall = &charter.RollCallRule{Every: charter.Duration(4 * time.Hour), Answer: charter.Duration(15 * time.Minute)}
}

// startedPair pairs Seoul and Beijing on a charter edit changes, under clk,
// and starts both on an in-memory network.
func startedPair(t *testing.T, clk *testclock.Clock, edit func(*charter.Charter)) ([]*node.Node, string) {
	t.Helper()
	dirs := nodetest.Dirs(t)
	opts := node.Options{}
	if clk != nil {
		opts.Now = clk.Now
	}
	nodes, line := nodetest.PairWith(t, dirs, opts, edit)
	nodetest.Connect(nodes...)
	return nodes, line
}

// rollCallOf returns party's roll-call as n sees it.
func rollCallOf(t *testing.T, n *node.Node, line, party string) node.RollCallView {
	t.Helper()
	vs, err := n.RollCalls(line)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if v.Party == party {
			return v
		}
	}
	t.Fatalf("%s: no roll-call of %s in %+v", n.Me(), party, vs)
	return node.RollCallView{}
}

// want is what a test expects of a view; zero times must be zero.
type want struct {
	last            time.Time
	officer         string
	slot, answerBy  time.Time
	pending, missed bool
	missedSlot      time.Time
}

func (w want) String() string {
	return fmt.Sprintf("{Last:%v Officer:%s Slot:%v AnswerBy:%v Pending:%v Missed:%v MissedSlot:%v}",
		w.last, w.officer, w.slot, w.answerBy, w.pending, w.missed, w.missedSlot)
}

func (w want) matches(v node.RollCallView) bool {
	return v.Last.Equal(w.last) && v.Officer == w.officer && v.Slot.Equal(w.slot) && v.AnswerBy.Equal(w.answerBy) &&
		v.Pending == w.pending && v.Missed == w.missed && v.MissedSlot.Equal(w.missedSlot)
}

// missOpen checks beijing's own view of its miss: still asking for an
// answer, or answered late at late.
func missOpen(t *testing.T, n *node.Node, line string, open bool, late time.Time) {
	t.Helper()
	v, err := n.RollCalls(line)
	if err != nil {
		t.Fatal(err)
	}
	if b := v[1]; b.MissOpen != open || !b.AnsweredLate.Equal(late) {
		t.Fatalf("beijing's miss: open %v, answered late %v; want %v, %v", b.MissOpen, b.AnsweredLate, open, late)
	}
}

// expect checks party's roll-call on every node, waiting for the entries
// to travel where they must.
func expect(t *testing.T, nodes []*node.Node, line, party string, w want) {
	t.Helper()
	for _, n := range nodes {
		var v node.RollCallView
		ok := false
		deadline := time.Now().Add(20 * time.Second)
		for !ok && time.Now().Before(deadline) {
			v = rollCallOf(t, n, line, party)
			if ok = w.matches(v); !ok {
				time.Sleep(5 * time.Millisecond)
			}
		}
		if !ok {
			t.Fatalf("%s sees %s's roll-call as\n%+v, want\n%v", n.Me(), party, v, w)
		}
	}
}

// rollCallEntries counts author's roll-call entries held by n.
func rollCallEntries(t *testing.T, n *node.Node, line, author string) int {
	t.Helper()
	rows, err := n.Store.EntriesByKind(line, entry.KindRollCall, 1000)
	if err != nil {
		t.Fatal(err)
	}
	c := 0
	for _, r := range rows {
		if r.Author == author {
			c++
		}
	}
	return c
}

func TestRollCall(t *testing.T) {
	clk := testclock.New(at(8, 0))
	nodes, line := startedPair(t, clk, withRollCall)
	seoul, beijing := nodes[0], nodes[1]
	ctx := context.Background()

	// A new line asks at once: the slot began at 07:30, the line opened at
	// 08:00, so both parties have until 08:15.
	asked := want{slot: at(7, 30), answerBy: at(8, 15), pending: true}
	expect(t, nodes, line, "seoul", asked)
	expect(t, nodes, line, "beijing", asked)

	clk.Set(at(8, 5))
	v, err := seoul.AnswerRollCall(ctx, line, "Kim Min-jun")
	if err != nil {
		t.Fatal(err)
	}
	present := want{last: at(8, 5), officer: "Kim Min-jun", slot: at(7, 30), answerBy: at(8, 15)}
	if !present.matches(*v) || v.Party != "seoul" {
		t.Fatalf("after the answer: %+v", v)
	}
	// Beijing sees a person present in Seoul; its own roll-call is still
	// pending.
	expect(t, nodes, line, "seoul", present)
	expect(t, nodes, line, "beijing", asked)

	// A second answer in the same slot writes nothing.
	v, err = seoul.AnswerRollCall(ctx, line, "Lee Seo-yeon")
	if err != nil || !present.matches(*v) {
		t.Fatalf("second answer: %+v, %v", v, err)
	}
	if c := rollCallEntries(t, seoul, line, "seoul"); c != 1 {
		t.Fatalf("seoul wrote %d roll-call entries, want 1", c)
	}

	// 08:20: Beijing's time is up.
	clk.Set(at(8, 20))
	expect(t, nodes, line, "beijing", want{slot: at(7, 30), answerBy: at(8, 15), missed: true, missedSlot: at(7, 30)})
	expect(t, nodes, line, "seoul", present)

	// 11:35: the next slot asks both again; Beijing's miss of 07:30 is
	// still the latest closed slot.
	clk.Set(at(11, 35))
	expect(t, nodes, line, "seoul", want{last: at(8, 5), officer: "Kim Min-jun", slot: at(11, 30), answerBy: at(11, 45), pending: true})
	expect(t, nodes, line, "beijing", want{slot: at(11, 30), answerBy: at(11, 45), pending: true, missed: true, missedSlot: at(7, 30)})
	missOpen(t, beijing, line, true, time.Time{})

	clk.Set(at(11, 40))
	if _, err := beijing.AnswerRollCall(ctx, line, "Wang Lei"); err != nil {
		t.Fatal(err)
	}
	expect(t, nodes, line, "beijing", want{last: at(11, 40), officer: "Wang Lei", slot: at(11, 30), answerBy: at(11, 45), missed: true, missedSlot: at(7, 30)})
	// The answer closes the miss at once, recorded as late.
	missOpen(t, beijing, line, false, at(11, 40))

	// 11:50: Beijing answered 11:30 in time, which clears its miss; Seoul
	// did not.
	clk.Set(at(11, 50))
	expect(t, nodes, line, "beijing", want{last: at(11, 40), officer: "Wang Lei", slot: at(11, 30), answerBy: at(11, 45)})
	expect(t, nodes, line, "seoul", want{last: at(8, 5), officer: "Kim Min-jun", slot: at(11, 30), answerBy: at(11, 45), missed: true, missedSlot: at(11, 30)})

	// A late answer shows a person present now, and the miss stands.
	if _, err := seoul.AnswerRollCall(ctx, line, "Lee Seo-yeon"); err != nil {
		t.Fatal(err)
	}
	expect(t, nodes, line, "seoul", want{last: at(11, 50), officer: "Lee Seo-yeon", slot: at(11, 30), answerBy: at(11, 45), missed: true, missedSlot: at(11, 30)})

	// The entry says which slot it answered and who answered it.
	rows, err := beijing.Store.EntriesByKind(line, entry.KindRollCall, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("beijing holds %d roll-call entries, want 3", len(rows))
	}
	for _, r := range rows {
		rc, err := entry.DecodeRollCall(r.Body)
		if err != nil || r.BodyError != "" || rc.Officer != r.Officer {
			t.Fatalf("stored roll-call %s-%d: %+v %v %q", r.Author, r.Index, rc, err, r.BodyError)
		}
		wantSlot := at(11, 30)
		if r.Time == at(8, 5).UnixMilli() {
			wantSlot = at(7, 30)
		}
		if rc.Slot != wantSlot.UnixMilli() {
			t.Fatalf("%s's answer at %v names slot %v, want %v", r.Author, time.UnixMilli(r.Time).UTC(), time.UnixMilli(rc.Slot).UTC(), wantSlot)
		}
	}

	// hotline status carries the same views.
	st, err := beijing.Status(line)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.RollCalls) != 2 || st.RollCalls[0].Party != "seoul" || st.RollCalls[1].Party != "beijing" || st.RollCalls[0].Officer != "Lee Seo-yeon" {
		t.Fatalf("status roll-calls: %+v", st.RollCalls)
	}
	b, _ := json.Marshal(st.RollCalls[1])
	var fields map[string]any
	json.Unmarshal(b, &fields)
	for _, k := range []string{"party", "last", "officer", "slot", "answer_by", "pending", "missed"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("roll-call JSON lacks %q: %s", k, b)
		}
	}
	if _, ok := fields["missed_slot"]; ok {
		t.Errorf("roll-call JSON has a zero missed_slot: %s", b)
	}
}

// TestRollCallLineOpenedLateInSlot opens the line five minutes before a
// slot ends: the first roll-call still gets its full 15 minutes, past the
// start of the next slot, and one answer then covers both slots.
func TestRollCallLineOpenedLateInSlot(t *testing.T) {
	for _, answer := range []bool{true, false} {
		clk := testclock.New(at(11, 25))
		nodes, line := startedPair(t, clk, withRollCall)
		seoul := nodes[0]
		clk.Set(at(11, 32))
		expect(t, nodes, line, "seoul", want{slot: at(11, 30), answerBy: at(11, 45), pending: true})
		if !answer {
			// 07:30's roll-call closed at 11:40, unanswered.
			clk.Set(at(11, 41))
			expect(t, nodes, line, "seoul", want{slot: at(11, 30), answerBy: at(11, 45), pending: true, missed: true, missedSlot: at(7, 30)})
			continue
		}
		if _, err := seoul.AnswerRollCall(context.Background(), line, "Kim"); err != nil {
			t.Fatal(err)
		}
		for _, now := range []time.Time{at(11, 41), at(11, 46)} {
			clk.Set(now)
			expect(t, nodes, line, "seoul", want{last: at(11, 32), officer: "Kim", slot: at(11, 30), answerBy: at(11, 45)})
		}
	}
}

func TestRollCallRefusals(t *testing.T) {
	_, nodes, line := twoNodes(t)
	ctx := context.Background()
	if _, err := nodes[0].AnswerRollCall(ctx, line, "Kim"); !errors.Is(err, node.ErrNoRollCall) {
		t.Fatalf("a line without roll-call: got %v, want ErrNoRollCall", err)
	}
	if vs, err := nodes[0].RollCalls(line); vs != nil || err != nil {
		t.Fatalf("RollCalls without a rule: %+v, %v", vs, err)
	}
	if st, err := nodes[0].Status(line); err != nil || st.RollCalls != nil {
		t.Fatalf("status without a rule: %+v, %v", st, err)
	}
	if _, err := nodes[0].AnswerRollCall(ctx, "0123456789abcdef0123456789abcdef", "Kim"); !errors.Is(err, node.ErrNoLine) {
		t.Fatalf("unknown line: %v", err)
	}

	clk := testclock.New(at(8, 0))
	nodes, line = startedPair(t, clk, withRollCall)
	for _, officer := range []string{"", string(make([]byte, entry.MaxOfficerName+1))} {
		if _, err := nodes[0].AnswerRollCall(ctx, line, officer); err == nil {
			t.Fatalf("officer %q accepted", officer)
		}
	}
	if c := rollCallEntries(t, nodes[0], line, "seoul"); c != 0 {
		t.Fatalf("refused answers wrote %d entries", c)
	}
}

// TestHostileRollCallBodies has a peer write roll-call entries whose
// bodies do not decode: like any bad body, each is kept as unreadable and
// cosigned (the author committed to it, and its log goes on), and none
// counts as an answer.
func TestHostileRollCallBodies(t *testing.T) {
	clk := testclock.New(at(8, 0))
	f := newFixtureWith(t, node.Options{Now: clk.Now}, withRollCall)
	victim := f.h.victim
	slot := at(7, 30).UnixMilli()
	bad := []string{
		`{"officer":"","slot":` + itoa(slot) + `}`,
		`{"officer":"Kim","slot":-1}`,
		`{"officer":"Kim","slot":` + itoa(slot) + `,"party":"beijing"}`,
		`not JSON`,
	}
	log := f.h.entries(t)
	for i, b := range bad {
		log = append(log, f.h.craft(t, uint64(len(log)), entry.KindRollCall, newSaltFor(t), []byte(b), at(8, 1+i)))
	}
	before := evidenceCount(t, victim)
	f.accept(t, f.h.bundle(f.h.segment(t, log, 0, uint64(len(log)))), uint64(len(log)))
	for i := 1; i < len(log); i++ {
		e, err := victim.Store.Entry(f.line, f.h.me, uint64(i))
		if err != nil {
			t.Fatal(err)
		}
		if e.Kind != entry.KindRollCall || e.BodyError == "" || e.Officer != "" {
			t.Fatalf("entry %d stored as kind %s, body error %q, officer %q", i, e.Kind, e.BodyError, e.Officer)
		}
	}
	if n := evidenceCount(t, victim); n != before {
		t.Fatalf("bad bodies were refused as evidence: %d -> %d", before, n)
	}
	asked := want{slot: at(7, 30), answerBy: at(8, 15), pending: true}
	if v := rollCallOf(t, victim, f.line, f.h.me); !asked.matches(v) {
		t.Fatalf("unreadable answers counted: %+v", v)
	}

	// An answer dated two days ahead (a clock far off, or a party that
	// would answer in advance) is refused: no entry is dated ahead of the
	// receiver's clock by more than the charter's tolerance.
	ahead := at(7, 30).Add(48 * time.Hour)
	future, _ := json.Marshal(entry.RollCall{Officer: "Kim", Slot: ahead.UnixMilli()})
	early := append(log[:len(log):len(log)], f.h.craft(t, uint64(len(log)), entry.KindRollCall, newSaltFor(t), future, ahead.Add(time.Minute)))
	f.refused(t, f.h.bundle(f.h.segment(t, early, uint64(len(log)), uint64(len(early)))), node.ErrBadTime)
	if v := rollCallOf(t, victim, f.line, f.h.me); !asked.matches(v) {
		t.Fatalf("an answer dated ahead counted: %+v", v)
	}

	// The log goes on, and a good answer after the bad ones counts.
	good, _ := json.Marshal(entry.RollCall{Officer: "Kim", Slot: slot})
	log = append(log, f.h.craft(t, uint64(len(log)), entry.KindRollCall, newSaltFor(t), good, at(8, 6)))
	f.accept(t, f.h.bundle(f.h.segment(t, log, uint64(len(log)-1), uint64(len(log)))), uint64(len(log)))
	present := want{last: at(8, 6), officer: "Kim", slot: at(7, 30), answerBy: at(8, 15)}
	if v := rollCallOf(t, victim, f.line, f.h.me); !present.matches(v) {
		t.Fatalf("after a good answer: %+v", v)
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// TestTwoPersonRelease sends under a charter that puts FLASH under
// two-person release.
func TestTwoPersonRelease(t *testing.T) {
	nodes, line := startedPair(t, nil, func(c *charter.Charter) { c.TwoPerson = []entry.Precedence{entry.Flash} })
	seoul, beijing := nodes[0], nodes[1]
	ctx := context.Background()
	flash := func(officer, releasedBy string) (string, error) {
		return seoul.Send(ctx, node.SendRequest{Line: line, Precedence: entry.Flash, Text: "내일 06시 훈련 취소",
			Officer: officer, ReleasedBy: releasedBy})
	}
	for _, c := range []struct{ officer, releasedBy string }{
		{"", ""},
		{"Kim", ""},
		{"", "Lee"},
		{"Kim", "Kim"},
		{"Kim", " kim"},
	} {
		if _, err := flash(c.officer, c.releasedBy); !errors.Is(err, node.ErrNeedsRelease) {
			t.Fatalf("FLASH drafted by %q, released by %q: got %v, want ErrNeedsRelease", c.officer, c.releasedBy, err)
		}
	}
	if n, _ := seoul.Messages(line, true, 10); len(n) != 0 {
		t.Fatalf("refused sends wrote %d messages", len(n))
	}
	id, err := flash("Kim", "Lee")
	if err != nil {
		t.Fatal(err)
	}
	// Other precedences need no release; a releaser still needs a drafter.
	if _, err := seoul.Send(ctx, node.SendRequest{Line: line, Precedence: entry.Routine, Text: "routine"}); err != nil {
		t.Fatal(err)
	}
	if _, err := seoul.Send(ctx, node.SendRequest{Line: line, Precedence: entry.Routine, Text: "x", ReleasedBy: "Lee"}); err == nil || errors.Is(err, node.ErrNeedsRelease) {
		t.Fatalf("a release without a drafter: %v", err)
	}
	nodetest.Wait(t, 20*time.Second, "the FLASH at beijing", func() bool {
		_, err := beijing.Message(line, id)
		return err == nil
	})
	for _, n := range nodes {
		m, err := n.Message(line, id)
		if err != nil || m.Officer != "Kim" || m.ReleasedBy != "Lee" {
			t.Fatalf("%s shows %+v, %v", n.Me(), m, err)
		}
	}
}
