package transcript

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/identity"
	"github.com/hotline-line/hotline/internal/tlog"
)

// The ways verification fails. Every error returned by the Verify functions
// wraps exactly one of these and names the entry, log or signature at fault.
var (
	ErrCharter    = errors.New("charter does not verify")
	ErrEntry      = errors.New("entry is malformed")
	ErrPlacement  = errors.New("entry is not where it claims to be")
	ErrBody       = errors.New("body does not match the commitment in its entry")
	ErrCheckpoint = errors.New("checkpoint is not signed by its author")
	ErrRoot       = errors.New("entries do not hash to the signed checkpoint")
	ErrReceipt    = errors.New("cosignature does not verify")
	ErrRef        = errors.New("entry refers to a checkpoint that does not match the log it names")
	ErrInclusion  = errors.New("inclusion proof does not verify")
	ErrNotAFork   = errors.New("the two checkpoints do not disagree")
)

// keyring holds the parties' verifiers from a verified charter.
type keyring struct {
	line    string
	charter *charter.Signed
	logV    map[string]note.Verifier
	cosV    map[string]note.Verifier
	byName  map[string]string // signed-note key name -> party
}

func openCharter(raw, line string) (*keyring, error) {
	c, err := charter.Parse([]byte(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCharter, err)
	}
	if !c.Complete() {
		return nil, fmt.Errorf("%w: not signed by %v", ErrCharter, c.Missing())
	}
	if c.ID() != line {
		return nil, fmt.Errorf("%w: it defines line %s, not %s", ErrCharter, c.ID(), line)
	}
	k := &keyring{line: line, charter: c, logV: map[string]note.Verifier{}, cosV: map[string]note.Verifier{}, byName: map[string]string{}}
	for i := range c.Parties {
		p := &c.Parties[i]
		lv, _ := p.LogVerifier() // validated by charter.Parse
		cv, _ := p.CosignerVerifier()
		k.logV[p.Party], k.cosV[p.Party] = lv, cv
		k.byName[lv.Name()], k.byName[cv.Name()] = p.Party, p.Party
	}
	return k, nil
}

// Cosigned is a cosignature found on a checkpoint.
type Cosigned struct {
	Party string    `json:"party"`
	Time  time.Time `json:"time"`
}

// checkpoint verifies a checkpoint of author's log: the author's signature
// is required; the cosignatures of the other parties are verified and
// returned. A signature that fails is an error, whoever made it.
func (k *keyring) checkpoint(raw, author string) (*tlog.Checkpoint, []Cosigned, error) {
	var vs []note.Verifier
	vs = append(vs, k.logV[author])
	for p, v := range k.cosV {
		if p != author {
			vs = append(vs, v)
		}
	}
	n, err := note.Open([]byte(raw), note.VerifierList(vs...))
	if err != nil {
		var inv *note.InvalidSignatureError
		if errors.As(err, &inv) && inv.Name != k.logV[author].Name() {
			return nil, nil, fmt.Errorf("%w: %s's signature on a checkpoint of %s's log", ErrReceipt, k.byName[inv.Name], author)
		}
		return nil, nil, fmt.Errorf("%w: log %s: %v", ErrCheckpoint, author, err)
	}
	cp, err := tlog.Open([]byte(raw), tlog.Origin(k.line, author), k.logV[author])
	if err != nil {
		return nil, nil, fmt.Errorf("%w: log %s: %v", ErrCheckpoint, author, err)
	}
	var cos []Cosigned
	for _, s := range n.Sigs {
		p := k.byName[s.Name]
		if s.Name == k.logV[author].Name() || p == "" {
			continue
		}
		t, err := fnote.CoSigV1Timestamp(s)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %s: %v", ErrReceipt, p, err)
		}
		cos = append(cos, Cosigned{Party: p, Time: t.UTC()})
	}
	return cp, cos, nil
}

// checkEntry verifies one entry of author's log at index: its leaf, its
// place, and its body if present. It returns the parsed leaf.
func (k *keyring) checkEntry(e *Entry, author string, index uint64) (*entry.Leaf, error) {
	id := entry.ID(author, index)
	l, err := entry.Parse([]byte(e.Leaf))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrEntry, id, err)
	}
	if l.Line != k.line || l.Author != author || l.Index != index {
		return nil, fmt.Errorf("%w: the entry at %s says line %s, author %s, index %d", ErrPlacement, id, l.Line, l.Author, l.Index)
	}
	if (index == 0) != (l.Kind == entry.KindCharter) {
		return nil, fmt.Errorf("%w: %s is a %s entry; the charter is entry 0 and only entry 0", ErrPlacement, id, l.Kind)
	}
	if e.Body != nil || e.Salt != nil {
		if !bytes.Equal(entry.Commit(e.Salt, e.Body), l.Body) {
			return nil, fmt.Errorf("%w: %s", ErrBody, id)
		}
		if l.Kind == entry.KindCharter && !bytes.Equal(bytes.TrimSpace(e.Body), bytes.TrimSpace([]byte(k.charter.Raw))) {
			if c, err := charter.Parse(e.Body); err != nil || c.ID() != k.line {
				return nil, fmt.Errorf("%w: %s is not this line's charter", ErrBody, id)
			}
		}
	}
	return l, nil
}

// party checks that p is a party of the line.
func (k *keyring) party(p string) error {
	if !identity.ValidSlug(p) || k.logV[p] == nil {
		return fmt.Errorf("%w: %q is not a party of this line", ErrPlacement, p)
	}
	return nil
}
