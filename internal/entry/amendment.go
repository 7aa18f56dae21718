package entry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/hotline-line/hotline/internal/identity"
)

// KindAmendment is one step of a charter amendment: a proposal to change
// the line's charter, or another party's acceptance or refusal of one.
// What the steps of every party make of the charter is package amend's
// rule.
const KindAmendment Kind = "amendment"

// AmendAct is what an amendment entry does.
type AmendAct string

// The amendment acts.
const (
	AmendPropose AmendAct = "propose" // a change to the charter in force; its entry's ID names it
	AmendAccept  AmendAct = "accept"  // the author agrees to proposal Proposal
	AmendRefuse  AmendAct = "refuse"  // the author refuses proposal Proposal, for Reason
)

// Amendment is the body of a KindAmendment entry. Which fields are set
// depends on Act; Validate refuses any other. Line repeats the line's ID,
// so an answer cannot be replayed onto another line.
type Amendment struct {
	Line string   `json:"line"`
	Act  AmendAct `json:"act"`
	// Proposal is the entry ID of the proposal an acceptance or refusal
	// answers.
	Proposal string `json:"proposal,omitempty"`
	// Base is, on a proposal, the version of the charter it amends: 1 is
	// the signed charter, and each amendment in force adds one.
	Base    uint64   `json:"base,omitempty"`
	Changes *Changes `json:"changes,omitempty"`
	Reason  string   `json:"reason,omitempty"` // why: required on a proposal and a refusal
	Officer string   `json:"officer"`
}

// Changes are what a proposal changes in the charter; a field left out
// stays as it is. New kinds of change (a party added or removed, a key
// replaced) are new fields: a node that does not know one refuses to read
// the proposal, so it cannot accept what it does not understand.
type Changes struct {
	Name         *string                   `json:"name,omitempty"`          // the line's short name; "" removes it
	RelaysAdd    []RelayAddr               `json:"relays_add,omitempty"`    // mailboxes the line may use from now on
	RelaysRemove []string                  `json:"relays_remove,omitempty"` // mailboxes, by address, it no longer uses
	Addrs        map[string]string         `json:"addrs,omitempty"`         // a party's direct-route address (host:port), by party
	Deadlines    map[Precedence]DeadlineOf `json:"deadlines,omitempty"`     // the deadlines of these precedences
	RollCall     *RollCallOf               `json:"roll_call,omitempty"`     // the roll-call schedule; every 0 stops it
	TwoPerson    *[]Precedence             `json:"two_person,omitempty"`    // the precedences that need two-person release
	LinkTests    *Duration                 `json:"link_tests,omitempty"`    // how often every route is tested
	Templates    json.RawMessage           `json:"templates,omitempty"`     // the whole set of notice templates (package notice)
	// AddParty is the signed card (package card) of a party that joins
	// the line: its signature on its own card is its consent. RemoveParty
	// is the slug of a party that leaves; it may propose that itself. An
	// amendment adds or removes one party, and changes nothing else, so
	// who must accept it is plain (package amend).
	AddParty    []byte `json:"add_party,omitempty"`
	RemoveParty string `json:"remove_party,omitempty"`
}

// Parties reports whether the changes add or remove a party.
func (c *Changes) Parties() bool { return c.AddParty != nil || c.RemoveParty != "" }

// RelayAddr is a relay as the charter names it: its address and the TLS
// key it must present.
type RelayAddr struct {
	Addr   string `json:"addr"`
	TLSKey []byte `json:"tls_key"`
}

// DeadlineOf is what a receiving party is allowed for a precedence.
type DeadlineOf struct {
	Ack   Duration `json:"ack"`
	Reply Duration `json:"reply"`
}

// RollCallOf is a roll-call schedule (see charter.RollCallRule).
type RollCallOf struct {
	Every  Duration `json:"every"`
	Answer Duration `json:"answer"`
}

