// Package charter encodes a line's charter: the parties (their cards), the
// deadlines of each precedence and the other rules both sides agreed to.
//
// A charter is a C2SP signed note whose text is "hotline charter v1" and one
// line of JSON. Each party adds its log-key signature; the charter takes
// effect when every party named in it has signed. The line's ID is derived
// from the charter text, so a line and its rules cannot be told apart.
package charter

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/hotline-line/hotline/internal/card"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/identity"
	"github.com/hotline-line/hotline/internal/notice"
)

const header = "hotline charter v1\n"

// MaxSize bounds an encoded charter.
const MaxSize = 1 << 20

// MaxParties bounds the parties of one line.
const MaxParties = 64

// Duration is a time.Duration written as "10m0s" in JSON; amendments
// write their spans the same way.
type Duration = entry.Duration

// Deadline is what the charter allows a receiving party for a precedence.
type Deadline struct {
	Ack   Duration `json:"ack"`   // from delivery to a person's acknowledgement
	Reply Duration `json:"reply"` // from delivery to a reply
}

// DefaultDeadlines follow military precedence: FLASH within 10 minutes,
// IMMEDIATE 30 minutes, PRIORITY 3 hours, ROUTINE 6 hours.
func DefaultDeadlines() map[entry.Precedence]Deadline {
	m := func(ack, reply time.Duration) Deadline { return Deadline{Duration(ack), Duration(reply)} }
	return map[entry.Precedence]Deadline{
		entry.Flash:     m(10*time.Minute, time.Hour),
		entry.Immediate: m(30*time.Minute, 4*time.Hour),
		entry.Priority:  m(3*time.Hour, 12*time.Hour),
		entry.Routine:   m(6*time.Hour, 24*time.Hour),
	}
}

// Charter is the agreed definition of a line.
type Charter struct {
	Title     string                        `json:"title"`
	Name      string                        `json:"name,omitempty"` // a short name (slug) such as navy, unique on each node; optional
	Created   time.Time                     `json:"created"`
	Nonce     []byte                        `json:"nonce"` // makes every line's ID unique
	Parties   []card.Card                   `json:"parties"`
	Deadlines map[entry.Precedence]Deadline `json:"deadlines"`
	LinkTests Duration                      `json:"link_tests,omitempty"` // how often every route is tested; 0 means hourly
	Relays    []Relay                       `json:"relays,omitempty"`     // store-and-forward mailboxes the line may use
	// RollCall, if set, asks each party's officer on duty to confirm
	// presence on a schedule; the answers are entries in its log.
	RollCall *RollCallRule `json:"roll_call,omitempty"`
	// TwoPerson lists the precedences a party may send only when one
	// officer drafted the message and another released it.
	TwoPerson []entry.Precedence `json:"two_person,omitempty"`
	// ClockTolerance is how far an entry's time may lie ahead of the
	// receiver's clock, and how far two parties' clocks may differ before
	// both are alerted; 0 means DefaultClockTolerance. Absent when 0, so
	// charters written before it keep their bytes and their line IDs.
	ClockTolerance Duration `json:"clock_tolerance,omitempty"`
	// Templates are the formatted notices the parties agreed to exchange
	// (package notice); a message may carry one as field values.
	Templates notice.Set `json:"templates,omitempty"`
	// KeyEpoch says when each sender's session key with each recipient
	// ends (package seal). Absent, or a zero field, means the defaults, so
	// charters written before it keep their bytes and their line IDs.
	KeyEpoch *KeyEpoch `json:"key_epoch,omitempty"`
}

// KeyEpoch bounds a session key: a sender starts a new epoch with a
// recipient after Messages messages or Time, whichever comes first.
type KeyEpoch struct {
	Messages int      `json:"messages,omitempty"`
	Time     Duration `json:"time,omitempty"`
}

// Defaults and limits of a key epoch. A longer epoch saves one
// encapsulation (1120 bytes, ~0.2 ms) per recipient per epoch and exposes
// more messages to the theft of one epoch secret from memory.
const (
	DefaultEpochMessages = 1000
	DefaultEpochTime     = time.Hour
	MaxEpochMessages     = 1_000_000
	MinEpochTime         = time.Minute
	MaxEpochTime         = 7 * 24 * time.Hour
)

// Epoch is how many messages and how long a session key may seal.
func (c *Charter) Epoch() (messages int, d time.Duration) {
	messages, d = DefaultEpochMessages, DefaultEpochTime
	if e := c.KeyEpoch; e != nil {
		if e.Messages > 0 {
			messages = e.Messages
		}
		if e.Time > 0 {
			d = time.Duration(e.Time)
		}
	}
	return messages, d
}

// DefaultClockTolerance is the clock tolerance of a charter that sets none.
const DefaultClockTolerance = 10 * time.Minute

