package node_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/testclock"
	"github.com/hotline-line/hotline/internal/wire"
)

// TestHostileTimes has a peer date its entries where they cannot be, on
// an injected clock: in the future (2036, and just beyond the charter's
// tolerance), before the line (1900), before its own previous entry, and
// before the message of ours it answers. Each is refused as bad time,
// kept as evidence, and counted; the log goes on with entries dated
// within the rule, and one dated ahead comes through once the clocks
// agree.
func TestHostileTimes(t *testing.T) {
	clk := testclock.New(at(8, 0))
	f := newFixtureWith(t, node.Options{Now: clk.Now}, func(c *charter.Charter) { c.Created = at(7, 30) })
	victim := f.h.victim
	log := f.h.entries(t) // the charter entry, dated 08:00
	msg := func(text, replyTo string, when time.Time) wire.Entry {
		body, _ := json.Marshal(entry.Message{Lang: "ko", Text: text, ReplyTo: replyTo})
		return f.h.craft(t, uint64(len(log)), entry.KindMessage, newSaltFor(t), body, when)
	}
	refused := func(e wire.Entry, why string) {
		t.Helper()
		try := append(log[:len(log):len(log)], e)
		ev, err := f.refused(t, f.h.bundle(f.h.segment(t, try, uint64(len(log)), uint64(len(try)))), node.ErrBadTime)
		if ev.Kind != "bad_time" || !strings.Contains(err.Error(), why) {
			t.Fatalf("evidence of kind %q for %v, want bad_time saying %q", ev.Kind, err, why)
		}
	}
	accepted := func(e wire.Entry) {
		t.Helper()
		log = append(log, e)
		f.accept(t, f.h.bundle(f.h.segment(t, log, uint64(len(log)-1), uint64(len(log)))), uint64(len(log)))
	}

	f.accept(t, f.h.bundle(f.h.segment(t, log, 0, 1)), 1)
	clk.Set(at(8, 6))
	refused(msg("from 2036", "", time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC)), "ahead of our clock")
	refused(msg("just beyond", "", at(8, 16).Add(time.Millisecond)), "ahead of our clock (tolerance 10m0s)")
	refused(msg("from 1900", "", time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)), "before the author's previous entry")
	accepted(msg("ahead, within the tolerance", "", at(8, 14)))
	refused(msg("regressing", "", at(8, 13)), "before the author's previous entry")

	// Our message of 09:00; an answer dated 08:45 was written, by its
	// author's clock, before ours existed less the tolerance.
	clk.Set(at(9, 0))
	id, err := victim.Send(context.Background(), node.SendRequest{Line: f.line, Text: "08:42 by the sender's clock?"})
	if err != nil {
		t.Fatal(err)
	}
	refused(msg("acknowledged before it was written", id, at(8, 45)), "before our entry "+id)
	accepted(msg("an answer within the tolerance", id, at(8, 52)))

	// An entry dated ahead is refused only while it is ahead.
	early := msg("written on a clock 20 minutes fast", "", at(9, 20))
	refused(early, "ahead of our clock")
	clk.Set(at(9, 15))
	accepted(early)

	counts, err := victim.EvidenceCounts(f.line)
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) != 1 || counts[0].Kind != "bad_time" || counts[0].Peer != f.h.me || counts[0].Count != 6 {
		t.Fatalf("counts %+v, want 6 bad_time refusals of %s", counts, f.h.me)
	}
	st, err := victim.Status(f.line)
	if err != nil || st.Evidence != 6 || len(st.EvidenceCounts) != 1 {
		t.Fatalf("status shows %d refusals (%v), %v", st.Evidence, st.EvidenceCounts, err)
	}
}

// TestOwnTimesNeverGoBack: a node whose clock is set back (a correction)
// dates its next entry no earlier than its previous one, so that its
// peers do not refuse it.
func TestOwnTimesNeverGoBack(t *testing.T) {
	clk := testclock.New(at(8, 0))
	f := newFixtureWith(t, node.Options{Now: clk.Now}, func(c *charter.Charter) { c.Created = at(7, 30) })
	f.write(t, "at 08:00")
	clk.Set(at(7, 40))
	log := f.write(t, "after the clock went back")
	var times []int64
	for _, e := range log {
		l, err := entry.Parse(e.Leaf)
		if err != nil {
			t.Fatal(err)
		}
		times = append(times, l.Time.UnixMilli())
	}
	if n := len(times); times[n-1] < times[n-2] {
		t.Fatalf("entry times go back: %v", times)
	}
	clk.Set(at(8, 1))
	f.accept(t, f.h.bundle(f.h.segment(t, log, 0, uint64(len(log)))), uint64(len(log)))
}
