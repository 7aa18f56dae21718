package verify_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/hotline-line/hotline/internal/card"
	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/identity"
	"github.com/hotline-line/hotline/internal/tlog"
	"github.com/hotline-line/hotline/internal/verify"
)

// nextKeys are party's keys after a rotation: signing, HPKE and TLS.
func nextKeys(t testing.TB, k *identity.Keys, gen string) *identity.Keys {
	t.Helper()
	seed := sha256.Sum256([]byte("verify test seed " + k.Slug + " " + gen))
	n, err := identity.Derive(k.Slug, seed[:])
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// keyLeaf is the leaf of a key entry of author at index, written at t,
// whose body is the signed statement.
func keyLeaf(line, author string, index uint64, t time.Time, body []byte) *entry.Leaf {
	salt := bytes.Repeat([]byte{9}, entry.SaltSize)
	return &entry.Leaf{Line: line, Author: author, Index: index, Kind: entry.KindKey, Time: t, Body: entry.Commit(salt, body)}
}

// rotated is seoul's log of newLine with a key entry at 3, signed by the
// old and the new key, and one message after it.
func rotated(t testing.TB) (*line, *identity.Keys, *verify.Rotation) {
	t.Helper()
	l := newLine(t)
	next := nextKeys(t, l.seoul, "2")
	body, err := entry.NewKeyChange(l.id, 3, next).Sign(l.seoul.LogSigner, next.LogSigner)
	if err != nil {
		t.Fatal(err)
	}
	l.add(t, entry.KindKey, "", body)
	lf, err := l.k.Leaf(l.leaves[3], "seoul", 3)
	if err != nil {
		t.Fatal(err)
	}
	r, err := l.k.KeyEntry(lf, body)
	if err != nil {
		t.Fatal(err)
	}
	l.add(t, entry.KindMessage, entry.Routine, []byte(`{"lang":"en","text":"after"}`))
	return l, next, r
}

func TestKeyEntry(t *testing.T) {
	l := newLine(t)
	next := nextKeys(t, l.seoul, "2")
	stranger := nextKeys(t, l.seoul, "stranger")
	at := created.Add(time.Hour)
	sign := func(c *entry.KeyChange, signers ...note.Signer) []byte {
		b, err := c.Sign(signers...)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	good := entry.NewKeyChange(l.id, 3, next)
	otherIndex := entry.NewKeyChange(l.id, 4, next)
	same := entry.NewKeyChange(l.id, 3, l.seoul)
	since := at.Add(-time.Minute)
	compromised := entry.NewKeyChange(l.id, 3, next)
	compromised.Compromised = &since
	tests := []struct {
		name string
		body []byte
		want error
	}{
		{"signed by the old and the new key", sign(good, l.seoul.LogSigner, next.LogSigner), nil},
		{"not signed by the old key", sign(good, stranger.LogSigner, next.LogSigner), verify.ErrRotation},
		{"signed by the new key alone", sign(good, next.LogSigner), verify.ErrRotation},
		{"signed by another party", sign(good, l.beijing.LogSigner, next.LogSigner), verify.ErrRotation},
		{"not signed by the new key", sign(good, l.seoul.LogSigner), verify.ErrNewKey},
		{"new key's signature forged", append(sign(good, l.seoul.LogSigner), flipped(t, lastLine(sign(good, next.LogSigner)))...), verify.ErrNewKey},
		{"old key's signature forged", append(sign(good, next.LogSigner), flipped(t, lastLine(sign(good, l.seoul.LogSigner)))...), verify.ErrRotation},
		{"about another index", sign(otherIndex, l.seoul.LogSigner, next.LogSigner), verify.ErrRotation},
		{"the key it replaces again", sign(same, l.seoul.LogSigner), verify.ErrRotation},
		{"a compromise, no recovery key in the card", sign(compromised, l.seoul.LogSigner, next.LogSigner), verify.ErrRotation},
		{"text changed under the signatures", bytes.Replace(sign(good, l.seoul.LogSigner, next.LogSigner), []byte(`"index":3`), []byte(`"index":4`), 1), verify.ErrRotation},
		{"garbage", []byte("hello\n"), verify.ErrRotation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := l.k.KeyEntry(keyLeaf(l.id, "seoul", 3, at, tt.body), tt.body)
			wantErr(t, err, tt.want)
			if err == nil && (r.Party != "seoul" || r.Index != 3 || r.Change.LogKey != next.LogVerifierKey()) {
				t.Fatalf("rotation %+v", r)
			}
		})
	}
}

// recoveryLine is a two-party line whose seoul card names a recovery key.
func recoveryLine(t testing.TB) (*verify.Keyring, string, *identity.Keys, note.Signer) {
	t.Helper()
	seoul, beijing := keys(t, "seoul"), keys(t, "beijing")
	skey, vkey, err := identity.NewRecoveryKey("seoul")
	if err != nil {
		t.Fatal(err)
	}
	rec, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	cs := card.New(seoul, "Seoul", []string{"ko"}, nil)
	cs.RecoveryKey = vkey
	c := charter.New("recovery", created, []*card.Card{cs, card.New(beijing, "Beijing", []string{"zh"}, nil)})
	var raw []byte
	for _, k := range []*identity.Keys{seoul, beijing} {
		s, err := charter.Sign(c, raw, k)
		if err != nil {
			t.Fatal(err)
		}
		raw = s.Raw
	}
	s, err := charter.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	k, err := verify.NewKeyring(s)
	if err != nil {
		t.Fatal(err)
	}
	return k, s.ID(), seoul, rec
}

func TestCompromise(t *testing.T) {
	k, id, seoul, rec := recoveryLine(t)
	next := nextKeys(t, seoul, "after theft")
	at := created.Add(48 * time.Hour)
	since := created.Add(24 * time.Hour)
	c := entry.NewKeyChange(id, 10, next)
	c.Compromised = &since
	byThief, _ := c.Sign(seoul.LogSigner, next.LogSigner)
	_, err := k.KeyEntry(keyLeaf(id, "seoul", 10, at, byThief), byThief)
	wantErr(t, err, verify.ErrRotation) // signed by the stolen key
	future := entry.NewKeyChange(id, 10, next)
	later := at.Add(time.Hour)
	future.Compromised = &later
	b, _ := future.Sign(rec, next.LogSigner)
	_, err = k.KeyEntry(keyLeaf(id, "seoul", 10, at, b), b)
	wantErr(t, err, verify.ErrRotation) // a compromise from after its own entry
	b, _ = c.Sign(rec, next.LogSigner)
	r, err := k.KeyEntry(keyLeaf(id, "seoul", 10, at, b), b)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Rotate(r); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		index uint64
		t     time.Time
		want  bool
	}{
		{5, since.Add(-time.Second), false}, // before the theft
		{6, since, true},
		{9, at, true},
		{11, at.Add(time.Minute), false}, // under the new key
	} {
		if by, got := k.Disputed("seoul", tt.index, tt.t); got != tt.want || (got && by != 10) {
			t.Errorf("Disputed(seoul-%d at %s) = %d, %v, want %v", tt.index, tt.t, by, got, tt.want)
		}
	}
	if h := k.History(); len(h) != 3 || h[1].Index != 10 || h[1].Compromised == nil || h[1].LogKey != next.LogVerifierKey() {
		t.Fatalf("history %+v", h)
	}
}

