package seal

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hpke"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
)

// EncSize is the size of an MLKEM768-X25519 encapsulation: the ML-KEM-768
// ciphertext (1088 bytes), then the X25519 ephemeral public key (32).
const EncSize = 1088 + 32

// tagSize is the AES-256-GCM tag: every version 2 ciphertext is the
// plaintext (salt || body) and this.
const tagSize = 16

// Share is one recipient's part of a version 2 envelope.
type Share struct {
	// Epoch is the index, in the author's log, of the entry whose envelope
	// carries this recipient's encapsulation for the epoch: this entry's
	// own index when Enc is set, an earlier one otherwise.
	Epoch uint64 `json:"epoch"`
	Enc   []byte `json:"enc,omitempty"` // only in the entry that opens the epoch
	CT    []byte `json:"ct"`            // AES-256-GCM of salt || body under the message key
}

func (sh *Share) check() error {
	if sh == nil {
		return errors.New("no share")
	}
	if len(sh.Enc) == 0 {
		sh.Enc = nil
	}
	if sh.Enc != nil && len(sh.Enc) != EncSize {
		return fmt.Errorf("%w: %d bytes, want %d", ErrEncSize, len(sh.Enc), EncSize)
	}
	if len(sh.CT) < entry.SaltSize+tagSize {
		return fmt.Errorf("ciphertext of %d bytes is shorter than a salt and a tag", len(sh.CT))
	}
	return nil
}

// Errors of an epoch reference. Each means the author (or whoever altered
// the envelope on its way) sent something no honest node writes: the entry
// is refused, and the author's next segment may carry a sound one.
var (
	// ErrEncSize: an encapsulation that is not EncSize bytes.
	ErrEncSize = errors.New("epoch encapsulation of the wrong size")
	// ErrEpochAhead: an epoch named at or after the entry that names it
	// (only the entry that carries the encapsulation may name itself).
	ErrEpochAhead = errors.New("epoch reference to an entry that is not earlier in the log")
	// ErrEpochMissing: an epoch named at an entry this party does not hold.
	ErrEpochMissing = errors.New("epoch reference to an entry this party does not hold")
	// ErrEpochCarrier: the named entry carries no encapsulation of that
	// epoch for this party.
	ErrEpochCarrier = errors.New("the entry an epoch reference names carries no encapsulation for this party")
)

// Labels of version 2. The HPKE info binds an epoch to its line, author and
// recipient; the exporter label names the epoch secret; the message label
// starts the HKDF info of every message key.
const (
	epochInfoLabel = "hotline epoch v2"
	exportLabel    = "hotline epoch secret"
	messageLabel   = "hotline message key v2"
)

func epochInfo(line, author, recipient string) []byte {
	return []byte(epochInfoLabel + "\x00" + line + "\x00" + author + "\x00" + recipient)
}

// MessageKey derives the AES-256-GCM key of one message from its epoch's
// secret (protocol §7.3; exported for the test vectors). The commitment
// makes it unique to the message (it hashes the message's random salt):
// the key of one message opens that message and tells nothing of the
// epoch secret or of any other message's key, which is why a fixed nonce
// is safe under it.
func MessageKey(secret []byte, line, author, recipient string, epoch uint64, commitment []byte) ([]byte, error) {
	var idx [8]byte
	binary.BigEndian.PutUint64(idx[:], epoch)
	info := messageLabel + "\x00" + line + "\x00" + author + "\x00" + recipient + "\x00" + string(idx[:]) + string(commitment)
	return hkdf.Expand(sha256.New, secret, info, 32)
}

var zeroNonce [12]byte

func gcm(key []byte) cipher.AEAD {
	b, err := aes.NewCipher(key)
	if err != nil {
		panic(err) // a 32-byte key is always valid
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		panic(err)
	}
	return a
}

// Policy says when a sender's epoch ends: after Messages messages or after
// Time, whichever comes first (the charter's key_epoch).
type Policy struct {
	Messages int
	Time     time.Duration
}

