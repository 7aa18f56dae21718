package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
)

// dutyLine fills a store with a line of n messages each way between seoul
// (us) and beijing. Beijing acknowledges and answers all of ours but the
// last three; we acknowledge all of Beijing's but every 1000th and answer
// every other one. Every reply is acknowledged. Every entry of ours is
// cosigned by Beijing as it goes.
func dutyLine(t testing.TB, n int) (*Store, string) {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "hotline.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	const line = "l1"
	idx := map[string]uint64{}
	at := int64(1_700_000_000_000)
	put := func(tx *Tx, author string, kind entry.Kind, prec entry.Precedence, ref, officer string) uint64 {
		i := idx[author]
		idx[author]++
		at += 10
		if err := tx.InsertEntry(&Entry{Line: line, Author: author, Index: i, Leaf: []byte("l"), Envelope: []byte("e"),
			Kind: kind, Time: at, Precedence: prec, Ref: ref, Officer: officer, Received: at}); err != nil {
			t.Fatal(err)
		}
		if author == "seoul" {
			if err := tx.InsertSent(line, "beijing", i, i, at, "direct"); err != nil {
				t.Fatal(err)
			}
			if err := tx.InsertCosig(&Cosig{Line: line, Author: "seoul", Cosigner: "beijing", Size: i + 1, Time: at / 1000, Note: []byte("n")}); err != nil {
				t.Fatal(err)
			}
		}
		return i
	}
	err = s.Write(context.Background(), func(tx *Tx) error {
		put(tx, "seoul", "charter", "", "", "")
		put(tx, "beijing", "charter", "", "", "")
		for k := range n {
			ours := put(tx, "seoul", "message", "FLASH", "", "")
			id := fmt.Sprintf("seoul-%d", ours)
			if k < n-3 {
				put(tx, "beijing", "displayed", "", id, "")
				put(tx, "beijing", "ack", "", id, "Wang")
				reply := put(tx, "beijing", "message", "ROUTINE", id, "")
				put(tx, "seoul", "ack", "", fmt.Sprintf("beijing-%d", reply), "Kim")
			}
			theirs := put(tx, "beijing", "message", "PRIORITY", "", "")
			tid := fmt.Sprintf("beijing-%d", theirs)
			if k%1000 != 999 {
				put(tx, "seoul", "ack", "", tid, "Kim")
			}
			if k%2 == 0 {
				reply := put(tx, "seoul", "message", "ROUTINE", tid, "")
				put(tx, "beijing", "ack", "", fmt.Sprintf("seoul-%d", reply), "Wang")
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, line
}

func TestPendingMarks(t *testing.T) {
	n := 10_000
	if raceOn {
		n = 1000
	}
	s, line := dutyLine(t, n)
	ctx := context.Background()
	ends, err := s.LogEnds(ctx, line, []string{"seoul", "beijing", "nobody"})
	if err != nil || ends["seoul"] == 0 || ends["beijing"] == 0 || len(ends) != 2 {
		t.Fatalf("log ends %v, %v: want seoul's and beijing's", ends, err)
	}

	start := time.Now()
	out, err := s.PendingMarks(ctx, line, "seoul", "beijing", 0, ends["seoul"]-1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("our messages, whole line of %d: %v", n, time.Since(start))
	if len(out) != 3 {
		t.Fatalf("%d of our messages pending at beijing, want 3", len(out))
	}
	for _, p := range out {
		if p.Receipt == 0 || p.Sent == 0 || p.Acked != 0 || p.Replied != 0 || p.Precedence != entry.Flash {
			t.Errorf("pending %+v: want a receipt and a send, no marks", p)
		}
	}
	// A range reads only its own entries.
	if part, err := s.PendingMarks(ctx, line, "seoul", "beijing", out[1].Index, ends["seoul"]-1); err != nil || len(part) != 2 || part[0].Index != out[1].Index {
		t.Fatalf("from %d: %+v, %v", out[1].Index, part, err)
	}

	in, err := s.PendingMarks(ctx, line, "beijing", "seoul", 0, ends["beijing"]-1)
	if err != nil {
		t.Fatal(err)
	}
	// Every other one is unanswered; those are pending whether acked or not.
	// Our replies, acknowledged, are owed nothing.
	if len(in) != n/2 {
		t.Fatalf("%d of beijing's messages pending, want %d", len(in), n/2)
	}
	unacked := 0
	for _, p := range in {
		if p.Acked == 0 {
			unacked++
		} else if p.AckedBy != "Kim" {
			t.Errorf("acked by %q", p.AckedBy)
		}
		if p.Replied != 0 {
			t.Errorf("%s-%d: replied yet pending", p.Author, p.Index)
		}
	}
	if unacked != n/1000 {
		t.Errorf("%d unacknowledged, want %d", unacked, n/1000)
	}

	// A reply and an acknowledgement close a message, and the marks written
	// since a reading say so; a new message is found past the old end.
	last := out[len(out)-1]
	id := fmt.Sprintf("seoul-%d", last.Index)
	err = s.Write(ctx, func(tx *Tx) error {
		for i, kind := range []entry.Kind{entry.KindMessage, entry.KindAck} {
			if err := tx.InsertEntry(&Entry{Line: line, Author: "beijing", Index: ends["beijing"] + uint64(i), Leaf: []byte("l"), Envelope: []byte("e"),
				Kind: kind, Time: 1, Precedence: "", Ref: id, Officer: "Wang", Received: 1}); err != nil {
				return err
			}
		}
		if err := tx.InsertSent(line, "beijing", ends["seoul"], ends["seoul"], 3, "relay"); err != nil {
			return err
		}
		return tx.InsertEntry(&Entry{Line: line, Author: "seoul", Index: ends["seoul"], Leaf: []byte("l"), Envelope: []byte("e"),
			Kind: "message", Time: 2, Precedence: "FLASH", Received: 2})
	})
	if err != nil {
		t.Fatal(err)
	}
	now, _ := s.LogEnds(ctx, line, []string{"seoul", "beijing"})
	marks, err := s.MarksSince(ctx, line, "beijing", ends["beijing"], now["beijing"])
	if err != nil || len(marks) != 2 || marks[0].Kind != entry.KindMessage || marks[1].Kind != entry.KindAck ||
		marks[1].Ref != id || marks[1].Officer != "Wang" || marks[0].Index != ends["beijing"] {
		t.Fatalf("marks since %d: %+v, %v", ends["beijing"], marks, err)
	}
	added, err := s.PendingMarks(ctx, line, "seoul", "beijing", ends["seoul"], now["seoul"]-1)
	if err != nil || len(added) != 1 || added[0].Index != ends["seoul"] || added[0].Sent != 3 || added[0].Receipt != 0 {
		t.Fatalf("after the reply and ack of %s and a new message: %+v, %v", id, added, err)
	}
	if whole, _ := s.PendingMarks(ctx, line, "seoul", "beijing", 0, now["seoul"]-1); len(whole) != 3 {
		t.Fatalf("the whole line: %d pending, want 3", len(whole))
	}

	// Past the end of the log nothing is pending.
	if p, err := s.PendingMarks(ctx, line, "seoul", "beijing", 1<<40, 1<<41); err != nil || len(p) != 0 {
		t.Errorf("past the end: %v %v", p, err)
	}

	// Receipts and sends are read from where the last reading stopped.
	rs, err := s.ReceiptsAbove(ctx, line, "seoul", map[string]uint64{"beijing": ends["seoul"] - 2})
	if err != nil || len(rs) != 2 || rs[1].Size != ends["seoul"] || rs[0].Cosigner != "beijing" {
		t.Errorf("receipts above %d: %+v, %v", ends["seoul"]-2, rs, err)
	}
	all, err := s.SentSince(ctx, line, 0)
	if err != nil || len(all) == 0 {
		t.Fatalf("sends: %d, %v", len(all), err)
	}
	if since, err := s.SentSince(ctx, line, all[len(all)-2].Row); err != nil || len(since) != 1 || since[0].Lo != ends["seoul"] || since[0].Time != 3 {
		t.Errorf("sends since the last but one: %+v, %v", since, err)
	}
	// Where a reader starts: the latest receipt and send, and every
	// message of a range whether owed or not.
	if last, err := s.LastSentRow(ctx, line); err != nil || last != all[len(all)-1].Row {
		t.Errorf("last send row %d, want %d (%v)", last, all[len(all)-1].Row, err)
	}
	if sizes, err := s.ReceiptSizes(ctx, line, "seoul", []string{"beijing", "nobody"}); err != nil || len(sizes) != 1 || sizes["beijing"] != ends["seoul"] {
		t.Errorf("receipt sizes %v, want beijing %d (%v)", sizes, ends["seoul"], err)
	}
	owed, err := s.PendingMarks(ctx, line, "seoul", "beijing", 0, ends["seoul"]-1)
	if err != nil {
		t.Fatal(err)
	}
	every, err := s.MessageMarks(ctx, line, "seoul", "beijing", 0, ends["seoul"]-1)
	if err != nil || len(every) <= len(owed) {
		t.Errorf("every message %d, owed %d (%v)", len(every), len(owed), err)
	}
}

// TestPendingMarksPlan keeps the queries of the escalation engine on the
// indexes: a plan that scans a table, rather than searching it, costs the
// whole line on every evaluation.
func TestPendingMarksPlan(t *testing.T) {
	s, line := dutyLine(t, 10)
	checkPlans(t, s, []planCase{
		{stmtPending, []any{line, "seoul", "beijing", 50, 100, false}, "SEARCH m USING PRIMARY KEY (line=? AND author=? AND idx>? AND idx<?)"},
		{stmtReceiptSizes, []any{line, "seoul", `["beijing"]`}, "USING PRIMARY KEY (line=? AND author=? AND cosigner=?)"},
		{stmtLastSent, []any{line}, "USING COVERING INDEX sent_range (line=?)"},
		{stmtLogEnds, []any{line, `["seoul","beijing"]`}, "USING PRIMARY KEY (line=? AND author=?)"},
		{stmtMarksFrom, []any{line, "beijing", 5, 9}, "USING PRIMARY KEY (line=? AND author=? AND idx>? AND idx<?)"},
		{stmtReceiptsAbove, []any{line, "seoul", `{"beijing":4}`}, "USING PRIMARY KEY (line=? AND author=? AND cosigner=? AND size>?)"},
		{stmtSentSince, []any{7, line}, "USING INTEGER PRIMARY KEY (rowid>?)"},
	})
}

func BenchmarkPendingMarks(b *testing.B) {
	s, line := dutyLine(b, 10_000)
	ctx := context.Background()
	ends, _ := s.LogEnds(ctx, line, []string{"seoul"})
	b.Run("whole-line", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.PendingMarks(ctx, line, "seoul", "beijing", 0, ends["seoul"]-1); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("since-last-reading", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.MarksSince(ctx, line, "beijing", 1<<40, 1<<41); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestLatestLinkTest(t *testing.T) {
	s, line := dutyLine(t, 10)
	if at, err := s.LatestLinkTest(context.Background(), line, "beijing"); err != nil || at != 0 {
		t.Fatalf("before any: %d %v", at, err)
	}
	err := s.Write(context.Background(), func(tx *Tx) error {
		var next uint64
		tx.tx.QueryRow(`SELECT MAX(idx) + 1 FROM entries WHERE line = ? AND author = 'beijing'`, line).Scan(&next)
		for i, e := range []struct {
			time     int64
			bodyErr  string
			received int64
		}{{100, "", 1000}, {200, "", 2000}, {300, "unreadable", 3000}} {
			if err := tx.InsertEntry(&Entry{Line: line, Author: "beijing", Index: next + uint64(i), Leaf: []byte("l"), Envelope: []byte("e"),
				Kind: "linktest", Time: e.time, Body: []byte("{}"), BodyError: e.bodyErr, Received: e.received}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The newest readable one; seoul has none.
	if at, err := s.LatestLinkTest(context.Background(), line, "beijing"); err != nil || at != 200 {
		t.Fatalf("beijing: %d %v, want 200", at, err)
	}
	if at, err := s.LatestLinkTest(context.Background(), line, "seoul"); err != nil || at != 0 {
		t.Fatalf("seoul: %d %v", at, err)
	}
}