// Bounds of an amendment body.
const (
	MaxAddr          = 255                // a host:port
	MaxTemplatesSize = 256 << 10          // the templates of one proposal
	MaxChangeItems   = 8                  // relays added or removed, addresses
	MaxSpan          = 7 * 24 * time.Hour // any duration in a change
	MaxCardSize      = 16 << 10           // a card added (card.MaxSize)
)

// ErrAmendOtherLine means an amendment entry names another line than the
// log it is in: it is refused and changes nothing.
var ErrAmendOtherLine = errors.New("the amendment names another line")

// Validate checks an amendment body of line.
func (a *Amendment) Validate(line string) error {
	if a.Line != line {
		return fmt.Errorf("%w (%.40q, not %s)", ErrAmendOtherLine, a.Line, line)
	}
	if err := checkOfficer(a.Officer, true); err != nil {
		return fmt.Errorf("amendment: %w", err)
	}
	if len(a.Reason) > MaxReason || !utf8.ValidString(a.Reason) {
		return fmt.Errorf("amendment: the reason is at most %d bytes of UTF-8", MaxReason)
	}
	switch a.Act {
	case AmendPropose:
		if a.Proposal != "" || a.Base == 0 || a.Changes == nil || a.Reason == "" {
			return errors.New("amendment: a proposal gives its base version, its changes and a reason, and names no proposal")
		}
		return a.Changes.Validate()
	case AmendAccept, AmendRefuse:
		if _, _, err := ParseID(a.Proposal); err != nil {
			return fmt.Errorf("amendment: %w", err)
		}
		if a.Base != 0 || a.Changes != nil {
			return fmt.Errorf("amendment: an %s names the proposal and nothing of its changes", a.Act)
		}
		if a.Act == AmendRefuse && a.Reason == "" {
			return errors.New("amendment: a refusal gives a reason")
		}
		return nil
	}
	return fmt.Errorf("amendment: act %.20q: want propose, accept or refuse", a.Act)
}

// Validate checks the form of changes; whether the charter they make is a
// valid one is package amend's to say.
func (c *Changes) Validate() error {
	rules := c.Name != nil || len(c.RelaysAdd) != 0 || len(c.RelaysRemove) != 0 || len(c.Addrs) != 0 || len(c.Deadlines) != 0 ||
		c.RollCall != nil || c.TwoPerson != nil || c.LinkTests != nil || c.Templates != nil
	if !rules && !c.Parties() {
		return errors.New("amendment: the proposal changes nothing")
	}
	if c.Parties() {
		if c.AddParty != nil && c.RemoveParty != "" || rules {
			return errors.New("amendment: a party added or removed is the whole of its amendment: propose other changes apart")
		}
		if len(c.AddParty) > MaxCardSize {
			return fmt.Errorf("amendment: add_party: %d bytes, limit %d", len(c.AddParty), MaxCardSize)
		}
		if c.RemoveParty != "" && !identity.ValidSlug(c.RemoveParty) {
			return fmt.Errorf("amendment: remove_party %.40q: not a party's name", c.RemoveParty)
		}
	}
	if c.Name != nil && *c.Name != "" && !identity.ValidSlug(*c.Name) {
		return fmt.Errorf("amendment: name %.40q: want a short name such as navy", *c.Name)
	}
	if len(c.RelaysAdd) > MaxChangeItems || len(c.RelaysRemove) > MaxChangeItems || len(c.Addrs) > MaxChangeItems {
		return fmt.Errorf("amendment: at most %d relays added, removed or addresses changed", MaxChangeItems)
	}
	for _, r := range c.RelaysAdd {
		if err := checkAddr(r.Addr); err != nil || len(r.TLSKey) != 32 {
			return fmt.Errorf("amendment: relay %.60q: want host:port and a 32-byte key", r.Addr)
		}
	}
	for _, a := range c.RelaysRemove {
		if err := checkAddr(a); err != nil {
			return fmt.Errorf("amendment: relay to remove: %w", err)
		}
	}
	for p, a := range c.Addrs {
		if !identity.ValidSlug(p) {
			return fmt.Errorf("amendment: address of %.40q: not a party", p)
		}
		if err := checkAddr(a); err != nil {
			return fmt.Errorf("amendment: address of %s: %w", p, err)
		}
	}
	for p, d := range c.Deadlines {
		if !slices.Contains(Precedences, p) {
			return fmt.Errorf("amendment: deadlines of %.20q: unknown precedence", p)
		}
		if d.Ack <= 0 || d.Reply < d.Ack || time.Duration(d.Reply) > MaxSpan {
			return fmt.Errorf("amendment: deadlines of %s: want 0 < ack <= reply <= %v", p, MaxSpan)
		}
	}
	if r := c.RollCall; r != nil && (r.Every != 0 || r.Answer != 0) {
		if r.Every < Duration(time.Minute) || r.Answer <= 0 || r.Answer > r.Every || time.Duration(r.Every) > MaxSpan {
			return fmt.Errorf("amendment: roll-call: want 1m <= every <= %v and 0 < answer <= every, or both 0 to stop it", MaxSpan)
		}
	}
	if c.TwoPerson != nil {
		for i, p := range *c.TwoPerson {
			if !slices.Contains(Precedences, p) || slices.Contains((*c.TwoPerson)[:i], p) {
				return fmt.Errorf("amendment: two_person: %.20q is unknown or repeated", p)
			}
		}
	}
	if d := c.LinkTests; d != nil && (*d < Duration(time.Second) || time.Duration(*d) > MaxSpan) {
		return fmt.Errorf("amendment: link_tests: want 1s to %v", MaxSpan)
	}
	if c.Templates != nil && len(c.Templates) > MaxTemplatesSize {
		return fmt.Errorf("amendment: templates: %d bytes, limit %d", len(c.Templates), MaxTemplatesSize)
	}
	return nil
}

