package transcript

import (
	"bytes"
	"fmt"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/tlog"
	"github.com/hotline-line/hotline/internal/verify"
)

// The ways verification fails: package verify's errors, under the names
// this package has always given them. Every error returned by the Verify
// functions wraps exactly one of these and names the entry, log or
// signature at fault.
var (
	ErrCharter    = verify.ErrCharter
	ErrEntry      = verify.ErrEntry
	ErrPlacement  = verify.ErrPlacement
	ErrBody       = verify.ErrBody
	ErrCheckpoint = verify.ErrCheckpoint
	ErrRoot       = verify.ErrRoot
	ErrReceipt    = verify.ErrReceipt
	ErrRef        = verify.ErrRef
	ErrInclusion  = verify.ErrInclusion
	ErrNotAFork   = verify.ErrNotAFork
	ErrRotation   = verify.ErrRotation
	ErrNewKey     = verify.ErrNewKey
	ErrRetiredKey = verify.ErrRetiredKey
)

// Cosigned is a cosignature found on a checkpoint.
type Cosigned = verify.Cosigned

// VerifyTranscript checks a transcript completely and reports what it
// proves. It is Check, for those who want only the verdict.
func VerifyTranscript(t *Transcript) (*Report, error) {
	a := Check(t)
	return a.Report, a.Err
}

// report tells what a verified transcript proves.
func report(k *verify.Keyring, t *Transcript, logs []LogAudit) *Report {
	rep := newReport("transcript", k)
	msgs := map[string]*MessageReport{}
	var order []*MessageReport
	for i := range logs {
		la := &logs[i]
		var mine []*MessageReport
		for j, l := range la.leaves {
			e := &t.Logs[i].Entries[j]
			switch l.Kind {
			case entry.KindMessage:
				m := messageReport(l, e)
				msgs[m.ID] = &m
				mine = append(mine, &m)
			case entry.KindRollCall:
				rep.RollCalls = append(rep.RollCalls, rollCallReport(l, e))
			}
		}
		firstHolder(mine, la.receipts)
		order = append(order, mine...)
		rep.Logs = append(rep.Logs, LogReport{Author: la.Author, Size: la.Size, HeldBy: la.HeldBy})
	}
	for i := range logs {
		for j, l := range logs[i].leaves {
			mark(msgs, l, &t.Logs[i].Entries[j])
		}
	}
	for _, m := range order {
		rep.Messages = append(rep.Messages, *m)
	}
	rep.Agenda = agendaReport(rep.Parties, t, logs)
	reportLineState(rep, t)
	reportChain(rep, k, t)
	rep.Parties = slugs(chainOf(k, t).Cards())
	reportKeys(rep, k, logs)
	return rep
}

// VerifyDisclosure checks a one-message disclosure.
func VerifyDisclosure(d *Disclosure) (*Report, error) {
	k, err := verify.OpenCharter([]byte(d.Charter), d.Line)
	if err != nil {
		return nil, err
	}
	rep := newReport("disclosure", k)
	if err := provenKeys(k, d.Keys); err != nil {
		return nil, err
	}
	reportKeys(rep, k, nil)
	l, cp, err := proven(k, &d.Message)
	if err != nil {
		return nil, fmt.Errorf("message: %w", err)
	}
	if l.Kind != entry.KindMessage {
		return nil, fmt.Errorf("%w: the disclosed entry is a %s, not a message", ErrPlacement, l.Kind)
	}
	if d.Message.Body == nil {
		return nil, fmt.Errorf("%w: the disclosed message comes without its text", ErrBody)
	}
	m := messageReport(l, &d.Message.Entry)
	for _, c := range cp.Cosigned {
		m.Held[c.Party] = c.Time
	}
	var replies []MessageReport
	for i := range d.Marks {
		ml, mcp, err := proven(k, &d.Marks[i])
		if err == nil {
			var reply *MessageReport
			if reply, err = disclosedMark(rep, &m, ml, mcp.Cosigned, &d.Marks[i]); reply != nil {
				replies = append(replies, *reply)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("mark %d: %w", i, err)
		}
	}
	rep.Messages = append([]MessageReport{m}, replies...)
	rep.Texts = textsHeld(rep)
	return rep, nil
}

// proven verifies an entry by its inclusion proof under a checkpoint, and
// its body if present: the caller decides whether it must be. pending are
// key entries not yet in force that the checkpoint may need.
func proven(k *verify.Keyring, p *Proven, pending ...*verify.Rotation) (*entry.Leaf, *verify.Checkpoint, error) {
	if err := k.Party(p.Author); err != nil {
		return nil, nil, err
	}
	if (p.Body == nil) != (p.Salt == nil) {
		return nil, nil, fmt.Errorf("%w: %s: a body without its salt, or a salt without its body", ErrBody, entry.ID(p.Author, p.Index))
	}
	l, err := k.Leaf([]byte(p.Leaf), p.Author, p.Index)
	if err != nil {
		return nil, nil, err
	}
	if p.Body != nil {
		if err := k.Body(l, p.Salt, p.Body); err != nil {
			return nil, nil, err
		}
	}
	cp, err := k.Checkpoint([]byte(p.Checkpoint), p.Author, pending...)
	if err != nil {
		return nil, nil, err
	}
	if cp.Size != p.Size {
		return nil, nil, fmt.Errorf("%w: %s: proof is for size %d, checkpoint is %d", ErrInclusion, l.ID(), p.Size, cp.Size)
	}
	if err := cp.Inclusion(p.Index, tlog.HashLeaf([]byte(p.Leaf)), p.Inclusion); err != nil {
		return nil, nil, err
	}
	return l, cp, nil
}

// VerifyFork checks a fork proof.
func VerifyFork(f *ForkProof) (*Report, error) {
	k, err := verify.OpenCharter([]byte(f.Charter), f.Line)
	if err != nil {
		return nil, err
	}
	if err := k.Party(f.Author); err != nil {
		return nil, err
	}
	var sizes [2]uint64
	for i, b := range []*Branch{&f.A, &f.B} {
		cp, err := k.Checkpoint([]byte(b.Checkpoint), f.Author)
		if err == nil {
			err = cp.Inclusion(f.Index, b.LeafHash, b.Inclusion)
		}
		if err != nil {
			return nil, fmt.Errorf("branch %c: %w", 'a'+i, err)
		}
		sizes[i] = cp.Size
	}
	if bytes.Equal(f.A.LeafHash, f.B.LeafHash) {
		return nil, fmt.Errorf("%w: both hold the same entry at index %d", ErrNotAFork, f.Index)
	}
	rep := newReport("fork proof", k)
	rep.Fork = &ForkReport{Author: f.Author, Index: f.Index, SizeA: sizes[0], SizeB: sizes[1]}
	return rep, nil
}

// Verify decodes and verifies any of the three documents.
func Verify(data []byte) (*Report, error) {
	t, d, f, err := Decode(data)
	switch {
	case err != nil:
		return nil, err
	case t != nil:
		return VerifyTranscript(t)
	case d != nil:
		return VerifyDisclosure(d)
	}
	return VerifyFork(f)
}
