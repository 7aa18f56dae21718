package verify_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/identity"
	"github.com/hotline-line/hotline/internal/seal"
	"github.com/hotline-line/hotline/internal/tlog"
	"github.com/hotline-line/hotline/internal/verify"
)

func TestOpenCharter(t *testing.T) {
	l := newLine(t)
	seoul, beijing := keys(t, "seoul"), keys(t, "beijing")
	incomplete := signCharter(t, "half signed", seoul, beijing)
	incomplete = withoutLastLine(incomplete) // beijing's signature dropped
	tests := []struct {
		name string
		raw  []byte
		line string
		want error
	}{
		{"the line's charter", l.raw, l.id, nil},
		{"another line's charter", signCharter(t, "another line", seoul, beijing), l.id, verify.ErrCharter},
		{"not signed by every party", incomplete, l.id, verify.ErrCharter},
		{"title changed under the signatures", bytes.Replace(l.raw, []byte("Seoul"), []byte("Seoux"), 1), l.id, verify.ErrCharter},
		{"garbage", []byte("hello\n"), l.id, verify.ErrCharter},
		{"empty", nil, l.id, verify.ErrCharter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := verify.OpenCharter(tt.raw, tt.line)
			wantErr(t, err, tt.want)
			if err == nil && (k.Line != l.id || len(k.Charter.Parties) != 3) {
				t.Fatalf("keyring of line %s with %d parties", k.Line, len(k.Charter.Parties))
			}
		})
	}
}

func TestLeaf(t *testing.T) {
	l := newLine(t)
	edit := func(i int, from, to string) []byte {
		return bytes.Replace(l.leaves[i], []byte(from), []byte(to), 1)
	}
	charterAt1 := func() []byte {
		lf, err := entry.Parse(l.leaves[1])
		if err != nil {
			t.Fatal(err)
		}
		lf.Kind, lf.Precedence = entry.KindCharter, ""
		return lf.Marshal()
	}
	tests := []struct {
		name   string
		leaf   []byte
		author string
		index  uint64
		want   error
	}{
		{"the charter at 0", l.leaves[0], "seoul", 0, nil},
		{"a message at 1", l.leaves[1], "seoul", 1, nil},
		{"not a leaf", []byte("hello"), "seoul", 1, verify.ErrEntry},
		{"trailing space", edit(1, "\nbody ", "\nbody  "), "seoul", 1, verify.ErrEntry},
		{"unknown precedence", edit(1, "FLASH", "FLASI"), "seoul", 1, verify.ErrEntry},
		{"another line", edit(1, l.id, strings.Repeat("0", 32)), "seoul", 1, verify.ErrPlacement},
		{"another author", l.leaves[1], "beijing", 1, verify.ErrPlacement},
		{"another index", l.leaves[1], "seoul", 2, verify.ErrPlacement},
		{"a message at 0", edit(1, "\nindex 1\n", "\nindex 0\n"), "seoul", 0, verify.ErrPlacement},
		{"a charter at 1", charterAt1(), "seoul", 1, verify.ErrPlacement},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lf, err := l.k.Leaf(tt.leaf, tt.author, tt.index)
			wantErr(t, err, tt.want)
			if err == nil && !bytes.Equal(lf.Marshal(), tt.leaf) {
				t.Fatal("the parsed leaf is not the leaf")
			}
		})
	}
}

func TestBody(t *testing.T) {
	l := newLine(t)
	leaf := func(i int) *entry.Leaf {
		lf, err := l.k.Leaf(l.leaves[i], "seoul", uint64(i))
		if err != nil {
			t.Fatal(err)
		}
		return lf
	}
	// A charter entry that commits to the charter of another line.
	other := signCharter(t, "another line", l.seoul, l.beijing)
	l0 := leaf(0)
	l0.Body = entry.Commit(l.salts[0], other)
	flip := func(b []byte) []byte { b = bytes.Clone(b); b[0] ^= 1; return b }
	tests := []struct {
		name       string
		l          *entry.Leaf
		salt, body []byte
		want       error
	}{
		{"charter", leaf(0), l.salts[0], l.raw, nil},
		{"message", leaf(1), l.salts[1], l.bodies[1], nil},
		{"body changed", leaf(1), l.salts[1], flip(l.bodies[1]), verify.ErrBody},
		{"salt changed", leaf(1), flip(l.salts[1]), l.bodies[1], verify.ErrBody},
		{"another entry's body", leaf(1), l.salts[2], l.bodies[2], verify.ErrBody},
		{"no body", leaf(1), nil, nil, verify.ErrBody},
		{"the charter of another line", l0, l.salts[0], other, verify.ErrPlacement},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, l.k.Body(tt.l, tt.salt, tt.body), tt.want)
		})
	}
}

