// Package amend decides which charter is in force on a line, given the
// signed amendment entries in its parties' logs. It is the one rule: the
// node checks a new proposal or answer against it and takes its routes,
// deadlines and schedules from the charter it yields, and a transcript's
// report states with it what the document proves.
//
// # Versions
//
// The signed charter is version 1. A proposal (an entry of its proposer's
// log) names the version it amends, its base, and the changes. Every other
// party of the line answers it with an acceptance or a refusal, an entry of
// its own log. A proposal is in force when every party but its proposer
// has accepted it and its base is still the version in force: it then
// makes version base+1. A refusal by any party refuses it for good.
//
// # The point it takes effect
//
// An amendment takes effect at its last step: of the proposal and its
// acceptances, the one that is latest by (signed time, author, index),
// the order every party can compute from the entries alone. Its signed
// time, or the previous version's if that is later, is when the new
// version is in force from, and its entry ID what put it in force. A node
// knows this once it holds that entry: a peer's entry when the node has
// verified, stored and cosigned it; its own acceptance when every other
// party has cosigned it (until then it is shown, and not counted). So the
// point is the same on every node, and a node learns it no later than one
// round trip after the last signature.
//
// # Rules
//
//   - each party answers a proposal once, and not its own;
//   - a party proposes or accepts one amendment of each version at a time:
//     accepting a second one of the same base counts only once the first
//     is refused. So at most one amendment of each version can be in force,
//     and no later entry can take a version back;
//   - a proposal whose base is older than the version in force is
//     superseded, one whose base is not in force yet acts as if an
//     amendment not accepted by everyone were in force, and one whose
//     changes do not make a valid charter is refused.
//
// An entry that breaks a rule changes nothing and stays in its author's
// log, reported with its own error.
package amend

import (
	"cmp"
	"errors"
	"fmt"
	"time"

	"github.com/hotline-line/hotline/internal/card"
	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
)

// Act is an amendment entry as the rule needs it.
type Act struct {
	ID     string // the entry's ID, author-index
	Author string
	Index  uint64
	Time   time.Time // the author's signed time
	Body   *entry.Amendment
	// Err, if set, is why the body could not be read; the entry then
	// changes nothing.
	Err error
	// Unconfirmed marks the node's own entry that not every other party
	// has cosigned yet: shown, not counted.
	Unconfirmed bool
}

// Errors an amendment entry is refused with, and what to do about each.
var (
	// ErrNoSuchAmendment: an answer names no proposal of this line. Check
	// the ID with hotline line amendments.
	ErrNoSuchAmendment = errors.New("no such amendment")
	// ErrOwnAmendment: the proposer does not answer its own proposal; the
	// other parties do.
	ErrOwnAmendment = errors.New("the proposer does not answer its own amendment")
	// ErrAnswered: a party answers a proposal once.
	ErrAnswered = errors.New("the party has already answered this amendment")
	// ErrCompeting: a party accepts one amendment of a version at a time;
	// refuse the other first, or wait until it is refused.
	ErrCompeting = errors.New("the party already proposed or accepted another amendment of the same version")
	// ErrStaleBase: the proposal amends a version that is no longer in
	// force. Propose it again on the version in force.
	ErrStaleBase = errors.New("the amendment's base is not the version in force")
	// ErrNotInForce: something acts as if an amendment were in force that
	// not every party has accepted yet. Wait for every acceptance.
	ErrNotInForce = errors.New("the amendment is not in force: not every party has accepted it")
	// ErrInvalidChange: the changes do not make a valid charter.
	ErrInvalidChange = errors.New("the amendment does not make a valid charter")
	// ErrOtherLine: the entry names another line; it is unreadable here.
	ErrOtherLine = entry.ErrAmendOtherLine
	// ErrUnreadable: the entry's body is not included, so what it says is
	// unknown: it changes nothing.
	ErrUnreadable = errors.New("the amendment's body is not included")
	// ErrPartyPresent: the card added names a party the line has, or had:
	// a slug names one party for the whole life of a line. Choose another.
	ErrPartyPresent = errors.New("the line already has, or had, a party of that name")
	// ErrNoSuchParty: the party to remove is not a party in force.
	ErrNoSuchParty = errors.New("no such party in force on the line")
	// ErrLastParty: a line keeps at least two parties; close it instead
	// (hotline line close).
	ErrLastParty = errors.New("a line keeps at least two parties: close the line instead")
	// ErrBadCard: the card added is not a valid signed card.
	ErrBadCard = errors.New("the card added is not a valid signed card")
	// ErrRemovedAnswers: the party an amendment removes does not answer
	// it: its consent is not asked, so its refusal could not stop it.
	ErrRemovedAnswers = errors.New("the party an amendment removes does not answer it")
)

// State is where an amendment stands.
type State string

// The states of an amendment.
const (
	Proposed   State = "proposed"   // waiting for answers
	InForce    State = "in force"   // accepted by every party; it made a version
	Refused    State = "refused"    // a party refused it, or it broke a rule
	Superseded State = "superseded" // another amendment of its base came into force first
)