func TestCheckpointAcrossRotation(t *testing.T) {
	l, next, r := rotated(t)
	sign := func(k *identity.Keys, size uint64) []byte {
		root, err := l.tree.Root(size)
		if err != nil {
			t.Fatal(err)
		}
		cp, err := tlog.Sign(k.LogSigner, tlog.Origin(l.id, "seoul"), size, root)
		if err != nil {
			t.Fatal(err)
		}
		return cp.Note
	}
	// Before the key entry is in force, a checkpoint covering it verifies
	// only with the rotation pending.
	_, err := l.k.Checkpoint(sign(next, 5), "seoul")
	wantErr(t, err, verify.ErrCheckpoint)
	if _, err := l.k.Checkpoint(sign(next, 5), "seoul", r); err != nil {
		t.Fatalf("with the rotation pending: %v", err)
	}
	if err := l.k.Rotate(r); err != nil {
		t.Fatal(err)
	}
	if err := l.k.Rotate(r); err != nil {
		t.Fatalf("a rotation taken in twice: %v", err)
	}
	tests := []struct {
		name string
		note []byte
		want error
	}{
		{"old key before the key entry", sign(l.seoul, 3), nil},
		{"old key, size 2", sign(l.seoul, 2), nil},
		{"new key from the key entry on", sign(next, 4), nil},
		{"new key after it", sign(next, 5), nil},
		{"retired key covering the key entry", sign(l.seoul, 4), verify.ErrRetiredKey},
		{"retired key after it", sign(l.seoul, 5), verify.ErrRetiredKey},
		{"new key before its key entry", sign(next, 3), verify.ErrCheckpoint},
		{"retired key beside the new", append(sign(next, 5), lastLine(sign(l.seoul, 5))...), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := l.k.Checkpoint(tt.note, "seoul")
			wantErr(t, err, tt.want)
		})
	}
}

