package transcript_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/transcript"
)

// These tests pin what docs/protocol.md §24.1 says a transcript does not
// prove, so the document and the verifier cannot part ways.

func okTranscript(t *testing.T) *transcript.Transcript {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "vectors", "transcript-ok.json"))
	if err != nil {
		t.Fatal(err)
	}
	tr, _, _, err := transcript.Decode(data)
	if err != nil || tr == nil {
		t.Fatalf("decode: %v", err)
	}
	return tr
}

// TestReceiptOrderIsFree: exporters write receipts smallest first, and a
// verifier must not depend on it.
func TestReceiptOrderIsFree(t *testing.T) {
	tr := okTranscript(t)
	rs := tr.Logs[0].Receipts
	if len(rs) < 2 {
		t.Fatalf("the vector has %d receipts, need two", len(rs))
	}
	slices.Reverse(rs)
	if _, err := transcript.Verify(transcript.Marshal(tr)); err != nil {
		t.Fatalf("receipts in reverse order: %v", err)
	}
}

// TestExportClaimsAreUnsigned: exported_by and exported_at are claims,
// which no signature covers.
func TestExportClaimsAreUnsigned(t *testing.T) {
	tr := okTranscript(t)
	tr.ExportedBy = "beijing"
	tr.ExportedAt = time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := transcript.Verify(transcript.Marshal(tr)); err != nil {
		t.Fatalf("changed export claims: %v", err)
	}
}

// TestOmittedLogStillVerifies: a transcript cannot prove it is complete.
func TestOmittedLogStillVerifies(t *testing.T) {
	tr := okTranscript(t)
	tr.Logs = tr.Logs[:1]
	rep, err := transcript.Verify(transcript.Marshal(tr))
	if err != nil {
		t.Fatalf("a transcript without beijing's log: %v", err)
	}
	if len(rep.Messages) == 0 {
		t.Fatal("the report lost seoul's messages too")
	}
}
