package node_test

// Hostile peers: a party that holds its real keys but runs its own code,
// and sends whatever it likes. Every refusal must name the problem, keep
// the input as evidence, leave the victim's state untouched, and leave the
// line working for the legitimate traffic that follows.

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/card"
	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/direct"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/identity"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
	"github.com/hotline-line/hotline/internal/seal"
	"github.com/hotline-line/hotline/internal/store"
	"github.com/hotline-line/hotline/internal/tlog"
	"github.com/hotline-line/hotline/internal/transcript"
	"github.com/hotline-line/hotline/internal/wire"
)

// hostile plays party me of a line with the party's real keys, read from
// its data directory, but with code of its own: it crafts entries,
// checkpoints, proofs and cosignatures by hand and hands its bundles to the
// victim as an authenticated route would.
type hostile struct {
	me     string
	line   string
	keys   *identity.Keys
	victim *node.Node
	sealTo map[string]hpke.PublicKey // the HPKE keys of the other parties
	src    *node.Node                // the party's real node, never started while it plays
	log    []wire.Entry              // the log it plays when there is no src
}

// loadKeys reads a party's keys from its data directory, as a thief of the
// directory (or a modified binary) would.
func loadKeys(t testing.TB, dir string) *identity.Keys {
	t.Helper()
	cfg, err := node.LoadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	seed, err := identity.ReadSeed(filepath.Join(dir, node.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	k, err := identity.Derive(cfg.Party, seed)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func hpkeKey(t testing.TB, k *identity.Keys) hpke.PublicKey {
	t.Helper()
	pk, err := identity.KEM().NewPublicKey(k.HPKEPublicKey())
	if err != nil {
		t.Fatal(err)
	}
	return pk
}

// entries returns the log the hostile party plays: its real log if it has
// a node, else the one it crafted.
func (h *hostile) entries(t testing.TB) []wire.Entry {
	t.Helper()
	if h.src == nil {
		return slices.Clone(h.log)
	}
	rows, err := h.src.Store.Entries(h.line, h.me, 0, 1<<40)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]wire.Entry, len(rows))
	for i, r := range rows {
		out[i] = wire.Entry{Leaf: r.Leaf, Envelope: r.Envelope}
	}
	return out
}

func treeOf(log []wire.Entry) *tlog.Tree {
	t := &tlog.Tree{}
	for _, e := range log {
		t.Append(tlog.HashLeaf(e.Leaf))
	}
	return t
}

// sign signs a checkpoint of the party's log with its real key.
func (h *hostile) sign(t testing.TB, size uint64, root []byte) []byte {
	t.Helper()
	cp, err := tlog.Sign(h.keys.LogSigner, tlog.Origin(h.line, h.me), size, root)
	if err != nil {
		t.Fatal(err)
	}
	return cp.Note
}

// segment returns entries start..end-1 of log with a checkpoint signed over
// log[:end] and a consistency proof from start: a well-formed segment of
// whatever log it is given.
func (h *hostile) segment(t testing.TB, log []wire.Entry, start, end uint64) wire.Segment {
	t.Helper()
	tr := treeOf(log[:end])
	root, err := tr.Root(end)
	if err != nil {
		t.Fatal(err)
	}
	seg := wire.Segment{Author: h.me, Checkpoint: h.sign(t, end, root), Start: start, Entries: slices.Clone(log[start:end])}
	if start > 0 {
		if seg.Proof, err = tr.ConsistencyProof(start, end); err != nil {
			t.Fatal(err)
		}
	}
	return seg
}

func (h *hostile) bundle(segs ...wire.Segment) *wire.Bundle {
	return &wire.Bundle{V: wire.Version, Line: h.line, From: h.me, Segments: segs}
}

// send hands b to the victim the way a route does: encoded, decoded, and
// attributed to the party the route authenticated.
func (h *hostile) send(b *wire.Bundle) (*wire.Bundle, error) {
	in, err := wire.Parse(b.Marshal())
	if err != nil {
		return nil, err
	}
	return h.victim.HandleBundle(context.Background(), h.me, in)
}

// craft writes an entry of the party's log by hand: a canonical leaf and a
// body sealed to the other parties (the charter travels in the open).
func (h *hostile) craft(t testing.TB, index uint64, kind entry.Kind, salt, body []byte, when time.Time) wire.Entry {
	t.Helper()
	l := &entry.Leaf{Line: h.line, Author: h.me, Index: index, Kind: kind, Time: when.UTC().Truncate(time.Millisecond),
		Body: entry.Commit(salt, body)}
	if kind == entry.KindMessage {
		l.Precedence = entry.Routine
	}
	var env *seal.Envelope
	if kind == entry.KindCharter {
		env = seal.Plain(salt, body)
	} else {
		var err error
		if env, err = seal.Seal(h.sealTo, seal.Info(h.line, h.me), salt, body); err != nil {
			t.Fatal(err)
		}
	}
	return wire.Entry{Leaf: l.Marshal(), Envelope: env.Marshal()}
}

func messageBody(text string) []byte {
	b, _ := json.Marshal(entry.Message{Lang: "ko", Text: text})
	return b
}

func newSaltFor(t testing.TB) []byte {
	s := make([]byte, entry.SaltSize)
	rand.Read(s)
	return s
}

// message crafts a well-formed message entry at index.
func (h *hostile) message(t testing.TB, index uint64, text string) wire.Entry {
	return h.craft(t, index, entry.KindMessage, newSaltFor(t), messageBody(text), time.Now())
}

// fixture is a paired line whose first party plays hostile against the
// second. No node is started: the hostile party's bundles are the only
// traffic until lineStillWorks starts the real links.
type fixture struct {
	nodes []*node.Node
	dirs  []string
	line  string
	h     *hostile
}

func newFixture(t *testing.T, parties ...nodetest.Party) *fixture {
	t.Helper()
	return newFixtureWith(t, node.Options{}, nil, parties...)
}

// newFixtureWith is newFixture with node options and a charter that edit
// may change.
func newFixtureWith(t *testing.T, opts node.Options, edit func(*charter.Charter), parties ...nodetest.Party) *fixture {
	t.Helper()
	if len(parties) == 0 {
		parties = nodetest.Default
	}
	dir := t.TempDir()
	f := &fixture{}
	for _, p := range parties {
		f.dirs = append(f.dirs, created(t, dir, p))
	}
	f.nodes, f.line = nodetest.PairWith(t, f.dirs, opts, edit)
	src, victim := f.nodes[0], f.nodes[1]
	keys := loadKeys(t, f.dirs[0])
	if keys.LogVerifierKey() != src.Keys.LogVerifierKey() {
		t.Fatal("keys read from the data directory are not the node's")
	}
	f.h = &hostile{me: src.Me(), line: f.line, keys: keys, victim: victim, src: src,
		sealTo: map[string]hpke.PublicKey{}}
	for _, n := range f.nodes[1:] {
		f.h.sealTo[n.Me()] = hpkeKey(t, n.Keys)
	}
	return f
}

// templates holds one data directory per party, made by node.Init the
// first time a fixture needs the party and copied for every fixture after:
// creating a party (its database schema above all) cost a third of the
// CPU of the hostile tests under the race detector. The copies share the
// party's keys, which no fixture compares with another's. TestMain
// removes the directory.
var templates struct {
	mu   sync.Mutex
	dir  string
	made map[string]string // by party slug: the template directory
}

// created is nodetest.Create by a copy of the party's template.
func created(t *testing.T, dir string, p nodetest.Party) string {
	t.Helper()
	templates.mu.Lock()
	defer templates.mu.Unlock()
	if templates.dir == "" {
		d, err := os.MkdirTemp("", "hotline-node-templates-")
		if err != nil {
			t.Fatal(err)
		}
		templates.dir, templates.made = d, map[string]string{}
	}
	key := p.Slug + "\x00" + p.Name + "\x00" + p.Lang
	src := templates.made[key]
	if src == "" {
		src = nodetest.Create(t, filepath.Join(templates.dir, fmt.Sprint(len(templates.made))), p)
		templates.made[key] = src
	}
	dst := filepath.Join(dir, p.Slug)
	if err := copyDir(dst, src); err != nil {
		t.Fatal(err)
	}
	return dst
}

// copyDir copies the files of a flat directory with their modes: the
// node refuses a key file others can read.
func copyDir(dst, src string) error {
	if err := os.Mkdir(dst, 0o700); err != nil {
		return err
	}
	files, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, f := range files {
		info, err := f.Info()
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return fmt.Errorf("%s: not a regular file", f.Name())
		}
		b, err := os.ReadFile(filepath.Join(src, f.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, f.Name()), b, info.Mode().Perm()); err != nil {
			return err
		}
	}
	return nil
}