func TestCosignatureAcrossRotation(t *testing.T) {
	l := newLine(t)
	next := nextKeys(t, l.tokyo, "2")
	now := time.Now()
	rotate := func(k *verify.Keyring, at time.Time) {
		body, err := entry.NewKeyChange(l.id, 7, next).Sign(l.tokyo.LogSigner, next.LogSigner)
		if err != nil {
			t.Fatal(err)
		}
		r, err := k.KeyEntry(keyLeaf(l.id, "tokyo", 7, at, body), body)
		if err != nil {
			t.Fatal(err)
		}
		if err := k.Rotate(r); err != nil {
			t.Fatal(err)
		}
	}
	past, err := verify.OpenCharter(l.raw, l.id)
	if err != nil {
		t.Fatal(err)
	}
	rotate(past, now.Add(-time.Hour)) // tokyo rotated an hour ago
	future, err := verify.OpenCharter(l.raw, l.id)
	if err != nil {
		t.Fatal(err)
	}
	rotate(future, now.Add(time.Hour)) // tokyo rotates in an hour
	cp := l.checkpoint(t, 3)
	tests := []struct {
		name string
		k    *verify.Keyring
		note []byte
		want error
	}{
		{"new key after the key change", past, cosign(t, cp, next), nil},
		{"retired key after the key change", past, cosign(t, cp, l.tokyo), verify.ErrRetiredKey},
		{"old key before the key change", future, cosign(t, cp, l.tokyo), nil},
		{"new key dated before the key change", future, cosign(t, cp, next), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.k.Receipt(tt.note, "seoul", "tokyo")
			wantErr(t, err, tt.want)
			_, err = tt.k.Checkpoint(tt.note, "seoul")
			wantErr(t, err, tt.want)
		})
	}
	// A cosignature by keys whose key entry has not arrived is no receipt
	// yet, and no proof of anything against tokyo either; on a checkpoint
	// it is ignored, as any unknown key's.
	unknown := cosign(t, cp, nextKeys(t, l.tokyo, "3"))
	_, err = past.Receipt(unknown, "seoul", "tokyo")
	wantErr(t, err, verify.ErrUnknownKey)
	_, err = past.Checkpoint(unknown, "seoul")
	wantErr(t, err, nil)
}

// TestKeyEntryHPKEAndTLS checks that a key entry puts the party's new HPKE
// and TLS keys in force, that a statement with a malformed or reused HPKE
// or TLS key is refused with its own error, and that a compromise
// declaration shuts the TLS keys before it out.
func TestKeyEntryHPKEAndTLS(t *testing.T) {
	l := newLine(t)
	next := nextKeys(t, l.seoul, "2")
	at := created.Add(time.Hour)
	try := func(c *entry.KeyChange) (*verify.Rotation, error) {
		b, err := c.Sign(l.seoul.LogSigner, next.LogSigner)
		if err != nil {
			t.Fatal(err)
		}
		return l.k.KeyEntry(keyLeaf(l.id, "seoul", 3, at, b), b)
	}
	for name, mut := range map[string]func(c *entry.KeyChange){
		"hpke key of the wrong size": func(c *entry.KeyChange) { c.HPKEKey = c.HPKEKey[:100] },
		"hpke key not a key":         func(c *entry.KeyChange) { c.HPKEKey = bytes.Repeat([]byte{0xff}, entry.HPKEKeySize) },
		"tls key of the wrong size":  func(c *entry.KeyChange) { c.TLSKey = c.TLSKey[:31] },
		"hpke key without tls key":   func(c *entry.KeyChange) { c.TLSKey = nil },
	} {
		t.Run(name, func(t *testing.T) {
			c := entry.NewKeyChange(l.id, 3, next)
			mut(c)
			_, err := try(c)
			wantErr(t, err, verify.ErrRotation)
			if !errors.Is(err, entry.ErrKeyStatementKey) {
				t.Fatalf("got %v, want ErrKeyStatementKey", err)
			}
		})
	}
	t.Run("hpke key of another party", func(t *testing.T) {
		c := entry.NewKeyChange(l.id, 3, next)
		c.HPKEKey = l.beijing.HPKEPublicKey()
		_, err := try(c)
		wantErr(t, err, verify.ErrRotation)
	})

	if _, ok := l.k.HPKEKey("seoul"); ok {
		t.Fatal("an HPKE key in force before any key entry")
	}
	if got := l.k.TLSKeys("seoul"); len(got) != 1 || !got[0].Equal(l.seoul.TLSPublicKey()) {
		t.Fatalf("TLS keys before the rotation: %x", got)
	}
	r, err := try(entry.NewKeyChange(l.id, 3, next))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.k.Rotate(r); err != nil {
		t.Fatal(err)
	}
	if pk, ok := l.k.HPKEKey("seoul"); !ok || !bytes.Equal(pk.Bytes(), next.HPKEPublicKey()) {
		t.Fatal("the new HPKE key is not in force after the key entry")
	}
	// A plain rotation keeps the old TLS key admitted, for peers that have
	// not taken the key entry in yet to be reached.
	if got := l.k.TLSKeys("seoul"); len(got) != 2 || !got[1].Equal(next.TLSPublicKey()) {
		t.Fatalf("TLS keys after the rotation: %x", got)
	}

	k, id, seoul, rec := recoveryLine(t)
	after := nextKeys(t, seoul, "after theft")
	since := created.Add(24 * time.Hour)
	c := entry.NewKeyChange(id, 10, after)
	c.Compromised = &since
	b, _ := c.Sign(rec, after.LogSigner)
	r, err = k.KeyEntry(keyLeaf(id, "seoul", 10, created.Add(48*time.Hour), b), b)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Rotate(r); err != nil {
		t.Fatal(err)
	}
	if got := k.TLSKeys("seoul"); len(got) != 1 || !got[0].Equal(after.TLSPublicKey()) {
		t.Fatalf("TLS keys after a compromise: %x, want the new key alone", got)
	}
}
