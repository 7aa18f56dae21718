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

// TestLadderPlans keeps the queries behind the ladders of a page on an
// index: each reads the rows of the page's messages, never the line.
func TestLadderPlans(t *testing.T) {
	s, line := dutyLine(t, 10)
	checkPlans(t, s, []planCase{
		{stmtMarksOf, []any{line, `["seoul-3","seoul-5"]`}, "USING INDEX entries_ref (line=? AND ref=?)"},
		{stmtReceiptsCovering, []any{line, "seoul", `["beijing"]`, 3, 9}, "USING PRIMARY KEY (line=? AND author=? AND cosigner=? AND size>? AND size<?)"},
		{stmtSentCovering, []any{line, `["beijing"]`, 3, 9}, "USING INDEX sent_range (line=? AND peer=? AND hi>?)"},
	})
}

// planCase is a query, arguments for it, and a step its plan must take.
type planCase struct {
	q    string
	args []any
	want string
}

// checkPlans fails unless each query's plan takes its step and searches
// every table rather than scanning it; the JSON arguments are scanned.
func checkPlans(t *testing.T, s *Store, cases []planCase) {
	t.Helper()
	for _, c := range cases {
		plan := explain(t, s.r, c.q, c.args...)
		for _, d := range strings.Split(plan, "; ") {
			if strings.Contains(d, "SCAN") && !strings.HasPrefix(d, "SCAN j ") && !strings.HasPrefix(d, "SCAN json_each ") {
				t.Errorf("plan of %.60q scans: %q\nplan: %s", c.q, d, plan)
			}
		}
		if !strings.Contains(plan, c.want) {
			t.Errorf("plan of %.60q does not use %q: %s", c.q, c.want, plan)
		}
	}
}
