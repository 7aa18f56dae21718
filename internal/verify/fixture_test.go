package verify_test

import (
	"bytes"
	"crypto/hpke"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/card"
	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/identity"
	"github.com/hotline-line/hotline/internal/seal"
	"github.com/hotline-line/hotline/internal/tlog"
	"github.com/hotline-line/hotline/internal/verify"
)

// sentinels are every error verification may wrap.
var sentinels = []error{
	verify.ErrCharter, verify.ErrEntry, verify.ErrPlacement, verify.ErrBody, verify.ErrCheckpoint,
	verify.ErrRoot, verify.ErrReceipt, verify.ErrConsistency, verify.ErrInclusion, verify.ErrRef, verify.ErrNotAFork,
	verify.ErrRotation, verify.ErrNewKey, verify.ErrRetiredKey, verify.ErrUnknownKey,
}

// wantErr fails unless err wraps want and no other sentinel (want nil:
// unless err is nil).
func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("refused: %v", err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("got %v, want %v", err, want)
	}
	for _, s := range sentinels {
		if s != want && errors.Is(err, s) {
			t.Fatalf("%v also wraps %v", err, s)
		}
	}
}

func keys(t testing.TB, slug string) *identity.Keys {
	t.Helper()
	seed := sha256.Sum256([]byte("verify test seed " + slug))
	k, err := identity.Derive(slug, seed[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// line is a three-party line and seoul's log on it: the charter, then two
// messages sealed to beijing.
type line struct {
	id                    string
	raw                   []byte // the charter note
	seoul, beijing, tokyo *identity.Keys
	k                     *verify.Keyring
	leaves, envelopes     [][]byte
	salts, bodies         [][]byte
	tree                  *tlog.Tree
}

var created = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func signCharter(t testing.TB, title string, ks ...*identity.Keys) []byte {
	t.Helper()
	var cards []*card.Card
	for _, k := range ks {
		cards = append(cards, card.New(k, "Party "+k.Slug, []string{"en"}, []card.Route{{Kind: "direct", Addr: k.Slug + ".example:8443"}}))
	}
	c := charter.New(title, created, cards)
	var raw []byte
	for _, k := range ks {
		s, err := charter.Sign(c, raw, k)
		if err != nil {
			t.Fatal(err)
		}
		raw = s.Raw
	}
	return raw
}

func newLine(t testing.TB) *line {
	t.Helper()
	l := &line{seoul: keys(t, "seoul"), beijing: keys(t, "beijing"), tokyo: keys(t, "tokyo"), tree: &tlog.Tree{}}
	l.raw = signCharter(t, "Seoul–Beijing–Tokyo line", l.seoul, l.beijing, l.tokyo)
	c, err := charter.Parse(l.raw)
	if err != nil {
		t.Fatal(err)
	}
	l.id = c.ID()
	if l.k, err = verify.OpenCharter(l.raw, l.id); err != nil {
		t.Fatal(err)
	}
	l.add(t, entry.KindCharter, "", l.raw)
	for _, text := range []string{"one", "two"} {
		body, _ := json.Marshal(entry.Message{Lang: "en", Text: text})
		l.add(t, entry.KindMessage, entry.Flash, body)
	}
	return l
}

// add appends an entry to seoul's log.
func (l *line) add(t testing.TB, kind entry.Kind, p entry.Precedence, body []byte) {
	t.Helper()
	salt := bytes.Repeat([]byte{byte(len(l.leaves) + 1)}, entry.SaltSize)
	lf := &entry.Leaf{Line: l.id, Author: "seoul", Index: uint64(len(l.leaves)), Kind: kind, Time: created.Add(time.Minute),
		Precedence: p, Body: entry.Commit(salt, body)}
	env := seal.Plain(salt, body)
	if kind != entry.KindCharter {
		pk, err := identity.KEM().NewPublicKey(l.beijing.HPKEPublicKey())
		if err != nil {
			t.Fatal(err)
		}
		if env, err = seal.Seal(map[string]hpke.PublicKey{"beijing": pk}, seal.Info(l.id, "seoul"), salt, body); err != nil {
			t.Fatal(err)
		}
	}
	l.leaves = append(l.leaves, lf.Marshal())
	l.envelopes = append(l.envelopes, env.Marshal())
	l.salts, l.bodies = append(l.salts, salt), append(l.bodies, body)
	l.tree.Append(tlog.HashLeaf(lf.Marshal()))
}

// checkpoint is seoul's signed checkpoint at size.
func (l *line) checkpoint(t testing.TB, size uint64) []byte {
	t.Helper()
	root, err := l.tree.Root(size)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := tlog.Sign(l.seoul.LogSigner, tlog.Origin(l.id, "seoul"), size, root)
	if err != nil {
		t.Fatal(err)
	}
	return cp.Note
}

// cosign appends k's cosignature to a checkpoint note.
func cosign(t testing.TB, note []byte, k *identity.Keys) []byte {
	t.Helper()
	text := string(note[:bytes.Index(note, []byte("\n\n"))+1])
	cp, err := tlog.ParseText(text, text[:strings.IndexByte(text, '\n')])
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := tlog.Cosign(cp, k.CosignSigner)
	if err != nil {
		t.Fatal(err)
	}
	return append(bytes.Clone(note), lastLine(b)...)
}

// lastLine is the last line of a note: its last signature.
func lastLine(b []byte) []byte { return b[bytes.LastIndexByte(b[:len(b)-1], '\n')+1:] }

// forgeLast appends a copy of the note's last signature line with one bit
// of the signature flipped: a second, invalid signature by the same key.
func forgeLast(t testing.TB, note []byte) []byte {
	t.Helper()
	return append(bytes.Clone(note), flipped(t, lastLine(note))...)
}

// flipped returns a signature line with one bit of its signature flipped.
func flipped(t testing.TB, line []byte) []byte {
	t.Helper()
	i := bytes.LastIndexByte(line, ' ')
	raw, err := base64.StdEncoding.DecodeString(string(bytes.TrimSuffix(line[i+1:], []byte("\n"))))
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)-1] ^= 1
	return append(append(bytes.Clone(line[:i+1]), base64.StdEncoding.EncodeToString(raw)...), '\n')
}

// withoutLastLine drops a note's last signature line.
func withoutLastLine(note []byte) []byte { return bytes.Clone(note[:len(note)-len(lastLine(note))]) }
