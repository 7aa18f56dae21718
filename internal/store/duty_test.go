package store

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
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

	start := time.Now()
	out, next, err := s.PendingMarks(line, "seoul", "beijing", Scan{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("our messages, whole line of %d: %v", n, time.Since(start))
	if len(out) != 3 {
		t.Fatalf("%d of our messages pending at beijing, want 3", len(out))
	}
	for _, p := range out {
		if p.Receipt == 0 || p.Sent == 0 || p.Acked != 0 || p.Replied != 0 || p.Precedence != "FLASH" {
			t.Errorf("pending %+v: want a receipt and a send, no marks", p)
		}
	}
	if len(next.Pending) != 3 || next.Pending[0] != out[0].Index || next.Next == 0 {
		t.Errorf("scan %+v: want the three pending and the end of the log", next)
	}
	start = time.Now()
	again, next2, err := s.PendingMarks(line, "seoul", "beijing", next)
	if err != nil || len(again) != 3 || next2.Next != next.Next {
		t.Fatalf("from %+v: %d pending, %+v, %v", next, len(again), next2, err)
	}
	t.Logf("our messages, from the last reading: %v", time.Since(start))

	in, scan, err := s.PendingMarks(line, "beijing", "seoul", Scan{})
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
	if len(scan.Pending) != len(in) || scan.Pending[0] != in[0].Index {
		t.Errorf("scan holds %d pending, want %d", len(scan.Pending), len(in))
	}

	// A reply and an acknowledgement close a message; a new message is
	// found from where the last reading left off.
	out, _, _ = s.PendingMarks(line, "seoul", "beijing", Scan{})
	last := out[len(out)-1]
	id := fmt.Sprintf("seoul-%d", last.Index)
	err = s.Write(context.Background(), func(tx *Tx) error {
		var max uint64
		tx.tx.QueryRow(`SELECT MAX(idx) FROM entries WHERE line = ? AND author = 'beijing'`, line).Scan(&max)
		for i, kind := range []entry.Kind{entry.KindMessage, entry.KindAck} {
			if err := tx.InsertEntry(&Entry{Line: line, Author: "beijing", Index: max + 1 + uint64(i), Leaf: []byte("l"), Envelope: []byte("e"),
				Kind: kind, Time: 1, Precedence: "", Ref: id, Received: 1}); err != nil {
				return err
			}
		}
		var ours uint64
		tx.tx.QueryRow(`SELECT MAX(idx) + 1 FROM entries WHERE line = ? AND author = 'seoul'`, line).Scan(&ours)
		return tx.InsertEntry(&Entry{Line: line, Author: "seoul", Index: ours, Leaf: []byte("l"), Envelope: []byte("e"),
			Kind: "message", Time: 2, Precedence: "FLASH", Received: 2})
	})
	if err != nil {
		t.Fatal(err)
	}
	out, after, _ := s.PendingMarks(line, "seoul", "beijing", next)
	if len(out) != 3 || out[0].Index != next.Pending[0] || out[1].Index != next.Pending[1] || out[2].Index < next.Next || after.Next != out[2].Index+1 {
		t.Fatalf("after the reply and ack of %s and a new message: %+v (scan %+v)", id, out, after)
	}
	if whole, _, _ := s.PendingMarks(line, "seoul", "beijing", Scan{}); len(whole) != 3 {
		t.Fatalf("the whole line: %d pending, want 3", len(whole))
	}

	// Past the end of the log nothing is pending and the scan stays put.
	if p, sc, err := s.PendingMarks(line, "seoul", "beijing", Scan{Next: 1 << 40}); err != nil || len(p) != 0 || sc.Next != 1<<40 {
		t.Errorf("past the end: %v %+v %v", p, sc, err)
	}
}

// TestPendingMarksPlan keeps the query on the indexes: a plan that scans a
// table, rather than searching it, costs the whole line on every tick.
func TestPendingMarksPlan(t *testing.T) {
	s, line := dutyLine(t, 10)
	rows, err := s.r.Query(`EXPLAIN QUERY PLAN `+stmtPending, line, "seoul", "beijing", 50, 100, "[3, 7]")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	for _, d := range plan {
		// The candidates (c) and the JSON array are scanned; the tables
		// must only be searched.
		if strings.HasPrefix(d, "SCAN") && d != "SCAN c" && !strings.Contains(d, "json_each") {
			t.Errorf("query plan scans: %q\nplan:\n%s", d, strings.Join(plan, "\n"))
		}
	}
	// Each candidate is one lookup, not a walk of the author's log.
	if !slices.Contains(plan, "SEARCH m USING PRIMARY KEY (line=? AND author=? AND idx=?)") {
		t.Errorf("the candidates are not looked up by key:\n%s", strings.Join(plan, "\n"))
	}
	t.Logf("plan:\n%s", strings.Join(plan, "\n"))
}

func BenchmarkPendingMarks(b *testing.B) {
	s, line := dutyLine(b, 10_000)
	_, next, _ := s.PendingMarks(line, "seoul", "beijing", Scan{})
	b.Run("whole-line", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := s.PendingMarks(line, "seoul", "beijing", Scan{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("from-last-reading", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := s.PendingMarks(line, "seoul", "beijing", next); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestLatestLinkTest(t *testing.T) {
	s, line := dutyLine(t, 10)
	if at, err := s.LatestLinkTest(line, "beijing"); err != nil || at != 0 {
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
	if at, err := s.LatestLinkTest(line, "beijing"); err != nil || at != 200 {
		t.Fatalf("beijing: %d %v, want 200", at, err)
	}
	if at, err := s.LatestLinkTest(line, "seoul"); err != nil || at != 0 {
		t.Fatalf("seoul: %d %v", at, err)
	}
}