func TestOpenBody(t *testing.T) {
	l := newLine(t)
	lf, err := l.k.Leaf(l.leaves[1], "seoul", 1)
	if err != nil {
		t.Fatal(err)
	}
	env, err := seal.Parse(l.envelopes[1])
	if err != nil {
		t.Fatal(err)
	}
	corrupt := bytes.Clone(env.Sealed["beijing"])
	corrupt[len(corrupt)-1] ^= 1
	corrupted := (&seal.Envelope{Sealed: map[string][]byte{"beijing": corrupt}}).Marshal()
	tests := []struct {
		name     string
		envelope []byte
		me       *identity.Keys
		want     error
	}{
		{"sealed to beijing", l.envelopes[1], l.beijing, nil},
		{"not sealed to tokyo", l.envelopes[1], l.tokyo, verify.ErrBody},
		{"another entry's envelope", l.envelopes[2], l.beijing, verify.ErrBody},
		{"corrupted ciphertext", corrupted, l.beijing, verify.ErrBody},
		{"not an envelope", []byte("{"), l.beijing, verify.ErrBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			salt, body, err := l.k.OpenBody(lf, tt.envelope, tt.me.Slug, tt.me.HPKEPrivateKey())
			wantErr(t, err, tt.want)
			if err == nil && (!bytes.Equal(salt, l.salts[1]) || !bytes.Equal(body, l.bodies[1])) {
				t.Fatal("opened another body")
			}
		})
	}
}

func TestCheckpoint(t *testing.T) {
	l := newLine(t)
	cp := l.checkpoint(t, 3)
	cosigned := cosign(t, cp, l.beijing)
	impostor, err := identity.Derive("seoul", bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	root, _ := l.tree.Root(3)
	byImpostor, err := tlog.Sign(impostor.LogSigner, tlog.Origin(l.id, "seoul"), 3, root)
	if err != nil {
		t.Fatal(err)
	}
	otherLine, err := tlog.Sign(l.seoul.LogSigner, tlog.Origin(strings.Repeat("0", 32), "seoul"), 3, root)
	if err != nil {
		t.Fatal(err)
	}
	// A witness the line does not know signs too: ignored.
	witness, _ := identity.Derive("witness", bytes.Repeat([]byte{9}, 32))
	tests := []struct {
		name     string
		note     []byte
		author   string
		want     error
		cosigned []string
	}{
		{"signed by its author", cp, "seoul", nil, nil},
		{"cosigned by beijing", cosigned, "seoul", nil, []string{"beijing"}},
		{"cosigned by beijing and tokyo", cosign(t, cosigned, l.tokyo), "seoul", nil, []string{"beijing", "tokyo"}},
		{"cosigned by the author itself", cosign(t, cp, l.seoul), "seoul", nil, nil},
		{"and by a witness", cosign(t, cp, witness), "seoul", nil, nil},
		{"a forged author signature after a valid one", forgeLast(t, cp), "seoul", verify.ErrCheckpoint, nil},
		{"author signature flipped", append(withoutLastLine(cp), flipped(t, lastLine(cp))...), "seoul", verify.ErrCheckpoint, nil},
		{"signed by an impostor under the author's name", byImpostor.Note, "seoul", verify.ErrCheckpoint, nil},
		{"only a cosignature", append(withoutLastLine(cp), lastLine(cosigned)...), "seoul", verify.ErrCheckpoint, nil},
		{"of another line", otherLine.Note, "seoul", verify.ErrCheckpoint, nil},
		{"of another log", cp, "beijing", verify.ErrCheckpoint, nil},
		{"size changed", bytes.Replace(cp, []byte("\n3\n"), []byte("\n2\n"), 1), "seoul", verify.ErrCheckpoint, nil},
		{"not a note", []byte("hello"), "seoul", verify.ErrCheckpoint, nil},
		{"oversize", append(bytes.Clone(cp), bytes.Repeat([]byte("— x AAAAAAAA\n"), tlog.MaxNoteSize/8)...), "seoul", verify.ErrCheckpoint, nil},
		{"a forged cosignature after a valid one", forgeLast(t, cosigned), "seoul", verify.ErrReceipt, nil},
		{"a forged cosignature", append(bytes.Clone(cp), flipped(t, lastLine(cosigned))...), "seoul", verify.ErrReceipt, nil},
		{"a forged signature by another party's log key", append(bytes.Clone(cp), flipped(t, lastLine(l.otherLog(t)))...), "seoul", verify.ErrReceipt, nil},
		{"an author not of the line", cp, "paris", verify.ErrPlacement, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := l.k.Checkpoint(tt.note, tt.author)
			wantErr(t, err, tt.want)
			if err != nil {
				return
			}
			if c.Size != 3 || !bytes.Equal(c.Root, root) || c.Author != "seoul" || !bytes.Equal(c.Note, tt.note) {
				t.Fatalf("checkpoint %+v", c)
			}
			var parties []string
			for _, s := range c.Cosigned {
				parties = append(parties, s.Party)
				if s.Time.IsZero() {
					t.Errorf("%s's cosignature has no time", s.Party)
				}
			}
			if strings.Join(parties, ",") != strings.Join(tt.cosigned, ",") {
				t.Fatalf("cosigned by %v, want %v", parties, tt.cosigned)
			}
		})
	}
}

// otherLog is seoul's checkpoint text signed by beijing's log key as well.
func (l *line) otherLog(t testing.TB) []byte {
	t.Helper()
	root, _ := l.tree.Root(3)
	c, err := tlog.Sign(l.beijing.LogSigner, tlog.Origin(l.id, "seoul"), 3, root)
	if err != nil {
		t.Fatal(err)
	}
	return c.Note
}

