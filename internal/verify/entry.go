package verify

import (
	"bytes"
	"crypto/hpke"
	"fmt"

	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/seal"
)

// Leaf parses the leaf found at index of author's log and checks that it
// says so: this line, this author, this index. The charter is entry 0 and
// only entry 0.
func (k *Keyring) Leaf(raw []byte, author string, index uint64) (*entry.Leaf, error) {
	id := entry.ID(author, index)
	l, err := entry.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrEntry, id, err)
	}
	if l.Line != k.Line || l.Author != author || l.Index != index {
		return nil, fmt.Errorf("%w: the entry at %s says line %s, author %s, index %d", ErrPlacement, id, l.Line, l.Author, l.Index)
	}
	if (index == 0) != (l.Kind == entry.KindCharter) {
		return nil, fmt.Errorf("%w: %s is a %s entry; the charter is entry 0 and only entry 0", ErrPlacement, id, l.Kind)
	}
	return l, nil
}

// Body checks a salt and body against the commitment in their leaf.
func (k *Keyring) Body(l *entry.Leaf, salt, body []byte) error {
	if !bytes.Equal(entry.Commit(salt, body), l.Body) {
		return fmt.Errorf("%w: %s", ErrBody, l.ID())
	}
	return k.charterBody(l, body)
}

// OpenBody opens an entry's envelope for party me and checks the body
// against the leaf's commitment. It opens open and version 1 envelopes;
// one of version 2 whose epoch another entry carries needs OpenBodyAt.
func (k *Keyring) OpenBody(l *entry.Leaf, envelope []byte, me string, priv hpke.PrivateKey) (salt, body []byte, err error) {
	return k.OpenBodyAt(l, envelope, me, priv, nil, nil)
}

// OpenBodyAt is OpenBody for envelopes of any version: epochs remembers
// epoch secrets (nil remembers none) and carrier returns the envelope of
// an earlier entry of the author's log, where an epoch's encapsulation is.
func (k *Keyring) OpenBodyAt(l *entry.Leaf, envelope []byte, me string, priv hpke.PrivateKey, epochs *seal.Epochs, carrier func(index uint64) ([]byte, error)) (salt, body []byte, err error) {
	env, err := seal.Parse(envelope)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %v", ErrBody, l.ID(), err)
	}
	// OpenAt checks the commitment: a body it returns is the author's.
	salt, body, err = env.OpenAt(me, priv, epochs, &seal.Place{Line: k.Line, Author: l.Author, Index: l.Index, Commitment: l.Body, Carrier: carrier})
	if err != nil {
		// seal.ErrNoBody stays visible: whether a body missing for me is
		// an error depends on whether I was a party when it was written.
		return nil, nil, fmt.Errorf("%w: %s: %w", ErrBody, l.ID(), err)
	}
	return salt, body, k.charterBody(l, body)
}

// charterBody checks that a charter entry holds a charter of this line:
// the charter the keyring was made from, or another signing of it.
func (k *Keyring) charterBody(l *entry.Leaf, body []byte) error {
	if l.Kind != entry.KindCharter || bytes.Equal(bytes.TrimSpace(body), bytes.TrimSpace(k.Charter.Raw)) {
		return nil
	}
	if c, err := charter.Parse(body); err != nil || c.ID() != k.Line {
		return fmt.Errorf("%w: %s is not this line's charter", ErrPlacement, l.ID())
	}
	return nil
}
