package amend

import (
	"fmt"

	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
)

// Check says whether the rule takes a new entry cand, given the entries
// acts already held: the error it would be refused with, or nil. A node
// writes only what Check takes, so its own log breaks no rule; an answer
// to an amendment that is no longer waiting for answers is refused too,
// though the rule would only ignore it.
func Check(base *charter.Charter, acts []Act, cand Act) error {
	if cand.Err != nil {
		return cand.Err
	}
	before := Fold(base, acts)
	cur := before.Current().Number
	b := cand.Body
	switch b.Act {
	case entry.AmendPropose:
		if b.Base < cur {
			return fmt.Errorf("%w: it amends version %d, and version %d is in force", ErrStaleBase, b.Base, cur)
		}
		if b.Base > cur {
			return fmt.Errorf("%w: it amends version %d, and version %d is in force", ErrNotInForce, b.Base, cur)
		}
		if _, err := Apply(before.Current().Charter, b.Changes); err != nil {
			return err
		}
	default:
		if a := before.Find(b.Proposal); a != nil && a.State != Proposed && a.Proposer != cand.Author {
			return fmt.Errorf("amendment %s is %s, not waiting for answers", a.ID, a.State)
		}
	}
	after := Fold(base, append(acts[:len(acts):len(acts)], cand))
	for _, r := range after.Refused {
		if r.Entry == cand.ID {
			return r.err
		}
	}
	return nil
}
