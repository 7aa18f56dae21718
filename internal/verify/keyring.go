package verify

import (
	"fmt"
	"maps"
	"sync"

	"golang.org/x/mod/sumdb/note"

	"github.com/hotline-line/hotline/internal/card"
	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/identity"
	"github.com/hotline-line/hotline/internal/tlog"
)

// Keyring holds the keys of a line: those of its verified charter, then
// each party's key changes as its log's key entries are taken in (chain.go).
type Keyring struct {
	Line    string
	Charter *charter.Signed
	mu      sync.RWMutex
	recV    map[string]note.Verifier // recovery keys, for parties whose card names one; under mu
	*keys
}

// keys is what key changes replace: a new value for every change, so that
// a check works on one consistent set even while a change is taken in.
type keys struct {
	chain  map[string][]epoch // per party, oldest first
	byName map[string]string  // signed-note key name -> party
	known  note.Verifiers     // every key of the line, retired ones too
}

// OpenCharter verifies a charter note as the one of line and returns its
// keys.
func OpenCharter(raw []byte, line string) (*Keyring, error) {
	c, err := charter.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCharter, err)
	}
	if c.ID() != line {
		return nil, fmt.Errorf("%w: it defines line %s, not %s", ErrCharter, c.ID(), line)
	}
	return NewKeyring(c)
}

// NewKeyring returns the keys of the line a parsed charter defines. The
// charter must be signed by every party.
func NewKeyring(c *charter.Signed) (*Keyring, error) {
	if !c.Complete() {
		return nil, fmt.Errorf("%w: not signed by %v", ErrCharter, c.Missing())
	}
	k := &Keyring{Line: c.ID(), Charter: c, recV: map[string]note.Verifier{}}
	ks := &keys{chain: map[string][]epoch{}, byName: map[string]string{}}
	for i := range c.Parties {
		if err := k.take(ks, &c.Parties[i]); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrCharter, err)
		}
	}
	ks.index()
	k.keys = ks
	return k, nil
}

// take puts the keys of card p into ks, as the party's first epoch.
func (k *Keyring) take(ks *keys, p *card.Card) error {
	lv, err := p.LogVerifier()
	if err != nil {
		return fmt.Errorf("%s's log key: %v", p.Party, err)
	}
	cv, err := p.CosignerVerifier()
	if err != nil {
		return fmt.Errorf("%s's cosigner key: %v", p.Party, err)
	}
	rv, err := p.RecoveryVerifier()
	if err != nil {
		return err
	}
	if rv != nil {
		k.recV[p.Party] = rv
	}
	ks.chain[p.Party] = []epoch{{log: lv, cos: cv, logKey: p.LogKey, cosKey: p.CosignerKey, hpkeKey: p.HPKEKey, tlsKey: p.TLSKey}}
	return nil
}

// AddParty takes in the keys of a party that joined the line after its
// charter, from the card an amendment in force added (package amend says
// which amendments are in force; the keyring only holds keys). Its log is
// checked from then on like any other party's. A party held already is
// left as it is.
func (k *Keyring) AddParty(p *card.Card) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.keys.chain[p.Party] != nil {
		return nil
	}
	if !identity.ValidSlug(p.Party) {
		return fmt.Errorf("%w: %q is not a party's name", ErrPlacement, p.Party)
	}
	ks := &keys{chain: maps.Clone(k.keys.chain), byName: map[string]string{}}
	if err := k.take(ks, p); err != nil {
		return fmt.Errorf("%w: %v", ErrRotation, err)
	}
	ks.index()
	k.keys = ks
	return nil
}

// index fills byName and known from the chains.
func (ks *keys) index() {
	var all []note.Verifier
	for p, eps := range ks.chain {
		for _, e := range eps {
			ks.byName[e.log.Name()], ks.byName[e.cos.Name()] = p, p
			all = append(all, e.log, e.cos)
		}
	}
	ks.known = note.VerifierList(all...)
}

// current returns the keys to check against.
func (k *Keyring) current() *keys {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.keys
}

// Party checks that p is a party of the line.
func (k *Keyring) Party(p string) error {
	if !identity.ValidSlug(p) || k.current().chain[p] == nil {
		return fmt.Errorf("%w: %q is not a party of this line", ErrPlacement, p)
	}
	return nil
}

// Origin is the origin line of party p's log.
func (k *Keyring) Origin(p string) string { return tlog.Origin(k.Line, p) }
