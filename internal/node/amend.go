package node

import (
	"context"
	"fmt"
	"maps"
	"math"
	"time"

	"github.com/hotline-line/hotline/internal/amend"
	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/store"
)

// The charter in force. A line's signed charter (entry 0) never changes:
// its ID and its keys come from it. What the parties agreed to change
// since, by amendments every party accepted (package amend), makes the
// charter in force; everything the node reads of the charter at run time
// (routes, relays, deadlines, schedules, two-person release, templates,
// the name) reads ls.rules(), which the node recomputes whenever an
// amendment entry is committed or a receipt confirms its own.

// rules returns the charter in force on the line.
func (ls *lineState) rules() *charter.Charter {
	if c := ls.inForce.Load(); c != nil {
		return c
	}
	return ls.charter.Charter
}

// rulesAt returns the charter in force on the line at time t.
func (ls *lineState) rulesAt(t time.Time) *charter.Charter {
	if ch := ls.chain.Load(); ch != nil {
		return ch.At(t).Charter
	}
	return ls.charter.Charter
}

// maxAmendments bounds the amendment entries read to fold a line's chain:
// every one a line can hold (checkRuleQuota), so none falls out of the fold.
var maxAmendments = foldLimit(entry.KindAmendment)

// readChain folds the amendment entries of line held in st. Entries of
// me's own log count once every other party of the version they amend
// has cosigned them (receipts: the size of me's log each peer has
// cosigned): a party that an amendment adds is not asked for a receipt of
// the steps that added it.
func readChain(st *store.Store, line string, c *charter.Charter, me string, receipts map[string]uint64) (*amend.Chain, error) {
	rows, err := st.EntriesByKind(line, entry.KindAmendment, maxAmendments)
	if err != nil {
		return nil, err
	}
	acts := make([]amend.Act, len(rows))
	for i, e := range rows {
		acts[i] = amend.Read(line, e.Author, e.Index, ms(e.Time), e.Body, e.BodyError)
	}
	// The parties of each version, from a first fold that counts every
	// step: the versions up to the one a step amends come before it.
	first := amend.Fold(c, acts)
	bases := map[string]uint64{}
	for _, a := range acts {
		if a.Body != nil && a.Body.Act == entry.AmendPropose {
			bases[a.ID] = a.Body.Base
		}
	}
	for i := range acts {
		a := &acts[i]
		if a.Author != me {
			continue
		}
		parties := first.Current().Charter.Slugs()
		base := bases[a.ID]
		if a.Body != nil && a.Body.Act != entry.AmendPropose {
			base = bases[a.Body.Proposal]
		}
		if base >= 1 && base <= uint64(len(first.Versions)) {
			parties = first.Versions[base-1].Charter.Slugs()
		}
		for _, p := range parties {
			if p != me && receipts[p] <= a.Index {
				a.Unconfirmed = true
			}
		}
	}
	return amend.Fold(c, acts), nil
}

// chain folds the amendments this node holds of a line.
func (n *Node) chain(ls *lineState) (*amend.Chain, error) {
	return readChain(n.Store, ls.id, ls.charter.Charter, ls.me, ownReceipts(ls))
}

// ownReceipts is the size of our log each peer has cosigned, as verified.
func ownReceipts(ls *lineState) map[string]uint64 {
	lg := ls.log(ls.me)
	lg.mu.Lock()
	defer lg.mu.Unlock()
	return maps.Clone(lg.receipts)
}

// refreshCharter recomputes the charter in force after an amendment entry
// was committed or a receipt arrived while one of ours awaits it.
func (n *Node) refreshCharter(ls *lineState) {
	n.amendMu.Lock()
	defer n.amendMu.Unlock()
	var ch *amend.Chain
	for {
		used := ownReceipts(ls)
		var err error
		if ch, err = readChain(n.Store, ls.id, ls.charter.Charter, ls.me, used); err != nil {
			n.log.Error("reading the line's amendments", "line", ls.id, "err", err)
			return
		}
		waiting := false
		for _, a := range ch.Amendments {
			for _, ans := range a.Accepted {
				waiting = waiting || ans.Unconfirmed && a.State == amend.Proposed
			}
		}
		ls.awaitingReceipt.Store(waiting)
		// A receipt taken in after we read them, but before the flag
		// said we wait for one, called no refresh (acceptReceipts stores
		// the receipt, then reads the flag): fold again with it.
		if !waiting || maps.Equal(used, ownReceipts(ls)) {
			break
		}
	}
	cur := ch.Current()
	// The logs and keys of a party that joined before the charter that
	// names it: a body sealed to it needs its key (parties.go).
	n.takeParties(ls, ch)
	// The charter first, then its version: a link that sees the new
	// version must find the new charter (link.followCharter). The chain
	// last: a status that shows the new version finds it in force.
	changed := ls.version.Load() != cur.Number
	if changed {
		ls.inForce.Store(cur.Charter)
		ls.version.Store(cur.Number)
	}
	ls.chain.Store(ch)
	n.startLinks(ls) // to a party that joined
	if changed {
		n.log.Info("charter in force", "line", ls.id, "version", cur.Number, "amendment", cur.Amendment, "since", cur.Since, "by", cur.Entry)
		n.notify()
		n.wakeLinks(ls.id) // to take the routes the new charter names, and end links to a party that left
	}
}

// refreshIfAmended refreshes the charter in force when any of kinds is an
// amendment.
func (n *Node) refreshIfAmended(ls *lineState, entries []store.Entry) {
	for i := range entries {
		if entries[i].Kind == entry.KindAmendment {
			n.refreshCharter(ls)
			return
		}
	}
}

