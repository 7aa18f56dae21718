package verify

import (
	"errors"
	"fmt"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

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
// signature is required; every signature by a key of the line must verify.
func (k *Keyring) Checkpoint(raw []byte, author string) (*Checkpoint, error) {
	c, n, err := k.open(raw, author)
	if err != nil {
		return nil, err
	}
	if !tlog.SignedBy(n, k.logV[author]) {
		return nil, fmt.Errorf("%w: log %s: no valid signature by %s", ErrCheckpoint, author, author)
	}
	return c, nil
}

// Receipt verifies a receipt note: a checkpoint of author's log cosigned
// by cosigner (protocol §9.3). The author's signature may be absent; every
// signature by a key of the line must verify.
func (k *Keyring) Receipt(raw []byte, author, cosigner string) (*Checkpoint, error) {
	if err := k.Party(cosigner); err != nil {
		return nil, err
	}
	c, _, err := k.open(raw, author)
	if err != nil {
		return nil, err
	}
	if _, ok := c.CosignedBy(cosigner); !ok || cosigner == author {
		return nil, fmt.Errorf("%w: log %s: no cosignature by %s", ErrReceipt, author, cosigner)
	}
	return c, nil
}

// open opens a note of author's log with every key of the line and reads
// the cosignatures of the other parties.
func (k *Keyring) open(raw []byte, author string) (*Checkpoint, *note.Note, error) {
	if err := k.Party(author); err != nil {
		return nil, nil, err
	}
	n, err := tlog.OpenNote(raw, k.known)
	if err != nil {
		var bad *note.InvalidSignatureError
		if errors.As(err, &bad) {
			p := k.byName[bad.Name]
			if bad.Name == k.logV[author].Name() {
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
		p := k.byName[s.Name]
		if p == author || s.Name != k.cosV[p].Name() {
			continue // the author's own keys, or another party's log key: not a receipt
		}
		t, err := fnote.CoSigV1Timestamp(s)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %s's cosignature on a checkpoint of %s's log: %v", ErrReceipt, p, author, err)
		}
		if _, dup := c.CosignedBy(p); !dup {
			c.Cosigned = append(c.Cosigned, Cosigned{Party: p, Time: t.UTC()})
		}
	}
	return c, n, nil
}