// Epoch is a sender's epoch with one recipient: one encapsulation, and the
// secret every message key of the epoch derives from. It lives in memory
// only: a node that restarts opens new epochs.
type Epoch struct {
	carrier  uint64
	leafHash []byte         // the carrier's leaf hash: a rolled-back carrier is not used again
	pk       hpke.PublicKey // the recipient's key the epoch was made for
	pub      []byte         // and its bytes
	started  time.Time
	messages int
	enc      []byte
	secret   []byte
}

// erase overwrites the epoch's secret: once an epoch is over, the messages
// sealed in it cannot be opened from this node's memory.
func (e *Epoch) erase() { clear(e.secret) }

// Sender holds a sender's epochs on one line, one per recipient. It is not
// safe for concurrent use: the node's writer, which gives entries their
// index, is its only user.
type Sender struct {
	Line, Author string
	epochs       map[string]*Epoch
}

// Slot is the place of the entry being sealed in its author's log.
type Slot struct {
	Index    uint64
	LeafHash []byte
	// Held returns the hash of an earlier leaf as the log holds it now, or
	// nil: an epoch whose carrier is no longer there (a transaction rolled
	// back) is not continued.
	Held func(index uint64) []byte
	Now  time.Time
}

// Seal seals salt || body to each recipient under its current epoch, and
// opens a new epoch for a recipient that has none, whose epoch is over by
// the policy, whose key changed, or whose carrier is no longer in the log.
// A new epoch's encapsulation goes in this entry's envelope.
func (s *Sender) Seal(recipients map[string]hpke.PublicKey, p Policy, at Slot, salt, body []byte) (*Envelope, error) {
	if s.epochs == nil {
		s.epochs = map[string]*Epoch{}
	}
	// A recipient no longer sealed to keeps no epoch.
	for r, e := range s.epochs {
		if _, ok := recipients[r]; !ok {
			e.erase()
			delete(s.epochs, r)
		}
	}
	pt := append(append([]byte{}, salt...), body...)
	commitment := entry.Commit(salt, body)
	env := &Envelope{Epochs: make(map[string]*Share, len(recipients))}
	for _, r := range slices.Sorted(maps.Keys(recipients)) {
		pk := recipients[r]
		e := s.epochs[r]
		if e == nil || !s.current(e, pk, p, at) {
			if e != nil {
				e.erase()
			}
			var err error
			if e, err = s.open(r, pk, at); err != nil {
				return nil, fmt.Errorf("open an epoch with %s: %w", r, err)
			}
			s.epochs[r] = e
		}
		key, err := MessageKey(e.secret, s.Line, s.Author, r, e.carrier, commitment)
		if err != nil {
			return nil, err
		}
		sh := &Share{Epoch: e.carrier, CT: gcm(key).Seal(nil, zeroNonce[:], pt, nil)}
		clear(key)
		if e.carrier == at.Index {
			sh.Enc = e.enc
		}
		env.Epochs[r] = sh
		e.messages++
	}
	return env, nil
}

// current reports whether e may seal the entry at at.
func (s *Sender) current(e *Epoch, pk hpke.PublicKey, p Policy, at Slot) bool {
	if e.messages >= p.Messages || !at.Now.Before(e.started.Add(p.Time)) || at.Now.Before(e.started) {
		return false
	}
	if pk != e.pk { // the same key need not be the same value: compare bytes, once
		if !bytes.Equal(e.pub, pk.Bytes()) {
			return false
		}
		e.pk = pk
	}
	if e.carrier == at.Index { // sealed to several times for one entry (a retry)
		return bytes.Equal(e.leafHash, at.LeafHash)
	}
	return e.carrier < at.Index && at.Held != nil && bytes.Equal(at.Held(e.carrier), e.leafHash)
}

func (s *Sender) open(recipient string, pk hpke.PublicKey, at Slot) (*Epoch, error) {
	kdf, aead := suite()
	enc, ctx, err := hpke.NewSender(pk, kdf, aead, epochInfo(s.Line, s.Author, recipient))
	if err != nil {
		return nil, err
	}
	secret, err := ctx.Export(exportLabel, 32)
	if err != nil {
		return nil, err
	}
	return &Epoch{carrier: at.Index, leafHash: bytes.Clone(at.LeafHash), pk: pk, pub: pk.Bytes(),
		started: at.Now, enc: enc, secret: secret}, nil
}

