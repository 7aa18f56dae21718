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
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/hotline-line/hotline/internal/identity"
	"github.com/hotline-line/hotline/internal/seal"
)

// Version is the bundle format version.
const Version = 1

// Limits on what one bundle may hold. A sender splits larger transfers.
const (
	MaxBundleSize    = 64 << 20
	MaxSegmentLength = 2000
	MaxSegments      = 64
	MaxCosigs        = 256
)

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

// Encode writes b as JSON.
func (b *Bundle) Encode(w io.Writer) error {
	return json.NewEncoder(w).Encode(b)
}

// Marshal returns b as JSON.
func (b *Bundle) Marshal() []byte {
	var buf bytes.Buffer
	b.Encode(&buf)
	return buf.Bytes()
}

// Decode reads and validates one bundle of at most MaxBundleSize bytes.
func Decode(r io.Reader) (*Bundle, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBundleSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return Parse(data)
}

// Parse decodes and validates a bundle.
func Parse(data []byte) (*Bundle, error) {
	if len(data) > MaxBundleSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrMalformed, MaxBundleSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var b Bundle
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	// More would report false for a stray '}' or ']'; only EOF ends a bundle.
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing data", ErrMalformed)
	}
	return &b, b.Validate()
}

// Validate checks the shape of a bundle (not its signatures).
func (b *Bundle) Validate() error {
	bad := func(f string, a ...any) error { return fmt.Errorf("%w: "+f, append([]any{ErrMalformed}, a...)...) }
	if b.V != Version {
		return bad("version %d, want %d", b.V, Version)
	}
	if len(b.Line) != 32 {
		return bad("line %q", b.Line)
	}
	if !identity.ValidSlug(b.From) {
		return bad("from %q", b.From)
	}
	if len(b.Segments) > MaxSegments || len(b.Cosigs) > MaxCosigs || len(b.Have) > 256 {
		return bad("too many parts")
	}
	for p := range b.Have {
		if !identity.ValidSlug(p) {
			return bad("have %q", p)
		}
	}
	for i, s := range b.Segments {
		if !identity.ValidSlug(s.Author) {
			return bad("segment %d: author %q", i, s.Author)
		}
		if len(s.Entries) == 0 || len(s.Entries) > MaxSegmentLength {
			return bad("segment %d: %d entries, want 1 to %d", i, len(s.Entries), MaxSegmentLength)
		}
		if len(s.Proof) > 128 {
			return bad("segment %d: proof too long", i)
		}
		for j, e := range s.Entries {
			if len(e.Leaf) == 0 || len(e.Envelope) > seal.MaxEnvelopeSize {
				return bad("segment %d entry %d: empty leaf or oversized envelope", i, j)
			}
		}
	}
	return nil
}
