package amend

import (
	"fmt"
	"slices"

	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
)

// proposal is an amendment while the rule works on it.
type proposal struct {
	a        *Amendment
	at       key
	accepts  []*Act // acceptances that count, in order
	refused  bool   // a party refused it
	broken   error  // the rule it broke, if any
	decided  bool
	proposed *Act
}

// Fold returns what the amendment entries acts, in any order, make of
// the charter base (version 1).
func Fold(base *charter.Charter, acts []Act) *Chain {
	sorted := slices.Clone(acts)
	slices.SortFunc(sorted, func(a, b Act) int { return keyOf(&a).compare(keyOf(&b)) })
	ch := &Chain{Versions: []Version{{Number: 1, Charter: base}}}
	var refusals []struct {
		k key
		r Refusal
	}
	refuse := func(a *Act, err error) {
		refusals = append(refusals, struct {
			k key
			r Refusal
		}{keyOf(a), Refusal{Entry: a.ID, Author: a.Author, Error: err.Error(), err: err}})
	}

	// The proposals, in order.
	props := map[string]*proposal{}
	var order []*proposal
	for i := range sorted {
		a := &sorted[i]
		if a.Err != nil {
			refuse(a, a.Err)
			continue
		}
		if b := a.Body; b.Act == entry.AmendPropose {
			p := &proposal{at: keyOf(a), proposed: a, a: &Amendment{ID: a.ID, Proposer: a.Author, Officer: b.Officer,
				Reason: b.Reason, Proposed: a.Time.UTC(), Base: b.Base, Changes: b.Changes, State: Proposed}}
			props[a.ID] = p
			order = append(order, p)
		}
	}

	// Each party's first answer to a proposal, and refusals by parties.
	answered := map[string]bool{} // proposal + " " + party
	for i := range sorted {
		a := &sorted[i]
		if a.Err != nil || a.Body.Act == entry.AmendPropose {
			continue
		}
		p := props[a.Body.Proposal]
		switch {
		case p == nil:
			refuse(a, fmt.Errorf("%w: %s", ErrNoSuchAmendment, a.Body.Proposal))
			continue
		case a.Author == p.a.Proposer:
			refuse(a, fmt.Errorf("%w (%s)", ErrOwnAmendment, p.a.ID))
			continue
		case answered[p.a.ID+" "+a.Author]:
			refuse(a, fmt.Errorf("%w (%s)", ErrAnswered, p.a.ID))
			continue
		case a.Author == p.a.Changes.RemoveParty:
			refuse(a, fmt.Errorf("%w (%s)", ErrRemovedAnswers, p.a.ID))
			continue
		case added(p.a.Changes) == a.Author:
			refuse(a, fmt.Errorf("%w (%s): its card is its consent", ErrOwnAmendment, p.a.ID))
			continue
		}
		answered[p.a.ID+" "+a.Author] = true
		ans := Answer{Party: a.Author, Officer: a.Body.Officer, Entry: a.ID, Time: a.Time.UTC(), Reason: a.Body.Reason, Unconfirmed: a.Unconfirmed}
		if a.Body.Act == entry.AmendRefuse {
			p.a.Refused = append(p.a.Refused, ans)
			p.refused = true
			continue
		}
		p.a.Accepted = append(p.a.Accepted, ans)
		p.accepts = append(p.accepts, a)
	}

	// One amendment of each version at a time, per party: what a party
	// proposed or accepted holds that version until a party refuses it.
	// Only refusals by parties free it, so the rule does not depend on
	// itself, and two amendments of one version can never both be
	// accepted by everyone.
	holds := map[string][]*proposal{} // by party
	blocked := map[string]*proposal{} // entry ID -> what it competed with
	for i := range sorted {
		a := &sorted[i]
		if a.Err != nil {
			continue
		}
		var p *proposal
		switch a.Body.Act {
		case entry.AmendPropose:
			p = props[a.ID]
		case entry.AmendAccept:
			if p = props[a.Body.Proposal]; p == nil || !slices.Contains(p.accepts, a) {
				continue
			}
		default:
			continue
		}
		var other *proposal
		for _, q := range holds[a.Author] {
			if q.a.Base == p.a.Base && !q.refused {
				other = q
			}
		}
		if other == nil {
			holds[a.Author] = append(holds[a.Author], p)
			continue
		}
		err := fmt.Errorf("%w (%s, of version %d)", ErrCompeting, other.a.ID, p.a.Base)
		blocked[a.ID] = other
		if a.Body.Act == entry.AmendPropose {
			p.broken = err
		} else {
			p.accepts = slices.DeleteFunc(p.accepts, func(x *Act) bool { return x == a })
		}
		refuse(a, err)
	}

	// The chain: each version's amendment is the one of its base that
	// every party accepted.
	for {
		cur := ch.Current()
		var winner *proposal
		var next *charter.Charter
		var last key
		for _, p := range order {
			if p.decided || p.a.Base != cur.Number || p.refused || p.broken != nil {
				continue
			}
			c, err := Apply(cur.Charter, p.a.Changes)
			if err == nil {
				err = ch.reused(added(p.a.Changes))
			}
			if err != nil {
				p.broken = err
				refuse(p.proposed, err)
				continue
			}
			at, ok := complete(p, cur.Charter)
			if ok && (winner == nil || at.compare(last) < 0) {
				winner, next, last = p, c, at
			}
		}
		if winner == nil {
			break
		}
		since := last.t
		if since.Before(cur.Since) {
			since = cur.Since
		}
		v := Version{Number: cur.Number + 1, Amendment: winner.a.ID, Since: since, Entry: last.id, Charter: next}
		ch.Versions = append(ch.Versions, v)
		winner.decided = true
		winner.a.State, winner.a.Version, winner.a.Since, winner.a.Entry = InForce, v.Number, v.Since, v.Entry
		for _, p := range order {
			if !p.decided && p.a.Base == cur.Number && !p.refused && p.broken == nil {
				p.decided = true
				p.a.State = Superseded
				p.a.Why = fmt.Sprintf("%v: %s made version %d first", ErrStaleBase, winner.a.ID, v.Number)
			}
		}
	}

	// What competed with an amendment that came into force would have
	// been superseded by it anyway: say so, rather than that it competed.
	superseded := func(id string) bool {
		q := blocked[id]
		return q != nil && q.a.State == InForce
	}
	refusals = slices.DeleteFunc(refusals, func(r struct {
		k key
		r Refusal
	}) bool {
		return superseded(r.r.Entry)
	})
	cur := ch.Current()
	for _, p := range order {
		a := p.a
		switch {
		case p.decided:
		case superseded(a.ID):
			a.State, a.Why = Superseded, fmt.Sprintf("%v: %s made version %d first", ErrStaleBase, blocked[a.ID].a.ID, blocked[a.ID].a.Version)
		case p.broken != nil:
			a.State, a.Why = Refused, p.broken.Error()
		case p.refused:
			a.State, a.Why = Refused, fmt.Sprintf("refused by %s", a.Refused[0].Party)
		case a.Base < cur.Number:
			a.State, a.Why = Superseded, fmt.Sprintf("%v: version %d is", ErrStaleBase, cur.Number)
		case a.Base > cur.Number:
			// The proposer acts as if an amendment not every party has
			// accepted were in force.
			err := fmt.Errorf("%w: it amends version %d, and version %d is in force", ErrNotInForce, a.Base, cur.Number)
			a.State, a.Why = Refused, err.Error()
			refuse(p.proposed, err)
		default:
			for _, party := range mustAccept(cur.Charter, a) {
				if !slices.ContainsFunc(a.Accepted, func(x Answer) bool { return x.Party == party && !x.Unconfirmed }) {
					a.Waiting = append(a.Waiting, party)
				}
			}
		}
		ch.Amendments = append(ch.Amendments, *a)
	}
	slices.SortStableFunc(refusals, func(a, b struct {
		k key
		r Refusal
	}) int {
		return a.k.compare(b.k)
	})
	for _, r := range refusals {
		ch.Refused = append(ch.Refused, r.r)
	}
	return ch
}

