// Package seal encrypts entry bodies to every other party of a line with
// HPKE (RFC 9180) in base mode: KEM MLKEM768-X25519, KDF HKDF-SHA256, AEAD
// AES-256-GCM.
//
// # Versions
//
// An envelope of version 1 ("sealed") holds, for each recipient, a whole
// single-shot HPKE ciphertext: a 1120-byte encapsulation and the sealed
// body. Version 2 ("epochs") makes one encapsulation per recipient per
// epoch (epoch.go): the entry that opens an epoch carries it, later entries
// name that entry, and each body is sealed under a key derived for that
// message alone from the epoch's exported secret. Both versions open; a
// node seals version 2.
//
// Base mode authenticates nothing; a body's authenticity comes from the body
// commitment in the leaf, which the author's checkpoint signs. A sealed body
// is salt || body, and the receiver checks entry.Commit(salt, body) against
// the leaf before it believes a word of it.
package seal

import (
	"bytes"
	"crypto/hpke"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/hotline-line/hotline/internal/entry"
)

// MaxEnvelopeSize bounds an encoded envelope (64 KiB of text sealed to 64 parties fits).
const MaxEnvelopeSize = 8 << 20

// Envelope carries an entry's body: in the open (only the charter entry,
// which every party already holds) or sealed to each recipient. Exactly one
// field is set; which one is the envelope's version.
type Envelope struct {
	Open   []byte            `json:"open,omitempty"`   // salt || body, unencrypted
	Sealed map[string][]byte `json:"sealed,omitempty"` // version 1: party -> HPKE ciphertext of salt || body
	Epochs map[string]*Share `json:"epochs,omitempty"` // version 2: party -> body sealed under its epoch
}

func suite() (hpke.KDF, hpke.AEAD) { return hpke.HKDFSHA256(), hpke.AES256GCM() }

// Info binds a sealed body to its line and author, so a ciphertext cannot
// be replayed on another line or as another party's words. (Its place in
// the log is bound by the commitment in the leaf, which is why the body can
// be sealed before the entry has an index.)
func Info(line, author string) []byte {
	return []byte("hotline body v1\x00" + line + "\x00" + author)
}

// Seal encrypts salt||body to each recipient.
func Seal(recipients map[string]hpke.PublicKey, info, salt, body []byte) (*Envelope, error) {
	kdf, aead := suite()
	pt := append(append([]byte{}, salt...), body...)
	e := &Envelope{Sealed: make(map[string][]byte, len(recipients))}
	for _, p := range slices.Sorted(maps.Keys(recipients)) {
		ct, err := hpke.Seal(recipients[p], kdf, aead, info, pt)
		if err != nil {
			return nil, fmt.Errorf("seal to %s: %w", p, err)
		}
		e.Sealed[p] = ct
	}
	return e, nil
}

// Plain wraps salt||body in an open envelope.
func Plain(salt, body []byte) *Envelope {
	return &Envelope{Open: append(append([]byte{}, salt...), body...)}
}

// ErrNoBody means the envelope holds nothing this party can open.
var ErrNoBody = errors.New("envelope holds no body for this party")

// ErrCommitment means the opened body does not match the leaf's commitment.
var ErrCommitment = errors.New("body does not match its commitment")

// OpenFor returns the salt and body of an open or version 1 envelope for
// party, and checks them against the commitment from the leaf. A version 2
// envelope needs its place in the log: see [Envelope.OpenAt].
func (e *Envelope) OpenFor(party string, priv hpke.PrivateKey, info, commitment []byte) (salt, body []byte, err error) {
	if e.Epochs != nil {
		return nil, nil, errors.New("a version 2 envelope opens only with its place in the log")
	}
	pt := e.Open
	if pt == nil {
		ct, ok := e.Sealed[party]
		if !ok {
			return nil, nil, ErrNoBody
		}
		kdf, aead := suite()
		if pt, err = hpke.Open(priv, kdf, aead, info, ct); err != nil {
			return nil, nil, fmt.Errorf("open sealed body: %w", err)
		}
	}
	return split(pt, commitment)
}

// split checks a plaintext salt || body against the leaf's commitment.
func split(pt, commitment []byte) (salt, body []byte, err error) {
	if len(pt) < entry.SaltSize {
		return nil, nil, ErrCommitment
	}
	salt, body = pt[:entry.SaltSize], pt[entry.SaltSize:]
	if !bytes.Equal(entry.Commit(salt, body), commitment) {
		return nil, nil, ErrCommitment
	}
	return salt, body, nil
}

// Marshal encodes an envelope.
func (e *Envelope) Marshal() []byte {
	b, err := json.Marshal(e)
	if err != nil {
		panic(err)
	}
	return b
}

// Parse decodes an envelope.
func Parse(b []byte) (*Envelope, error) {
	if len(b) > MaxEnvelopeSize {
		return nil, fmt.Errorf("envelope is %d bytes, limit %d", len(b), MaxEnvelopeSize)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var e Envelope
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("envelope: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("envelope: trailing data")
	}
	// Empty counts as absent, as in Marshal (omitempty), so that an envelope
	// Parse accepts re-encodes to the same envelope.
	if len(e.Open) == 0 {
		e.Open = nil
	}
	if len(e.Sealed) == 0 {
		e.Sealed = nil
	}
	if len(e.Epochs) == 0 {
		e.Epochs = nil
	}
	if n := btoi(e.Open != nil) + btoi(e.Sealed != nil) + btoi(e.Epochs != nil); n != 1 {
		return nil, errors.New("envelope: want exactly one of open, sealed and epochs")
	}
	for p, sh := range e.Epochs {
		if err := sh.check(); err != nil {
			return nil, fmt.Errorf("envelope: epochs of %.40q: %w", p, err)
		}
	}
	return &e, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
