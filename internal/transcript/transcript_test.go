package transcript_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	flog "github.com/transparency-dev/formats/log"
	fnote "github.com/transparency-dev/formats/note"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
	"github.com/hotline-line/hotline/internal/seal"
	"github.com/hotline-line/hotline/internal/store"
	"github.com/hotline-line/hotline/internal/tlog"
	"github.com/hotline-line/hotline/internal/transcript"
	"github.com/hotline-line/hotline/internal/transcript/vectors"
	"github.com/hotline-line/hotline/internal/wire"
)

// TestVectors checks every generated tamper vector fails with the error
// its manifest names, and the untampered documents verify.
// Regenerate with: go test ./internal/transcript/vectors -update
func TestVectors(t *testing.T) {
	dir := filepath.Join("testdata", "vectors")
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var manifest []vectors.Vector
	if err := json.Unmarshal(b, &manifest); err != nil {
		t.Fatal(err)
	}
	if len(manifest) < 20 {
		t.Fatalf("manifest has %d vectors", len(manifest))
	}
	for _, v := range manifest {
		t.Run(v.Name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, v.File))
			if err != nil {
				t.Fatal(err)
			}
			rep, err := transcript.Verify(data)
			if v.Want == "ok" {
				if err != nil {
					t.Fatalf("untampered document fails: %v", err)
				}
				if len(rep.Messages) == 0 {
					t.Fatal("report holds no message")
				}
				return
			}
			want := vectors.Errors[v.Want]
			if want == nil {
				t.Fatalf("manifest names unknown error %q", v.Want)
			}
			if !errors.Is(err, want) {
				t.Fatalf("got %v, want %v", err, want)
			}
			for name, other := range vectors.Errors {
				if name != v.Want && errors.Is(err, other) {
					t.Fatalf("error %v also matches %s", err, name)
				}
			}
		})
	}
}

func pair(t *testing.T) ([]*node.Node, string) {
	nodes, line := nodetest.Pair(t, nodetest.Dirs(t), node.Options{})
	nodetest.Connect(nodes...)
	return nodes, line
}

func settle(t *testing.T, nodes []*node.Node, line string) {
	t.Helper()
	nodetest.Wait(t, 30*time.Second, "both logs delivered and cosigned", func() bool {
		for _, n := range nodes {
			st, err := n.Status(line)
			if err != nil {
				return false
			}
			for _, p := range st.Parties {
				if p.Party != n.Me() && p.Pending != 0 {
					return false
				}
			}
			for _, m := range nodes {
				sm, _ := m.Status(line)
				for i, p := range st.Parties {
					if p.LogSize != sm.Parties[i].LogSize {
						return false
					}
				}
			}
		}
		return true
	})
}

