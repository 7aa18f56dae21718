// Package transcript turns a line into proof a third party can check with
// no node and no network: a transcript holds the charter, every party's log
// entries (with the bodies the exporter could read), each log's signed
// checkpoint and every cosignature (delivery receipt) the exporter holds; a
// disclosure holds one message with inclusion proofs under cosigned
// checkpoints and nothing about any other message; a fork proof holds two
// checkpoints one author signed that cannot both be true.
//
// Verification recomputes every Merkle root from the entries and checks it
// against the signed checkpoints and cosignatures, with the checks of
// package verify that the node runs on what it receives. The exporter is
// not trusted: everything is checked against the keys in the charter,
// which every party signed. [Check] reports on every entry as well, for the
// console's proof page.
package transcript

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Formats of the three documents.
const (
	FormatTranscript = "hotline-transcript/v1"
	FormatDisclosure = "hotline-disclosure/v1"
	FormatFork       = "hotline-fork-proof/v1"
)

// MaxSize bounds a document read by Decode.
const MaxSize = 1 << 30

// Transcript is an exported line.
type Transcript struct {
	Format     string    `json:"format"`
	Line       string    `json:"line"`
	Charter    string    `json:"charter"` // the charter note, signed by every party
	ExportedBy string    `json:"exported_by"`
	ExportedAt time.Time `json:"exported_at"`
	Logs       []Log     `json:"logs"`
}

// Log is one party's log as the exporter holds it.
type Log struct {
	Author     string   `json:"author"`
	Entries    []Entry  `json:"entries"`
	Checkpoint string   `json:"checkpoint"`         // signed by Author at len(Entries)
	Receipts   []string `json:"receipts,omitempty"` // cosigned checkpoints, smallest first
}

// Entry is one leaf and, when the exporter could read it, its body.
type Entry struct {
	Leaf string `json:"leaf"`
	Salt []byte `json:"salt,omitempty"`
	Body []byte `json:"body,omitempty"`
}

// Proven is one entry with an inclusion proof under a signed checkpoint.
type Proven struct {
	Entry
	Author     string   `json:"author"`
	Index      uint64   `json:"index"`
	Size       uint64   `json:"size"`
	Inclusion  [][]byte `json:"inclusion"`
	Checkpoint string   `json:"checkpoint"` // signed by Author, cosigned by the others that held it
}

// Disclosure proves one message and what became of it.
type Disclosure struct {
	Format  string   `json:"format"`
	Line    string   `json:"line"`
	Charter string   `json:"charter"`
	Message Proven   `json:"message"`
	Marks   []Proven `json:"marks,omitempty"` // displayed, acknowledged and replies by the receivers
	// Keys are the line's key entries with their statements, so that a
	// checkpoint signed by keys they brought verifies (protocol §32).
	Keys []Proven `json:"keys,omitempty"`
}

// ForkProof shows two checkpoints by one author that disagree about the
// entry at Index.
type ForkProof struct {
	Format  string `json:"format"`
	Line    string `json:"line"`
	Charter string `json:"charter"`
	Author  string `json:"author"`
	Index   uint64 `json:"index"`
	A       Branch `json:"a"`
	B       Branch `json:"b"`
}

// Branch is one side of a fork: a signed checkpoint and the leaf it holds
// at the fork's index.
type Branch struct {
	Checkpoint string   `json:"checkpoint"`
	LeafHash   []byte   `json:"leaf_hash"`
	Inclusion  [][]byte `json:"inclusion"`
}

// ErrFormat means the file is not a hotline proof document.
var ErrFormat = errors.New("not a hotline transcript, disclosure or fork proof")

// ErrDamaged means the file begins as a hotline proof document but does
// not decode: it was cut short or changed on its way. Its sender can
// write it again (hotline export or disclose).
var ErrDamaged = errors.New("truncated or damaged")

// damaged reports data that names a hotline format but does not decode.
func damaged(data []byte, err error) error {
	for _, f := range []string{FormatTranscript, FormatDisclosure, FormatFork} {
		if bytes.Contains(data, []byte(`"`+f+`"`)) {
			return fmt.Errorf("%s file %w: %v", strings.TrimSuffix(f, "/v1"), ErrDamaged, err)
		}
	}
	return fmt.Errorf("%w: %v", ErrFormat, err)
}

// Decode reads any of the three documents; exactly one result is non-nil.
func Decode(data []byte) (*Transcript, *Disclosure, *ForkProof, error) {
	if len(data) > MaxSize {
		return nil, nil, nil, fmt.Errorf("%w: larger than %d bytes", ErrFormat, MaxSize)
	}
	var head struct {
		Format string `json:"format"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, nil, nil, damaged(data, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	switch head.Format {
	case FormatTranscript:
		var t Transcript
		if err := dec.Decode(&t); err != nil {
			return nil, nil, nil, damaged(data, err)
		}
		return &t, nil, nil, nil
	case FormatDisclosure:
		var d Disclosure
		if err := dec.Decode(&d); err != nil {
			return nil, nil, nil, damaged(data, err)
		}
		return nil, &d, nil, nil
	case FormatFork:
		var f ForkProof
		if err := dec.Decode(&f); err != nil {
			return nil, nil, nil, damaged(data, err)
		}
		return nil, nil, &f, nil
	}
	return nil, nil, nil, fmt.Errorf("%w: format %q", ErrFormat, head.Format)
}

// Marshal encodes a document with indentation, for people and diff tools.
func Marshal(v any) []byte {
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		panic(err)
	}
	return append(b, '\n')
}
