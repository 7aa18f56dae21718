package transcript_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/transcript"
)

// TestTranscriptShowsTheAgenda: a verified transcript, from either side,
// reports the shared agenda the nodes show, history and all.
func TestTranscriptShowsTheAgenda(t *testing.T) {
	ctx := context.Background()
	nodes, line := pair(t)
	seoul, beijing := nodes[0], nodes[1]
	start := time.Now().UTC().Add(240 * time.Hour).Truncate(time.Minute)
	w, err := seoul.ChangeAgenda(ctx, node.AgendaRequest{Line: line, Step: entry.Agenda{Action: entry.AgendaPropose,
		Kind: "port-call", Title: "Port call at Qingdao", Start: start, Place: "Qingdao"}})
	if err != nil {
		t.Fatal(err)
	}
	settle(t, nodes, line)
	if _, err := beijing.ChangeAgenda(ctx, node.AgendaRequest{Line: line, Step: entry.Agenda{Action: entry.AgendaCancel,
		Event: w.Event.ID, Reason: "exchanges suspended"}}); err != nil {
		t.Fatal(err)
	}
	settle(t, nodes, line)
	want, err := seoul.Agenda(line)
	if err != nil {
		t.Fatal(err)
	}
	wantJSON, _ := json.Marshal(want)
	for _, n := range nodes {
		tr, err := transcript.Export(n.Store, n.Keys, line, true, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		rep, err := transcript.VerifyTranscript(tr)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := json.Marshal(rep.Agenda); !bytes.Equal(got, wantJSON) {
			t.Errorf("%s's transcript: agenda\n%s\nwant\n%s", n.Me(), got, wantJSON)
		}
		var b bytes.Buffer
		rep.WriteText(&b)
		if !strings.Contains(b.String(), w.Event.ID+"  CANCELLED") || !strings.Contains(b.String(), "cancelled by beijing: exchanges suspended") {
			t.Errorf("%s's report:\n%s", n.Me(), b.String())
		}
	}
}