// MaxClockTolerance bounds the clock tolerance: beyond a day, times would
// say nothing.
const MaxClockTolerance = 24 * time.Hour

// Tolerance is the charter's clock tolerance.
func (c *Charter) Tolerance() time.Duration {
	if c.ClockTolerance <= 0 {
		return DefaultClockTolerance
	}
	return time.Duration(c.ClockTolerance)
}

// RollCallRule is the roll-call schedule. Slots begin at Created + k*Every;
// in each slot the party's officer on duty confirms presence within Answer
// of the slot's start (or of the line's opening, for the slot it opened in).
type RollCallRule struct {
	Every  Duration `json:"every"`
	Answer Duration `json:"answer"`
}

// NeedsTwoPerson reports whether messages of precedence p need two-person
// release.
func (c *Charter) NeedsTwoPerson(p entry.Precedence) bool { return slices.Contains(c.TwoPerson, p) }

// Relay names an untrusted mailbox (hotline relay) by address and the TLS
// key it must present.
type Relay struct {
	Addr   string `json:"addr"`
	TLSKey []byte `json:"tls_key"`
}

// LinkTestEvery is how often each node tests every route.
func (c *Charter) LinkTestEvery() time.Duration {
	if c.LinkTests <= 0 {
		return time.Hour
	}
	return time.Duration(c.LinkTests)
}

// New drafts a charter between the parties of cards.
func New(title string, created time.Time, cards []*card.Card) *Charter {
	c := &Charter{Title: title, Created: created.UTC().Truncate(time.Second), Nonce: make([]byte, 16), Deadlines: DefaultDeadlines()}
	rand.Read(c.Nonce)
	for _, k := range cards {
		c.Parties = append(c.Parties, *k)
	}
	return c
}

// Text is the signed text of the charter.
func (c *Charter) Text() string {
	b, err := json.Marshal(c)
	if err != nil {
		panic(err)
	}
	return header + string(b) + "\n"
}

// ID is the line's ID: the first 16 bytes of SHA-256 of the charter text, in hex.
func (c *Charter) ID() string {
	h := sha256.Sum256([]byte(c.Text()))
	return hex.EncodeToString(h[:16])
}

// Party returns the card of the party slug, or nil.
func (c *Charter) Party(slug string) *card.Card {
	for i := range c.Parties {
		if c.Parties[i].Party == slug {
			return &c.Parties[i]
		}
	}
	return nil
}

// Slugs lists the parties in charter order.
func (c *Charter) Slugs() []string {
	s := make([]string, len(c.Parties))
	for i := range c.Parties {
		s[i] = c.Parties[i].Party
	}
	return s
}

// Deadline returns the deadlines of precedence p.
func (c *Charter) Deadline(p entry.Precedence) Deadline { return c.Deadlines[p] }

// Validate checks the charter's fields.
func (c *Charter) Validate() error {
	if c.Title == "" || len(c.Title) > 200 {
		return errors.New("charter: title must be 1 to 200 bytes")
	}
	if c.Name != "" && !identity.ValidSlug(c.Name) {
		return fmt.Errorf("charter: name %.40q: want a short name such as navy (lowercase letters, digits and dashes)", c.Name)
	}
	if len(c.Nonce) != 16 {
		return errors.New("charter: nonce must be 16 bytes")
	}
	if len(c.Parties) < 2 || len(c.Parties) > MaxParties {
		return fmt.Errorf("charter: a line has 2 to %d parties, not %d", MaxParties, len(c.Parties))
	}
	seen := map[string]bool{}
	for i := range c.Parties {
		p := &c.Parties[i]
		if err := p.Validate(); err != nil {
			return fmt.Errorf("charter: %w", err)
		}
		// Keys do not depend on the party's name: two parties with one key
		// could not be told apart on a route.
		for _, k := range []string{"party " + p.Party, "tls " + string(p.TLSKey), "hpke " + string(p.HPKEKey), "log " + strings.SplitN(p.LogKey, "+", 3)[2]} {
			if seen[k] {
				return fmt.Errorf("charter: party %s repeats a name or key of another party", p.Party)
			}
			seen[k] = true
		}
	}
	for _, p := range entry.Precedences {
		d, ok := c.Deadlines[p]
		if !ok || d.Ack <= 0 || d.Reply < d.Ack {
			return fmt.Errorf("charter: deadlines of %s: want ack > 0 and reply >= ack", p)
		}
	}
	if len(c.Relays) > 8 {
		return errors.New("charter: at most 8 relays")
	}
	for _, r := range c.Relays {
		if r.Addr == "" || len(r.TLSKey) != 32 {
			return fmt.Errorf("charter: relay %q: want an address and a 32-byte key", r.Addr)
		}
	}
	if r := c.RollCall; r != nil {
		if r.Every < Duration(time.Minute) || r.Answer <= 0 || r.Answer > r.Every {
			return errors.New("charter: roll-call: want every >= 1m and 0 < answer <= every")
		}
	}
	for i, p := range c.TwoPerson {
		if !slices.Contains(entry.Precedences, p) || slices.Contains(c.TwoPerson[:i], p) {
			return fmt.Errorf("charter: two_person: %q is unknown or repeated", p)
		}
	}
	if c.ClockTolerance < 0 || time.Duration(c.ClockTolerance) > MaxClockTolerance || c.ClockTolerance > 0 && c.ClockTolerance < Duration(time.Second) {
		return fmt.Errorf("charter: clock_tolerance: want 1s to %v, or absent for %v", MaxClockTolerance, DefaultClockTolerance)
	}
	if e := c.KeyEpoch; e != nil {
		if e.Messages < 0 || e.Messages > MaxEpochMessages {
			return fmt.Errorf("charter: key_epoch: messages: want 1 to %d, or absent for %d", MaxEpochMessages, DefaultEpochMessages)
		}
		if e.Time < 0 || e.Time > 0 && (time.Duration(e.Time) < MinEpochTime || time.Duration(e.Time) > MaxEpochTime) {
			return fmt.Errorf("charter: key_epoch: time: want %v to %v, or absent for %v", MinEpochTime, MaxEpochTime, DefaultEpochTime)
		}
	}
	if err := c.Templates.Validate(); err != nil {
		return fmt.Errorf("charter: %w", err)
	}
	if len(c.Deadlines) != len(entry.Precedences) {
		return errors.New("charter: deadlines name an unknown precedence")
	}
	return nil
}

