package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hotline-line/hotline/internal/entry"
)

func TestRollCallQueries(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "hotline.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const line = "5d0c1f0e9b2a4c8d7e6f5a4b3c2d1e0f"
	idx := map[string]uint64{}
	add := func(tx *Tx, author, kind string, at int64, officer, bodyErr string) error {
		e := &Entry{Line: line, Author: author, Index: idx[author], Leaf: []byte("leaf"), Envelope: []byte("env"),
			Kind: entry.Kind(kind), Time: at, Officer: officer, BodyError: bodyErr, Received: at}
		idx[author]++
		return tx.InsertEntry(e)
	}
	ctx := context.Background()
	err = s.Write(ctx, func(tx *Tx) error {
		for _, e := range []struct {
			author, kind string
			at           int64
			officer, err string
		}{
			{"seoul", "charter", 0, "", ""},
			{"seoul", "rollcall", 1000, "Kim", ""},
			{"seoul", "message", 1500, "", ""},
			{"seoul", "rollcall", 3000, "Lee", ""},
			{"seoul", "rollcall", 4000, "", "rollcall body: unreadable"}, // not an answer
			{"beijing", "rollcall", 2000, "Wang", ""},
			{"beijing", "message", 5000, "", ""},
		} {
			if err := add(tx, e.author, e.kind, e.at, e.officer, e.err); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, e *Entry, err error, officer string) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		got := ""
		if e != nil {
			got = e.Officer
		}
		if got != officer {
			t.Fatalf("%s: answer by %q, want %q", what, got, officer)
		}
	}
	e, err := s.LatestRollCallBefore(line, "seoul", 1<<62)
	check("latest of seoul", e, err, "Lee")
	e, err = s.LatestRollCallBefore(line, "seoul", 3000)
	check("latest of seoul before 3000", e, err, "Kim")
	e, err = s.LatestRollCallBefore(line, "seoul", 1000)
	check("latest of seoul before 1000", e, err, "")
	e, err = s.LatestRollCallBefore(line, "beijing", 1<<62)
	check("latest of beijing", e, err, "Wang")
	e, err = s.LatestRollCallBefore(line, "tokyo", 1<<62)
	check("latest of a party with none", e, err, "")
	e, err = s.FirstRollCallSince(line, "seoul", 1000)
	check("first since 1000", e, err, "Kim")
	e, err = s.FirstRollCallSince(line, "seoul", 1001)
	check("first since 1001", e, err, "Lee")
	e, err = s.FirstRollCallSince(line, "seoul", 3001)
	check("first since 3001", e, err, "")

	err = s.Write(ctx, func(tx *Tx) error {
		for _, c := range []struct {
			from, to int64
			want     bool
		}{{3000, 3001, true}, {1001, 3000, false}, {3001, 9000, false}, {0, 1001, true}} {
			if got, err := tx.HasRollCallBetween(line, "seoul", c.from, c.to); err != nil || got != c.want {
				t.Errorf("HasRollCallBetween(%d, %d) = %v, %v", c.from, c.to, got, err)
			}
		}
		// The transaction sees its own answer before it commits.
		if err := add(tx, "seoul", "rollcall", 9000, "Park", ""); err != nil {
			return err
		}
		if got, err := tx.HasRollCallBetween(line, "seoul", 9000, 9001); err != nil || !got {
			t.Errorf("own uncommitted answer not seen: %v, %v", got, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if ms, ok, err := s.EntryTime(line, "seoul", 1); err != nil || !ok || ms != 1000 {
		t.Fatalf("EntryTime = %d, %v, %v", ms, ok, err)
	}
	if _, ok, err := s.EntryTime(line, "seoul", 99); err != nil || ok {
		t.Fatalf("EntryTime of a missing entry: %v, %v", ok, err)
	}

	// Each query reads through the partial index, not the whole log.
	for _, q := range []string{stmtLatestRollCall, stmtFirstRollCall, stmtHasRollCall} {
		plan := explain(t, s.r, q, line, "seoul", 0, 1)
		if !strings.Contains(plan, "entries_rollcall") || strings.Contains(plan, "SCAN entries") {
			t.Errorf("plan of %.60q: %s", q, plan)
		}
	}
}

func explain(t *testing.T, db *sql.DB, q string, args ...any) string {
	t.Helper()
	n := strings.Count(q, "?")
	if strings.Contains(q, "?1") { // numbered: each is named as often as needed
		n = len(args)
	}
	rows, err := db.Query("EXPLAIN QUERY PLAN "+q, args[:n]...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	return strings.Join(plan, "; ")
}
