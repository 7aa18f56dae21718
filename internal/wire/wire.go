// Package wire defines the bundle: the one unit every route carries between
// nodes. A bundle holds segments of logs (entries with a signed checkpoint
// and a consistency proof), cosignatures (delivery receipts), and the sizes
// of every log its sender holds. Routes never look inside; nodes verify
// everything in it before they trust a byte.
//
// A bundle is JSON with byte strings in standard base64. See
// docs/protocol.md for the exchange built on it.
package wire

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/identity"
	"github.com/hotline-line/hotline/internal/seal"
	"github.com/hotline-line/hotline/internal/tlog"
)

// Version is the bundle format version.
const Version = 1

// Limits on what one bundle may hold. A sender splits larger transfers.
const (
	MaxBundleSize    = 64 << 20
	MaxSegmentLength = 2000
	MaxSegments      = 64
	MaxCosigs        = 256
	MaxHave          = 256
	MaxProof         = 128
	MaxErrorSize     = 4 << 10 // bytes of error text in a reply
)

// maxField is the largest byte string in a bundle: an envelope.
const maxField = seal.MaxEnvelopeSize

// Entry is one log entry on the wire: its leaf text and its sealed body.
type Entry struct {
	Leaf     []byte `json:"leaf"`
	Envelope []byte `json:"envelope"`
}

// Segment carries entries Start..Size-1 of Author's log, the author's signed
// checkpoint at Size, and a consistency proof from Start to Size.
type Segment struct {
	Author     string   `json:"author"`
	Checkpoint []byte   `json:"checkpoint"`
	Start      uint64   `json:"start"`
	Entries    []Entry  `json:"entries"`
	Proof      [][]byte `json:"proof,omitempty"`
}

// Bundle is what a route carries.
type Bundle struct {
	V        int               `json:"v"`
	Line     string            `json:"line"`
	From     string            `json:"from"`
	Segments []Segment         `json:"segments,omitempty"`
	Cosigs   [][]byte          `json:"cosigs,omitempty"` // cosigned checkpoints, by From
	Have     map[string]uint64 `json:"have,omitempty"`   // From holds each party's log up to this size
	Pull     bool              `json:"pull,omitempty"`   // the sender asks for what it lacks in the reply
	Error    string            `json:"error,omitempty"`  // in a reply: why the request was refused
}

// ErrMalformed is wrapped by every decoding error.
var ErrMalformed = errors.New("malformed bundle")

// sendable is b with its error text made something a parser accepts:
// valid UTF-8 of at most MaxErrorSize bytes.
func (b *Bundle) sendable() *Bundle {
	if len(b.Error) <= MaxErrorSize && utf8.ValidString(b.Error) {
		return b
	}
	c := *b
	c.Error = strings.ToValidUTF8(c.Error, "\uFFFD")
	for len(c.Error) > MaxErrorSize {
		_, n := utf8.DecodeLastRuneInString(c.Error)
		c.Error = c.Error[:len(c.Error)-n]
	}
	return &c
}

// Decode reads one bundle sent to a node (a request, or a bundle carried
// by the relay or in a parcel): it may not carry error. Limits are
// enforced as the body is read, and reading stops at the first refusal.
func Decode(r io.Reader) (*Bundle, error) { return decode(r, false) }

// DecodeReply reads one reply bundle: like Decode, and error is allowed.
func DecodeReply(r io.Reader) (*Bundle, error) { return decode(r, true) }

// Parse is Decode of data.
func Parse(data []byte) (*Bundle, error) { return decode(bytes.NewReader(data), false) }

// ParseReply is DecodeReply of data.
func ParseReply(data []byte) (*Bundle, error) { return decode(bytes.NewReader(data), true) }

var (
	bundleFields  = []string{"v", "line", "from", "segments", "cosigs", "have", "pull", "error"}
	segmentFields = []string{"author", "checkpoint", "start", "entries", "proof"}
	entryFields   = []string{"leaf", "envelope"}
)

func decode(r io.Reader, reply bool) (*Bundle, error) {
	d := newDecoder(r, reply)
	var b Bundle
	seen, err := d.object(false, bundleFields, func(key string) error { return d.bundleField(&b, key) })
	if err != nil {
		return nil, err
	}
	for _, f := range bundleFields[:3] {
		if !seen[f] {
			return nil, d.fail("no %q", f)
		}
	}
	if err := d.end(); err != nil {
		return nil, err
	}
	return &b, nil
}