// AmendRequest is a step of an amendment this party takes: a proposal
// (Changes, Reason), or an answer to proposal Proposal (accept, or refuse
// with a Reason). Officer is who takes it for the party.
type AmendRequest struct {
	Line     string         `json:"line"`
	Act      entry.AmendAct `json:"act"`
	Proposal string         `json:"proposal,omitempty"`
	Changes  *entry.Changes `json:"changes,omitempty"`
	Reason   string         `json:"reason,omitempty"`
	Officer  string         `json:"officer"`
}

// Amend writes a step of an amendment and returns its entry ID. The step
// must be one the rule takes now (amend.Check): a proposal amends the
// version in force, an answer names a proposal that waits for this
// party's answer. Nothing is written otherwise.
func (n *Node) Amend(ctx context.Context, req AmendRequest) (string, error) {
	ls, err := n.line(req.Line)
	if err != nil {
		return "", err
	}
	if err := n.admit(ls, entry.KindAmendment, "", false); err != nil {
		return "", err
	}
	if c := req.Changes; c != nil && c.Name != nil && *c.Name != "" {
		if other, err := n.ResolveLine(*c.Name); err == nil && other != ls.id {
			return "", fmt.Errorf("%w: %s is line %s", ErrNameTaken, *c.Name, other)
		}
	}
	// One step at a time: the check reads committed steps, so two racing
	// steps must not both pass it.
	n.amendStepMu.Lock()
	defer n.amendStepMu.Unlock()
	// Our own steps count here before the peers' receipts do: a step we
	// wrote is ours to build on.
	acts, err := n.heldActs(ls)
	if err != nil {
		return "", err
	}
	body := entry.Amendment{Line: ls.id, Act: req.Act, Proposal: req.Proposal, Changes: req.Changes, Reason: req.Reason, Officer: req.Officer}
	if req.Act == entry.AmendPropose {
		body.Base = amend.Fold(ls.charter.Charter, acts).Current().Number
	}
	if err := body.Validate(ls.id); err != nil {
		return "", err
	}
	raw := body.Marshal()
	cand := amend.Act{ID: entry.ID(ls.me, math.MaxInt64), Author: ls.me, Index: math.MaxInt64, Time: n.now(), Body: &body}
	if err := amend.Check(ls.charter.Charter, acts, cand); err != nil {
		return "", err
	}
	d, err := n.sealDraft(ls, entry.KindAmendment, raw)
	if err != nil {
		return "", err
	}
	d.officer, d.ref = req.Officer, req.Proposal
	id, err := n.writeOne(ctx, ls, d)
	if err != nil {
		return "", err
	}
	n.refreshCharter(ls)
	return id, nil
}

// heldActs reads the amendment entries of a line, all counted: what the
// rule would say once every one is confirmed.
func (n *Node) heldActs(ls *lineState) ([]amend.Act, error) {
	rows, err := n.Store.EntriesByKind(ls.id, entry.KindAmendment, maxAmendments)
	if err != nil {
		return nil, err
	}
	acts := make([]amend.Act, len(rows))
	for i, e := range rows {
		acts[i] = amend.Read(ls.id, e.Author, e.Index, ms(e.Time), e.Body, e.BodyError)
	}
	return acts, nil
}

// AmendmentsView is a line's amendments as `hotline line amendments`
// lists them: the version in force, every version and what put it in
// force, every amendment with its state, and the entries that broke a
// rule and changed nothing.
type AmendmentsView struct {
	Line       string            `json:"line"`
	Version    uint64            `json:"version"`
	Versions   []amend.Version   `json:"versions"`
	Amendments []amend.Amendment `json:"amendments"`
	Refused    []amend.Refusal   `json:"refused,omitempty"`
}

// Amendments returns the amendments of line as this node holds them.
func (n *Node) Amendments(line string) (*AmendmentsView, error) {
	ls, err := n.line(line)
	if err != nil {
		return nil, err
	}
	ch, err := n.chain(ls)
	if err != nil {
		return nil, err
	}
	return &AmendmentsView{Line: ls.id, Version: ch.Current().Number, Versions: ch.Versions, Amendments: ch.Amendments, Refused: ch.Refused}, nil
}

// fillAmendments puts the charter's version and the amendments waiting
// into a status report, from the chain the node last folded: a status is
// asked for often, and folding checks every amended charter.
func (n *Node) fillAmendments(ls *lineState, st *LineStatus) {
	st.CharterVersion = 1
	ch := ls.chain.Load()
	if ch == nil {
		return
	}
	st.CharterVersion = ch.Current().Number
	for _, a := range ch.Amendments {
		if a.State == amend.Proposed {
			st.AmendmentsWaiting++
		}
	}
}

// Rules returns the charter in force on line: the signed charter as every
// amendment in force changed it.
func (n *Node) Rules(line string) (*charter.Charter, error) {
	ls, err := n.line(line)
	if err != nil {
		return nil, err
	}
	return ls.rules(), nil
}

// ErrNotInForce is amend.ErrNotInForce: an amendment that not every party
// has accepted yet changes nothing.
var ErrNotInForce = amend.ErrNotInForce

// storedRules returns the charter in force on line for a command that
// reads the database beside a running node.
func storedRules(st *store.Store, line string, c *charter.Charter, me string) (*charter.Charter, error) {
	cosigs, err := st.LatestCosigs(line)
	if err != nil {
		return nil, err
	}
	receipts := map[string]uint64{}
	for _, cs := range cosigs {
		if cs.Author == me {
			receipts[cs.Cosigner] = max(receipts[cs.Cosigner], cs.Size)
		}
	}
	ch, err := readChain(st, line, c, me, receipts)
	if err != nil {
		return nil, fmt.Errorf("line %s: amendments: %w", line, err)
	}
	return ch.Current().Charter, nil
}
