package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/store"
)

// TestEvidenceCounts: hotline evidence and hotline status show the
// refusals kept against a party by kind, with the slot each row holds and
// how often an identical refusal came, and write out what is kept.
func TestEvidenceCounts(t *testing.T) {
	_, beijing, line := pairDirs(t, nil)
	st, err := store.Open(filepath.Join(beijing, node.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	err = st.Write(context.Background(), func(tx *store.Tx) error {
		for i, e := range []store.Evidence{
			{Kind: "fork", Rank: 101, Reason: "fork: the author signed two different logs: entry seoul-3 differs", Data: []byte("proof")},
			{Kind: "bad_time", Rank: 60, Reason: "seoul-4: entry time is not possible: dated 2036-01-01", Data: []byte("a")},
			{Kind: "bad_time", Rank: 60, Reason: "seoul-4: entry time is not possible: dated 2036-01-01", Data: []byte("a")},
			{Kind: "bad_time", Rank: 60, Reason: "seoul-4: entry time is not possible: dated 1900-01-01\u202e", Data: []byte("b")},
		} {
			e.Line, e.Peer, e.Time = line, "seoul", int64(1_800_000_000_000+i*1000)
			if _, err := tx.InsertEvidence(&e); err != nil {
				return err
			}
		}
		return nil
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(t.TempDir(), "ev")
	code, stdout, stderr := hotlineOut(t, "evidence", "--dir", beijing, "--out", out)
	if code != 0 {
		t.Fatalf("evidence: %d %s", code, stderr)
	}
	for _, want := range []string{
		"seoul: 1 × fork,",
		"seoul: 3 × bad_time, 2027-01-15 08:00:01 UTC to 2027-01-15 08:00:03 UTC, last: seoul-4: entry time is not possible: dated 1900-01-01<U+202E>",
		"from seoul  bad_time/first  seen 2 times, last 2027-01-15 08:00:02 UTC",
		"from seoul  bad_time/last",
		"from seoul  fork/first",
		"wrote " + filepath.Join(out, "evidence-1.json"),
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("hotline evidence does not say %q:\n%s", want, stdout)
		}
	}
	code, stdout, stderr = hotlineOut(t, "status", "--dir", beijing)
	if code != 0 || !strings.Contains(stdout, "4 refusals of input kept as evidence") || !strings.Contains(stdout, "seoul: 3 × bad_time") {
		t.Fatalf("status: %d %s\n%s", code, stderr, stdout)
	}
}