// Erase ends every epoch and overwrites its secret.
func (s *Sender) Erase() {
	for r, e := range s.epochs {
		e.erase()
		delete(s.epochs, r)
	}
}

// Place is where an envelope's entry stands: what a version 2 envelope
// needs to be opened, besides the recipient's key.
type Place struct {
	Line, Author string
	Index        uint64
	Commitment   []byte // the leaf's body commitment
	// Carrier returns the envelope of an earlier entry of the author's
	// log, or an error (ErrEpochMissing if this party does not hold it).
	Carrier func(index uint64) ([]byte, error)
}

// OpenAt returns the salt and body of an envelope of any version for party,
// and checks them against the commitment of its place.
func (e *Envelope) OpenAt(party string, priv hpke.PrivateKey, cache *Epochs, at *Place) (salt, body []byte, err error) {
	if e.Epochs == nil {
		return e.OpenFor(party, priv, Info(at.Line, at.Author), at.Commitment)
	}
	sh, ok := e.Epochs[party]
	if !ok {
		return nil, nil, ErrNoBody
	}
	if sh.Epoch > at.Index || sh.Epoch == at.Index && sh.Enc == nil {
		return nil, nil, fmt.Errorf("%w: entry %d names epoch %d", ErrEpochAhead, at.Index, sh.Epoch)
	}
	if sh.Epoch < at.Index && sh.Enc != nil {
		return nil, nil, fmt.Errorf("%w: entry %d carries an encapsulation for epoch %d", ErrEpochCarrier, at.Index, sh.Epoch)
	}
	id := epochID{at.Line, at.Author, party, sh.Epoch}
	secret := cache.get(id)
	if secret == nil {
		enc := sh.Enc
		if enc == nil {
			if enc, err = carrierEnc(party, sh.Epoch, at); err != nil {
				return nil, nil, err
			}
		}
		if secret, err = OpenEpoch(enc, priv, at.Line, at.Author, party); err != nil {
			return nil, nil, fmt.Errorf("open epoch %d: %w", sh.Epoch, err)
		}
		defer func() {
			if err == nil {
				// Only a secret that opened a body is kept: a forged
				// encapsulation never displaces a sound one.
				cache.put(id, secret)
			}
		}()
	}
	key, err := MessageKey(secret, at.Line, at.Author, party, sh.Epoch, at.Commitment)
	if err != nil {
		return nil, nil, err
	}
	pt, err := gcm(key).Open(nil, zeroNonce[:], sh.CT, nil)
	clear(key)
	if err != nil {
		return nil, nil, fmt.Errorf("open sealed body of epoch %d: %w", sh.Epoch, err)
	}
	return split(pt, at.Commitment)
}

// OpenEpoch decapsulates the secret of an epoch from its encapsulation,
// as recipient (protocol §7.3; exported for the test vectors).
func OpenEpoch(enc []byte, priv hpke.PrivateKey, line, author, recipient string) ([]byte, error) {
	kdf, aead := suite()
	r, err := hpke.NewRecipient(enc, priv, kdf, aead, epochInfo(line, author, recipient))
	if err != nil {
		return nil, err
	}
	return r.Export(exportLabel, 32)
}

// carrierEnc finds this party's encapsulation of epoch in the author's log.
func carrierEnc(party string, epoch uint64, at *Place) ([]byte, error) {
	if at.Carrier == nil {
		return nil, fmt.Errorf("%w: entry %d", ErrEpochMissing, epoch)
	}
	raw, err := at.Carrier(epoch)
	if err != nil {
		if errors.Is(err, ErrEpochMissing) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: entry %d: %v", ErrEpochMissing, epoch, err)
	}
	c, err := Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: entry %d: %v", ErrEpochCarrier, epoch, err)
	}
	sh, ok := c.Epochs[party]
	if !ok || sh.Epoch != epoch || sh.Enc == nil {
		return nil, fmt.Errorf("%w: entry %d", ErrEpochCarrier, epoch)
	}
	return sh.Enc, nil
}
