// Package card encodes a party's card: the signed, copy-pasteable statement
// of who a party is (name, languages), its public keys and its route
// addresses, and the fingerprint that two people read to each other over a
// phone to be sure the card was not swapped on the way.
//
// A card is a C2SP signed note whose text is the line "hotline card v1"
// followed by one line of JSON, signed by the party's own log key.
package card

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/hotline-line/hotline/internal/identity"
)

const header = "hotline card v1\n"

// MaxSize bounds an encoded card; anything larger is refused unread.
const MaxSize = 16 << 10

// Route is one way to reach a party.
type Route struct {
	Kind string `json:"kind"` // "direct": Addr is host:port of its mutual-TLS listener
	Addr string `json:"addr"`
}

// Card is the public identity of a party.
type Card struct {
	Party       string   `json:"party"`
	Name        string   `json:"name"`
	Langs       []string `json:"langs"`
	LogKey      string   `json:"log_key"`
	CosignerKey string   `json:"cosigner_key"`
	HPKEKey     []byte   `json:"hpke_key"`
	TLSKey      []byte   `json:"tls_key"`
	Routes      []Route  `json:"routes"`
	// RecoveryKey is the verifier key of the party's recovery key, kept
	// offline, that declares the signing keys compromised (protocol §32).
	// Cards made before it existed omit it and keep their bytes.
	RecoveryKey string `json:"recovery_key,omitempty"`
}

// New builds the card of the party with keys k.
func New(k *identity.Keys, name string, langs []string, routes []Route) *Card {
	return &Card{
		Party:       k.Slug,
		Name:        name,
		Langs:       langs,
		LogKey:      k.LogVerifierKey(),
		CosignerKey: k.CosignerVerifierKey(),
		HPKEKey:     k.HPKEPublicKey(),
		TLSKey:      k.TLSPublicKey(),
		Routes:      routes,
	}
}

// Text is the note text of the card: the exact bytes that are signed and
// fingerprinted.
func (c *Card) Text() string {
	b, err := json.Marshal(c)
	if err != nil {
		panic(err) // plain data
	}
	return header + string(b) + "\n"
}

// Sign returns the card as a signed note.
func (c *Card) Sign(k *identity.Keys) ([]byte, error) {
	return note.Sign(&note.Note{Text: c.Text()}, k.LogSigner)
}

// Fingerprint returns six groups of five digits derived from the card text,
// short enough to read aloud and long enough (about 100 bits) that nobody
// can make another card that reads the same.
func (c *Card) Fingerprint() string { return Fingerprint(c.Text()) }

// Fingerprint of an arbitrary note text.
func Fingerprint(text string) string {
	h := sha256.Sum256([]byte(text))
	groups := make([]string, 6)
	for i := range groups {
		v := uint32(h[3*i])<<16 | uint32(h[3*i+1])<<8 | uint32(h[3*i+2])
		groups[i] = fmt.Sprintf("%05d", v%100000)
	}
	return strings.Join(groups, " ")
}

// LogVerifier returns the verifier of the party's log key, checking that
// the key carries the party's own name.
func (c *Card) LogVerifier() (note.Verifier, error) {
	v, err := note.NewVerifier(c.LogKey)
	if err != nil {
		return nil, fmt.Errorf("card %s: log key: %w", c.Party, err)
	}
	if v.Name() != identity.LogKeyName(c.Party) {
		return nil, fmt.Errorf("card %s: log key is named %q, want %q", c.Party, v.Name(), identity.LogKeyName(c.Party))
	}
	return v, nil
}

// CosignerVerifier returns the verifier of the party's cosignatures.
func (c *Card) CosignerVerifier() (note.Verifier, error) {
	v, err := fnote.NewVerifierForCosignatureV1(c.CosignerKey)
	if err != nil {
		return nil, fmt.Errorf("card %s: cosigner key: %w", c.Party, err)
	}
	if v.Name() != identity.CosignerKeyName(c.Party) {
		return nil, fmt.Errorf("card %s: cosigner key is named %q, want %q", c.Party, v.Name(), identity.CosignerKeyName(c.Party))
	}
	return v, nil
}

