package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hotline-line/hotline/internal/amend"
	"github.com/hotline-line/hotline/internal/atomicfile"
	"github.com/hotline-line/hotline/internal/card"
	"github.com/hotline-line/hotline/internal/charter"
)

// A party added to a line after its charter opens the line from an
// invitation a party in force writes for it: the signed charter (entry 0
// of every log, naming the first parties), and the amendment in force
// that added it with the signed card it carries. The joiner trusts the
// invitation only to know which line to open and whom to reach: the
// parties in force push their logs to it from the start, and the joiner
// verifies them like any peer's logs, the amendments that admitted it
// among them (their envelopes are open, entry.Kind.Open), and takes its
// rules from the chain they make (protocol §33).

// Invite is what a party added by an amendment needs to open the line.
type Invite struct {
	Line      string `json:"line"`
	Charter   []byte `json:"charter"`   // the signed charter note
	Amendment string `json:"amendment"` // the amendment in force that added the party
	Card      []byte `json:"card"`      // the party's signed card, as the amendment carries it
}

// Errors of joining.
var (
	// ErrNotAdded: no amendment in force on the line adds that party.
	// Propose one with hotline line amend --add-party, and wait until every
	// party has accepted it.
	ErrNotAdded = errors.New("no amendment in force adds that party")
	// ErrBadInvite: the invitation does not hold together (another line's
	// charter, a card that is not this node's); ask for it again.
	ErrBadInvite = errors.New("the invitation does not hold together")
)

// Invite writes the invitation for party, which an amendment in force on
// line added.
func (n *Node) Invite(line, party string) (*Invite, error) {
	ls, err := n.line(line)
	if err != nil {
		return nil, err
	}
	ch := ls.chain.Load()
	if ch == nil {
		return nil, fmt.Errorf("%w: %s on line %s", ErrNotAdded, party, ls.id)
	}
	for _, a := range ch.Amendments {
		if k := amend.Added(a.Changes); a.State == amend.InForce && k != nil && k.Party == party {
			if ls.rules().Party(party) == nil {
				return nil, fmt.Errorf("%w: %s was added by %s and has left since", ErrNotAdded, party, a.ID)
			}
			return &Invite{Line: ls.id, Charter: ls.charter.Raw, Amendment: a.ID, Card: a.Changes.AddParty}, nil
		}
	}
	return nil, fmt.Errorf("%w: %s on line %s (hotline line amendments lists them)", ErrNotAdded, party, ls.id)
}

// Join opens the line an invitation names on this node, as the party the
// amendment added, and writes the charter as entry 0 of its log. Joining
// twice is a no-op.
func (n *Node) Join(ctx context.Context, inv *Invite) error {
	c, k, err := n.checkInvite(inv)
	if err != nil {
		return err
	}
	// The invitation first, durably: a node reopened after the line is
	// installed finds its own card there (joinedCard).
	b, err := json.Marshal(inv)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(n.invitePath(c.ID()), b, 0o600); err != nil {
		return fmt.Errorf("keep the invitation: %w", err)
	}
	return n.install(ctx, c, k)
}

// checkInvite returns the charter and our card an invitation carries.
func (n *Node) checkInvite(inv *Invite) (*charter.Signed, *card.Card, error) {
	c, err := charter.Parse(inv.Charter)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: charter: %v", ErrBadInvite, err)
	}
	if !c.Complete() || c.ID() != inv.Line {
		return nil, nil, fmt.Errorf("%w: the charter is not line %s signed by every party", ErrBadInvite, inv.Line)
	}
	if c.Party(n.Me()) != nil {
		return nil, nil, fmt.Errorf("%w: the charter names %s already: open it with hotline line accept", ErrBadInvite, n.Me())
	}
	k, err := card.Parse(inv.Card)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: card: %v", ErrBadInvite, err)
	}
	if k.Party != n.Me() {
		return nil, nil, fmt.Errorf("%w: it adds %s, and this node is %s", ErrBadInvite, k.Party, n.Me())
	}
	if err := n.checkOwnCard(k, "the invitation"); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrBadInvite, err)
	}
	return c, k, nil
}

// invitePath is where the invitation that opened line is kept.
func (n *Node) invitePath(line string) string {
	return filepath.Join(n.Dir, "joined-"+line+".json")
}

// joinedCard returns our own card from the invitation that opened line c
// here, when the charter does not name us; nil when it does.
func (n *Node) joinedCard(c *charter.Signed) (*card.Card, error) {
	if c.Party(n.Me()) != nil {
		return nil, nil
	}
	b, err := os.ReadFile(n.invitePath(c.ID()))
	if err != nil {
		return nil, fmt.Errorf("line %s does not name this party, and its invitation is missing: %w", c.ID(), err)
	}
	var inv Invite
	if err := json.Unmarshal(b, &inv); err != nil {
		return nil, fmt.Errorf("line %s: invitation: %w", c.ID(), err)
	}
	// Checked when it was joined; our keys may have been rotated since.
	k, err := card.Parse(inv.Card)
	if err != nil || k.Party != n.Me() || inv.Line != c.ID() || !bytes.Equal(inv.Charter, c.Raw) {
		return nil, fmt.Errorf("line %s: the invitation kept is not this line's for %s (%v)", c.ID(), n.Me(), err)
	}
	return k, nil
}
