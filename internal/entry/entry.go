// Package entry defines the entries of a party's log: the leaf text that is
// hashed into the Merkle tree, and the bodies that travel sealed beside it.
//
// A leaf is a short text, one field per line, in a fixed order:
//
//	hotline entry v1
//	line 5d0c1f0e9b2a4c8d7e6f5a4b3c2d1e0f
//	author seoul
//	index 17
//	kind message
//	time 1795704000123
//	precedence FLASH
//	ref beijing 42 q8Zg...=
//	body 3J0f...=
//
// "precedence" appears only on messages; "ref" lines (zero or more, sorted
// by party) name the checkpoints of other parties' logs the author had seen;
// "body" is the base64 of the body commitment (see [Commit]). Parsing is
// strict: a leaf is accepted only if encoding the parsed fields gives back
// the same bytes, so one entry has exactly one encoding.
package entry

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hotline-line/hotline/internal/identity"
)

// Kind says what an entry records.
type Kind string

// The kinds of entries.
const (
	KindCharter   Kind = "charter"   // index 0 of every log: the signed charter, in the open
	KindMessage   Kind = "message"   // a message written by the author's party
	KindDisplayed Kind = "displayed" // a peer's message was shown to a person
	KindAck       Kind = "ack"       // a named officer acknowledged a peer's message
	KindLinkTest  Kind = "linktest"  // the results of a scheduled test of every route
	KindRollCall  Kind = "rollcall"  // a named officer confirmed a person is on watch
	KindNotice    Kind = "notice"    // a named officer suspended, reopened or closed the line
)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	switch k {
	case KindCharter, KindMessage, KindDisplayed, KindAck, KindLinkTest, KindRollCall, KindNotice:
		return true
	case KindTranslation, KindAgenda, KindAmendment: // translation.go, agenda.go, amendment.go
		return true
	case KindKey: // key.go
		return true
	}
	return false
}

// Precedence orders messages by urgency, as on military message systems.
type Precedence string

// The precedences, most urgent first.
const (
	Flash     Precedence = "FLASH"
	Immediate Precedence = "IMMEDIATE"
	Priority  Precedence = "PRIORITY"
	Routine   Precedence = "ROUTINE"
)

// Precedences lists every precedence, most urgent first.
var Precedences = []Precedence{Flash, Immediate, Priority, Routine}

// ParsePrecedence accepts a precedence name in any case.
func ParsePrecedence(s string) (Precedence, error) {
	p := Precedence(strings.ToUpper(s))
	if !slices.Contains(Precedences, p) {
		return "", fmt.Errorf("unknown precedence %q: use FLASH, IMMEDIATE, PRIORITY or ROUTINE", s)
	}
	return p, nil
}

// Urgent reports whether p travels on every route at once.
func (p Precedence) Urgent() bool { return p == Flash || p == Immediate }

// Rank orders precedences for people, most urgent first: 0 for FLASH, and
// len(Precedences) for none or an unknown one.
func (p Precedence) Rank() int {
	if i := slices.Index(Precedences, p); i >= 0 {
		return i
	}
	return len(Precedences)
}

// Ref names a checkpoint of another party's log.
type Ref struct {
	Party string
	Size  uint64
	Root  []byte
}

// Leaf is the decoded leaf text of an entry.
type Leaf struct {
	Line       string
	Author     string
	Index      uint64
	Kind       Kind
	Time       time.Time // millisecond precision
	Precedence Precedence
	Refs       []Ref
	Body       []byte // the body commitment, 32 bytes
}

const leafHeader = "hotline entry v1\n"

// MaxLeafSize bounds a leaf; larger ones are refused unread.
const MaxLeafSize = 16 << 10 // room for a ref to each of 64 parties

// Marshal encodes the leaf text.
func (l *Leaf) Marshal() []byte {
	var b bytes.Buffer
	b.WriteString(leafHeader)
	fmt.Fprintf(&b, "line %s\nauthor %s\nindex %d\nkind %s\ntime %d\n", l.Line, l.Author, l.Index, l.Kind, l.Time.UnixMilli())
	if l.Precedence != "" {
		fmt.Fprintf(&b, "precedence %s\n", l.Precedence)
	}
	// Refs are written sorted by party, the only order Parse accepts.
	refs := slices.Clone(l.Refs)
	slices.SortStableFunc(refs, func(a, b Ref) int { return strings.Compare(a.Party, b.Party) })
	for _, r := range refs {
		fmt.Fprintf(&b, "ref %s %d %s\n", r.Party, r.Size, base64.StdEncoding.EncodeToString(r.Root))
	}
	fmt.Fprintf(&b, "body %s\n", base64.StdEncoding.EncodeToString(l.Body))
	return b.Bytes()
}

// ErrMalformed is wrapped by every leaf decoding error.
var ErrMalformed = errors.New("malformed entry")

