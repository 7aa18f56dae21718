package transcript_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
	"github.com/hotline-line/hotline/internal/seal"
	"github.com/hotline-line/hotline/internal/tlog"
	"github.com/hotline-line/hotline/internal/transcript"
	"github.com/hotline-line/hotline/internal/transcript/vectors"
	"github.com/hotline-line/hotline/internal/verify"
	"github.com/hotline-line/hotline/internal/wire"
)

// TestNodeAndTranscriptAgree tampers with seoul's log in the same way
// twice: as a segment pushed to beijing's node, and as a transcript given
// to `hotline verify` (and the console's proof page, which shows Check).
// Both must refuse it for the same reason, the node under its own error
// too. The untampered log is accepted by both.
func TestNodeAndTranscriptAgree(t *testing.T) {
	nodes, line := nodetest.Pair(t, nodetest.Dirs(t), node.Options{}) // not connected: beijing holds none of seoul's log
	seoul, beijing := nodes[0], nodes[1]
	ctx := context.Background()
	for _, text := range []string{"one", "two"} {
		if _, err := seoul.Send(ctx, node.SendRequest{Line: line, Precedence: entry.Flash, Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	tr, err := transcript.Export(seoul.Store, seoul.Keys, line, true, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tr.Logs = tr.Logs[:1] // seoul's log alone
	if tr.Logs[0].Author != "seoul" || len(tr.Logs[0].Entries) != 3 {
		t.Fatalf("export holds log %s of %d entries", tr.Logs[0].Author, len(tr.Logs[0].Entries))
	}
	rows, err := seoul.Store.Entries(line, "seoul", 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	seg := wire.Segment{Author: "seoul", Checkpoint: []byte(tr.Logs[0].Checkpoint), Entries: make([]wire.Entry, len(rows))}
	for i, r := range rows {
		seg.Entries[i] = wire.Entry{Leaf: r.Leaf, Envelope: r.Envelope}
	}
	sealTo, err := beijingHPKE(beijing)
	if err != nil {
		t.Fatal(err)
	}

	// Each case changes the same thing in the segment and the transcript.
	setLeaf := func(s *wire.Segment, tt *transcript.Transcript, i int, leaf []byte) {
		s.Entries[i].Leaf, tt.Logs[0].Entries[i].Leaf = leaf, string(leaf)
	}
	setCheckpoint := func(s *wire.Segment, tt *transcript.Transcript, note []byte) {
		s.Checkpoint, tt.Logs[0].Checkpoint = note, string(note)
	}
	editLeaf := func(from, to string) func(*wire.Segment, *transcript.Transcript) {
		return func(s *wire.Segment, tt *transcript.Transcript) {
			setLeaf(s, tt, 1, bytes.Replace(s.Entries[1].Leaf, []byte(from), []byte(to), 1))
		}
	}
	cases := []struct {
		name   string
		tamper func(*wire.Segment, *transcript.Transcript)
		want   error // verify's
		node   error
	}{
		{"a leaf of another line", editLeaf("line "+line, "line "+strings.Repeat("0", 32)), verify.ErrPlacement, node.ErrBadEntry},
		{"a leaf that does not parse", editLeaf("precedence FLASH", "precedence FLASI"), verify.ErrEntry, node.ErrBadEntry},
		{"a charter at index 1", func(s *wire.Segment, tt *transcript.Transcript) {
			l, err := entry.Parse(s.Entries[1].Leaf)
			if err != nil {
				t.Fatal(err)
			}
			l.Kind, l.Precedence = entry.KindCharter, ""
			setLeaf(s, tt, 1, l.Marshal())
		}, verify.ErrPlacement, node.ErrBadEntry},
		{"a body changed", func(s *wire.Segment, tt *transcript.Transcript) {
			e := &tt.Logs[0].Entries[2]
			e.Body = bytes.Replace(e.Body, []byte("two"), []byte("TWO"), 1)
			env, err := seal.Seal(sealTo, seal.Info(line, "seoul"), e.Salt, e.Body)
			if err != nil {
				t.Fatal(err)
			}
			s.Entries[2].Envelope = env.Marshal()
		}, verify.ErrBody, node.ErrBadBody},
		{"a forged author signature after a valid one", func(s *wire.Segment, tt *transcript.Transcript) {
			setCheckpoint(s, tt, append(bytes.Clone(s.Checkpoint), vectors.Forged(lastSig(s.Checkpoint))...))
		}, verify.ErrCheckpoint, node.ErrForged},
		{"a forged cosignature by beijing", func(s *wire.Segment, tt *transcript.Transcript) {
			text := string(s.Checkpoint[:bytes.Index(s.Checkpoint, []byte("\n\n"))+1])
			cp, err := tlog.ParseText(text, tlog.Origin(line, "seoul"))
			if err != nil {
				t.Fatal(err)
			}
			cosig, _, err := tlog.Cosign(cp, beijing.Keys.CosignSigner)
			if err != nil {
				t.Fatal(err)
			}
			setCheckpoint(s, tt, append(bytes.Clone(s.Checkpoint), vectors.Forged(lastSig(cosig))...))
		}, verify.ErrReceipt, node.ErrForged},
		{"a checkpoint over another log", func(s *wire.Segment, tt *transcript.Transcript) {
			var tree tlog.Tree
			tree.Append(tlog.HashLeaf(s.Entries[0].Leaf), tlog.HashLeaf(s.Entries[2].Leaf), tlog.HashLeaf(s.Entries[1].Leaf))
			root, _ := tree.Root(3)
			cp, err := tlog.Sign(seoul.Keys.LogSigner, tlog.Origin(line, "seoul"), 3, root)
			if err != nil {
				t.Fatal(err)
			}
			setCheckpoint(s, tt, cp.Note)
		}, verify.ErrRoot, node.ErrRootMismatch},
	}
	push := func(s wire.Segment) error {
		_, err := beijing.HandleBundle(ctx, "seoul", &wire.Bundle{V: wire.Version, Line: line, From: "seoul", Segments: []wire.Segment{s}})
		return err
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, tt := cloneSegment(seg), cloneTranscript(t, tr)
			c.tamper(&s, tt)
			nodeErr := push(s)
			if !errors.Is(nodeErr, c.node) || !errors.Is(nodeErr, c.want) {
				t.Errorf("node: %v, want %v and %v", nodeErr, c.node, c.want)
			}
			_, err := transcript.VerifyTranscript(tt)
			if !errors.Is(err, c.want) {
				t.Errorf("hotline verify: %v, want %v", err, c.want)
			}
			if aerr := transcript.Check(tt).Err; aerr == nil || aerr.Error() != err.Error() {
				t.Errorf("the proof page says %v, hotline verify %v", aerr, err)
			}
			for name, other := range vectors.Errors {
				if other != c.want && errors.Is(err, other) {
					t.Errorf("hotline verify: %v also wraps %s", err, name)
				}
			}
		})
	}
	if _, err := transcript.VerifyTranscript(tr); err != nil {
		t.Fatalf("untampered transcript: %v", err)
	}
	if err := push(seg); err != nil {
		t.Fatalf("untampered segment: %v", err)
	}
	st, err := beijing.Status(line)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range st.Parties {
		if p.Party == "seoul" && p.LogSize != 3 {
			t.Fatalf("beijing holds %d entries of seoul's log, want 3", p.LogSize)
		}
	}
}

func cloneSegment(s wire.Segment) wire.Segment {
	s.Checkpoint = bytes.Clone(s.Checkpoint)
	s.Entries = append([]wire.Entry(nil), s.Entries...)
	return s
}

func cloneTranscript(t *testing.T, tr *transcript.Transcript) *transcript.Transcript {
	t.Helper()
	var c transcript.Transcript
	if err := json.Unmarshal(transcript.Marshal(tr), &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

// lastSig is the last line of a signed note.
func lastSig(note []byte) string {
	return string(note[bytes.LastIndexByte(note[:len(note)-1], '\n')+1:])
}
