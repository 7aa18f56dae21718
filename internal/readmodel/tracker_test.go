package readmodel_test

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/readmodel"
	"github.com/hotline-line/hotline/internal/store"
)

// backlog is a store holding a line where each of two parties wrote n
// ROUTINE messages the other has received and not acknowledged: a
// backlog whose deadlines lie hours ahead.
type backlog struct {
	st       *store.Store
	l        *readmodel.Line
	me, peer string
	next     map[string]uint64 // by author: the next index
	at       int64             // ms
	held     bool              // our messages are not sent nor cosigned at once
}

func newBacklog(t testing.TB, n int) *backlog {
	t.Helper()
	nodes, line := party(t, 2)
	l, err := nodes[0].ReadLine(line)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "hotline.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	b := &backlog{st: st, l: l, me: l.Me, peer: l.Peers()[0], next: map[string]uint64{}, at: time.Now().UnixMilli()}
	b.write(t, func(tx *store.Tx) {
		b.put(t, tx, b.me, entry.KindCharter, "")
		b.put(t, tx, b.peer, entry.KindCharter, "")
		for range n {
			b.put(t, tx, b.me, entry.KindMessage, "")
			b.put(t, tx, b.peer, entry.KindMessage, "")
		}
	})
	return b
}

func (b *backlog) write(t testing.TB, fn func(*store.Tx)) {
	t.Helper()
	if err := b.st.Write(context.Background(), func(tx *store.Tx) error { fn(tx); return nil }); err != nil {
		t.Fatal(err)
	}
}

// put writes the next entry of author's log; our messages are sent and
// cosigned at once unless held. It returns the entry's ID.
func (b *backlog) put(t testing.TB, tx *store.Tx, author string, kind entry.Kind, ref string) string {
	t.Helper()
	i := b.next[author]
	b.next[author]++
	b.at++
	e := &store.Entry{Line: b.l.ID, Author: author, Index: i, Leaf: []byte("leaf"), Envelope: []byte("env"), Kind: kind,
		Time: b.at, Ref: ref, Received: b.at}
	if kind == entry.KindMessage && ref == "" {
		e.Precedence = entry.Routine
	}
	if kind == entry.KindAck {
		e.Officer = "Kim"
	}
	if err := tx.InsertEntry(e); err != nil {
		t.Fatal(err)
	}
	if author == b.me && kind == entry.KindMessage && !b.held {
		if err := tx.InsertSent(b.l.ID, b.peer, i, i, b.at, "direct"); err != nil {
			t.Fatal(err)
		}
		if err := tx.InsertCosig(&store.Cosig{Line: b.l.ID, Author: b.me, Cosigner: b.peer, Size: i + 1, Time: b.at / 1000, Note: []byte("n")}); err != nil {
			t.Fatal(err)
		}
	}
	return entry.ID(author, i)
}