// Answer is one party's acceptance or refusal.
type Answer struct {
	Party       string    `json:"party"`
	Officer     string    `json:"officer"`
	Entry       string    `json:"entry"`
	Time        time.Time `json:"time"`
	Reason      string    `json:"reason,omitempty"`
	Unconfirmed bool      `json:"unconfirmed,omitempty"` // not yet cosigned by every other party
}

// Amendment is a proposal and where it stands.
type Amendment struct {
	ID       string         `json:"id"`
	Proposer string         `json:"proposer"`
	Officer  string         `json:"officer"`
	Reason   string         `json:"reason"`
	Proposed time.Time      `json:"proposed"`
	Base     uint64         `json:"base"`
	Changes  *entry.Changes `json:"changes"`
	State    State          `json:"state"`
	Accepted []Answer       `json:"accepted,omitempty"`
	Refused  []Answer       `json:"refused,omitempty"`
	Waiting  []string       `json:"waiting,omitempty"` // parties that have not answered
	// Version is the version it made, when in force; Since and Entry when
	// and by which entry it took effect.
	Version uint64    `json:"version,omitempty"`
	Since   time.Time `json:"since,omitzero"`
	Entry   string    `json:"entry,omitempty"`
	Why     string    `json:"why,omitempty"` // refused or superseded: the rule
}

// Version is a charter in force and what put it there.
type Version struct {
	Number    uint64           `json:"number"`
	Amendment string           `json:"amendment,omitempty"` // "" for the signed charter
	Since     time.Time        `json:"since,omitzero"`      // zero for the signed charter
	Entry     string           `json:"entry,omitempty"`     // the last step of its amendment
	Charter   *charter.Charter `json:"-"`
}

// Refusal is an entry that broke a rule, with the rule.
type Refusal struct {
	Entry  string `json:"entry"`
	Author string `json:"author"`
	Error  string `json:"error"`
	err    error
}

// Err is the rule broken, for errors.Is.
func (r Refusal) Err() error { return r.err }

// Chain is what a line's amendments make of its charter.
type Chain struct {
	Versions   []Version   // in order, from version 1
	Amendments []Amendment // in the order of their proposals
	Refused    []Refusal   // the entries that changed nothing, in order
}

// Current is the version in force now.
func (c *Chain) Current() *Version { return &c.Versions[len(c.Versions)-1] }

// At is the version in force at time t.
func (c *Chain) At(t time.Time) *Version {
	for i := len(c.Versions) - 1; i > 0; i-- {
		if !c.Versions[i].Since.After(t) {
			return &c.Versions[i]
		}
	}
	return &c.Versions[0]
}

// Joined is when party came into force on the line, the version that
// brought it and whether it ever did: zero time for a party of the signed
// charter. Entries written before then are sealed to the parties then in
// force, not to it.
func (c *Chain) Joined(party string) (time.Time, uint64, bool) {
	for i := range c.Versions {
		if c.Versions[i].Charter.Party(party) != nil {
			return c.Versions[i].Since, c.Versions[i].Number, true
		}
	}
	return time.Time{}, 0, false
}

// Cards returns the card of every party any version names, each once, in
// the order they joined: whose logs the line holds, in force or not.
func (c *Chain) Cards() []card.Card {
	var out []card.Card
	seen := map[string]bool{}
	for i := range c.Versions {
		for _, k := range c.Versions[i].Charter.Parties {
			if !seen[k.Party] {
				seen[k.Party] = true
				out = append(out, k)
			}
		}
	}
	return out
}

// Find returns amendment id, or nil.
func (c *Chain) Find(id string) *Amendment {
	for i := range c.Amendments {
		if c.Amendments[i].ID == id {
			return &c.Amendments[i]
		}
	}
	return nil
}

// InForce returns the version amendment id made, or ErrNotInForce (or
// ErrNoSuchAmendment) saying why it is not in force.
func (c *Chain) InForce(id string) (*Version, error) {
	a := c.Find(id)
	if a == nil {
		return nil, fmt.Errorf("%w: %s", ErrNoSuchAmendment, id)
	}
	if a.State != InForce {
		return nil, fmt.Errorf("%w (%s is %s; waiting for %v)", ErrNotInForce, id, a.State, a.Waiting)
	}
	return &c.Versions[a.Version-1], nil
}

// key orders entries the same way on every party: signed time, then
// author, then index.
type key struct {
	t      time.Time
	author string
	index  uint64
	id     string
}

func (a key) compare(b key) int {
	return cmp.Or(a.t.Compare(b.t), cmp.Compare(a.author, b.author), cmp.Compare(a.index, b.index))
}

func keyOf(a *Act) key { return key{a.Time.UTC(), a.Author, a.Index, a.ID} }

// Read makes the Act of entry author-index written at t on line from its
// body: nil when the body is not at hand, and bodyErr when the receiving
// node already found it unreadable.
func Read(line, author string, index uint64, t time.Time, body []byte, bodyErr string) Act {
	a := Act{ID: entry.ID(author, index), Author: author, Index: index, Time: t.UTC()}
	switch {
	case bodyErr != "":
		a.Err = errors.New(bodyErr)
	case body == nil:
		a.Err = ErrUnreadable
	default:
		a.Body, a.Err = entry.DecodeAmendment(body, line)
	}
	return a
}
