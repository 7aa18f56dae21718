package node_test

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/store"
	"github.com/hotline-line/hotline/internal/tlog"
	"github.com/hotline-line/hotline/internal/transcript"
	"github.com/hotline-line/hotline/internal/wire"
)

// TestEvidenceFlood: a peer caught forking then sends 10,000 refusals of
// every other kind, each different. The fork proof stays, whole and
// verifiable; every kind is counted; the database and its WAL stay small.
func TestEvidenceFlood(t *testing.T) {
	f := newFixture(t)
	victim, h := f.h.victim, f.h
	log := f.write(t, "one", "two")
	f.accept(t, h.bundle(h.segment(t, log, 0, 3)), 3)
	forked := slices.Clone(log)
	forked[2] = h.message(t, 2, "two, rewritten")
	forked = append(forked, h.message(t, 3, "three"))
	if _, err := f.refused(t, h.bundle(h.segment(t, forked, 2, 4)), node.ErrFork); err == nil {
		t.Fatal("fork not refused")
	}

	random := func() []byte { b := make([]byte, 32); rand.Read(b); return b }
	next := func(i int) []wire.Entry {
		return append(slices.Clone(log), h.message(t, 3, fmt.Sprintf("flood %d", i)))
	}
	attacks := map[string]func(i int) *wire.Bundle{
		"forged": func(i int) *wire.Bundle {
			seg := h.segment(t, next(i), 3, 4)
			seg.Checkpoint = flipSignature(t, seg.Checkpoint)
			return h.bundle(seg)
		},
		"bad_entry": func(i int) *wire.Bundle {
			seg := h.segment(t, next(i), 3, 4)
			seg.Start = 2
			return h.bundle(seg)
		},
		"bad_proof": func(i int) *wire.Bundle {
			seg := h.segment(t, next(i), 3, 4)
			seg.Proof = [][]byte{random()}
			return h.bundle(seg)
		},
		"root_mismatch": func(i int) *wire.Bundle {
			seg := h.segment(t, next(i), 0, 4)
			seg.Checkpoint = h.sign(t, 4, random())
			return h.bundle(seg)
		},
		"bad_time": func(i int) *wire.Bundle {
			e := h.craft(t, 3, "message", newSaltFor(t), messageBody(fmt.Sprint("from 2036 ", i)), time.Date(2036, 1, 1, 0, 0, 0, i, time.UTC))
			return h.bundle(h.segment(t, append(slices.Clone(log), e), 3, 4))
		},
		"bad_body": func(i int) *wire.Bundle {
			a, b := next(i), next(i+1)
			a[3].Envelope = b[3].Envelope
			return h.bundle(h.segment(t, a, 3, 4))
		},
		"bad_receipt": func(i int) *wire.Bundle {
			cosig, _, err := tlog.Cosign(&tlog.Checkpoint{Origin: tlog.Origin(f.line, victim.Me()), Size: 1, Root: random()}, h.keys.CosignSigner)
			if err != nil {
				t.Fatal(err)
			}
			b := h.bundle()
			b.Cosigs = [][]byte{cosig}
			return b
		},
		"not_a_party": func(i int) *wire.Bundle {
			b := h.bundle(h.segment(t, next(i), 3, 4))
			b.From = "tokyo"
			return b
		},
	}
	total := 10_000
	if raceOn {
		total = 800
	}
	kinds := slices.Sorted(func(yield func(string) bool) {
		for k := range attacks {
			if !yield(k) {
				return
			}
		}
	})
	// Many senders at once, as a flood comes: the refusals share commits.
	const workers = 16
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < total; i += workers {
				if _, err := h.send(attacks[kinds[i%len(kinds)]](i)); err == nil {
					t.Errorf("%s %d: not refused", kinds[i%len(kinds)], i)
					return
				}
			}
		})
	}
	wg.Wait()
	// A legitimate message queues behind the evidence still to be written.
	f.accept(t, h.bundle(h.segment(t, next(-1), 3, 4)), 4)

	list, err := victim.Store.EvidenceList(1000)
	if err != nil {
		t.Fatal(err)
	}
	var proofs int
	var kept int64
	for _, e := range list {
		kept += int64(len(e.Data))
		if e.Kind != "fork" {
			continue
		}
		rep, err := transcript.Verify(e.Data)
		if err != nil || rep.Fork == nil || rep.Fork.Index != 2 {
			t.Fatalf("fork evidence (%s) no longer proves the fork: %v", e.Slot, err)
		}
		proofs++
	}
	if proofs == 0 {
		t.Fatal("the fork proof is gone")
	}
	counts, err := victim.EvidenceCounts(f.line)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	seen := map[string]bool{}
	for _, c := range counts {
		n += c.Count
		seen[c.Kind] = c.Peer == h.me
	}
	for _, k := range append(kinds, "fork") {
		if !seen[k] {
			t.Errorf("no refusal of kind %s counted against %s: %+v", k, h.me, counts)
		}
	}
	db, wal := sizes(t, filepath.Join(f.dirs[1], node.DBFile))
	t.Logf("%d refusals sent, %d counted: %d rows keep %d bytes; database %d bytes, WAL %d bytes", total+1, n, len(list), kept, db, wal)
	if len(list) > 3*(len(kinds)+1) || kept > store.MaxEvidencePartyBytes {
		t.Fatalf("%d rows of %d bytes kept", len(list), kept)
	}
	if db+wal > 4*store.MaxEvidencePartyBytes {
		t.Fatalf("database %d + WAL %d bytes after the flood", db, wal)
	}
}

// sizes returns the sizes of a database file and its WAL.
func sizes(t *testing.T, path string) (db, wal int64) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	db = st.Size()
	if st, err := os.Stat(path + "-wal"); err == nil {
		wal = st.Size()
	}
	return db, wal
}
