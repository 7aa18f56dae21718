package console

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/officer"
	"github.com/hotline-line/hotline/internal/store"
	"github.com/hotline-line/hotline/internal/transcript"
)

// busyLine has messages both ways, displayed and acknowledged, and waits
// until every entry is cosigned by the other side. Seoul's messages go one
// at a time, each cosigned before the next, so that each has a receipt of
// its own. It returns their IDs.
func busyLine(t *testing.T, f *fixture, texts ...string) []string {
	t.Helper()
	ctx := context.Background()
	var ids []string
	for _, text := range texts {
		id, err := f.seoul.Send(ctx, node.SendRequest{Line: f.line, Precedence: entry.Flash, Text: text, Officer: "Kim"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		_, index, _ := entry.ParseID(id)
		waitFor(t, f.seoul, 20*time.Second, "Beijing's receipt of "+id, func() bool {
			n, err := f.seoul.Receipt(f.line, "beijing")
			return err == nil && n > index
		})
	}
	if err := f.beijing.MarkDisplayed(ctx, f.line, ids[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := f.beijing.Ack(ctx, f.line, ids[0], "Wang Lei"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.beijing.Send(ctx, node.SendRequest{Line: f.line, Text: "reply: " + texts[0], ReplyTo: ids[0]}); err != nil {
		t.Fatal(err)
	}
	// Cosigned, and the receipt stored: a node counts a receipt at once
	// and stores it with its next commit, and the proof reads the store.
	cosigned := func(n *node.Node, peer string) bool {
		st, _ := n.Status(f.line)
		var size uint64
		for _, p := range st.Parties {
			if p.Party == peer && p.Pending != 0 {
				return false
			}
			if p.Party == n.Me() {
				size = p.LogSize
			}
		}
		cs, _ := n.Store.LatestCosigs(f.line)
		for _, c := range cs {
			if c.Author == n.Me() && c.Cosigner == peer && c.Size >= size {
				return true
			}
		}
		return false
	}
	waitFor(t, f.beijing, 20*time.Second, "Seoul to cosign all of Beijing's log", func() bool { return cosigned(f.beijing, "seoul") })
	waitFor(t, f.seoul, 20*time.Second, "Beijing to cosign all of Seoul's log", func() bool { return cosigned(f.seoul, "beijing") })
	return ids
}

func (f *fixture) proof(t *testing.T, l *login, query string) (proofView, string) {
	t.Helper()
	resp, err := f.srv.Client().Do(f.request(t, "GET", "/api/lines/"+f.line+"/transcript"+query, l, "", nil))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var v proofView
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &v) != nil {
		t.Fatalf("transcript: %d %s", resp.StatusCode, b)
	}
	return v, string(b)
}

func TestProofOfAVerifiedLine(t *testing.T) {
	f := newFixture(t, nil)
	w := f.session(t, "Wang Lei", officer.Watch)
	texts := []string{"secret text one", "secret text two", "secret text three"}
	ids := busyLine(t, f, texts...)

	v, raw := f.proof(t, &w, "")
	if !v.Verified || v.Error != "" || v.Counts[proofFailed] != 0 || v.Counts[proofUnconfirmed] != 0 || v.Counts[proofVerified] != v.Total {
		t.Fatalf("verdict %v %q, counts %v of %d", v.Verified, v.Error, v.Counts, v.Total)
	}
	// Two charters, three messages and a reply, a displayed and an ack.
	if v.Total != 8 || v.Messages[proofVerified] != 4 || len(v.Logs) != 2 || len(v.Entries) != 8 {
		var kinds []string
		for _, e := range v.Entries {
			kinds = append(kinds, e.Log+"-"+strconv.Itoa(int(e.Index))+":"+string(e.Kind))
		}
		t.Fatalf("total %d, messages %v, %d logs, %d rows: %v", v.Total, v.Messages, len(v.Logs), len(v.Entries), kinds)
	}
	for _, e := range v.Entries {
		if e.Status != proofVerified || e.Body != bodyVerified || e.Checkpoint == 0 || e.Checkpoint <= e.Index ||
			len(e.Cosigned) != 1 || e.Cosigned[0].Party == e.Log || e.Cosigned[0].Time.IsZero() {
			t.Errorf("entry %+v", e)
		}
		if e.Kind == entry.KindAck && e.Ref != ids[0] {
			t.Errorf("ack names %q, want %s", e.Ref, ids[0])
		}
	}
	for _, l := range v.Logs {
		if l.Checkpoint != proofVerified || l.Receipts == 0 || len(l.Problems) != 0 {
			t.Errorf("log %+v", l)
		}
	}
	// The page shows what was proven, not what the messages say.
	for _, text := range texts {
		if strings.Contains(raw, text) {
			t.Errorf("the proof answer carries the text %q", text)
		}
	}
	// Messages only, at most two rows, newest first.
	v, _ = f.proof(t, &w, "?kind=message&limit=2")
	if v.Total != 4 || len(v.Entries) != 2 || v.Entries[0].Kind != entry.KindMessage || v.Entries[0].Written.Before(v.Entries[1].Written) {
		t.Fatalf("messages only: total %d, rows %+v", v.Total, v.Entries)
	}
	for q, want := range map[string]int{"?limit=0": 400, "?kind=letter": 400} {
		if code, _ := f.do(t, f.request(t, "GET", "/api/lines/"+f.line+"/transcript"+q, &w, "", nil)); code != want {
			t.Errorf("%s: %d, want %d", q, code, want)
		}
	}
	if code, _ := f.do(t, f.request(t, "GET", "/api/lines/nope/transcript", &w, "", nil)); code != http.StatusNotFound {
		t.Errorf("unknown line: %d", code)
	}
}

// Someone edits a received message in the node's database: the proof page
// says NOT VERIFIED, names the entry, and shows its body failing.
func TestProofShowsATamperedBody(t *testing.T) {
	f := newFixture(t, nil)
	w := f.session(t, "Wang Lei", officer.Watch)
	ids := busyLine(t, f, "the original text", "another")

	// The node may be committing (a receipt stored after the fact): wait
	// for its lock like any other connection.
	db, err := sql.Open("sqlite", "file:"+store.URIPath(filepath.Join(f.beijing.Dir, node.DBFile))+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, index, _ := entry.ParseID(ids[0])
	res, err := db.Exec(`UPDATE entries SET body = CAST(replace(CAST(body AS TEXT), 'original', 'doctored') AS BLOB)
		WHERE line = ? AND author = 'seoul' AND idx = ?`, f.line, index)
	if err != nil {
		t.Fatalf("tamper: %v", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("tamper: %d rows", n)
	}
	if m, _ := f.beijing.Message(f.line, ids[0]); m.Text != "the doctored text" {
		t.Fatalf("the database was not changed: %q", m.Text)
	}

	v, _ := f.proof(t, &w, "")
	if v.Verified || v.Failure != "body" || !strings.Contains(v.Error, ids[0]) || v.Counts[proofFailed] != 1 {
		t.Fatalf("verdict %v, failure %q, error %q, counts %v", v.Verified, v.Failure, v.Error, v.Counts)
	}
	if e := v.Entries[0]; e.ID != ids[0] || e.Status != proofFailed || e.Body != bodyMismatch || e.Problem == "" {
		t.Fatalf("first row %+v, want %s failed on its body", e, ids[0])
	}
	for _, e := range v.Entries[1:] {
		if e.Status != proofVerified {
			t.Errorf("untouched entry %s: %s %s", e.ID, e.Status, e.Problem)
		}
	}
}

// A changed leaf breaks the log's Merkle root: the verdict fails, and the
// entries from the changed one on can no longer be shown under a signed
// checkpoint, while those before it still are.
func TestProofShowsAChangedLeaf(t *testing.T) {
	f := newFixture(t, nil)
	ids := busyLine(t, f, "one", "two", "three")
	tr, err := transcript.Export(f.beijing.Store, f.beijing.Keys, f.line, true, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if v := checkTranscript(tr, "", 100); !v.Verified {
		t.Fatalf("untouched export: %s", v.Error)
	}
	_, index, _ := entry.ParseID(ids[1])
	var lg *transcript.Log
	for i := range tr.Logs {
		if tr.Logs[i].Author == "seoul" {
			lg = &tr.Logs[i]
		}
	}
	e := &lg.Entries[index]
	e.Leaf = strings.Replace(e.Leaf, "precedence FLASH", "precedence ROUTINE", 1)

	v := checkTranscript(tr, "", 100)
	if v.Verified || v.Failure != "root" {
		t.Fatalf("verdict %v, failure %q: %s", v.Verified, v.Failure, v.Error)
	}
	status := map[string]proofEntry{}
	for _, r := range v.Entries {
		status[r.ID] = r
	}
	if r := status[ids[0]]; r.Status != proofVerified {
		t.Errorf("%s, before the change: %s %s", ids[0], r.Status, r.Problem)
	}
	for _, id := range ids[1:] {
		if r := status[id]; r.Status != proofFailed || !strings.Contains(r.Problem, "changed") {
			t.Errorf("%s, at or after the change: %s %q", id, r.Status, r.Problem)
		}
	}
	if len(v.Logs) != 2 || len(v.Logs[0].Problems)+len(v.Logs[1].Problems) == 0 {
		t.Errorf("no log names the failed checkpoints: %+v", v.Logs)
	}
}