// write has the hostile party's real node write messages to its log (the
// node is not started: nothing leaves it) and returns its log.
func (f *fixture) write(t *testing.T, texts ...string) []wire.Entry {
	t.Helper()
	for _, s := range texts {
		if _, err := f.h.src.Send(context.Background(), node.SendRequest{Line: f.line, Text: s}); err != nil {
			t.Fatal(err)
		}
	}
	return f.h.entries(t)
}

// held is how much of author's log n holds.
func held(t testing.TB, n *node.Node, line, author string) uint64 {
	t.Helper()
	st, err := n.Status(line)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range st.Parties {
		if p.Party == author {
			return p.LogSize
		}
	}
	t.Fatalf("no party %s on line", author)
	return 0
}

// accept sends b and requires that the victim takes it and cosigns the
// hostile party's log up to size.
func (f *fixture) accept(t *testing.T, b *wire.Bundle, size uint64) *wire.Bundle {
	t.Helper()
	reply, err := f.h.send(b)
	if err != nil {
		t.Fatalf("legitimate bundle refused: %v", err)
	}
	if got := held(t, f.h.victim, f.line, f.h.me); got != size {
		t.Fatalf("victim holds %d entries of %s, want %d", got, f.h.me, size)
	}
	f.checkCosig(t, reply, size)
	return reply
}

// checkCosig verifies that reply carries the victim's cosignature on the
// hostile party's log at size, under the victim's key from the charter.
func (f *fixture) checkCosig(t *testing.T, reply *wire.Bundle, size uint64) {
	t.Helper()
	if reply == nil || len(reply.Cosigs) != 1 {
		t.Fatalf("reply carries no cosignature: %+v", reply)
	}
	c, _, err := f.h.victim.Card()
	if err != nil {
		t.Fatal(err)
	}
	v, err := c.CosignerVerifier()
	if err != nil {
		t.Fatal(err)
	}
	cs, err := tlog.OpenCosignature(reply.Cosigs[0], tlog.Origin(f.line, f.h.me), f.h.victim.Me(), v)
	if err != nil {
		t.Fatalf("victim's cosignature: %v", err)
	}
	if cs.Size != size {
		t.Fatalf("victim cosigned size %d, want %d", cs.Size, size)
	}
}

// refused sends b and requires that the victim refuses it with want, keeps
// it as evidence, and holds exactly what it held before. It returns the
// evidence kept and the error.
func (f *fixture) refused(t *testing.T, b *wire.Bundle, want error) (store.Evidence, error) {
	t.Helper()
	victim, me := f.h.victim, f.h.me
	before := held(t, victim, f.line, me)
	reply, err := f.h.send(b)
	if !errors.Is(err, want) {
		t.Fatalf("got error %v, want %v", err, want)
	}
	t.Logf("refused: %v", err)
	if reply != nil {
		if reply.Error != err.Error() {
			t.Fatalf("reply says %q, want %q", reply.Error, err.Error())
		}
		if reply.From != victim.Me() || reply.Have[me] != before {
			t.Fatalf("reply does not say where the victim stands: from %q, have %v", reply.From, reply.Have)
		}
	}
	ev := waitEvidence(t, victim, me, err)
	// Evidence is the refused bundle, or for a fork the proof anyone can
	// check: the two signed checkpoints with their inclusion proofs.
	if _, perr := wire.Parse(ev.Data); perr != nil {
		if _, verr := transcript.Verify(ev.Data); !errors.Is(err, node.ErrFork) || verr != nil {
			t.Fatalf("evidence is neither a bundle (%v) nor a fork proof (%v)", perr, verr)
		}
	}
	if after := held(t, victim, f.line, me); after != before {
		t.Fatalf("refused bundle changed the log held: %d -> %d", before, after)
	}
	return ev, err
}

