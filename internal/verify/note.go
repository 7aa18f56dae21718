package verify

import (
	"errors"
	"fmt"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/identity"
	"github.com/hotline-line/hotline/internal/tlog"
)

// Checkpoint is a checkpoint of Author's log verified under the line's
// keys, with the other parties' cosignatures it carries.
type Checkpoint struct {
	tlog.Checkpoint
	Author   string
	Cosigned []Cosigned
}

// Cosigned is a verified cosignature found on a checkpoint.
type Cosigned struct {
	Party string    `json:"party"`
	Time  time.Time `json:"time"` // by the cosigner's clock
}

// CosignedBy returns when party p cosigned the checkpoint, if it did.
func (c *Checkpoint) CosignedBy(p string) (time.Time, bool) {
	for _, s := range c.Cosigned {
		if s.Party == p {
			return s.Time, true
		}
	}
	return time.Time{}, false
}

// Checkpoint verifies a signed checkpoint of author's log. Its author's
// signature by the log key in force at its size is required (a key entry
// at r hands over from size r+1 on); every signature by a key of the line
// must verify. pending are verified rotations of author's log not yet in
// force, which the checkpoint covers ([Keyring.KeyEntry]).
func (k *Keyring) Checkpoint(raw []byte, author string, pending ...*Rotation) (*Checkpoint, error) {
	ks := k.with(pending)
	c, n, err := k.open(ks, raw, author)
	if err != nil {
		return nil, err
	}
	eps := ks.chain[author]
	in := epochAt(eps, c.Size)
	if tlog.SignedBy(n, eps[in].log) {
		return c, nil
	}
	for i, e := range eps {
		if tlog.SignedBy(n, e.log) {
			if i < in {
				return nil, fmt.Errorf("%w: log %s: checkpoint of size %d signed by the key that key entry %s retired", ErrRetiredKey, author, c.Size, entry.ID(author, eps[i+1].index))
			}
			return nil, fmt.Errorf("%w: log %s: checkpoint of size %d signed by the key of key entry %s, not yet in force", ErrCheckpoint, author, c.Size, entry.ID(author, e.index))
		}
	}
	return nil, fmt.Errorf("%w: log %s: no valid signature by %s", ErrCheckpoint, author, author)
}

// Receipt verifies a receipt note: a checkpoint of author's log cosigned
// by cosigner (protocol §9.3). The author's signature may be absent; every
// signature by a key of the line must verify.
func (k *Keyring) Receipt(raw []byte, author, cosigner string) (*Checkpoint, error) {
	if err := k.Party(cosigner); err != nil {
		return nil, err
	}
	c, n, err := k.open(k.current(), raw, author)
	if err != nil {
		return nil, err
	}
	if _, ok := c.CosignedBy(cosigner); !ok || cosigner == author {
		for _, s := range n.UnverifiedSigs {
			if s.Name == identity.CosignerKeyName(cosigner) && cosigner != author {
				return nil, fmt.Errorf("%w: log %s: %s's cosignature is by key %08x", ErrUnknownKey, author, cosigner, s.Hash)
			}
		}
		return nil, fmt.Errorf("%w: log %s: no cosignature by %s", ErrReceipt, author, cosigner)
	}
	return c, nil
}

// open opens a note of author's log with every key of the line and reads
// the cosignatures of the other parties, each of which must be by the
// cosigner key in force at its time.
func (k *Keyring) open(ks *keys, raw []byte, author string) (*Checkpoint, *note.Note, error) {
	if err := k.Party(author); err != nil {
		return nil, nil, err
	}
	n, err := tlog.OpenNote(raw, ks.known)
	if err != nil {
		var bad *note.InvalidSignatureError
		if errors.As(err, &bad) {
			p := ks.byName[bad.Name]
			if bad.Name == identity.LogKeyName(author) {
				return nil, nil, fmt.Errorf("%w: log %s: a signature by %s does not verify", ErrCheckpoint, author, author)
			}
			return nil, nil, fmt.Errorf("%w: %s's signature (%s) on a checkpoint of %s's log", ErrReceipt, p, bad.Name, author)
		}
		return nil, nil, fmt.Errorf("%w: log %s: %v", ErrCheckpoint, author, err)
	}
	cp, err := tlog.ParseText(n.Text, k.Origin(author))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: log %s: %v", ErrCheckpoint, author, err)
	}
	cp.Note = raw
	c := &Checkpoint{Checkpoint: *cp, Author: author}
	for _, s := range n.Sigs {
		p := ks.byName[s.Name]
		if p == author || s.Name != identity.CosignerKeyName(p) {
			continue // the author's own keys, or another party's log key: not a receipt
		}
		t, err := fnote.CoSigV1Timestamp(s)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %s's cosignature on a checkpoint of %s's log: %v", ErrReceipt, p, author, err)
		}
		if err := cosignedInForce(ks.chain[p], s, t); err != nil {
			return nil, nil, fmt.Errorf("%s's cosignature on a checkpoint of %s's log: %w", p, author, err)
		}
		if _, dup := c.CosignedBy(p); !dup {
			c.Cosigned = append(c.Cosigned, Cosigned{Party: p, Time: t.UTC()})
		}
	}
	return c, n, nil
}

// cosignedInForce checks that a cosignature dated t is not by a cosigner
// key retired before t. Cosignatures are dated to the second, key entries
// to the millisecond: within the second of a key change both keys count.
// A key that a later key entry put in force counts whatever the date: the
// old key vouched for it, and the party speaks with it now.
func cosignedInForce(eps []epoch, s note.Signature, t time.Time) error {
	for i, e := range eps {
		if s.Hash != e.cos.KeyHash() {
			continue
		}
		if i+1 < len(eps) && t.After(eps[i+1].at.Truncate(time.Second)) {
			return fmt.Errorf("%w: dated %s, by the cosigner key that key entry %d retired", ErrRetiredKey, t.UTC().Format(time.RFC3339), eps[i+1].index)
		}
		return nil
	}
	return fmt.Errorf("%w: by no cosigner key of the party", ErrReceipt)
}