func (d *decoder) bundleField(b *Bundle, key string) (err error) {
	switch key {
	case "v":
		v, err := d.uint(true)
		if err == nil && v != Version {
			return d.fail("version %d, want %d", v, Version)
		}
		b.V = int(v)
		return err
	case "line":
		if b.Line, err = d.str(true, 32); err == nil && !validLine(b.Line) {
			return d.fail("%q is not a line ID (32 lowercase hex digits)", b.Line)
		}
	case "from":
		b.From, err = d.slug(true)
	case "segments":
		return d.array(true, MaxSegments, func(_ int, sep bool) error {
			b.Segments = append(b.Segments, Segment{})
			return d.segment(sep, &b.Segments[len(b.Segments)-1])
		})
	case "cosigs":
		return d.array(true, MaxCosigs, func(_ int, sep bool) error {
			c, err := d.bytes(sep, tlog.MaxNoteSize)
			b.Cosigs = append(b.Cosigs, c)
			return err
		})
	case "have":
		b.Have, err = d.have()
	case "pull":
		t, err := d.token(true)
		if err != nil {
			return err
		}
		if t != true {
			return d.fail("want true (leave the field out for false), got %s", describe(t))
		}
		b.Pull = true
	case "error":
		if !d.reply {
			return d.fail("error is allowed only in a reply")
		}
		b.Error, err = d.str(true, MaxErrorSize)
	}
	return err
}

func (d *decoder) slug(sep bool) (string, error) {
	s, err := d.str(sep, 32)
	if err == nil && !identity.ValidSlug(s) {
		return "", d.fail("%q is not a slug", s)
	}
	return s, err
}

func validLine(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return len(s) == 32
}

// have reads the sizes held: slugs in increasing byte order, as Marshal
// sorts them.
func (d *decoder) have() (map[string]uint64, error) {
	if err := d.delim(true, '{'); err != nil {
		return nil, err
	}
	m, prev, base := map[string]uint64{}, "", d.path
	for first := true; first || d.more(); first = false {
		if len(m) == MaxHave {
			return nil, d.fail("more than %d parties", MaxHave)
		}
		p, err := d.key(!first)
		if err != nil {
			return nil, err
		}
		if !identity.ValidSlug(p) {
			return nil, d.fail("%q is not a slug", p)
		}
		if p <= prev {
			return nil, d.fail("%q after %q: parties come once each, in byte order", p, prev)
		}
		d.path = base + "." + p
		if m[p], err = d.uint(true); err != nil {
			return nil, err
		}
		d.path, prev = base, p
	}
	return m, d.delim(false, '}')
}

func (d *decoder) segment(sep bool, s *Segment) error {
	seen, err := d.object(sep, segmentFields, func(key string) (err error) {
		switch key {
		case "author":
			s.Author, err = d.slug(true)
		case "checkpoint":
			s.Checkpoint, err = d.bytes(true, tlog.MaxNoteSize)
		case "start":
			s.Start, err = d.uint(true)
		case "entries":
			err = d.array(true, MaxSegmentLength, func(_ int, sep bool) error {
				s.Entries = append(s.Entries, Entry{})
				return d.entry(sep, &s.Entries[len(s.Entries)-1])
			})
		case "proof":
			err = d.array(true, MaxProof, func(_ int, sep bool) error {
				h, err := d.bytes(sep, hashSize)
				if err == nil && len(h) != hashSize {
					err = d.fail("%d bytes, want %d", len(h), hashSize)
				}
				s.Proof = append(s.Proof, h)
				return err
			})
		}
		return err
	})
	if err != nil {
		return err
	}
	if s.Start == 0 && len(s.Proof) > 0 {
		return d.fail("a proof from size 0")
	}
	return d.required(seen, segmentFields[:4])
}

func (d *decoder) entry(sep bool, e *Entry) error {
	seen, err := d.object(sep, entryFields, func(key string) (err error) {
		switch key {
		case "leaf":
			e.Leaf, err = d.bytes(true, entry.MaxLeafSize)
		case "envelope":
			e.Envelope, err = d.bytes(true, seal.MaxEnvelopeSize)
		}
		return err
	})
	if err != nil {
		return err
	}
	return d.required(seen, entryFields)
}

func (d *decoder) required(seen map[string]bool, fields []string) error {
	for _, f := range fields {
		if !seen[f] {
			return d.fail("no %q", f)
		}
	}
	return nil
}

// hashSize is the size of a hash in a consistency proof (SHA-256).
const hashSize = 32

// Validate checks the shape of a bundle built in memory (not its
// signatures): it holds what Decode would accept from the wire.
func (b *Bundle) Validate() error {
	_, err := ParseReply(b.Marshal())
	return err
}