// waitEvidence waits for the evidence row that records refusal err of
// input from peer. Evidence is written by the writer, asynchronously.
func waitEvidence(t testing.TB, n *node.Node, peer string, err error) store.Evidence {
	t.Helper()
	var found store.Evidence
	nodetest.Wait(t, 10*time.Second, "evidence of: "+err.Error(), func() bool {
		list, lerr := n.Store.EvidenceList(1000)
		if lerr != nil {
			t.Fatal(lerr)
		}
		for _, e := range list {
			if e.Peer == peer && e.Reason == err.Error() && len(e.Data) > 0 {
				found = e
				return true
			}
		}
		return false
	})
	return found
}

func evidenceCount(t testing.TB, n *node.Node) int {
	t.Helper()
	list, err := n.Store.EvidenceList(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

// inbox returns the IDs of the messages n received on line, failing on a
// message shown twice.
func inbox(t testing.TB, n *node.Node, line string) map[string]string {
	t.Helper()
	msgs, err := n.Messages(line, false, 100000)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, m := range msgs {
		if _, dup := ids[m.ID]; dup {
			t.Fatalf("message %s is in the inbox twice", m.ID)
		}
		ids[m.ID] = m.Text
	}
	return ids
}

// lineStillWorks starts every node of the fixture on an in-memory network
// and checks that a legitimate message from each party is delivered and
// cosigned by every other, and that nobody's inbox holds a message twice.
func (f *fixture) lineStillWorks(t *testing.T) {
	t.Helper()
	nodetest.Connect(f.nodes...)
	checkLineWorks(t, f.nodes, f.line)
}

// checkLineWorks has every node send a message and waits until every peer
// holds it and has cosigned every log in full.
func checkLineWorks(t *testing.T, nodes []*node.Node, line string) {
	t.Helper()
	ctx := context.Background()
	sent := map[string]string{} // id -> author
	for _, n := range nodes {
		id, err := n.Send(ctx, node.SendRequest{Line: line, Text: "legitimate traffic from " + n.Me()})
		if err != nil {
			t.Fatalf("%s cannot send: %v", n.Me(), err)
		}
		sent[id] = n.Me()
	}
	nodetest.Wait(t, 30*time.Second, "legitimate messages delivered and cosigned", func() bool {
		for _, n := range nodes {
			size := held(t, n, line, n.Me())
			for _, p := range nodes {
				if p == n {
					continue
				}
				if r, _ := n.Receipt(line, p.Me()); r != size {
					return false
				}
			}
		}
		for id, author := range sent {
			for _, n := range nodes {
				if n.Me() != author {
					if _, err := n.Message(line, id); err != nil {
						return false
					}
				}
			}
		}
		return true
	})
	for _, n := range nodes {
		got := inbox(t, n, line)
		want := 0
		for _, p := range nodes {
			if p != n {
				msgs, err := p.Messages(line, true, 100000)
				if err != nil {
					t.Fatal(err)
				}
				want += len(msgs)
			}
		}
		if len(got) != want {
			t.Fatalf("%s's inbox holds %d messages, its peers wrote %d", n.Me(), len(got), want)
		}
	}
}

// flipSignature corrupts the last byte of the signature on a signed note.
func flipSignature(t testing.TB, note []byte) []byte {
	t.Helper()
	text, sigs, ok := bytes.Cut(note, []byte("\n\n"))
	if !ok {
		t.Fatal("not a note")
	}
	f := strings.Fields(string(sigs))
	raw, err := base64.StdEncoding.DecodeString(f[len(f)-1])
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)-1] ^= 1
	f[len(f)-1] = base64.StdEncoding.EncodeToString(raw)
	return fmt.Appendf(nil, "%s\n\n%s\n", text, strings.Join(f, " "))
}

// epochShare is an attack that sends the first n entries of a log of
// messages "one" and "two" (one epoch, opened by entry 1) with the victim's
// share of entry i edited.
func epochShare(i, n int, edit func(*seal.Share)) func(t *testing.T, f *fixture) *wire.Bundle {
	return func(t *testing.T, f *fixture) *wire.Bundle {
		log := f.write(t, "one", "two")
		env, err := seal.Parse(log[i].Envelope)
		if err != nil {
			t.Fatal(err)
		}
		edit(env.Epochs[f.h.victim.Me()])
		seg := f.h.segment(t, log, 0, uint64(n))
		seg.Entries[i].Envelope = env.Marshal()
		return f.h.bundle(seg)
	}
}