// Parse decodes a leaf strictly.
func Parse(b []byte) (*Leaf, error) {
	if len(b) > MaxLeafSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrMalformed, len(b), MaxLeafSize)
	}
	rest, ok := bytes.CutPrefix(b, []byte(leafHeader))
	if !ok {
		return nil, fmt.Errorf("%w: missing header", ErrMalformed)
	}
	lines := strings.Split(string(rest), "\n")
	if len(lines) < 2 || lines[len(lines)-1] != "" {
		return nil, fmt.Errorf("%w: must end with a newline", ErrMalformed)
	}
	lines = lines[:len(lines)-1]
	l := &Leaf{}
	next := func(key string) (string, error) {
		if len(lines) == 0 {
			return "", fmt.Errorf("%w: missing %s", ErrMalformed, key)
		}
		v, ok := strings.CutPrefix(lines[0], key+" ")
		if !ok {
			return "", fmt.Errorf("%w: want %s, got %.40q", ErrMalformed, key, lines[0])
		}
		lines = lines[1:]
		return v, nil
	}
	var err error
	var v string
	if l.Line, err = next("line"); err != nil {
		return nil, err
	}
	if !validLineID(l.Line) {
		return nil, fmt.Errorf("%w: line %.40q", ErrMalformed, l.Line)
	}
	if l.Author, err = next("author"); err != nil {
		return nil, err
	}
	if !identity.ValidSlug(l.Author) {
		return nil, fmt.Errorf("%w: author %q", ErrMalformed, l.Author)
	}
	if v, err = next("index"); err != nil {
		return nil, err
	}
	if l.Index, err = strconv.ParseUint(v, 10, 64); err != nil {
		return nil, fmt.Errorf("%w: index: %v", ErrMalformed, err)
	}
	if v, err = next("kind"); err != nil {
		return nil, err
	}
	if l.Kind = Kind(v); !l.Kind.Valid() {
		return nil, fmt.Errorf("%w: unknown kind %q", ErrMalformed, v)
	}
	if v, err = next("time"); err != nil {
		return nil, err
	}
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%w: time: %v", ErrMalformed, err)
	}
	l.Time = time.UnixMilli(ms).UTC()
	if len(lines) > 0 && strings.HasPrefix(lines[0], "precedence ") {
		v, _ = next("precedence")
		if l.Precedence, err = ParsePrecedence(v); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
	}
	if (l.Precedence != "") != (l.Kind == KindMessage) {
		return nil, fmt.Errorf("%w: precedence is required on messages and only there", ErrMalformed)
	}
	for len(lines) > 0 && strings.HasPrefix(lines[0], "ref ") {
		v, _ = next("ref")
		f := strings.Split(v, " ")
		if len(f) != 3 || !identity.ValidSlug(f[0]) {
			return nil, fmt.Errorf("%w: ref %.60q", ErrMalformed, v)
		}
		size, err1 := strconv.ParseUint(f[1], 10, 64)
		root, err2 := base64.StdEncoding.DecodeString(f[2])
		if err1 != nil || err2 != nil || len(root) != sha256.Size {
			return nil, fmt.Errorf("%w: ref %.60q", ErrMalformed, v)
		}
		// A ref says what the author held of another log: its own log is
		// not another, and an empty log holds nothing to cross-check.
		if f[0] == l.Author {
			return nil, fmt.Errorf("%w: ref names the entry's own author", ErrMalformed)
		}
		if size == 0 {
			return nil, fmt.Errorf("%w: ref of size 0", ErrMalformed)
		}
		if n := len(l.Refs); n > 0 && l.Refs[n-1].Party >= f[0] {
			return nil, fmt.Errorf("%w: refs not sorted by party", ErrMalformed)
		}
		l.Refs = append(l.Refs, Ref{Party: f[0], Size: size, Root: root})
	}
	if v, err = next("body"); err != nil {
		return nil, err
	}
	if l.Body, err = base64.StdEncoding.DecodeString(v); err != nil || len(l.Body) != sha256.Size {
		return nil, fmt.Errorf("%w: body commitment", ErrMalformed)
	}
	if len(lines) != 0 {
		return nil, fmt.Errorf("%w: unexpected line %.40q", ErrMalformed, lines[0])
	}
	if !bytes.Equal(l.Marshal(), b) {
		return nil, fmt.Errorf("%w: not in canonical form", ErrMalformed)
	}
	return l, nil
}

// validLineID reports whether s is a line ID as charter.ID makes them: 32
// lowercase hexadecimal digits.
func validLineID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// ID is the message ID of the entry: "author-index", unique on a line.
func (l *Leaf) ID() string { return ID(l.Author, l.Index) }

// ID formats a message ID.
func ID(author string, index uint64) string { return author + "-" + strconv.FormatUint(index, 10) }

// ParseID splits a message ID into author and index.
func ParseID(id string) (author string, index uint64, err error) {
	i := strings.LastIndexByte(id, '-')
	if i <= 0 {
		return "", 0, fmt.Errorf("message ID %q: want party-number, like seoul-17", id)
	}
	index, err = strconv.ParseUint(id[i+1:], 10, 64)
	// ID(author, index) must give id back: "seoul-017" is not seoul-17.
	if err != nil || !identity.ValidSlug(id[:i]) || ID(id[:i], index) != id {
		return "", 0, fmt.Errorf("message ID %q: want party-number, like seoul-17", id)
	}
	return id[:i], index, nil
}

// SaltSize is the size of the random salt that hides a body's commitment.
const SaltSize = 32

// Commit returns the body commitment SHA-256("hotline body v1\x00" || salt ||
// body). The salt travels sealed with the body, so a reader of the log alone
// cannot confirm a guessed text, while the holder of salt and body can show
// any third party that the log committed to exactly that body.
func Commit(salt, body []byte) []byte {
	h := sha256.New()
	h.Write([]byte("hotline body v1\x00"))
	h.Write(salt)
	h.Write(body)
	return h.Sum(nil)
}