// Signed is a charter with the signatures it carries.
type Signed struct {
	*Charter
	Raw      []byte   // the signed note, exactly as received
	SignedBy []string // the parties whose valid signatures it carries
}

// Complete reports whether every party has signed.
func (s *Signed) Complete() bool { return len(s.SignedBy) == len(s.Parties) }

// Missing lists the parties that have not signed yet.
func (s *Signed) Missing() []string {
	var m []string
	for _, p := range s.Slugs() {
		if !slices.Contains(s.SignedBy, p) {
			m = append(m, p)
		}
	}
	return m
}

// Sign adds the signature of the party with keys k to a charter that may
// already carry other parties' signatures.
func Sign(c *Charter, prior []byte, k *identity.Keys) (*Signed, error) {
	if c.Party(k.Slug) == nil {
		return nil, fmt.Errorf("charter does not name party %s", k.Slug)
	}
	n := &note.Note{Text: c.Text()}
	if prior != nil {
		s, err := Parse(prior)
		if err != nil {
			return nil, err
		}
		if s.Text() != c.Text() {
			return nil, errors.New("charter: signatures belong to another charter")
		}
		opened, err := note.Open(prior, verifiers(c))
		if err != nil {
			return nil, err
		}
		n = opened
	}
	raw, err := note.Sign(n, k.LogSigner)
	if err != nil {
		return nil, err
	}
	return Parse(raw)
}

func verifiers(c *Charter) note.Verifiers {
	var vs []note.Verifier
	for i := range c.Parties {
		if v, err := c.Parties[i].LogVerifier(); err == nil {
			vs = append(vs, v)
		}
	}
	return note.VerifierList(vs...)
}

// ErrNotACharter means the input is not a hotline charter.
var ErrNotACharter = errors.New("not a hotline charter")

// Parse decodes a signed charter and verifies every signature on it. A
// signature by a key the charter does not name is an error: a charter
// carries its parties' signatures and nothing else.
func Parse(b []byte) (*Signed, error) {
	if len(b) > MaxSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrNotACharter, MaxSize)
	}
	text, _, ok := bytes.Cut(b, []byte("\n\n"))
	body, found := bytes.CutPrefix(text, []byte(header))
	if !ok || !found {
		return nil, ErrNotACharter
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var c Charter
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotACharter, err)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if header+string(body)+"\n" != c.Text() {
		return nil, fmt.Errorf("%w: not in canonical form", ErrNotACharter)
	}
	n, err := note.Open(b, verifiers(&c))
	if err != nil {
		return nil, fmt.Errorf("charter signatures: %w", err)
	}
	// As in card.Parse: the text note.Open verified must be the charter itself.
	if n.Text != c.Text() {
		return nil, fmt.Errorf("%w: signed text is not the charter", ErrNotACharter)
	}
	if len(n.UnverifiedSigs) > 0 {
		return nil, fmt.Errorf("charter: signature by unknown key %s", n.UnverifiedSigs[0].Name)
	}
	s := &Signed{Charter: &c, Raw: b}
	for _, sig := range n.Sigs {
		for _, p := range c.Slugs() {
			if sig.Name == identity.LogKeyName(p) && !slices.Contains(s.SignedBy, p) {
				s.SignedBy = append(s.SignedBy, p)
			}
		}
	}
	return s, nil
}
