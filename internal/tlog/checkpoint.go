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
	n, err := OpenNote(b, note.VerifierList(v))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadCheckpoint, err)
	}
	if !SignedBy(n, v) {
		return nil, fmt.Errorf("%w: not signed by %s", ErrBadCheckpoint, v.Name())
	}
	cp, err := ParseText(n.Text, origin)
	if err != nil {
		return nil, err
	}
	cp.Note = b
	return cp, nil
}

// ParseText reads the text of a checkpoint of the log origin. Only the
// canonical form is accepted: the parser takes "007" for 7 and base64 with
// stray bits, and such a text is another text than Checkpoint.Text, the
// text cosigners sign.
func ParseText(text, origin string) (*Checkpoint, error) {
	var cp flog.Checkpoint
	ext, err := cp.Unmarshal([]byte(text))
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w: %v", ErrBadCheckpoint, err)
	case cp.Origin != origin:
		return nil, fmt.Errorf("%w: origin %q, want %q", ErrBadCheckpoint, cp.Origin, origin)
	case len(ext) != 0:
		return nil, fmt.Errorf("%w: unexpected extension lines", ErrBadCheckpoint)
	case len(cp.Hash) != 32:
		return nil, fmt.Errorf("%w: root hash is %d bytes", ErrBadCheckpoint, len(cp.Hash))
	case text != string(cp.Marshal()):
		return nil, fmt.Errorf("%w: not in canonical form", ErrBadCheckpoint)
	}
	return &Checkpoint{Origin: cp.Origin, Size: cp.Size, Root: cp.Hash}, nil
}

// OpenNote opens a signed note and verifies every signature made by a key
// in known, repeats included: note.Open checks only the first signature of
// each key and drops the others unseen, so a forged line could ride beside
// a valid one. Signatures by other keys are left in UnverifiedSigs. At
// least one signature must be by a known key. A failing signature is a
// *note.InvalidSignatureError.
func OpenNote(b []byte, known note.Verifiers) (*note.Note, error) {
	if len(b) > MaxNoteSize {
		return nil, fmt.Errorf("note of %d bytes", len(b))
	}
	// With no key known, note.Open checks the note's form only and hands
	// back every distinct signature line unverified.
	_, err := note.Open(b, noKeys{})
	var u *note.UnverifiedNoteError
	if !errors.As(err, &u) {
		return nil, err
	}
	n := u.Note
	sigs := n.UnverifiedSigs
	n.UnverifiedSigs = nil
	for _, s := range sigs {
		v, err := known.Verifier(s.Name, s.Hash)
		if _, ok := err.(*note.UnknownVerifierError); ok {
			n.UnverifiedSigs = append(n.UnverifiedSigs, s)
			continue
		}
		if err != nil {
			return nil, err
		}
		raw, err := base64.StdEncoding.DecodeString(s.Base64)
		if err != nil || len(raw) < 5 || v.Name() != s.Name || v.KeyHash() != s.Hash || !v.Verify([]byte(n.Text), raw[4:]) {
			return nil, &note.InvalidSignatureError{Name: s.Name, Hash: s.Hash}
		}
		n.Sigs = append(n.Sigs, s)
	}
	if len(n.Sigs) == 0 {
		return nil, &note.UnverifiedNoteError{Note: n}
	}
	return n, nil
}

// SignedBy reports whether an opened note carries a verified signature by v.
func SignedBy(n *note.Note, v note.Verifier) bool {
	for _, s := range n.Sigs {
		if s.Name == v.Name() && s.Hash == v.KeyHash() {
			return true
		}
	}
	return false
}

// noKeys knows no key.
type noKeys struct{}

func (noKeys) Verifier(name string, hash uint32) (note.Verifier, error) {
	return nil, &note.UnknownVerifierError{Name: name, KeyHash: hash}
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
	n, err := OpenNote(b, note.VerifierList(v))
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
	cp, err := ParseText(n.Text, origin)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadCosignature, err)
	}
	t, err := fnote.CoSigV1Timestamp(*sig)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadCosignature, err)
	}
	if !bytes.HasPrefix(b, []byte(n.Text)) {
		return nil, fmt.Errorf("%w: malformed note", ErrBadCosignature)
	}
	cp.Note = b
	return &Cosignature{
		Checkpoint: *cp,
		Cosigner:   cosigner,
		Time:       t.UTC(),
	}, nil
}
