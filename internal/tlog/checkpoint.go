package tlog

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	flog "github.com/transparency-dev/formats/log"
	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

// MaxNoteSize bounds a checkpoint or cosignature note.
const MaxNoteSize = 8 << 10

// Origin is the C2SP origin line of party's log on line.
func Origin(line, party string) string { return "hotline/" + line + "/" + party }

// Checkpoint is a verified, signed checkpoint.
type Checkpoint struct {
	Origin string
	Size   uint64
	Root   []byte
	Note   []byte // the signed note, exactly as signed
}

// Text is the checkpoint body that signatures and cosignatures cover.
func (c *Checkpoint) Text() string {
	return string(flog.Checkpoint{Origin: c.Origin, Size: c.Size, Hash: c.Root}.Marshal())
}

// Sign produces a signed checkpoint.
func Sign(s note.Signer, origin string, size uint64, root []byte) (*Checkpoint, error) {
	c := &Checkpoint{Origin: origin, Size: size, Root: root}
	b, err := note.Sign(&note.Note{Text: c.Text()}, s)
	if err != nil {
		return nil, fmt.Errorf("sign checkpoint: %w", err)
	}
	c.Note = b
	return c, nil
}

// ErrBadCheckpoint is wrapped by every checkpoint verification failure.
var ErrBadCheckpoint = errors.New("bad checkpoint")

// Open verifies a signed checkpoint of the log origin under the log's key.
// A checkpoint with extension lines is refused: hotline writes none.
func Open(b []byte, origin string, v note.Verifier) (*Checkpoint, error) {
	if len(b) > MaxNoteSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrBadCheckpoint, len(b))
	}
	cp, ext, n, err := flog.ParseCheckpoint(b, origin, v)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadCheckpoint, err)
	}
	if len(ext) != 0 {
		return nil, fmt.Errorf("%w: unexpected extension lines", ErrBadCheckpoint)
	}
	if len(cp.Hash) != 32 {
		return nil, fmt.Errorf("%w: root hash is %d bytes", ErrBadCheckpoint, len(cp.Hash))
	}
	// The parser accepts "007" for 7 and base64 with stray bits; such a note
	// signs another text than Checkpoint.Text, the text cosigners sign.
	if n.Text != string(cp.Marshal()) {
		return nil, fmt.Errorf("%w: not in canonical form", ErrBadCheckpoint)
	}
	return &Checkpoint{Origin: cp.Origin, Size: cp.Size, Root: cp.Hash, Note: b}, nil
}

// Cosignature is a verified C2SP tlog-cosignature on a checkpoint.
type Cosignature struct {
	Checkpoint           // the checkpoint text it covers (Note holds the cosigned note)
	Cosigner   string    // the party that cosigned
	Time       time.Time // when, by the cosigner's clock
}

// Cosign returns a note holding the checkpoint text and the cosigner's
// cosignature/v1 signature, and the time the signature states. That note is
// a delivery receipt: "at this time I held this log up to Size".
func Cosign(c *Checkpoint, s *fnote.Signer) ([]byte, time.Time, error) {
	b, err := note.Sign(&note.Note{Text: c.Text()}, s)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("cosign: %w", err)
	}
	// The signature line is "— name base64(keyhash[4] || time[8] || sig[64])".
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	f := strings.Fields(lines[len(lines)-1])
	raw, err := base64.StdEncoding.DecodeString(f[len(f)-1])
	if err != nil || len(raw) != 4+8+64 {
		return nil, time.Time{}, fmt.Errorf("cosign: unexpected signature encoding")
	}
	return b, time.Unix(int64(binary.BigEndian.Uint64(raw[4:12])), 0).UTC(), nil
}

// ErrBadCosignature is wrapped by every cosignature verification failure.
var ErrBadCosignature = errors.New("bad cosignature")

// OpenCosignature verifies a cosigned checkpoint note of log origin by the
// cosigner whose verifier is v.
func OpenCosignature(b []byte, origin, cosigner string, v note.Verifier) (*Cosignature, error) {
	if len(b) > MaxNoteSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrBadCosignature, len(b))
	}
	n, err := note.Open(b, note.VerifierList(v))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadCosignature, err)
	}
	var sig *note.Signature
	for i := range n.Sigs {
		if n.Sigs[i].Name == v.Name() && n.Sigs[i].Hash == v.KeyHash() {
			sig = &n.Sigs[i]
		}
	}
	if sig == nil {
		return nil, fmt.Errorf("%w: not signed by %s", ErrBadCosignature, v.Name())
	}
	var cp flog.Checkpoint
	ext, err := cp.Unmarshal([]byte(n.Text))
	if err != nil || len(ext) != 0 || len(cp.Hash) != 32 || n.Text != string(cp.Marshal()) {
		return nil, fmt.Errorf("%w: not a checkpoint", ErrBadCosignature)
	}
	if cp.Origin != origin {
		return nil, fmt.Errorf("%w: origin %q, want %q", ErrBadCosignature, cp.Origin, origin)
	}
	t, err := fnote.CoSigV1Timestamp(*sig)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadCosignature, err)
	}
	if !bytes.HasPrefix(b, []byte(n.Text)) {
		return nil, fmt.Errorf("%w: malformed note", ErrBadCosignature)
	}
	return &Cosignature{
		Checkpoint: Checkpoint{Origin: cp.Origin, Size: cp.Size, Root: cp.Hash, Note: b},
		Cosigner:   cosigner,
		Time:       t.UTC(),
	}, nil
}
