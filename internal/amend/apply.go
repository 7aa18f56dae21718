package amend

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/hotline-line/hotline/internal/card"
	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/notice"
)

// Apply returns the charter that changes ch make of c, leaving c as it
// is, or ErrInvalidChange saying why they cannot apply. The result keeps
// c's creation time and nonce: a line's ID is its signed charter's, and
// amendments do not change it.
func Apply(c *charter.Charter, ch *entry.Changes) (*charter.Charter, error) {
	if ch == nil {
		return nil, fmt.Errorf("%w: no changes", ErrInvalidChange)
	}
	n := *c
	n.Parties = slices.Clone(c.Parties)
	for i := range n.Parties {
		n.Parties[i].Routes = slices.Clone(n.Parties[i].Routes)
	}
	n.Deadlines = maps.Clone(c.Deadlines)
	n.Relays = slices.Clone(c.Relays)
	n.TwoPerson = slices.Clone(c.TwoPerson)
	fail := func(format string, a ...any) (*charter.Charter, error) {
		return nil, fmt.Errorf("%w: %s", ErrInvalidChange, fmt.Sprintf(format, a...))
	}
	if ch.Name != nil {
		n.Name = *ch.Name
	}
	for _, addr := range ch.RelaysRemove {
		i := slices.IndexFunc(n.Relays, func(r charter.Relay) bool { return r.Addr == addr })
		if i < 0 {
			return fail("relay %s is not one of the line's", addr)
		}
		n.Relays = slices.Delete(n.Relays, i, i+1)
	}
	for _, r := range ch.RelaysAdd {
		if slices.ContainsFunc(n.Relays, func(x charter.Relay) bool { return x.Addr == r.Addr }) {
			return fail("relay %s is already one of the line's", r.Addr)
		}
		n.Relays = append(n.Relays, charter.Relay{Addr: r.Addr, TLSKey: slices.Clone(r.TLSKey)})
	}
	for _, party := range slices.Sorted(maps.Keys(ch.Addrs)) {
		p := n.Party(party)
		if p == nil {
			return fail("%s is not a party of the line", party)
		}
		i := slices.IndexFunc(p.Routes, func(r card.Route) bool { return r.Kind == "direct" })
		if i < 0 {
			p.Routes = append(p.Routes, card.Route{Kind: "direct", Addr: ch.Addrs[party]})
		} else {
			p.Routes[i].Addr = ch.Addrs[party]
		}
	}
	for p, d := range ch.Deadlines {
		n.Deadlines[p] = charter.Deadline{Ack: d.Ack, Reply: d.Reply}
	}
	if r := ch.RollCall; r != nil {
		n.RollCall = nil
		if r.Every != 0 {
			n.RollCall = &charter.RollCallRule{Every: r.Every, Answer: r.Answer}
		}
	}
	if ch.TwoPerson != nil {
		n.TwoPerson = slices.Clone(*ch.TwoPerson)
		if len(n.TwoPerson) == 0 {
			n.TwoPerson = nil
		}
	}
	if ch.LinkTests != nil {
		n.LinkTests = *ch.LinkTests
	}
	if ch.Templates != nil {
		set, err := notice.ParseSet(ch.Templates)
		if err != nil {
			return fail("%v", err)
		}
		if !bytes.Equal(canonical(set), ch.Templates) {
			return fail("templates are not in canonical form")
		}
		n.Templates = set
	}
	if err := applyParties(&n, c, ch); err != nil {
		return nil, err
	}
	if err := n.Validate(); err != nil {
		return fail("%v", err)
	}
	return &n, nil
}

// applyParties adds or removes the party ch names, each hostile case with
// its own error. A slug once used on the line is never given to another
// party: entries, logs and receipts are named by it. Apply sees only the
// charter it changes, so a slug removed in an earlier version is caught
// by the rule (fold), which sees the whole chain.
func applyParties(n, c *charter.Charter, ch *entry.Changes) error {
	if ch.AddParty != nil {
		k, err := card.Parse(ch.AddParty)
		if err != nil {
			return fmt.Errorf("%w: %w: %v", ErrInvalidChange, ErrBadCard, err)
		}
		if c.Party(k.Party) != nil {
			return fmt.Errorf("%w: %w: %s", ErrInvalidChange, ErrPartyPresent, k.Party)
		}
		n.Parties = append(n.Parties, *k)
	}
	if r := ch.RemoveParty; r != "" {
		i := slices.IndexFunc(n.Parties, func(k card.Card) bool { return k.Party == r })
		if i < 0 {
			return fmt.Errorf("%w: %w: %s", ErrInvalidChange, ErrNoSuchParty, r)
		}
		if len(n.Parties) <= 2 {
			return fmt.Errorf("%w: %w (%s would be alone)", ErrInvalidChange, ErrLastParty, n.Parties[1-i].Party)
		}
		n.Parties = slices.Delete(n.Parties, i, i+1)
	}
	return nil
}

// Added returns the card a change adds, or nil.
func Added(ch *entry.Changes) *card.Card {
	if ch == nil || ch.AddParty == nil {
		return nil
	}
	k, err := card.Parse(ch.AddParty)
	if err != nil {
		return nil
	}
	return k
}

// canonical is the one encoding of v inside an amendment body.
func canonical(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// Templates returns the canonical encoding of a set of templates, as a
// proposal carries it.
func Templates(s notice.Set) json.RawMessage { return canonical(s) }
