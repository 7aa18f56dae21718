package seal

import (
	"bytes"
	"crypto/hpke"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/identity"
)

// TestMessageKeyRevealsOneMessage: the key of one message of an epoch,
// were it disclosed, opens that message and no other message of the same
// epoch, and is neither the epoch's secret nor any other message's key.
func TestMessageKeyRevealsOneMessage(t *testing.T) {
	seed := sha256.Sum256([]byte("seal test seed beijing"))
	bj, err := identity.Derive("beijing", seed[:])
	if err != nil {
		t.Fatal(err)
	}
	pk, err := identity.KEM().NewPublicKey(bj.HPKEPublicKey())
	if err != nil {
		t.Fatal(err)
	}
	const line = "5d0c1f0e9b2a4c8d7e6f5a4b3c2d1e0f"
	s := Sender{Line: line, Author: "seoul"}
	type msg struct{ salt, body, commit, ct []byte }
	var msgs []msg
	for i := range 4 {
		salt := bytes.Repeat([]byte{byte(i + 1)}, entry.SaltSize)
		body := []byte{'m', byte('0' + i)}
		env, err := s.Seal(map[string]hpke.PublicKey{"beijing": pk}, Policy{Messages: 10, Time: time.Hour},
			Slot{Index: uint64(i + 1), LeafHash: []byte{byte(i)}, Now: time.Unix(0, 0), Held: func(j uint64) []byte { return []byte{byte(j - 1)} }},
			salt, body)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, msg{salt, body, entry.Commit(salt, body), env.Epochs["beijing"].CT})
	}
	secret := s.epochs["beijing"].secret
	keys := map[string]bool{string(secret): true}
	for i, m := range msgs {
		k, err := MessageKey(secret, line, "seoul", "beijing", 1, m.commit)
		if err != nil {
			t.Fatal(err)
		}
		if keys[string(k)] {
			t.Fatalf("message %d's key is the epoch secret or another message's key", i)
		}
		keys[string(k)] = true
		for j, other := range msgs {
			pt, err := gcm(k).Open(nil, zeroNonce[:], other.ct, nil)
			if (err == nil) != (i == j) {
				t.Fatalf("message %d's key on message %d: %q, %v", i, j, pt, err)
			}
			if i == j && !bytes.Equal(pt, append(bytes.Clone(m.salt), m.body...)) {
				t.Fatalf("message %d opened as %q", i, pt)
			}
		}
	}
	// An ended epoch leaves nothing in memory: Erase overwrites it.
	s.Erase()
	if !bytes.Equal(secret, make([]byte, len(secret))) || len(s.epochs) != 0 {
		t.Fatal("Erase left the epoch secret in memory")
	}
}
