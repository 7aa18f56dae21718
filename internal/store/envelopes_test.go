package store

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/hotline-line/hotline/internal/entry"
)

// oldEntries writes entries as the schema before migrateEnvelopes held
// them: the envelope a column of entries.
func oldEntries(t *testing.T, path string, es []Entry) {
	t.Helper()
	w, r, err := OpenSQLite(path, migrations[:4], 0)
	if err != nil {
		t.Fatal(err)
	}
	closeAll(r)
	defer w.Close()
	tx, err := w.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if _, err := tx.Exec(`INSERT INTO entries (line, author, idx, leaf, envelope, kind, time, precedence, salt, body, body_error, ref, officer, received)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`, e.Line, e.Author, e.Index, e.Leaf, e.Envelope, e.Kind, e.Time, e.Precedence,
			e.Salt, e.Body, e.BodyError, e.Ref, e.Officer, e.Received); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// sampleEntries are entries of two lines and two authors each, of every
// shape the columns take: a body or none, a long one, marks, roll calls.
func sampleEntries(n int) []Entry {
	var es []Entry
	for _, line := range []string{"L1", "L2"} {
		for _, author := range []string{"seoul", "beijing"} {
			for i := range uint64(n) {
				e := Entry{Line: line, Author: author, Index: i, Leaf: fmt.Appendf(nil, "leaf %s %s %d", line, author, i),
					Envelope: bytes.Repeat(fmt.Appendf(nil, "envelope %s %s %d;", line, author, i), 60),
					Kind:     "message", Time: int64(1_700_000_000_000 + i), Precedence: entry.Routine, Received: int64(1_700_000_001_000 + i)}
				switch i % 5 {
				case 1:
					e.Kind, e.Precedence, e.Ref, e.Officer = "ack", "", fmt.Sprintf("seoul-%d", i-1), "Kim"
				case 2:
					e.Kind, e.Precedence = "rollcall", ""
				case 3:
					e.BodyError = "cannot open"
				}
				if e.BodyError == "" && i%2 == 0 {
					e.Salt, e.Body = bytes.Repeat([]byte{byte(i)}, 32), bytes.Repeat([]byte("body "), 1+int(i%7)*300)
				}
				es = append(es, e)
			}
		}
	}
	return es
}

// A database of the schema before migrateEnvelopes opens with every entry
// whole, envelope included, and the space of the old table returned;
// entries written after it find their own.
func TestEnvelopesMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hotline.db")
	es := sampleEntries(600) // 2,400 entries: 5 MB, more than Reclaim leaves alone
	oldEntries(t, path, es)

	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, want := range es {
		got, err := s.Entry(want.Line, want.Author, want.Index)
		if err != nil {
			t.Fatalf("entry %s %s-%d after the migration: %v", want.Line, want.Author, want.Index, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("entry %s %s-%d after the migration:\n got %+v\nwant %+v", want.Line, want.Author, want.Index, got, want)
		}
	}
	all, err := s.Entries("L2", "beijing", 0, 1000)
	if err != nil || len(all) != 600 {
		t.Fatalf("Entries: %d, %v", len(all), err)
	}
	var v int
	if err := s.r.QueryRow(`SELECT count(*) FROM pragma_table_info('entries') WHERE name = 'envelope'`).Scan(&v); err != nil || v != 0 {
		t.Fatalf("entries still has an envelope column (%d, %v)", v, err)
	}
	var pages, free int
	if err := s.r.QueryRow(`SELECT (SELECT page_count FROM pragma_page_count), (SELECT freelist_count FROM pragma_freelist_count)`).Scan(&pages, &free); err != nil {
		t.Fatal(err)
	}
	if free*2 >= pages {
		t.Errorf("%d of %d pages free after the migration", free, pages)
	}
	var ok string
	if err := s.r.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("integrity check: %q, %v", ok, err)
	}

	// Written after the migration, on top of the migrated rows.
	next := sampleEntries(601)
	err = s.Write(context.Background(), func(tx *Tx) error {
		for _, e := range next {
			if e.Index == 600 {
				if err := tx.InsertEntry(&e); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range next {
		got, err := s.Entry(want.Line, want.Author, want.Index)
		if err != nil || !bytes.Equal(got.Envelope, want.Envelope) || !bytes.Equal(got.Body, want.Body) {
			t.Fatalf("entry %s %s-%d: %v", want.Line, want.Author, want.Index, err)
		}
	}
}

// An entry as large as a sealed message (2.2 KB, 1.7 KB of it the envelope)
// stays on its page of entries: a lookup by key reads no overflow page.
func TestEntriesDoNotOverflow(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "hotline.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Write(context.Background(), func(tx *Tx) error {
		for i := range uint64(200) {
			e := Entry{Line: "a-line-id-as-long-as-a-real-one-0123456789abcdef", Author: "seoul", Index: i,
				Leaf: bytes.Repeat([]byte{'l'}, 240), Envelope: bytes.Repeat([]byte{'e'}, 1750), Kind: "message",
				Time: int64(i), Precedence: entry.Routine, Salt: make([]byte, 32), Body: bytes.Repeat([]byte{'b'}, 120), Received: int64(i)}
			if err := tx.InsertEntry(&e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var overflow int
	if err := s.w.QueryRow(`SELECT count(*) FROM dbstat WHERE name IN ('entries', 'envelopes') AND pagetype = 'overflow'`).Scan(&overflow); err != nil {
		t.Skipf("no dbstat in this SQLite: %v", err)
	}
	if overflow != 0 {
		t.Fatalf("%d overflow pages for 200 entries of 2.2 KB", overflow)
	}
}
