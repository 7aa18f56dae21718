package verify

import (
	"fmt"
	"sync"

	"golang.org/x/mod/sumdb/note"

	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/identity"
	"github.com/hotline-line/hotline/internal/tlog"
)

// Keyring holds the keys of a line: those of its verified charter, then
// each party's key changes as its log's key entries are taken in (chain.go).
type Keyring struct {
	Line    string
	Charter *charter.Signed
	logV    map[string]note.Verifier // the charter's log keys: who is a party
	recV    map[string]note.Verifier // recovery keys, for parties whose card names one

	mu sync.RWMutex
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
	k := &Keyring{Line: c.ID(), Charter: c, logV: map[string]note.Verifier{}, recV: map[string]note.Verifier{}}
	ks := &keys{chain: map[string][]epoch{}, byName: map[string]string{}}
	for i := range c.Parties {
		p := &c.Parties[i]
		lv, err := p.LogVerifier()
		if err != nil {
			return nil, fmt.Errorf("%w: %s's log key: %v", ErrCharter, p.Party, err)
		}
		cv, err := p.CosignerVerifier()
		if err != nil {
			return nil, fmt.Errorf("%w: %s's cosigner key: %v", ErrCharter, p.Party, err)
		}
		rv, err := p.RecoveryVerifier()
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrCharter, err)
		}
		if rv != nil {
			k.recV[p.Party] = rv
		}
		k.logV[p.Party] = lv
		ks.chain[p.Party] = []epoch{{log: lv, cos: cv, logKey: p.LogKey, cosKey: p.CosignerKey}}
	}
	ks.index()
	k.keys = ks
	return k, nil
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
	if !identity.ValidSlug(p) || k.logV[p] == nil {
		return fmt.Errorf("%w: %q is not a party of this line", ErrPlacement, p)
	}
	return nil
}

// Origin is the origin line of party p's log.
func (k *Keyring) Origin(p string) string { return tlog.Origin(k.Line, p) }