func TestHostileRefusals(t *testing.T) {
	cases := []struct {
		name      string
		want      error
		forkProof bool // the evidence is a fork proof, not the bundle
		// attack prepares the victim if it needs to (by sending legitimate
		// bundles first) and returns the hostile bundle.
		attack func(t *testing.T, f *fixture) *wire.Bundle
	}{
		{"forged checkpoint signature", node.ErrForged, false, func(t *testing.T, f *fixture) *wire.Bundle {
			log := f.write(t, "one", "two")
			seg := f.h.segment(t, log, 0, 3)
			seg.Checkpoint = flipSignature(t, seg.Checkpoint)
			return f.h.bundle(seg)
		}},
		{"checkpoint text changed under a valid signature", node.ErrForged, false, func(t *testing.T, f *fixture) *wire.Bundle {
			log := f.write(t, "one", "two")
			seg := f.h.segment(t, log, 0, 3)
			seg.Checkpoint = bytes.Replace(seg.Checkpoint, []byte("\n3\n"), []byte("\n2\n"), 1)
			seg.Entries = seg.Entries[:2]
			return f.h.bundle(seg)
		}},
		{"checkpoint signed by an unknown key", node.ErrForged, false, func(t *testing.T, f *fixture) *wire.Bundle {
			log := f.write(t, "one", "two")
			// Same name as the party's log key, another key.
			impostor, err := identity.Derive(f.h.me, identity.NewSeed())
			if err != nil {
				t.Fatal(err)
			}
			root, _ := treeOf(log).Root(3)
			cp, err := tlog.Sign(impostor.LogSigner, tlog.Origin(f.line, f.h.me), 3, root)
			if err != nil {
				t.Fatal(err)
			}
			return f.h.bundle(wire.Segment{Author: f.h.me, Checkpoint: cp.Note, Entries: log})
		}},
		{"checkpoint of another line", node.ErrForged, false, func(t *testing.T, f *fixture) *wire.Bundle {
			log := f.write(t, "one")
			root, _ := treeOf(log).Root(2)
			cp, err := tlog.Sign(f.h.keys.LogSigner, tlog.Origin(strings.Repeat("0", 32), f.h.me), 2, root)
			if err != nil {
				t.Fatal(err)
			}
			return f.h.bundle(wire.Segment{Author: f.h.me, Checkpoint: cp.Note, Entries: log})
		}},
		{"fork: another entry at an index already accepted", node.ErrFork, true, func(t *testing.T, f *fixture) *wire.Bundle {
			log := f.write(t, "one", "two")
			f.accept(t, f.h.bundle(f.h.segment(t, log, 0, 3)), 3)
			forked := slices.Clone(log)
			forked[2] = f.h.message(t, 2, "two, rewritten")
			forked = append(forked, f.h.message(t, 3, "three"))
			return f.h.bundle(f.h.segment(t, forked, 2, 4))
		}},
		{"fork: a checkpoint at an accepted size with another root", node.ErrFork, false, func(t *testing.T, f *fixture) *wire.Bundle {
			log := f.write(t, "one", "two")
			f.accept(t, f.h.bundle(f.h.segment(t, log, 0, 3)), 3)
			forked := slices.Clone(log)
			forked[2] = f.h.message(t, 2, "two, rewritten")
			seg := f.h.segment(t, log, 0, 3)
			seg.Checkpoint = f.h.segment(t, forked, 0, 3).Checkpoint
			return f.h.bundle(seg)
		}},
		{"consistency proof that does not verify", node.ErrBadProof, false, func(t *testing.T, f *fixture) *wire.Bundle {
			log := f.write(t, "one", "two", "three", "four")
			f.accept(t, f.h.bundle(f.h.segment(t, log, 0, 2)), 2)
			seg := f.h.segment(t, log, 2, 5)
			if len(seg.Proof) == 0 {
				t.Fatal("no proof to corrupt")
			}
			seg.Proof[0] = bytes.Clone(seg.Proof[0])
			seg.Proof[0][0] ^= 1
			return f.h.bundle(seg)
		}},
		{"consistency proof missing", node.ErrBadProof, false, func(t *testing.T, f *fixture) *wire.Bundle {
			log := f.write(t, "one", "two", "three")
			f.accept(t, f.h.bundle(f.h.segment(t, log, 0, 2)), 2)
			seg := f.h.segment(t, log, 2, 4)
			seg.Proof = nil
			return f.h.bundle(seg)
		}},
		{"consistency proof from another log", node.ErrBadProof, false, func(t *testing.T, f *fixture) *wire.Bundle {
			log := f.write(t, "one", "two", "three")
			f.accept(t, f.h.bundle(f.h.segment(t, log, 0, 2)), 2)
			// A log that shares nothing with the one accepted, signed by
			// the author: extending it would rewrite entry 1.
			other := slices.Clone(log)
			other[1] = f.h.message(t, 1, "rewritten")
			return f.h.bundle(f.h.segment(t, other, 2, 4))
		}},
		{"checkpoint root that does not match the entries", node.ErrRootMismatch, false, func(t *testing.T, f *fixture) *wire.Bundle {
			log := f.write(t, "one", "two", "three")
			f.accept(t, f.h.bundle(f.h.segment(t, log, 0, 2)), 2)
			other := slices.Clone(log)
			other[3] = f.h.message(t, 3, "not what was sent")
			seg := f.h.segment(t, log, 0, 4) // from 0: no proof to check, only the root
			seg.Checkpoint = f.h.segment(t, other, 0, 4).Checkpoint
			return f.h.bundle(seg)
		}},
		{"tampered sealed body", node.ErrBadBody, false, func(t *testing.T, f *fixture) *wire.Bundle {
			log := f.write(t, "one", "two")
			// Reseal another text under the same salt: the ciphertext opens,
			// the commitment in the signed leaf does not match.
			row, err := f.h.src.Store.Entry(f.line, f.h.me, 2)
			if err != nil {
				t.Fatal(err)
			}
			env, err := seal.Seal(f.h.sealTo, seal.Info(f.line, f.h.me), row.Salt, messageBody("two, but different"))
			if err != nil {
				t.Fatal(err)
			}
			seg := f.h.segment(t, log, 0, 3)
			seg.Entries[2].Envelope = env.Marshal()
			return f.h.bundle(seg)
		}},
		{"sealed body with a corrupted ciphertext", node.ErrBadBody, false, func(t *testing.T, f *fixture) *wire.Bundle {
			log := f.write(t, "one")
			env, err := seal.Parse(log[1].Envelope)
			if err != nil {
				t.Fatal(err)
			}
			env.Epochs[f.h.victim.Me()].CT[0] ^= 1
			seg := f.h.segment(t, log, 0, 2)
			seg.Entries[1].Envelope = env.Marshal()
			return f.h.bundle(seg)
		}},
		{"epoch named ahead of its entry", node.ErrBadBody, false, epochShare(2, 3, func(sh *seal.Share) { sh.Epoch = 2 })},
		{"epoch named far ahead", node.ErrBadBody, false, epochShare(2, 3, func(sh *seal.Share) { sh.Epoch = 1 << 62 })},
		{"epoch carried by the charter", node.ErrBadBody, false, epochShare(2, 3, func(sh *seal.Share) { sh.Epoch = 0 })},
		{"epoch encapsulation of the wrong size", node.ErrBadBody, false, epochShare(1, 3, func(sh *seal.Share) { sh.Enc = sh.Enc[:len(sh.Enc)-1] })},
		{"epoch encapsulation on a later entry", node.ErrBadBody, false, epochShare(2, 3, func(sh *seal.Share) { sh.Enc = make([]byte, seal.EncSize) })},
		{"body sealed to nobody on the line", node.ErrBadBody, false, func(t *testing.T, f *fixture) *wire.Bundle {
			f.write(t)
			stranger, _ := identity.Derive("stranger", identity.NewSeed())
			salt, body := newSaltFor(t), messageBody("for someone else")
			e := f.h.craft(t, 1, entry.KindMessage, salt, body, time.Now())
			env, err := seal.Seal(map[string]hpke.PublicKey{"stranger": hpkeKey(t, stranger)}, seal.Info(f.line, f.h.me), salt, body)
			if err != nil {
				t.Fatal(err)
			}
			e.Envelope = env.Marshal()
			log := append(f.h.entries(t), e)
			return f.h.bundle(f.h.segment(t, log, 0, 2))
		}},
		{"cosignature on a checkpoint the victim never signed", node.ErrBadReceipt, false, func(t *testing.T, f *fixture) *wire.Bundle {
			root := sha256.Sum256([]byte("a log the victim never wrote"))
			cp := &tlog.Checkpoint{Origin: tlog.Origin(f.line, f.h.victim.Me()), Size: 1, Root: root[:]}
			cosig, _, err := tlog.Cosign(cp, f.h.keys.CosignSigner)
			if err != nil {
				t.Fatal(err)
			}
			b := f.h.bundle()
			b.Cosigs = [][]byte{cosig}
			return b
		}},
		{"cosignature beyond the victim's log", node.ErrBadReceipt, false, func(t *testing.T, f *fixture) *wire.Bundle {
			root := sha256.Sum256([]byte("the future"))
			cp := &tlog.Checkpoint{Origin: tlog.Origin(f.line, f.h.victim.Me()), Size: 1000, Root: root[:]}
			cosig, _, err := tlog.Cosign(cp, f.h.keys.CosignSigner)
			if err != nil {
				t.Fatal(err)
			}
			b := f.h.bundle()
			b.Cosigs = [][]byte{cosig}
			return b
		}},
		{"cosignature by a key that is not the party's", tlog.ErrBadCosignature, false, func(t *testing.T, f *fixture) *wire.Bundle {
			// The checkpoint is real (the victim's log at size 1); the
			// cosigner key is not the one in the charter.
			impostor, _ := identity.Derive(f.h.me, identity.NewSeed())
			victimLog, err := f.h.victim.Store.Entries(f.line, f.h.victim.Me(), 0, 1)
			if err != nil {
				t.Fatal(err)
			}
			root, _ := treeOf([]wire.Entry{{Leaf: victimLog[0].Leaf}}).Root(1)
			cp := &tlog.Checkpoint{Origin: tlog.Origin(f.line, f.h.victim.Me()), Size: 1, Root: root}
			cosig, _, err := tlog.Cosign(cp, impostor.CosignSigner)
			if err != nil {
				t.Fatal(err)
			}
			b := f.h.bundle()
			b.Cosigs = [][]byte{cosig}
			return b
		}},
		{"a forged cosignature after a valid one", tlog.ErrBadCosignature, false, func(t *testing.T, f *fixture) *wire.Bundle {
			// The receipt is real, then carries a second line by the same
			// key that does not verify: note.Open alone would skip it.
			victimLog, err := f.h.victim.Store.Entries(f.line, f.h.victim.Me(), 0, 1)
			if err != nil {
				t.Fatal(err)
			}
			root, _ := treeOf([]wire.Entry{{Leaf: victimLog[0].Leaf}}).Root(1)
			cp := &tlog.Checkpoint{Origin: tlog.Origin(f.line, f.h.victim.Me()), Size: 1, Root: root}
			cosig, _, err := tlog.Cosign(cp, f.h.keys.CosignSigner)
			if err != nil {
				t.Fatal(err)
			}
			last := cosig[bytes.LastIndexByte(cosig[:len(cosig)-1], '\n')+1:]
			forged := flipSignature(t, append([]byte(cp.Text()+"\n"), last...))
			b := f.h.bundle()
			b.Cosigs = [][]byte{append(cosig, forged[bytes.LastIndexByte(forged[:len(forged)-1], '\n')+1:]...)}
			return b
		}},
		{"a forged checkpoint signature after a valid one", node.ErrForged, false, func(t *testing.T, f *fixture) *wire.Bundle {
			log := f.write(t, "one", "two")
			seg := f.h.segment(t, log, 0, 3)
			forged := flipSignature(t, seg.Checkpoint)
			seg.Checkpoint = append(seg.Checkpoint, forged[bytes.LastIndexByte(forged[:len(forged)-1], '\n')+1:]...)
			return f.h.bundle(seg)
		}},
		{"segment of the victim's own log", node.ErrBadEntry, false, func(t *testing.T, f *fixture) *wire.Bundle {
			log := f.write(t, "one")
			seg := f.h.segment(t, log, 0, 2)
			seg.Author = f.h.victim.Me()
			return f.h.bundle(seg)
		}},
		{"segment of a party not on the line", node.ErrBadEntry, false, func(t *testing.T, f *fixture) *wire.Bundle {
			log := f.write(t, "one")
			seg := f.h.segment(t, log, 0, 2)
			seg.Author = "tokyo"
			return f.h.bundle(seg)
		}},
		{"entry that claims another index", node.ErrBadEntry, false, func(t *testing.T, f *fixture) *wire.Bundle {
			log := f.write(t, "one")
			log = append(log, f.h.message(t, 7, "out of place"))
			return f.h.bundle(f.h.segment(t, log, 0, 3))
		}},
		{"message at index 0", node.ErrBadEntry, false, func(t *testing.T, f *fixture) *wire.Bundle {
			log := []wire.Entry{f.h.message(t, 0, "where the charter belongs")}
			return f.h.bundle(f.h.segment(t, log, 0, 1))
		}},
		{"segment that does not end at its checkpoint", node.ErrBadEntry, false, func(t *testing.T, f *fixture) *wire.Bundle {
			log := f.write(t, "one", "two")
			seg := f.h.segment(t, log, 0, 3)
			seg.Entries = seg.Entries[:2]
			return f.h.bundle(seg)
		}},
		{"bundle claiming to come from the victim", node.ErrNotAParty, false, func(t *testing.T, f *fixture) *wire.Bundle {
			log := f.write(t, "one")
			b := f.h.bundle(f.h.segment(t, log, 0, 2))
			b.From = f.h.victim.Me()
			return b
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			b := c.attack(t, f)
			ev, _ := f.refused(t, b, c.want)
			if c.forkProof {
				if _, err := wire.Parse(ev.Data); err == nil {
					t.Fatal("the evidence of a fork is the bundle, not a fork proof")
				}
				if _, err := transcript.Verify(ev.Data); err != nil {
					t.Fatalf("fork proof does not verify: %v", err)
				}
			}
			f.lineStillWorks(t)
		})
	}
}