// TestUpdateCostsWhatChanged: once the backlog is read, an evaluation
// costs the same queries and looks at the same messages whether 10 or
// 10,000 wait for an acknowledgement: a quiet evaluation looks at none,
// new ROUTINE traffic at the new messages only.
func TestUpdateCostsWhatChanged(t *testing.T) {
	type cost struct {
		idleReads, busyReads int64
		idleSeen, busySeen   int
	}
	ctx := context.Background()
	measure := func(n int) cost {
		b := newBacklog(t, n)
		tr := readmodel.NewTracker(b.st, b.l)
		now := time.UnixMilli(b.at).Add(time.Minute)
		first, err := tr.Update(ctx, now)
		if err != nil || len(first) != 2*n || tr.Len() != 2*n {
			t.Fatalf("first look at %d each way: %d owed (%d kept), %v", n, len(first), tr.Len(), err)
		}
		ackIn, _ := b.l.Deadlines(entry.Routine)
		if next := tr.Next(); next.IsZero() || next.After(now.Add(ackIn)) {
			t.Errorf("next deadline %v, want one within %v", next, ackIn)
		}

		var c cost
		before := b.st.Reads()
		idle, err := tr.Update(ctx, now.Add(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		c.idleReads, c.idleSeen = b.st.Reads()-before, len(idle)

		// ROUTINE traffic both ways, and our acknowledgement of the peer's
		// first message: only those three change.
		var acked string
		b.write(t, func(tx *store.Tx) {
			b.put(t, tx, b.me, entry.KindMessage, "")
			b.put(t, tx, b.peer, entry.KindMessage, "")
			acked = entry.ID(b.peer, 1)
			b.put(t, tx, b.me, entry.KindAck, acked)
		})
		before = b.st.Reads()
		busy, err := tr.Update(ctx, now.Add(2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		c.busyReads, c.busySeen = b.st.Reads()-before, len(busy)
		for _, o := range busy {
			if o.ID == acked && (o.Acknowledged.IsZero() || o.AckedBy != "Kim" || !o.ReplyOwed() || o.Closed()) {
				t.Errorf("acknowledged, not answered: %+v", o)
			}
		}
		t.Logf("%d unacknowledged each way: quiet evaluation %d queries, %d messages looked at; with new traffic %d queries, %d messages",
			n, c.idleReads, c.idleSeen, c.busyReads, c.busySeen)
		return c
	}
	n := 10_000
	if raceOn {
		n = 1000
	}
	small, large := measure(10), measure(n)
	if small != large {
		t.Errorf("evaluations cost %+v with 10 unacknowledged messages, %+v with %d", small, large, n)
	}
	if large.idleSeen != 0 || large.busySeen != 3 {
		t.Errorf("looked at %d messages when nothing changed and %d after three changes", large.idleSeen, large.busySeen)
	}
}

// TestUpdateDeadlines: a message comes back when its deadline passes,
// without a new record, and every message comes back when the clock goes
// back.
func TestUpdateDeadlines(t *testing.T) {
	ctx := context.Background()
	b := newBacklog(t, 3)
	tr := readmodel.NewTracker(b.st, b.l)
	now := time.UnixMilli(b.at)
	if _, err := tr.Update(ctx, now); err != nil {
		t.Fatal(err)
	}
	ackIn, replyIn := b.l.Deadlines(entry.Routine)
	got, err := tr.Update(ctx, now.Add(ackIn))
	if err != nil || len(got) != 6 {
		t.Fatalf("at the acknowledgement deadline: %d messages, %v; want all 6", len(got), err)
	}
	for _, o := range got {
		if o.AckBy.After(now.Add(ackIn)) || !o.AckOwed() {
			t.Errorf("%s: ack by %v", o.Key(), o.AckBy)
		}
	}
	if got, _ := tr.Update(ctx, now.Add(ackIn+time.Minute)); len(got) != 0 {
		t.Errorf("a minute on: %d messages, want none", len(got))
	}
	if next := tr.Next(); next.After(now.Add(replyIn)) || next.Before(now.Add(ackIn)) {
		t.Errorf("next deadline %v, want the reply deadlines", next)
	}
	if got, _ := tr.Update(ctx, now); len(got) != 6 {
		t.Errorf("back in time: %d messages, want all 6", len(got))
	}
}

// TestUpdateLateReceipt: a peer's first receipt, which arrives after the
// tracker started and after the message it covers was read, delivers it.
func TestUpdateLateReceipt(t *testing.T) {
	ctx := context.Background()
	b := newBacklog(t, 0)
	b.held = true
	tr := readmodel.NewTracker(b.st, b.l)
	if _, err := tr.Update(ctx, time.UnixMilli(b.at)); err != nil {
		t.Fatal(err)
	}
	var id string
	b.write(t, func(tx *store.Tx) { id = b.put(t, tx, b.me, entry.KindMessage, "") })
	got, err := tr.Update(ctx, time.UnixMilli(b.at))
	if err != nil || len(got) != 1 || !got[0].Delivered.IsZero() {
		t.Fatalf("our message before its receipt: %+v, %v", got, err)
	}
	b.write(t, func(tx *store.Tx) {
		if err := tx.InsertCosig(&store.Cosig{Line: b.l.ID, Author: b.me, Cosigner: b.peer, Size: b.next[b.me], Time: b.at / 1000, Note: []byte("n")}); err != nil {
			t.Fatal(err)
		}
	})
	got, err = tr.Update(ctx, time.UnixMilli(b.at))
	if err != nil || len(got) != 1 || got[0].ID != id || got[0].Delivered.IsZero() || got[0].DeliveryProof != "cosigned receipt" {
		t.Fatalf("after the receipt: %+v, %v", got, err)
	}
}

// TestUpdateStops: a look stops when its context ends.
func TestUpdateStops(t *testing.T) {
	b := newBacklog(t, 10)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := readmodel.NewTracker(b.st, b.l).Update(ctx, time.Now()); err == nil {
		t.Fatal("a look with an ended context went on")
	}
}

// BenchmarkUpdate is one evaluation of the escalation engine's source with
// n messages each way waiting for an acknowledgement: quiet (nothing
// committed since the last), and with one new ROUTINE message.
func BenchmarkUpdate(b *testing.B) {
	for _, n := range []int{10, 10_000} {
		bl := newBacklog(b, n)
		tr := readmodel.NewTracker(bl.st, bl.l)
		now := time.UnixMilli(bl.at).Add(time.Minute)
		ctx := context.Background()
		if _, err := tr.Update(ctx, now); err != nil {
			b.Fatal(err)
		}
		b.Run("quiet/unacked="+strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				now = now.Add(time.Millisecond)
				if _, err := tr.Update(ctx, now); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("routine/unacked="+strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				bl.write(b, func(tx *store.Tx) { bl.put(b, tx, bl.peer, entry.KindMessage, "") })
				b.StartTimer()
				now = now.Add(time.Millisecond)
				if _, err := tr.Update(ctx, now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestUpdateClosed: a message acknowledged and answered in the same
// commit that delivers it comes back closed, although the receipt's range
// of messages owed no longer holds it: the tracker keeps no copy of it,
// and a caller with an alert open about it must learn it closed.
func TestUpdateClosed(t *testing.T) {
	ctx := context.Background()
	b := newBacklog(t, 2)
	b.held = true
	tr := readmodel.NewTracker(b.st, b.l)
	var id string
	b.write(t, func(tx *store.Tx) { id = b.put(t, tx, b.me, entry.KindMessage, "") })
	got, err := tr.Update(ctx, time.UnixMilli(b.at))
	if err != nil || len(got) != 5 {
		t.Fatalf("first look: %d owed, %v; want 5", len(got), err)
	}
	b.write(t, func(tx *store.Tx) {
		b.put(t, tx, b.peer, entry.KindAck, id)
		b.put(t, tx, b.peer, entry.KindMessage, id)
		if err := tx.InsertCosig(&store.Cosig{Line: b.l.ID, Author: b.me, Cosigner: b.peer, Size: b.next[b.me], Time: b.at / 1000, Note: []byte("n")}); err != nil {
			t.Fatal(err)
		}
	})
	got, err = tr.Update(ctx, time.UnixMilli(b.at))
	if err != nil {
		t.Fatal(err)
	}
	closed, reply := false, false
	for _, o := range got {
		switch {
		case o.ID == id && o.Closed():
			closed = true
		case o.ID == id:
			t.Errorf("acknowledged and answered, still owed: %+v", o)
		case o.ReplyTo == id:
			reply = true
		}
	}
	if !closed || !reply {
		t.Errorf("closed %v, the reply owed an acknowledgement %v: %+v", closed, reply, got)
	}
}