// complete reports whether every party of c but the proposer has accepted
// p in a way that counts, and the key of its last step.
func complete(p *proposal, c *charter.Charter) (key, bool) {
	last := p.at
	for _, party := range mustAccept(c, p.a) {
		i := slices.IndexFunc(p.accepts, func(a *Act) bool { return a.Author == party && !a.Unconfirmed })
		if i < 0 {
			return key{}, false
		}
		if k := keyOf(p.accepts[i]); k.compare(last) > 0 {
			last = k
		}
	}
	return last, true
}

// mustAccept lists the parties of c whose acceptance puts a in force:
// every party in force but its proposer and, for a removal, the party
// removed (a party may propose its own removal: that is leaving). A party
// added is not asked: its signed card, which the proposal carries, is its
// consent.
func mustAccept(c *charter.Charter, a *Amendment) []string {
	var out []string
	for _, p := range c.Slugs() {
		if p != a.Proposer && p != a.Changes.RemoveParty {
			out = append(out, p)
		}
	}
	return out
}

// added is the slug of the party changes add, or "".
func added(ch *entry.Changes) string {
	if k := Added(ch); k != nil {
		return k.Party
	}
	return ""
}

// reused refuses a party added under a slug an earlier version had: a
// slug names one party, and one log, for the whole life of a line.
func (c *Chain) reused(slug string) error {
	if slug == "" {
		return nil
	}
	for _, v := range c.Versions {
		if v.Charter.Party(slug) != nil {
			return fmt.Errorf("%w: %w: %s", ErrInvalidChange, ErrPartyPresent, slug)
		}
	}
	return nil
}
