package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"
)

// kinds stand for the node's kinds of refusal, least serious first.
var kinds = []string{"bad_parcel", "not_a_party", "forged", "bad_body", "bad_entry", "bad_time", "bad_receipt", "bad_proof", "root_mismatch"}

const forkRank = 100

// fileSizes returns the sizes of the database and its WAL.
func fileSizes(t *testing.T, path string) (db, wal int64) {
	t.Helper()
	for _, f := range []struct {
		name string
		to   *int64
	}{{path, &db}, {path + "-wal", &wal}} {
		st, err := os.Stat(f.name)
		if err == nil {
			*f.to = st.Size()
		} else if !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	return db, wal
}

// blob returns n bytes that differ from those of every other seed.
func blob(seed string, n int) []byte {
	out := make([]byte, n)
	rand.NewChaCha8(sha256.Sum256([]byte(seed))).Read(out)
	return out
}

// A fork proof kept first stays, whole, through 10,000 refusals of every
// other kind, large and small, distinct and repeated; the party's
// evidence stays within its budget and the files on disk stay small.
func TestEvidenceFloodKeepsForkProof(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hotline.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var mode int
	if err := s.w.QueryRow(`PRAGMA auto_vacuum`).Scan(&mode); err != nil || mode != 2 {
		t.Fatalf("a new database has auto_vacuum %d (%v), want 2 (incremental)", mode, err)
	}
	ctx := context.Background()
	proof := blob("fork proof", 300<<10)
	keep := func(tx *Tx, e *Evidence) {
		if _, err := tx.InsertEvidence(e); err != nil {
			t.Fatal(err)
		}
	}
	err = s.Write(ctx, func(tx *Tx) error {
		keep(tx, &Evidence{Line: "L", Peer: "mallory", Kind: "fork", Rank: forkRank, Time: 1, Reason: "fork: entry 3 differs", Data: proof})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	total := 10_000
	if raceOn {
		total = 600 // a multiple of perCommit
	}
	const perCommit = 200
	for i := 0; i < total; i += perCommit {
		err := s.Write(ctx, func(tx *Tx) error {
			for j := i; j < i+perCommit; j++ {
				k := kinds[j%len(kinds)]
				e := &Evidence{Line: "L", Peer: "mallory", Kind: k, Rank: j % len(kinds), Time: int64(10 + j),
					Reason: fmt.Sprintf("%s: refusal %d", k, j)}
				switch {
				case j%50 == 0: // large and distinct: 2.1 MB, as in the flood that filled the disk
					e.Data = blob(e.Reason, 2_100_000)
				case j%3 == 0: // the same input again and again
					e.Reason, e.Data = k+": the same", []byte("same bytes")
				default:
					e.Data = blob(e.Reason, 2_000)
				}
				keep(tx, e)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Reclaim(); err != nil {
			t.Fatal(err)
		}
	}

	list, err := s.EvidenceList(1000)
	if err != nil {
		t.Fatal(err)
	}
	var forks, stored int64
	for _, e := range list {
		stored += int64(len(e.Data))
		if e.Kind == "fork" {
			forks++
			if e.Slot != SlotFirst || !bytes.Equal(e.Data, proof) {
				t.Fatalf("the fork proof was changed: slot %s, %d bytes", e.Slot, len(e.Data))
			}
		}
		if e.Kind != "fork" && (e.Slot == SlotFirst) != (e.Time < 10+int64(len(kinds))) {
			t.Errorf("%s: the first of its kind is from %d", e.Kind, e.Time)
		}
		if e.Reason == e.Kind+": the same" && e.Count < 2 {
			t.Errorf("%s: identical refusals not counted: %d", e.Kind, e.Count)
		}
	}
	if forks != 1 {
		t.Fatalf("%d fork rows, want 1", forks)
	}
	if len(list) > 3*len(kinds)+1 || stored > MaxEvidencePartyBytes {
		t.Fatalf("%d rows, %d bytes kept for one party: want at most %d rows and %d bytes", len(list), stored, 3*len(kinds)+1, MaxEvidencePartyBytes)
	}
	counts, err := s.EvidenceCounts("L")
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, c := range counts {
		n += c.Count
	}
	if n != int64(total)+1 || len(counts) != len(kinds)+1 {
		t.Fatalf("counted %d refusals in %d kinds, want %d in %d", n, len(counts), total+1, len(kinds)+1)
	}
	db, wal := fileSizes(t, path)
	t.Logf("%d refusals: database %d bytes, WAL %d bytes, evidence %d bytes in %d rows", total+1, db, wal, stored, len(list))
	if db+wal > 3*MaxEvidencePartyBytes {
		t.Fatalf("database %d + WAL %d bytes after a bounded flood", db, wal)
	}
}

// A fork refused without a proof is followed by one with a proof: the one
// with the proof is kept too, as the most serious; a lesser one is not.
func TestEvidenceWorstOfKind(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "hotline.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	add := func(rank int, reason string) {
		err := s.Write(context.Background(), func(tx *Tx) error {
			_, err := tx.InsertEvidence(&Evidence{Line: "L", Peer: "p", Kind: "fork", Rank: rank, Time: 1, Reason: reason, Data: []byte(reason)})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	add(10, "no proof")
	add(11, "proof")
	add(10, "no proof again")
	add(10, "no proof once more")
	got := map[string]string{}
	list, err := s.EvidenceList(10)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range list {
		got[e.Slot] = e.Reason
	}
	want := map[string]string{SlotFirst: "no proof", SlotWorst: "proof", SlotLast: "no proof once more"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("slots %v, want %v", got, want)
	}
}

// A database of an earlier version, filled by a flood of refusals, keeps
// its fork evidence and the first and latest of the rest, and shrinks.
func TestEvidenceMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hotline.db")
	w, r, err := OpenSQLite(path, migrations[:3], 0)
	if err != nil {
		t.Fatal(err)
	}
	closeAll(r)
	// As the earlier version did: auto_vacuum off.
	if _, err := w.Exec(`PRAGMA auto_vacuum = NONE; VACUUM`); err != nil {
		t.Fatal(err)
	}
	insert := func(tx *sql.Tx, i int, reason string, size int) {
		if _, err := tx.Exec(`INSERT INTO evidence (line, peer, time, reason, data) VALUES ('L', 'p', ?, ?, ?)`, i, reason, blob(reason, size)); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := w.Begin()
	if err != nil {
		t.Fatal(err)
	}
	insert(tx, 1, "fork: the author signed two different logs: entry 2", 50_000)
	for i := 2; i < 200; i++ {
		insert(tx, i, fmt.Sprintf("entry does not belong at its place: %d", i), 100_000)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	w.Close()
	before, _ := fileSizes(t, path)

	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	list, err := s.EvidenceList(100)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, e := range list {
		got[e.Kind+" "+e.Slot]++
	}
	if len(list) != 3 || got["fork first"] != 1 || got["earlier first"] != 1 || got["earlier worst"] != 1 {
		t.Fatalf("migrated evidence: %v", got)
	}
	counts, err := s.EvidenceCounts("")
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) != 2 || counts[0].Kind != "earlier" || counts[0].Count != 198 {
		t.Fatalf("migrated counts: %+v", counts)
	}
	after, wal := fileSizes(t, path)
	t.Logf("database of 199 refusals: %d bytes before the migration, %d + WAL %d after", before, after, wal)
	if after+wal > before/10 {
		t.Fatalf("the database did not shrink: %d -> %d + WAL %d", before, after, wal)
	}
}
