package verify

import (
	"fmt"

	"golang.org/x/mod/sumdb/note"

	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/identity"
	"github.com/hotline-line/hotline/internal/tlog"
)

// Keyring holds the keys of a line from its verified charter.
type Keyring struct {
	Line    string
	Charter *charter.Signed
	logV    map[string]note.Verifier
	cosV    map[string]note.Verifier
	byName  map[string]string // signed-note key name -> party
	known   note.Verifiers    // every key of the line
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
	k := &Keyring{Line: c.ID(), Charter: c, logV: map[string]note.Verifier{}, cosV: map[string]note.Verifier{}, byName: map[string]string{}}
	var all []note.Verifier
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
		k.logV[p.Party], k.cosV[p.Party] = lv, cv
		k.byName[lv.Name()], k.byName[cv.Name()] = p.Party, p.Party
		all = append(all, lv, cv)
	}
	k.known = note.VerifierList(all...)
	return k, nil
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