// TestHostileRefusalKeepsTreeIntact refuses a bundle that made the victim
// append to its in-memory tree before the root check failed, then sends
// the legitimate continuation: it must be accepted at the right size.
func TestHostileRefusalKeepsTreeIntact(t *testing.T) {
	f := newFixture(t)
	log := f.write(t, "one", "two", "three", "four")
	f.accept(t, f.h.bundle(f.h.segment(t, log, 0, 2)), 2)
	bad := f.h.segment(t, log, 0, 5)
	other := slices.Clone(log)
	other[4] = f.h.message(t, 4, "not what was sent")
	bad.Checkpoint = f.h.segment(t, other, 0, 5).Checkpoint
	f.refused(t, f.h.bundle(bad), node.ErrRootMismatch)
	// The next legitimate segment starts where the victim says it stands,
	// with a proof from there: the victim's tree must be exactly size 2.
	f.accept(t, f.h.bundle(f.h.segment(t, log, 2, 5)), 5)
	if got := len(inbox(t, f.h.victim, f.line)); got != 4 {
		t.Fatalf("inbox holds %d messages, want 4", got)
	}
	f.lineStillWorks(t)
}

// TestHostileReplay sends the same entries again and again, in order, out
// of order and concurrently: nothing is doubled and nothing is refused.
func TestHostileReplay(t *testing.T) {
	f := newFixture(t)
	victim := f.h.victim
	log := f.write(t, "one", "two", "three")
	first := f.h.bundle(f.h.segment(t, log, 0, 4))
	f.accept(t, first, 4)
	want := inbox(t, victim, f.line)
	if len(want) != 3 {
		t.Fatalf("inbox holds %d messages, want 3", len(want))
	}

	// The very same bytes again.
	reply := f.accept(t, first, 4)
	if reply.Error != "" {
		t.Fatalf("replay answered with an error: %s", reply.Error)
	}
	// An older, shorter segment.
	f.accept(t, f.h.bundle(f.h.segment(t, log, 0, 2)), 4)
	// A middle piece with its proof.
	f.accept(t, f.h.bundle(f.h.segment(t, log, 1, 3)), 4)
	// Many routes delivering the same bundle at once.
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			if _, err := f.h.send(first); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent replay refused: %v", err)
	}
	// One bundle carrying the same segment twice.
	f.accept(t, f.h.bundle(f.h.segment(t, log, 0, 4), f.h.segment(t, log, 0, 4)), 4)

	// New entries and their replays, concurrently.
	log = f.write(t, "four", "five")
	next := f.h.bundle(f.h.segment(t, log, 4, 6))
	for range 8 {
		wg.Go(func() {
			if _, err := f.h.send(next); err != nil {
				t.Errorf("concurrent delivery refused: %v", err)
			}
		})
	}
	wg.Wait()
	if got := held(t, victim, f.line, f.h.me); got != 6 {
		t.Fatalf("victim holds %d, want 6", got)
	}
	f.accept(t, first, 6)
	got := inbox(t, victim, f.line)
	if len(got) != 5 {
		t.Fatalf("inbox holds %d messages after replays, want 5: %v", len(got), got)
	}
	if n := evidenceCount(t, victim); n != 0 {
		t.Fatalf("replays were kept as %d pieces of evidence: a replay is not an attack", n)
	}
	f.lineStillWorks(t)
	if got := len(inbox(t, victim, f.line)); got != 6 {
		t.Fatalf("inbox holds %d messages at the end, want 6", got)
	}
}