// RecoveryVerifier returns the verifier of the party's recovery key, or
// nil if the card names none.
func (c *Card) RecoveryVerifier() (note.Verifier, error) {
	if c.RecoveryKey == "" {
		return nil, nil
	}
	v, err := note.NewVerifier(c.RecoveryKey)
	if err != nil {
		return nil, fmt.Errorf("card %s: recovery key: %w", c.Party, err)
	}
	if v.Name() != identity.RecoveryKeyName(c.Party) {
		return nil, fmt.Errorf("card %s: recovery key is named %q, want %q", c.Party, v.Name(), identity.RecoveryKeyName(c.Party))
	}
	return v, nil
}

// Validate checks the fields of a card.
func (c *Card) Validate() error {
	if !identity.ValidSlug(c.Party) {
		return fmt.Errorf("card: party %q: use lowercase letters, digits and hyphens", c.Party)
	}
	if strings.TrimSpace(c.Name) == "" || len(c.Name) > 200 {
		return fmt.Errorf("card %s: name must be 1 to 200 bytes", c.Party)
	}
	if len(c.Langs) == 0 || len(c.Langs) > 16 {
		return fmt.Errorf("card %s: langs must name 1 to 16 languages", c.Party)
	}
	for _, l := range c.Langs {
		if l == "" || len(l) > 35 {
			return fmt.Errorf("card %s: language tag %q", c.Party, l)
		}
	}
	if _, err := c.LogVerifier(); err != nil {
		return err
	}
	if _, err := c.CosignerVerifier(); err != nil {
		return err
	}
	if _, err := c.RecoveryVerifier(); err != nil {
		return err
	}
	if _, err := identity.KEM().NewPublicKey(c.HPKEKey); err != nil {
		return fmt.Errorf("card %s: hpke key: %w", c.Party, err)
	}
	if len(c.TLSKey) != 32 {
		return fmt.Errorf("card %s: tls key must be 32 bytes", c.Party)
	}
	if len(c.Routes) > 16 {
		return fmt.Errorf("card %s: too many routes", c.Party)
	}
	for _, r := range c.Routes {
		if r.Kind != "direct" || r.Addr == "" {
			return fmt.Errorf("card %s: route %q %q: only direct routes with an address are known", c.Party, r.Kind, r.Addr)
		}
	}
	return nil
}

// ErrNotACard means the input is not a hotline card.
var ErrNotACard = errors.New("not a hotline card")

// Parse decodes and verifies a signed card: the JSON must be well formed and
// valid, and the note must carry a good signature by the log key it names.
func Parse(b []byte) (*Card, error) {
	if len(b) > MaxSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrNotACard, MaxSize)
	}
	text, _, ok := bytes.Cut(b, []byte("\n\n"))
	body, found := bytes.CutPrefix(text, []byte(header))
	if !ok || !found {
		return nil, ErrNotACard
	}
	c, err := decodeJSON(body)
	if err != nil {
		return nil, err
	}
	v, err := c.LogVerifier()
	if err != nil {
		return nil, err
	}
	n, err := note.Open(b, note.VerifierList(v))
	if err != nil {
		return nil, fmt.Errorf("card %s: signature: %w", c.Party, err)
	}
	// note.Open takes the text up to the last blank line, the decoding above
	// up to the first: they must agree, or the signature covers more than the card.
	if n.Text != c.Text() {
		return nil, fmt.Errorf("%w: signed text is not the card", ErrNotACard)
	}
	return c, nil
}

func decodeJSON(body []byte) (*Card, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var c Card
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotACard, err)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	// The text must be exactly what Text would produce, so the signed bytes,
	// the fingerprint and the decoded card can never disagree.
	if header+string(body)+"\n" != c.Text() {
		return nil, fmt.Errorf("%w: not in canonical form", ErrNotACard)
	}
	return &c, nil
}
