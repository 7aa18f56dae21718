package entry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/hotline-line/hotline/internal/identity"
)

// KindKey is a key entry: the author replaces its signing keys from the
// next checkpoint of its log on (protocol §32). Its body travels in the
// open, like the charter, so that every verifier can follow the chain.
const KindKey Kind = "key"

// KeyChange is the statement a key entry carries: from its own index on,
// Party's log and cosignatures are signed by LogKey and CosignerKey. Line,
// Party and Index repeat the entry's place inside the signed text, so a
// statement cannot be replayed at another place or on another line.
//
// The statement is signed by the key it replaces (the authority to speak
// for the party) and by the new log key (proof that the party holds it).
// HPKEKey and TLSKey, when present, replace the party's HPKE key (new
// bodies are sealed to it) and TLS key (its direct route presents it): a
// rotation then leaves nothing of the old seed in force. They are omitted
// in statements that replace only the signing keys, so those keep their
// bytes.
//
// When Compromised is set, the old key is presumed stolen from that time:
// the recovery key of the party's card signs in its place, and entries the
// old key signed after that time are disputed.
type KeyChange struct {
	Line        string     `json:"line"`
	Party       string     `json:"party"`
	Index       uint64     `json:"index"`
	LogKey      string     `json:"log_key"`
	CosignerKey string     `json:"cosigner_key"`
	HPKEKey     []byte     `json:"hpke_key,omitempty"`
	TLSKey      []byte     `json:"tls_key,omitempty"`
	Compromised *time.Time `json:"compromised,omitempty"`
}

// NewKeyChange is the statement that hands party's log on line over to
// next's keys at index: its signing keys, HPKE key and TLS key.
func NewKeyChange(line string, index uint64, next *identity.Keys) *KeyChange {
	return &KeyChange{Line: line, Party: next.Slug, Index: index, LogKey: next.LogVerifierKey(), CosignerKey: next.CosignerVerifierKey(),
		HPKEKey: next.HPKEPublicKey(), TLSKey: next.TLSPublicKey()}
}

// Sign returns the statement as a signed note: by the key it replaces (or
// the recovery key) and by the new log key.
func (k *KeyChange) Sign(signers ...note.Signer) ([]byte, error) {
	return note.Sign(&note.Note{Text: k.Text()}, signers...)
}

// keyHeader starts the text of a key statement.
const keyHeader = "hotline key v1\n"

// MaxKeyBody bounds the signed note of a key statement: the text and a
// handful of signature lines.
const MaxKeyBody = 4 << 10

// Text is the note text of the statement: the bytes its signatures cover.
func (k *KeyChange) Text() string {
	c := *k
	if c.Compromised != nil {
		t := c.Compromised.UTC().Truncate(time.Second)
		c.Compromised = &t
	}
	b, err := json.Marshal(&c)
	if err != nil {
		panic(err) // plain data
	}
	return keyHeader + string(b) + "\n"
}

// ErrKeyOtherPlace means a key statement names another line, party or
// index than the entry that carries it.
var ErrKeyOtherPlace = errors.New("the key statement names another place than its entry")

// DecodeKeyChange decodes the text of the signed note in a key entry's
// body strictly: the header, one line of canonical JSON, and the blank
// line before the signatures. It does not check the signatures (package
// verify does, with the keys in force).
func DecodeKeyChange(body []byte) (*KeyChange, error) {
	if len(body) > MaxKeyBody {
		return nil, fmt.Errorf("key statement: %d bytes, limit %d", len(body), MaxKeyBody)
	}
	text, _, ok := bytes.Cut(body, []byte("\n\n"))
	js, found := bytes.CutPrefix(text, []byte(keyHeader))
	if !ok || !found || bytes.IndexByte(js, '\n') >= 0 {
		return nil, errors.New("key statement: not a hotline key v1 note")
	}
	var k KeyChange
	if err := strictJSON(js, &k); err != nil {
		return nil, fmt.Errorf("key statement: %w", err)
	}
	if err := k.Validate(); err != nil {
		return nil, err
	}
	if keyHeader+string(js)+"\n" != k.Text() {
		return nil, errors.New("key statement: not in canonical form")
	}
	return &k, nil
}

// ErrKeyStatementKey means a key statement carries an HPKE or TLS key of
// the wrong size, or only one of the two: a rotation replaces both or
// neither.
var ErrKeyStatementKey = errors.New("the key statement carries a malformed HPKE or TLS key")

// HPKEKeySize is the size of a serialized HPKE public key of the KEM every
// party uses (identity.KEM: ML-KEM-768 and X25519).
const HPKEKeySize = 1184 + 32

// Validate checks the fields of a statement, and the sizes of its HPKE
// and TLS keys, not its keys' encoding (package verify parses them).
func (k *KeyChange) Validate() error {
	if !validLineID(k.Line) {
		return fmt.Errorf("key statement: line %.40q", k.Line)
	}
	if !identity.ValidSlug(k.Party) {
		return fmt.Errorf("key statement: party %.40q", k.Party)
	}
	if k.Index == 0 {
		return errors.New("key statement: index 0 is the charter")
	}
	if k.LogKey == "" || k.CosignerKey == "" {
		return errors.New("key statement: log_key and cosigner_key are required")
	}
	if (k.HPKEKey == nil) != (k.TLSKey == nil) {
		return fmt.Errorf("%w: hpke_key and tls_key come together", ErrKeyStatementKey)
	}
	if k.HPKEKey != nil && (len(k.HPKEKey) != HPKEKeySize || len(k.TLSKey) != 32) {
		return fmt.Errorf("%w: hpke_key of %d bytes (want %d), tls_key of %d (want 32)", ErrKeyStatementKey, len(k.HPKEKey), HPKEKeySize, len(k.TLSKey))
	}
	return nil
}

// Check checks that the statement is about the entry l that carries it.
func (k *KeyChange) Check(l *Leaf) error {
	if k.Line != l.Line || k.Party != l.Author || k.Index != l.Index {
		return fmt.Errorf("%w: %s/%s-%d in entry %s", ErrKeyOtherPlace, k.Line, k.Party, k.Index, l.ID())
	}
	return nil
}