// TestExportBothSidesAgree exports the same exchange from each side: both
// verify, and they agree on every message both parties can see.
func TestExportBothSidesAgree(t *testing.T) {
	nodes, line := pair(t)
	ctx := context.Background()
	a, b := nodes[0], nodes[1]
	var ids []string
	for i := range 20 {
		id, err := a.Send(ctx, node.SendRequest{Line: line, Precedence: entry.Priority, Text: "서울 " + strings.Repeat("가", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		if _, err := b.Send(ctx, node.SendRequest{Line: line, Text: "北京 " + strings.Repeat("好", i)}); err != nil {
			t.Fatal(err)
		}
	}
	nodetest.Wait(t, 30*time.Second, "beijing holds seoul's messages", func() bool {
		_, err := b.Message(line, ids[len(ids)-1])
		return err == nil
	})
	if _, err := b.Ack(ctx, line, ids[3], "Wang Lei"); err != nil {
		t.Fatal(err)
	}
	settle(t, nodes, line)

	var reports []*transcript.Report
	for _, n := range nodes {
		tr, err := transcript.Export(n.Store, n.Keys, line, true, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		rep, err := transcript.Verify(transcript.Marshal(tr))
		if err != nil {
			t.Fatalf("export of %s does not verify: %v", n.Me(), err)
		}
		reports = append(reports, rep)
	}
	ra, rb := reports[0], reports[1]
	if len(ra.Messages) != 40 || len(rb.Messages) != 40 {
		t.Fatalf("messages: %d and %d, want 40", len(ra.Messages), len(rb.Messages))
	}
	byID := map[string]transcript.MessageReport{}
	for _, m := range rb.Messages {
		byID[m.ID] = m
	}
	for _, m := range ra.Messages {
		o, ok := byID[m.ID]
		if !ok || o.Text != m.Text || !o.Written.Equal(m.Written) || o.Author != m.Author || !o.Readable || !m.Readable {
			t.Fatalf("exports disagree on %s: %+v vs %+v", m.ID, m, o)
		}
		if len(m.Held) != 1 || len(o.Held) != 1 {
			t.Fatalf("%s: delivery not proven in both exports: %v / %v", m.ID, m.Held, o.Held)
		}
	}
	if ack := byID[ids[3]].Acked["beijing"]; ack.Officer != "Wang Lei" {
		t.Fatalf("ack not proven: %+v", byID[ids[3]])
	}

	// A disclosure of one message verifies and carries nothing of the others.
	d, err := transcript.Disclose(a.Store, a.Keys, line, ids[3], false)
	if err != nil {
		t.Fatal(err)
	}
	data := transcript.Marshal(d)
	rep, err := transcript.Verify(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Messages) != 1 || rep.Messages[0].Acked["beijing"].Officer != "Wang Lei" || rep.Messages[0].Held["beijing"].IsZero() {
		t.Fatalf("disclosure report: %+v", rep.Messages)
	}
	for i, id := range ids {
		if i != 3 && strings.Contains(string(data), `"`+id+`"`) {
			t.Fatalf("disclosure mentions %s", id)
		}
	}
	if strings.Contains(string(data), "北京") || strings.Contains(string(data), "서울 가가가가가") {
		t.Fatal("disclosure leaks another message's text")
	}
}

// TestStandardVerifiers checks our documents with the reference libraries
// directly, not through our own code: checkpoints with sumdb/note and
// transparency-dev/formats, cosignatures with the cosignature/v1 verifier,
// inclusion proofs with transparency-dev/merkle.
func TestStandardVerifiers(t *testing.T) {
	nodes, line := pair(t)
	ctx := context.Background()
	id, err := nodes[0].Send(ctx, node.SendRequest{Line: line, Precedence: entry.Flash, Text: "check"})
	if err != nil {
		t.Fatal(err)
	}
	settle(t, nodes, line)
	d, err := transcript.Disclose(nodes[0].Store, nodes[0].Keys, line, id, false)
	if err != nil {
		t.Fatal(err)
	}
	c, err := charter.Parse([]byte(d.Charter))
	if err != nil {
		t.Fatal(err)
	}
	logV, err := note.NewVerifier(c.Party("seoul").LogKey)
	if err != nil {
		t.Fatal(err)
	}
	cosV, err := fnote.NewVerifierForCosignatureV1(c.Party("beijing").CosignerKey)
	if err != nil {
		t.Fatal(err)
	}
	cp, _, n, err := flog.ParseCheckpoint([]byte(d.Message.Checkpoint), tlog.Origin(line, "seoul"), logV, cosV)
	if err != nil {
		t.Fatal(err)
	}
	if len(n.Sigs) != 2 {
		t.Fatalf("want the log signature and one cosignature, got %d", len(n.Sigs))
	}
	if _, err := fnote.CoSigV1Timestamp(n.Sigs[1]); err != nil {
		t.Fatal(err)
	}
	leaf := rfc6962.DefaultHasher.HashLeaf([]byte(d.Message.Leaf))
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, d.Message.Index, cp.Size, leaf, d.Message.Inclusion, cp.Hash); err != nil {
		t.Fatal(err)
	}
}

// TestForkProof has a hostile author sign a second, different entry at an
// index the victim already holds: the victim refuses it, keeps a fork proof
// as evidence, and that proof verifies offline.
func TestForkProof(t *testing.T) {
	nodes, line := pair(t)
	ctx := context.Background()
	seoul, beijing := nodes[0], nodes[1]
	if _, err := seoul.Send(ctx, node.SendRequest{Line: line, Text: "the true message"}); err != nil {
		t.Fatal(err)
	}
	settle(t, nodes, line)

	// Forge entry 1 of seoul's log with other words, signed with seoul's key.
	c0, err := seoul.Store.Entry(line, "seoul", 0)
	if err != nil {
		t.Fatal(err)
	}
	salt := make([]byte, entry.SaltSize)
	body, _ := json.Marshal(entry.Message{Lang: "ko", Text: "a rewritten message"})
	l := &entry.Leaf{Line: line, Author: "seoul", Index: 1, Kind: entry.KindMessage, Time: time.Now(), Precedence: entry.Routine, Body: entry.Commit(salt, body)}
	pk, err := beijingHPKE(beijing)
	if err != nil {
		t.Fatal(err)
	}
	env, err := seal.Seal(pk, seal.Info(line, "seoul"), salt, body)
	if err != nil {
		t.Fatal(err)
	}
	var tree tlog.Tree
	tree.Append(tlog.HashLeaf(c0.Leaf), tlog.HashLeaf(l.Marshal()))
	root, _ := tree.Root(2)
	cp, err := tlog.Sign(seoul.Keys.LogSigner, tlog.Origin(line, "seoul"), 2, root)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := tree.ConsistencyProof(1, 2)
	b := &wire.Bundle{V: wire.Version, Line: line, From: "seoul", Segments: []wire.Segment{{
		Author: "seoul", Checkpoint: cp.Note, Start: 1, Proof: p,
		Entries: []wire.Entry{{Leaf: l.Marshal(), Envelope: env.Marshal()}},
	}}}
	if _, err := beijing.HandleBundle(ctx, "seoul", b); !errors.Is(err, node.ErrFork) {
		t.Fatalf("forged entry: got %v, want ErrFork", err)
	}
	var ev []store.Evidence
	nodetest.Wait(t, 10*time.Second, "fork evidence", func() bool {
		ev, _ = beijing.Store.EvidenceList(10)
		return len(ev) > 0
	})
	rep, err := transcript.Verify(ev[0].Data)
	if err != nil {
		t.Fatalf("fork proof does not verify: %v", err)
	}
	if rep.Fork == nil || rep.Fork.Author != "seoul" || rep.Fork.Index != 1 {
		t.Fatalf("fork report: %+v", rep.Fork)
	}
	// A fork proof whose branches agree is not a fork.
	_, _, f, _ := transcript.Decode(ev[0].Data)
	f.B = f.A
	if _, err := transcript.VerifyFork(f); !errors.Is(err, transcript.ErrNotAFork) {
		t.Fatalf("agreeing branches: got %v", err)
	}
}

func FuzzVerify(f *testing.F) {
	for _, name := range []string{"transcript-ok", "disclosure-ok", "cosignature-moved", "entry-time"} {
		b, err := os.ReadFile(filepath.Join("testdata", "vectors", name+".json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"format":"hotline-fork-proof/v1"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := transcript.Verify(data)
		if err == nil && rep == nil {
			t.Fatal("no error and no report")
		}
	})
}