// TestHostileConcurrentFork races two signed branches of the same log
// against each other: whichever the victim takes first wins, every copy of
// the other is refused as a fork, and the winner's log goes on.
func TestHostileConcurrentFork(t *testing.T) {
	f := newFixture(t)
	log := f.write(t, "one", "two")
	f.accept(t, f.h.bundle(f.h.segment(t, log, 0, 3)), 3)
	branches := [2][]wire.Entry{
		append(slices.Clone(log), f.h.message(t, 3, "branch a")),
		append(slices.Clone(log), f.h.message(t, 3, "branch b")),
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var ok, forks [2]int
	for i := range 32 {
		br := i % 2
		b := f.h.bundle(f.h.segment(t, branches[br], 3, 4))
		wg.Go(func() {
			_, err := f.h.send(b)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok[br]++
			case errors.Is(err, node.ErrFork):
				forks[br]++
			default:
				t.Errorf("branch %d: %v", br, err)
			}
		})
	}
	wg.Wait()
	win := 0
	if ok[1] > 0 {
		win = 1
	}
	if ok[win] != 16 || forks[win] != 0 || ok[1-win] != 0 || forks[1-win] != 16 {
		t.Fatalf("accepted %v, refused as forks %v: want one branch taken every time, the other never", ok, forks)
	}
	in := inbox(t, f.h.victim, f.line)
	if len(in) != 3 || in["seoul-3"] != fmt.Sprintf("branch %c", 'a'+win) {
		t.Fatalf("inbox after the race: %v", in)
	}
	waitEvidence(t, f.h.victim, f.h.me, fmt.Errorf("%w: entry seoul-3 differs from the one already held", node.ErrFork))
	next := append(branches[win], f.h.message(t, 4, "after the race"))
	f.accept(t, f.h.bundle(f.h.segment(t, next, 4, 5)), 5)
}

