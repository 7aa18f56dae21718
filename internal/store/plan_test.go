package store

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestListingPlans keeps the queries behind the inbox, the outbox and every
// receipt ladder on an index: a scan or a sort of the whole line is what
// made a 10,000-message inbox take a second a page.
func TestListingPlans(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "hotline.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// The listings read the newest rows off an index and stop at the limit
	// (sorting only rows received in the same millisecond); the entries
	// referring to one message are a handful, so sorting them is free.
	for _, q := range []string{stmtByKind, stmtMine, stmtTheirs, stmtReferred, stmtHasMark} {
		plan := explain(t, s.r, q, "line", "x", "y", 50)
		full := strings.Contains(plan, "TEMP B-TREE FOR ORDER BY") && q != stmtReferred
		if strings.Contains(plan, "SCAN entries") || full || !strings.Contains(plan, "INDEX") {
			t.Errorf("plan of %.80q: %s", q, plan)
		}
	}
}
