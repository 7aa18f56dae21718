package transcript_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/card"
	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/identity"
	"github.com/hotline-line/hotline/internal/tlog"
	"github.com/hotline-line/hotline/internal/transcript"
)

// synthetic builds a verified-shape transcript whose first party's log
// holds n entries with readable bodies and a receipt every 1,000 entries,
// signed with real keys, without running nodes.
func synthetic(tb testing.TB, n int) *transcript.Transcript {
	var keys []*identity.Keys
	var cards []*card.Card
	for i, p := range []string{"seoul", "beijing"} {
		seed := make([]byte, identity.SeedSize)
		seed[0] = byte(i + 1)
		k, err := identity.Derive(p, seed)
		if err != nil {
			tb.Fatal(err)
		}
		keys = append(keys, k)
		cards = append(cards, card.New(k, p, []string{"en"}, []card.Route{{Kind: "direct", Addr: "127.0.0.1:1"}}))
	}
	ch := charter.New("bench", time.Unix(1_800_000_000, 0), cards)
	var raw []byte
	for _, k := range keys {
		s, err := charter.Sign(ch, raw, k)
		if err != nil {
			tb.Fatal(err)
		}
		raw = s.Raw
	}
	line := ch.ID()
	t := &transcript.Transcript{Format: transcript.FormatTranscript, Line: line, Charter: string(raw), ExportedBy: "seoul"}
	for pi, k := range keys {
		size := 1
		if pi == 0 {
			size = n
		}
		lg := transcript.Log{Author: k.Slug}
		var tree tlog.Tree
		for i := range size {
			salt := make([]byte, entry.SaltSize)
			salt[1] = byte(i)
			l := &entry.Leaf{Line: line, Author: k.Slug, Index: uint64(i), Time: time.UnixMilli(1_800_000_000_000 + int64(i))}
			var body []byte
			if i == 0 {
				l.Kind, body = entry.KindCharter, raw
			} else {
				l.Kind, l.Precedence = entry.KindMessage, entry.Routine
				body, _ = json.Marshal(entry.Message{Lang: "en", Text: fmt.Sprintf("message %d: all quiet on the line", i)})
			}
			l.Body = entry.Commit(salt, body)
			leaf := l.Marshal()
			tree.Append(tlog.HashLeaf(leaf))
			lg.Entries = append(lg.Entries, transcript.Entry{Leaf: string(leaf), Salt: salt, Body: body})
			if (i+1)%1000 == 0 || i+1 == size {
				root, _ := tree.Root(uint64(i + 1))
				cp, err := tlog.Sign(k.LogSigner, tlog.Origin(line, k.Slug), uint64(i+1), root)
				if err != nil {
					tb.Fatal(err)
				}
				other := keys[1-pi]
				cos, _, err := tlog.Cosign(cp, other.CosignSigner)
				if err != nil {
					tb.Fatal(err)
				}
				lg.Receipts = append(lg.Receipts, string(cp.Note)+string(cos[len(cp.Text())+1:]))
				if i+1 == size {
					lg.Checkpoint = string(cp.Note)
				}
			}
		}
		t.Logs = append(t.Logs, lg)
	}
	return t
}

func TestSyntheticVerifies(t *testing.T) {
	if _, err := transcript.VerifyTranscript(synthetic(t, 2500)); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkVerify100k verifies a 100,000-entry transcript from its encoded
// bytes. Run: go test -run=^$ -bench=Verify100k -benchtime=1x ./internal/transcript
func BenchmarkVerify100k(b *testing.B) {
	data := transcript.Marshal(synthetic(b, 100_000))
	for b.Loop() {
		if _, err := transcript.Verify(data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(data))/(1<<20), "MiB")
}