// TestHostileImpersonation: on a line of three, an authenticated party
// claims to be another one.
func TestHostileImpersonation(t *testing.T) {
	f := newFixture(t, append(nodetest.Default, nodetest.Party{Slug: "tokyo", Name: "Ministry of Defense, Tokyo", Lang: "ja"})...)
	log := f.write(t, "one")
	b := f.h.bundle(f.h.segment(t, log, 0, 2))
	b.From = "tokyo"
	_, err := f.refused(t, b, node.ErrNotAParty)
	if !strings.Contains(err.Error(), `"tokyo"`) || !strings.Contains(err.Error(), `"seoul"`) {
		t.Fatalf("error does not name both parties: %v", err)
	}
	// Seoul may carry its own log in a bundle it sends as itself.
	f.accept(t, f.h.bundle(f.h.segment(t, log, 0, 2)), 2)
	f.lineStillWorks(t)
}

// peersAt is a node's view of the line with the listeners' real addresses.
type peersAt struct {
	*node.Node
	addr map[string]string
}

func (p peersAt) PeerRoute(line, peer string) (string, ed25519.PublicKey, error) {
	_, key, err := p.Node.PeerRoute(line, peer)
	return p.addr[peer], key, err
}

// serveDirect serves n's direct route on a loopback port.
func serveDirect(t testing.TB, n *node.Node) string {
	t.Helper()
	cert, err := n.Keys.TLSCertificate()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler:           direct.Handler(n, n),
		TLSConfig:         direct.ServerTLS(cert, n),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go srv.Serve(tls.NewListener(ln, srv.TLSConfig))
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// TestHostileOverTLS plays the hostile party over a real mutual-TLS socket
// with its real TLS key, then lets the real nodes talk over the same route.
func TestHostileOverTLS(t *testing.T) {
	f := newFixture(t)
	seoul, beijing := f.nodes[0], f.nodes[1]
	addrs := map[string]string{}
	for _, n := range f.nodes {
		addrs[n.Me()] = serveDirect(t, n)
	}
	cert, err := f.h.keys.TLSCertificate()
	if err != nil {
		t.Fatal(err)
	}
	route := direct.NewClient(cert, peersAt{seoul, addrs})
	t.Cleanup(route.CloseIdle)
	ctx := context.Background()
	exchange := func(b *wire.Bundle) (*wire.Bundle, error) {
		return route.Exchange(ctx, f.line, beijing.Me(), b)
	}

	log := f.write(t, "one", "two")
	forged := f.h.segment(t, log, 0, 3)
	forged.Checkpoint = flipSignature(t, forged.Checkpoint)
	_, err = exchange(f.h.bundle(forged))
	var refused *node.RefusedError
	if !errors.As(err, &refused) || !strings.Contains(err.Error(), node.ErrForged.Error()) {
		t.Fatalf("forged checkpoint over TLS: %v", err)
	}
	t.Logf("forged checkpoint: %v", err)
	waitEvidence(t, beijing, seoul.Me(), errors.New(refused.Msg))

	tampered := f.h.segment(t, log, 0, 3)
	tampered.Entries[1], tampered.Entries[2] = tampered.Entries[2], tampered.Entries[1]
	_, err = exchange(f.h.bundle(tampered))
	if !errors.As(err, &refused) || !strings.Contains(err.Error(), node.ErrBadEntry.Error()) {
		t.Fatalf("swapped entries over TLS: %v", err)
	}
	t.Logf("swapped entries: %v", err)

	lying := f.h.bundle(f.h.segment(t, log, 0, 3))
	lying.From = beijing.Me()
	_, err = exchange(lying)
	if !errors.As(err, &refused) || !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), node.ErrNotAParty.Error()) {
		t.Fatalf("bundle from the wrong party over TLS: %v", err)
	}
	t.Logf("wrong party: %v", err)

	if got := held(t, beijing, f.line, seoul.Me()); got != 0 {
		t.Fatalf("beijing holds %d entries of seoul after refusals", got)
	}
	reply, err := exchange(f.h.bundle(f.h.segment(t, log, 0, 3)))
	if err != nil {
		t.Fatalf("legitimate bundle over TLS: %v", err)
	}
	f.checkCosig(t, reply, 3)

	// The real nodes, over the same sockets.
	for _, n := range f.nodes {
		c, err := n.Keys.TLSCertificate()
		if err != nil {
			t.Fatal(err)
		}
		r := direct.NewClient(c, peersAt{n, addrs})
		t.Cleanup(r.CloseIdle)
		n.Start(r)
	}
	checkLineWorks(t, f.nodes, f.line)
}