func TestReceipt(t *testing.T) {
	l := newLine(t)
	cp := l.checkpoint(t, 2)
	receipt := cosign(t, cp, l.beijing)
	bare := append(withoutLastLine(cp), lastLine(receipt)...) // the cosignature alone
	tests := []struct {
		name     string
		note     []byte
		cosigner string
		want     error
	}{
		{"receipt note", receipt, "beijing", nil},
		{"cosignature alone", bare, "beijing", nil},
		{"by tokyo too", cosign(t, receipt, l.tokyo), "beijing", nil},
		{"a forged cosignature after a valid one", forgeLast(t, receipt), "beijing", verify.ErrReceipt},
		{"a forged cosignature after a valid one, alone", forgeLast(t, bare), "beijing", verify.ErrReceipt},
		{"cosigned by another party", cosign(t, cp, l.tokyo), "beijing", verify.ErrReceipt},
		{"not cosigned", cp, "beijing", verify.ErrReceipt},
		{"by the author itself", cosign(t, cp, l.seoul), "seoul", verify.ErrReceipt},
		{"a forged author signature beside a valid cosignature", append(flipped(t, cp), lastLine(receipt)...), "beijing", verify.ErrCheckpoint},
		{"a cosigner not of the line", receipt, "paris", verify.ErrPlacement},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := l.k.Receipt(tt.note, "seoul", tt.cosigner)
			wantErr(t, err, tt.want)
			if err == nil {
				if _, ok := c.CosignedBy(tt.cosigner); !ok || c.Size != 2 {
					t.Fatalf("receipt %+v", c)
				}
			}
		})
	}
}

func TestProofs(t *testing.T) {
	l := newLine(t)
	c, err := l.k.Checkpoint(l.checkpoint(t, 3), "seoul")
	if err != nil {
		t.Fatal(err)
	}
	changed := &tlog.Tree{}
	changed.Append(l.tree.LeafHash(0), l.tree.LeafHash(2), l.tree.LeafHash(1))
	short := &tlog.Tree{}
	short.Append(l.tree.LeafHash(0), l.tree.LeafHash(1))
	longer := &tlog.Tree{}
	longer.Append(l.tree.LeafHash(0), l.tree.LeafHash(1), l.tree.LeafHash(2), l.tree.LeafHash(0))
	for name, tc := range map[string]struct {
		tree *tlog.Tree
		want error
	}{
		"the log":            {l.tree, nil},
		"and more":           {longer, nil},
		"entries reordered":  {changed, verify.ErrRoot},
		"fewer than it says": {short, verify.ErrRoot},
	} {
		t.Run("match/"+name, func(t *testing.T) { wantErr(t, c.Match(tc.tree), tc.want) })
	}

	root1, _ := l.tree.Root(1)
	proof, err := l.tree.ConsistencyProof(1, 3)
	if err != nil {
		t.Fatal(err)
	}
	bad := [][]byte{bytes.Clone(proof[0])}
	bad[0][0] ^= 1
	bad = append(bad, proof[1:]...)
	for name, tc := range map[string]struct {
		from  uint64
		root  []byte
		proof [][]byte
		want  error
	}{
		"from 1":               {1, root1, proof, nil},
		"from 0, empty":        {0, nil, nil, nil},
		"from 0, with a proof": {0, nil, proof, verify.ErrConsistency},
		"a hash flipped":       {1, root1, bad, verify.ErrConsistency},
		"truncated":            {1, root1, proof[:len(proof)-1], verify.ErrConsistency},
		"from another root":    {1, l.tree.LeafHash(1), proof, verify.ErrConsistency},
		"from beyond":          {4, root1, proof, verify.ErrConsistency},
	} {
		t.Run("consistency/"+name, func(t *testing.T) { wantErr(t, c.Consistency(tc.from, tc.root, tc.proof), tc.want) })
	}

	incl, err := l.tree.InclusionProof(1, 3)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		index uint64
		leaf  []byte
		proof [][]byte
		want  error
	}{
		"entry 1":         {1, l.tree.LeafHash(1), incl, nil},
		"another leaf":    {1, l.tree.LeafHash(2), incl, verify.ErrInclusion},
		"another index":   {2, l.tree.LeafHash(1), incl, verify.ErrInclusion},
		"beyond the size": {3, l.tree.LeafHash(1), incl, verify.ErrInclusion},
		"proof truncated": {1, l.tree.LeafHash(1), incl[:1], verify.ErrInclusion},
	} {
		t.Run("inclusion/"+name, func(t *testing.T) { wantErr(t, c.Inclusion(tc.index, tc.leaf, tc.proof), tc.want) })
	}
}

func TestParty(t *testing.T) {
	l := newLine(t)
	for p, want := range map[string]error{"seoul": nil, "tokyo": nil, "paris": verify.ErrPlacement, "": verify.ErrPlacement, "Seoul": verify.ErrPlacement} {
		wantErr(t, l.k.Party(p), want)
	}
}
