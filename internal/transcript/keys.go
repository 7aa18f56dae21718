package transcript

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/store"
	"github.com/hotline-line/hotline/internal/verify"
)

// KeysReport is the parties' key history a transcript proves (protocol
// §32), shown when some party changed its signing keys.
type KeysReport struct {
	History []verify.KeyChange `json:"history"`
	// Disputed are the entries signed by keys their party later declared
	// stolen from before the entry's time: proven to be signed by that
	// key, not proven to be the party's word.
	Disputed []DisputedEntry `json:"disputed,omitempty"`
}

// DisputedEntry is an entry under a declared compromise.
type DisputedEntry struct {
	ID      string    `json:"id"`
	Written time.Time `json:"written"`
	By      string    `json:"by"` // the key entry that declared the compromise
}

// followKeys puts in force the key entries of every log, so that the
// checkpoints and receipts after them verify under the keys they name. It
// returns, by log, the first key entry that did not verify: the keys
// before it stay in force, so whatever the new key signed fails after it.
func followKeys(k *verify.Keyring, t *Transcript) map[string]error {
	errs := map[string]error{}
	for i := range t.Logs {
		lg := &t.Logs[i]
		if k.Party(lg.Author) != nil {
			continue
		}
		for j := range lg.Entries {
			e := &lg.Entries[j]
			l, err := k.Leaf([]byte(e.Leaf), lg.Author, uint64(j))
			if err != nil || l.Kind != entry.KindKey {
				continue // a leaf that fails is reported by checkLog
			}
			if e.Body == nil {
				err = fmt.Errorf("%w: %s: the transcript lacks the key entry's statement", verify.ErrRotation, l.ID())
			} else if err = k.Body(l, e.Salt, e.Body); err == nil {
				var r *verify.Rotation
				if r, err = k.KeyEntry(l, e.Body); err == nil {
					err = k.Rotate(r)
				}
			}
			if err != nil {
				errs[lg.Author] = err
				break
			}
		}
	}
	return errs
}

// proveKeys proves every key entry of the line that another party has
// cosigned, with its statement, oldest first per log.
func (s *source) proveKeys() ([]Proven, error) {
	rows, err := s.st.EntriesByKind(s.line, entry.KindKey, 1<<20)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(rows, func(a, b store.Entry) int {
		return cmp.Or(strings.Compare(a.Author, b.Author), cmp.Compare(a.Index, b.Index))
	})
	var out []Proven
	for _, e := range rows {
		p, err := s.prove(e, true)
		if errors.Is(err, ErrNotDelivered) {
			break // nothing after it is proven either
		}
		if err != nil {
			return nil, err
		}
		out = append(out, *p)
	}
	return out, nil
}

// provenKeys checks the key entries a disclosure carries, each log's in
// order, and puts them in force: each statement against the keys before
// it, each inclusion under a checkpoint that may need the keys after it.
func provenKeys(k *verify.Keyring, ps []Proven) error {
	var rs []*verify.Rotation
	for i := range ps {
		p := &ps[i]
		if err := k.Party(p.Author); err != nil {
			return err
		}
		l, err := k.Leaf([]byte(p.Leaf), p.Author, p.Index)
		if err == nil {
			err = k.Body(l, p.Salt, p.Body)
		}
		var r *verify.Rotation
		if err == nil {
			r, err = k.KeyEntry(l, p.Body, rs...)
		}
		if err != nil {
			return fmt.Errorf("key entry %d: %w", i, err)
		}
		rs = append(rs, r)
	}
	for i := range ps {
		if _, _, err := proven(k, &ps[i], rs...); err != nil {
			return fmt.Errorf("key entry %d: %w", i, err)
		}
	}
	return k.Rotate(rs...)
}

// reportKeys adds the key history and the disputed entries to rep.
func reportKeys(rep *Report, k *verify.Keyring, logs []LogAudit) {
	h := k.History()
	if len(h) == len(rep.Parties) {
		return // the charter's keys throughout
	}
	kr := &KeysReport{History: h}
	for i := range logs {
		for _, l := range logs[i].leaves {
			if l == nil {
				continue
			}
			if by, ok := k.Disputed(l.Author, l.Index, l.Time); ok {
				kr.Disputed = append(kr.Disputed, DisputedEntry{ID: l.ID(), Written: l.Time, By: entry.ID(l.Author, by)})
			}
		}
	}
	rep.Keys = kr
}

// writeKeys prints the key history for people.
func (r *Report) writeKeys(w io.Writer) {
	if r.Keys == nil {
		return
	}
	fmt.Fprintln(w, "signing keys:")
	for _, c := range r.Keys.History {
		if c.Index == 0 {
			fmt.Fprintf(w, "  %s: %s (charter)\n", c.Party, c.LogKey)
			continue
		}
		fmt.Fprintf(w, "  %s: %s from %s, written %s", c.Party, c.LogKey, entry.ID(c.Party, c.Index), c.Time.UTC().Format(time.RFC3339))
		if c.Compromised != nil {
			fmt.Fprintf(w, "; the keys before declared COMPROMISED since %s", c.Compromised.UTC().Format(time.RFC3339))
		}
		fmt.Fprintln(w)
	}
	for _, d := range r.Keys.Disputed {
		fmt.Fprintf(w, "DISPUTED: %s, written %s, was signed by keys %s declared stolen by then\n", d.ID, d.Written.UTC().Format(time.RFC3339), d.By)
	}
}