// fuzzSeed derives a fixed seed, so every fuzz worker builds the same line.
func fuzzSeed(party string) []byte {
	s := sha256.Sum256([]byte("hotline fuzz " + party))
	return s[:]
}

// fuzzLine builds a line between a real node (beijing, the victim) and a
// hostile seoul whose log is crafted, all from fixed keys, times and salts:
// the line ID, the leaves and the checkpoints are the same in every process.
func fuzzLine(tb testing.TB) (*hostile, []wire.Entry) {
	dir := tb.TempDir()
	const listen = "127.0.0.1:1" // never served
	vdir := filepath.Join(dir, "beijing")
	if err := node.Init(vdir, node.Config{Party: "beijing", Name: "Beijing", Langs: []string{"zh"}, Listen: listen}); err != nil {
		tb.Fatal(err)
	}
	keyFile := filepath.Join(vdir, node.KeyFile)
	os.Remove(keyFile)
	if err := identity.WriteSeed(keyFile, fuzzSeed("beijing")); err != nil {
		tb.Fatal(err)
	}
	victim, err := node.Open(vdir, node.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { victim.Close() })
	keys, err := identity.Derive("seoul", fuzzSeed("seoul"))
	if err != nil {
		tb.Fatal(err)
	}
	scfg := &node.Config{Party: "seoul", Name: "Seoul", Langs: []string{"ko"}, Listen: listen}
	if err := scfg.Validate(); err != nil {
		tb.Fatal(err)
	}
	scard, _, err := node.MakeCard(scfg, keys)
	if err != nil {
		tb.Fatal(err)
	}
	vcard, _, err := victim.Card()
	if err != nil {
		tb.Fatal(err)
	}
	ch := charter.New("fuzz line", time.Unix(1_700_000_000, 0), []*card.Card{scard, vcard})
	ch.Nonce = make([]byte, 16)
	s, err := charter.Sign(ch, nil, keys)
	if err != nil {
		tb.Fatal(err)
	}
	if s, err = charter.Sign(ch, s.Raw, victim.Keys); err != nil {
		tb.Fatal(err)
	}
	if err := victim.Install(context.Background(), s); err != nil {
		tb.Fatal(err)
	}
	h := &hostile{me: "seoul", line: s.ID(), keys: keys, victim: victim,
		sealTo: map[string]hpke.PublicKey{"beijing": hpkeKey(tb, victim.Keys)}}
	salt := func(i int) []byte { s := sha256.Sum256(fmt.Appendf(nil, "salt %d", i)); return s[:] }
	at := time.Unix(1_700_000_100, 0)
	log := []wire.Entry{h.craft(tb, 0, entry.KindCharter, salt(0), s.Raw, at)}
	for i := 1; i < 4; i++ {
		log = append(log, h.craft(tb, uint64(i), entry.KindMessage, salt(i), messageBody(fmt.Sprintf("message %d", i)), at))
	}
	return h, log
}

// FuzzHandleBundle feeds arbitrary bytes through wire.Parse and, when they
// parse, to a node as if its peer had sent them. The node must not panic,
// must answer every bundle, and must still take legitimate traffic.
func FuzzHandleBundle(f *testing.F) {
	h, log := fuzzLine(f)
	victim := h.victim
	ctx := context.Background()
	legit := h.bundle(h.segment(f, log, 0, 2))

	// Seeds: legitimate bundles, and the hostile ones of TestHostileRefusals
	// in miniature.
	f.Add(legit.Marshal())
	f.Add(h.bundle(h.segment(f, log, 0, 4)).Marshal())
	f.Add(h.bundle(h.segment(f, log, 2, 4)).Marshal())
	f.Add(h.bundle(h.segment(f, log, 1, 3), h.segment(f, log, 3, 4)).Marshal())
	forged := h.segment(f, log, 0, 3)
	forged.Checkpoint = flipSignature(f, forged.Checkpoint)
	f.Add(h.bundle(forged).Marshal())
	pull := h.bundle()
	pull.Pull, pull.Have = true, map[string]uint64{"beijing": 0, "seoul": 4}
	f.Add(pull.Marshal())
	root := sha256.Sum256([]byte("never"))
	cosig, _, err := tlog.Cosign(&tlog.Checkpoint{Origin: tlog.Origin(h.line, "beijing"), Size: 1, Root: root[:]}, h.keys.CosignSigner)
	if err != nil {
		f.Fatal(err)
	}
	withCosig := h.bundle()
	withCosig.Cosigs = [][]byte{cosig}
	f.Add(withCosig.Marshal())

	f.Cleanup(func() {
		// After everything the fuzzer threw at it, the next message of
		// the hostile party's log still goes through and is cosigned.
		have := held(f, victim, h.line, "seoul")
		next := append(slices.Clone(log), h.message(f, uint64(len(log)), "after the fuzz"))
		reply, err := victim.HandleBundle(ctx, "seoul", h.bundle(h.segment(f, next, have, uint64(len(next)))))
		if err != nil || len(reply.Cosigs) != 1 {
			f.Errorf("legitimate message refused after fuzzing: %v", err)
		}
	})
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := wire.Parse(data)
		if err != nil {
			if !errors.Is(err, wire.ErrMalformed) {
				t.Fatalf("parse error is not ErrMalformed: %v", err)
			}
			return
		}
		reply, err := victim.HandleBundle(ctx, "seoul", b)
		if reply == nil && err == nil {
			t.Fatal("no reply and no error")
		}
		if reply != nil {
			if err := reply.Validate(); err != nil {
				t.Fatalf("invalid reply: %v", err)
			}
		}
		// The node still takes its peer's legitimate log.
		if _, err := victim.HandleBundle(ctx, "seoul", legit); err != nil {
			t.Fatalf("legitimate bundle refused after %q: %v", data, err)
		}
	})
}