// checkAddr checks a route address: host:port, bounded.
func checkAddr(a string) error {
	host, port, err := net.SplitHostPort(a)
	if err != nil || host == "" || len(a) > MaxAddr || !utf8.ValidString(a) {
		return fmt.Errorf("address %.60q: want host:port", a)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("address %.60q: want a port from 1 to 65535", a)
	}
	return nil
}

// Marshal encodes an amendment body in its one canonical form: compact
// JSON, fields in the order of the struct, map keys sorted, strings
// escaped as encoding/json does with HTML escaping off.
func (a *Amendment) Marshal() []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(a); err != nil {
		panic(err) // plain data, and templates checked to be JSON
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// ErrNotCanonical means a body decodes but is not in its one encoding:
// refused, so that no two byte strings mean the same amendment.
var ErrNotCanonical = errors.New("not in canonical form")

// DecodeAmendment decodes an amendment body strictly, checks it belongs
// to line, and refuses any encoding but the canonical one.
func DecodeAmendment(b []byte, line string) (*Amendment, error) {
	var a Amendment
	if err := strictJSON(b, &a); err != nil {
		return nil, fmt.Errorf("amendment body: %w", err)
	}
	if err := a.Validate(line); err != nil {
		return nil, err
	}
	if c := a.Changes; c != nil && c.Templates != nil && !json.Valid(c.Templates) {
		return nil, errors.New("amendment body: templates are not JSON")
	}
	if !bytes.Equal(a.Marshal(), b) {
		return nil, fmt.Errorf("amendment body: %w", ErrNotCanonical)
	}
	return &a, nil
}

// Open reports whether entries of kind are written in an open envelope,
// readable by every party of the line, present and future, rather than
// sealed to the parties in force: the charter, and the governance entries
// (amendments and their answers, state notices, key entries), because a
// party that joins later must verify the rules that admitted it and the
// keys that sign every log (protocol §33).
func (k Kind) Open() bool {
	switch k {
	case KindCharter, KindAmendment, KindNotice, KindKey:
		return true
	}
	return false
}

// BeforeJoining is the body error of an entry stored without its body
// because it was written before this party joined the line: its body is
// sealed to the parties in force then. Its leaf and checkpoints verify;
// it is shown as written before this party joined, never as an error.
const BeforeJoining = "written before this party joined the line: sealed to the parties then in force"
