package verify

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hpke"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/identity"
	"github.com/hotline-line/hotline/internal/tlog"
)

// epoch is a party's signing keys while they are in force: checkpoints of
// its log from size from on, and its cosignatures dated from at on, until
// the next epoch begins.
type epoch struct {
	from        uint64    // first checkpoint size these keys sign: 0 for the charter's keys, r+1 for a key entry at r
	index       uint64    // the key entry that made them; 0 for the charter
	at          time.Time // the key entry's time; zero for the charter
	log, cos    note.Verifier
	logKey      string
	cosKey      string
	compromised *time.Time // the key entry declared the keys before it stolen from this time
	// The HPKE and TLS keys: the card's for the charter's epoch, the key
	// entry's if it replaced them (hpke set), else nil (the earlier ones
	// stay in force).
	hpkeKey, tlsKey []byte
	hpke            hpke.PublicKey
}

// epochAt is the epoch in force for a checkpoint of size size: the last
// one that begins at or before it.
func epochAt(eps []epoch, size uint64) int {
	i := 0
	for j, e := range eps {
		if e.from <= size {
			i = j
		}
	}
	return i
}

// Rotation is a key entry whose statement verified against the keys in
// force at its place. [Keyring.Rotate] puts it in force.
type Rotation struct {
	Party  string
	Index  uint64
	Time   time.Time
	Change *entry.KeyChange
	epoch  epoch
}

// KeyEntry checks the body of a key entry (protocol §32): a statement of
// the new keys for this place, signed by the log key in force before the
// entry (or, for a compromise, by the party's recovery key) and by the new
// log key. pending are rotations of the same log not yet in force that
// come before this entry, in log order. It changes nothing.
func (k *Keyring) KeyEntry(l *entry.Leaf, body []byte, pending ...*Rotation) (*Rotation, error) {
	id := l.ID()
	if l.Kind != entry.KindKey {
		return nil, fmt.Errorf("%w: %s is a %s entry, not a key entry", ErrRotation, id, l.Kind)
	}
	if err := k.Party(l.Author); err != nil {
		return nil, err
	}
	c, err := entry.DecodeKeyChange(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrRotation, id, err)
	}
	if err := c.Check(l); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRotation, err)
	}
	lv, err := note.NewVerifier(c.LogKey)
	if err != nil || lv.Name() != identity.LogKeyName(l.Author) {
		return nil, fmt.Errorf("%w: %s: log_key is not an Ed25519 key named %s", ErrRotation, id, identity.LogKeyName(l.Author))
	}
	cv, err := fnote.NewVerifierForCosignatureV1(c.CosignerKey)
	if err != nil || cv.Name() != identity.CosignerKeyName(l.Author) {
		return nil, fmt.Errorf("%w: %s: cosigner_key is not a cosignature/v1 key named %s", ErrRotation, id, identity.CosignerKeyName(l.Author))
	}
	var hk hpke.PublicKey
	if c.HPKEKey != nil {
		if hk, err = identity.KEM().NewPublicKey(c.HPKEKey); err != nil {
			return nil, fmt.Errorf("%w: %s: %w: hpke_key is not an %s key: %v", ErrRotation, id, entry.ErrKeyStatementKey, "ML-KEM-768+X25519", err)
		}
	}
	ks := k.with(pending)
	// A key is never used twice, by this party or another: a retired key
	// brought back would make the entries it signed after retiring valid.
	for p, eps := range ks.chain {
		for _, e := range eps {
			if p == l.Author && e.index == l.Index && e.logKey == c.LogKey {
				continue // this entry again, as in a replayed segment
			}
			if keyPart(e.logKey) == keyPart(c.LogKey) || keyPart(e.cosKey) == keyPart(c.CosignerKey) ||
				c.HPKEKey != nil && (bytes.Equal(e.hpkeKey, c.HPKEKey) || bytes.Equal(e.tlsKey, c.TLSKey)) {
				return nil, fmt.Errorf("%w: %s: the new keys were %s's keys before", ErrRotation, id, p)
			}
		}
	}
	eps := ks.chain[l.Author]
	old := eps[epochAt(eps, l.Index)]
	authority, what := old.log, "the key it replaces"
	if c.Compromised != nil {
		// The old key is presumed stolen: its signature proves nothing.
		k.mu.RLock()
		authority, what = k.recV[l.Author], "the party's recovery key"
		k.mu.RUnlock()
		if authority == nil {
			return nil, fmt.Errorf("%w: %s declares a compromise, but %s's card names no recovery key", ErrRotation, id, l.Author)
		}
		if c.Compromised.After(l.Time) {
			return nil, fmt.Errorf("%w: %s declares a compromise from %s, after the entry's own time", ErrRotation, id, c.Compromised.Format(time.RFC3339))
		}
	}
	n, err := tlog.OpenNote(body, note.VerifierList(authority, lv))
	var bad *note.InvalidSignatureError
	switch {
	case errors.As(err, &bad) && bad.Hash == lv.KeyHash():
		return nil, fmt.Errorf("%w: %s: the signature by the new key does not verify", ErrNewKey, id)
	case errors.As(err, &bad):
		return nil, fmt.Errorf("%w: %s: the signature by %s does not verify", ErrRotation, id, what)
	case err != nil:
		return nil, fmt.Errorf("%w: %s: not signed by %s", ErrRotation, id, what)
	}
	if n.Text != c.Text() {
		return nil, fmt.Errorf("%w: %s: the signed text is not the statement", ErrRotation, id)
	}
	if !tlog.SignedBy(n, authority) {
		return nil, fmt.Errorf("%w: %s: not signed by %s", ErrRotation, id, what)
	}
	if !tlog.SignedBy(n, lv) {
		return nil, fmt.Errorf("%w: %s: not signed by the new key", ErrNewKey, id)
	}
	return &Rotation{Party: l.Author, Index: l.Index, Time: l.Time, Change: c, epoch: epoch{
		from: l.Index + 1, index: l.Index, at: l.Time, log: lv, cos: cv,
		logKey: c.LogKey, cosKey: c.CosignerKey, compromised: c.Compromised,
		hpkeKey: c.HPKEKey, tlsKey: c.TLSKey, hpke: hk,
	}}, nil
}

