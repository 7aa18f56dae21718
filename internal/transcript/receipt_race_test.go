package transcript_test

import (
	"context"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/store"
	"github.com/hotline-line/hotline/internal/transcript"
)

// A receipt stored after the export read a log's entries can cover more
// entries than the export holds. The export leaves such a receipt out (it
// only proves less) instead of producing a transcript of a sound log that
// fails to verify. The receipt here is stored ahead of the entries it
// covers, as if it had arrived between the two reads.
func TestExportSkipsReceiptsBeyondItsEntries(t *testing.T) {
	nodes, line := pair(t)
	ctx := context.Background()
	a := nodes[0]
	if _, err := a.Send(ctx, node.SendRequest{Line: line, Precedence: entry.Routine, Text: "one"}); err != nil {
		t.Fatal(err)
	}
	settle(t, nodes, line)
	st, err := a.Status(line)
	if err != nil {
		t.Fatal(err)
	}
	size := st.Parties[0].LogSize
	err = a.Store.Write(ctx, func(tx *store.Tx) error {
		return tx.InsertCosig(&store.Cosig{Line: line, Author: "seoul", Cosigner: "beijing", Size: size + 5, Time: time.Now().Unix(), Note: []byte("a receipt for entries not read yet\n")})
	})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := transcript.Export(a.Store, a.Keys, line, false, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := transcript.Verify(transcript.Marshal(tr)); err != nil {
		t.Fatalf("the export does not verify: %v", err)
	}
}