// keyPart is the key of a verifier key, without its name and hash.
func keyPart(vkey string) string {
	if i := strings.LastIndexByte(vkey, '+'); i >= 0 {
		return vkey[i+1:]
	}
	return vkey
}

// Rotate puts verified rotations in force, in log order. A rotation
// already in force is skipped, so that a replayed segment changes nothing.
func (k *Keyring) Rotate(rs ...*Rotation) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	ks, err := k.keys.plus(rs)
	if err != nil {
		return err
	}
	k.keys = ks
	return nil
}

// with returns the keys with pending rotations in force, or the keys as
// they are.
func (k *Keyring) with(pending []*Rotation) *keys {
	ks := k.current()
	if len(pending) == 0 {
		return ks
	}
	if p, err := ks.plus(pending); err == nil {
		return p
	}
	return ks
}

// plus returns a copy of ks with rs in force.
func (ks *keys) plus(rs []*Rotation) (*keys, error) {
	out := &keys{chain: maps.Clone(ks.chain), byName: map[string]string{}}
	for _, r := range rs {
		eps := out.chain[r.Party]
		if slices.ContainsFunc(eps, func(e epoch) bool { return e.index == r.Index && e.logKey == r.epoch.logKey }) {
			continue // in force already
		}
		last := eps[len(eps)-1]
		if r.epoch.from <= last.from {
			return nil, fmt.Errorf("%w: %s: after the key entry %s", ErrRotation, entry.ID(r.Party, r.Index), entry.ID(r.Party, last.index))
		}
		out.chain[r.Party] = append(slices.Clip(eps), r.epoch)
	}
	out.index()
	return out, nil
}

// LogKeyAt is the verifier key of party's log key in force for a
// checkpoint of its log at size.
func (k *Keyring) LogKeyAt(party string, size uint64) string {
	eps := k.current().chain[party]
	if len(eps) == 0 {
		return ""
	}
	return eps[epochAt(eps, size)].logKey
}

// LastKeyEntry is the index of party's latest key entry in force, 0 if
// its keys are still the charter's.
func (k *Keyring) LastKeyEntry(party string) uint64 {
	eps := k.current().chain[party]
	if len(eps) == 0 {
		return 0
	}
	return eps[len(eps)-1].index
}

// KeyChange is one entry of a party's key history, for reports.
type KeyChange struct {
	Party       string     `json:"party"`
	Index       uint64     `json:"index"` // the key entry; 0 for the charter's keys
	Time        time.Time  `json:"time,omitzero"`
	LogKey      string     `json:"log_key"`
	CosignerKey string     `json:"cosigner_key"`
	Compromised *time.Time `json:"compromised,omitempty"`
}

// History lists every party's keys in force, oldest first, parties in
// charter order.
func (k *Keyring) History() []KeyChange {
	ks := k.current()
	var out []KeyChange
	for _, p := range k.Charter.Parties {
		for _, e := range ks.chain[p.Party] {
			out = append(out, KeyChange{Party: p.Party, Index: e.index, Time: e.at, LogKey: e.logKey, CosignerKey: e.cosKey, Compromised: e.compromised})
		}
	}
	return out
}

// Disputed reports whether the entry at index of party's log, written at
// t, was signed by keys the party later declared stolen from before t: it
// is then not to be trusted as the party's word. by is the key entry that
// disputes it.
func (k *Keyring) Disputed(party string, index uint64, t time.Time) (by uint64, disputed bool) {
	for _, e := range k.current().chain[party] {
		if e.compromised != nil && index < e.index && !t.Before(*e.compromised) {
			return e.index, true
		}
	}
	return 0, false
}

// HPKEKey is the HPKE key the newest key entry of party in force put in
// place, that new bodies to party are sealed to; ok is false while the
// party's HPKE key is still its card's.
func (k *Keyring) HPKEKey(party string) (pk hpke.PublicKey, ok bool) {
	eps := k.current().chain[party]
	for i := len(eps) - 1; i > 0; i-- {
		if eps[i].hpke != nil {
			return eps[i].hpke, true
		}
	}
	return nil, false
}

// TLSKeys are the TLS keys party may present on a direct route: its card's
// and those its key entries in force put in place, but none from before a
// key entry that declared a compromise. A plain rotation keeps the old key
// admitted, so that the party reaches peers that have not taken in its key
// entry yet; a compromise declaration shuts the old keys out.
func (k *Keyring) TLSKeys(party string) []ed25519.PublicKey {
	eps := k.current().chain[party]
	from := 0
	for i, e := range eps {
		if e.compromised != nil {
			from = i
		}
	}
	var out []ed25519.PublicKey
	for _, e := range eps[from:] {
		if e.tlsKey != nil {
			out = append(out, ed25519.PublicKey(e.tlsKey))
		}
	}
	return out
}
