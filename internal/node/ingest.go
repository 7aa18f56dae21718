package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/seal"
	"github.com/hotline-line/hotline/internal/store"
	"github.com/hotline-line/hotline/internal/tlog"
	"github.com/hotline-line/hotline/internal/transcript"
	"github.com/hotline-line/hotline/internal/verify"
	"github.com/hotline-line/hotline/internal/wire"
)

// Errors a peer's input is refused with. Each refusal keeps the input as
// evidence; the line goes on working. A refusal found by package verify
// wraps both the node's error and verify's (verify.ErrCheckpoint under
// ErrForged, and so on), so that callers may branch on either.
var (
	ErrForged       = errors.New("checkpoint signature does not verify")
	ErrBadEntry     = errors.New("entry does not belong at its place")
	ErrBadProof     = errors.New("consistency proof does not verify")
	ErrRootMismatch = errors.New("checkpoint root does not match the entries")
	ErrFork         = errors.New("fork: the author signed two different logs")
	ErrBadBody      = errors.New("sealed body does not match its commitment")
	ErrBadReceipt   = errors.New("cosignature does not match any checkpoint of ours")
	ErrBadRotation  = errors.New("key entry is not signed by the old and the new key")
)

// refusal names a verify error by the node's error for it.
func refusal(err error) error {
	var ours error
	switch {
	case errors.Is(err, verify.ErrCheckpoint), errors.Is(err, verify.ErrReceipt), errors.Is(err, verify.ErrRetiredKey):
		ours = ErrForged
	case errors.Is(err, verify.ErrRotation), errors.Is(err, verify.ErrNewKey):
		ours = ErrBadRotation
	case errors.Is(err, verify.ErrBody):
		ours = ErrBadBody
	case errors.Is(err, verify.ErrConsistency):
		ours = ErrBadProof
	case errors.Is(err, verify.ErrRoot):
		ours = ErrRootMismatch
	default: // ErrEntry, ErrPlacement
		ours = ErrBadEntry
	}
	return fmt.Errorf("%w: %w", ours, err)
}

// verified is a segment whose signature, leaves and bodies have been
// checked; what remains is to check it against the log held so far.
type verified struct {
	ls      *lineState
	lg      *logState
	cp      *verify.Checkpoint
	start   uint64
	hashes  [][]byte
	entries []store.Entry
	proof   [][]byte
	// urgent is, by entry, whether its leaf is FLASH or IMMEDIATE;
	// urgentNew whether a newly stored one is.
	urgent    []bool
	urgentNew bool
	// rotations are the segment's key entries, put in force once stored.
	rotations []*verify.Rotation
}

// verifySegment checks everything about a segment that does not depend on
// the node's state: the checkpoint signature, each leaf's fields and each
// body against its commitment. It runs outside the writer, in parallel.
func (n *Node) verifySegment(ls *lineState, seg *wire.Segment) (*verified, error) {
	if err := ls.keys.Party(seg.Author); err != nil {
		return nil, refusal(err)
	}
	lg := ls.log(seg.Author)
	if seg.Author == ls.me {
		return nil, fmt.Errorf("%w: segment of our own log %q", ErrBadEntry, seg.Author)
	}
	// Key entries first: the checkpoint may be signed by a key they bring.
	rots, err := n.keyEntries(ls, seg.Author, seg.Start, seg.Entries)
	if err != nil {
		return nil, err
	}
	cp, err := ls.keys.Checkpoint(seg.Checkpoint, seg.Author, rots...)
	if err != nil {
		return nil, refusal(err)
	}
	if seg.Start+uint64(len(seg.Entries)) != cp.Size {
		return nil, fmt.Errorf("%w: segment %d+%d does not end at checkpoint size %d", ErrBadEntry, seg.Start, len(seg.Entries), cp.Size)
	}
	v := &verified{ls: ls, lg: lg, cp: cp, start: seg.Start, proof: seg.Proof, rotations: rots,
		hashes: make([][]byte, len(seg.Entries)), entries: make([]store.Entry, len(seg.Entries)), urgent: make([]bool, len(seg.Entries))}
	errs := make([]error, len(seg.Entries))
	workers := min(runtime.GOMAXPROCS(0), len(seg.Entries))
	work := func(w int) {
		for i := w; i < len(seg.Entries); i += workers {
			errs[i] = n.verifyEntry(ls, seg, i, &v.entries[i], &v.urgent[i])
			v.hashes[i] = tlog.HashLeaf(seg.Entries[i].Leaf)
		}
	}
	// This goroutine takes a share too: a single entry (the usual push)
	// is verified without a hand-off to another goroutine.
	var wg sync.WaitGroup
	for w := 1; w < workers; w++ {
		wg.Go(func() { work(w) })
	}
	work(0)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return v, nil
}

// verifyEntry checks entry i of a segment.
func (n *Node) verifyEntry(ls *lineState, seg *wire.Segment, i int, out *store.Entry, urgent *bool) error {
	author, index, we := seg.Author, seg.Start+uint64(i), &seg.Entries[i]
	l, err := ls.keys.Leaf(we.Leaf, author, index)
	if err != nil {
		return refusal(err)
	}
	salt, body, err := n.openBody(ls, l, we.Envelope, seg.Start, seg.Entries)
	*urgent = l.Precedence.Urgent()
	*out = store.Entry{
		Line: ls.id, Author: author, Index: index, Leaf: we.Leaf, Envelope: we.Envelope,
		Kind: l.Kind, Time: l.Time.UnixMilli(), Precedence: l.Precedence,
		Salt: salt, Body: body,
	}
	if errors.Is(err, seal.ErrNoBody) && !ls.wasParty(l.Time) {
		// Written before we joined: sealed to the parties then in force.
		// The leaf is checked and kept, the body is not ours to read.
		out.BodyError = entry.BeforeJoining
		return nil
	}
	if err != nil {
		return refusal(err)
	}
	// The commitment matched, so the author wrote these bytes. A body that
	// does not decode is the author's error: it is kept and shown as
	// unreadable rather than holding up the whole log behind it.
	switch l.Kind {
	case entry.KindMessage:
		m, err := entry.DecodeMessage(body)
		if err == nil {
			err = checkReceivedForm(m.Form, ls.rulesAt(l.Time).Templates, ls.rules().Templates)
		}
		if err != nil {
			out.BodyError = err.Error()
		} else {
			out.Ref = m.ReplyTo
		}
	case entry.KindLinkTest:
		if _, err := entry.DecodeLinkTest(body); err != nil {
			out.BodyError = err.Error()
		}
	case entry.KindRollCall:
		r, err := entry.DecodeRollCall(body)
		if err != nil {
			out.BodyError = err.Error()
		} else {
			out.Officer = r.Officer
		}
	case entry.KindTranslation:
		t, err := entry.DecodeTranslation(body)
		if err != nil {
			out.BodyError = err.Error()
		} else {
			out.Ref, out.Officer = t.Message, t.Officer
		}
	case entry.KindAgenda:
		a, err := entry.DecodeAgenda(body)
		if err != nil {
			out.BodyError = err.Error()
		} else {
			out.Ref, out.Officer = a.Event, a.Officer
		}
	case entry.KindNotice:
		// A notice naming another line is refused here (its body error);
		// whether the state change is allowed is linestate's rule, applied
		// to every notice held whenever the state is read.
		if nt, err := entry.DecodeNotice(body, ls.id); err != nil {
			out.BodyError = err.Error()
		} else {
			out.Officer = nt.Officer
		}
	case entry.KindAmendment:
		// As a notice: one on another line is refused here; whether the
		// step counts is package amend's rule, applied when the charter in
		// force is read.
		if a, err := entry.DecodeAmendment(body, ls.id); err != nil {
			out.BodyError = err.Error()
		} else {
			out.Ref, out.Officer = a.Proposal, a.Officer
		}
	case entry.KindDisplayed, entry.KindAck:
		m, err := entry.DecodeMark(body, l.Kind)
		if err != nil {
			out.BodyError = err.Error()
		} else {
			out.Ref, out.Officer = m.Message, m.Officer
		}
	}
	return nil
}

// ingest checks a verified segment against the log held so far, stores what
// is new and cosigns the result, all inside the writer. It returns our
// cosignature note on the author's checkpoint (nil if there was nothing to
// cosign). Input that is merely old (a replay, a retry) is not an error.
func (n *Node) ingest(ctx context.Context, v *verified) ([]byte, error) {
	var cosig []byte
	err := n.submit(ctx, &op{
		apply: func(tx *store.Tx) error {
			var err error
			cosig, err = n.applySegment(tx, v)
			return err
		},
		after: func() {
			if cosig != nil && len(v.rotations) > 0 {
				if err := v.ls.keys.Rotate(v.rotations...); err != nil {
					n.log.Error("put a peer's key entry in force", "line", v.ls.id, "author", v.lg.author, "err", err)
				}
			}
			if cosig != nil {
				v.lg.mu.Lock()
				v.lg.checkpoint, v.lg.ourCosig, v.lg.ourSize = cosig, cosig, v.cp.Size
				if v.urgentNew {
					v.lg.urgentAt = v.cp.Size
				}
				v.lg.mu.Unlock()
				n.refreshIfAmended(v.ls, v.entries)
			}
		},
	})
	return cosig, err
}

func (n *Node) applySegment(tx *store.Tx, v *verified) ([]byte, error) {
	lg, cp := v.lg, v.cp
	cur := lg.tree.Size()
	if v.start > cur {
		return nil, nil // a gap: the reply's "have" tells the author where to resume
	}
	// Every entry we already hold must be the one the segment carries.
	for i := v.start; i < min(cur, cp.Size); i++ {
		if !bytes.Equal(lg.tree.LeafHash(i), v.hashes[i-v.start]) {
			err := fmt.Errorf("%w: entry %s differs from the one already held", ErrFork, entry.ID(lg.author, i))
			return nil, refuse(&ForkError{err, n.forkProof(v, i)})
		}
	}
	if cp.Size <= cur {
		root, err := lg.tree.Root(cp.Size)
		if err != nil || !bytes.Equal(root, cp.Root) {
			return nil, refuse(fmt.Errorf("%w: checkpoint at size %d has another root than the log held", ErrFork, cp.Size))
		}
		return nil, nil // old news: a replay or a retry
	}
	var root1 []byte
	if v.start > 0 {
		var err error
		if root1, err = lg.tree.Root(v.start); err != nil {
			return nil, err
		}
	}
	if err := cp.Consistency(v.start, root1, v.proof); err != nil {
		return nil, refuse(refusal(err))
	}
	lg.tree.Append(v.hashes[cur-v.start:]...)
	if err := cp.Match(&lg.tree); err != nil {
		lg.tree.Truncate(cur)
		return nil, refuse(refusal(err))
	}
	if err := n.judgeTimes(tx, v, cur); err != nil {
		lg.tree.Truncate(cur)
		return nil, err
	}
	now := n.now().UnixMilli()
	for i := cur - v.start; i < uint64(len(v.entries)); i++ {
		v.urgentNew = v.urgentNew || v.urgent[i]
		v.entries[i].Received = now // when it was stored, so inbox order follows log order
		if err := checkRuleQuota(tx, &v.entries[i]); err != nil {
			lg.tree.Truncate(cur)
			return nil, refuse(err)
		}
		if err := tx.InsertEntry(&v.entries[i]); err != nil {
			lg.tree.Truncate(cur)
			return nil, err
		}
		n.noteAlarming(&v.entries[i])
	}
	signer, err := n.cosigner(v.ls)
	if err != nil {
		lg.tree.Truncate(cur)
		return nil, err
	}
	cosig, at, err := tlog.Cosign(&cp.Checkpoint, signer)
	if err != nil {
		lg.tree.Truncate(cur)
		return nil, err
	}
	// The cosigned note keeps the author's signature beside ours, so the
	// receipt alone proves both what the author signed and that we held it.
	receipt := mergeNotes(cp.Note, cosig)
	err = tx.InsertCosig(&store.Cosig{Line: v.ls.id, Author: lg.author, Cosigner: v.ls.me,
		Size: cp.Size, Time: at.Unix(), Note: receipt})
	if err != nil {
		lg.tree.Truncate(cur)
		return nil, err
	}
	return receipt, nil
}

// ForkError is a refusal that carries a fork proof, when one could be made.
type ForkError struct {
	Err   error
	Proof []byte // a transcript.ForkProof, or nil
}

func (e *ForkError) Error() string { return e.Err.Error() }
func (e *ForkError) Unwrap() error { return e.Err }

// forkProof builds the proof that the author signed two logs that differ
// at index i: our checkpoint with the leaf we hold, and the new checkpoint
// with the leaf it holds, each with an inclusion proof. It returns nil when
// the new checkpoint does not even match its own entries (that is garbage,
// not a fork) or when our side is not yet committed.
func (n *Node) forkProof(v *verified, i uint64) []byte {
	lg, ls := v.lg, v.ls
	lg.mu.Lock()
	ours := lg.checkpoint
	lg.mu.Unlock()
	committed := lg.committed.Load()
	if ours == nil || i >= committed {
		return nil
	}
	var alt tlog.Tree
	for j := range v.start {
		alt.Append(lg.tree.LeafHash(j))
	}
	alt.Append(v.hashes...)
	if root, err := alt.Root(v.cp.Size); err != nil || !bytes.Equal(root, v.cp.Root) {
		return nil
	}
	pa, err1 := lg.tree.InclusionProof(i, committed)
	pb, err2 := alt.InclusionProof(i, v.cp.Size)
	if err1 != nil || err2 != nil {
		return nil
	}
	n.log.Error("FORK: a peer signed two different logs", "line", ls.id, "author", lg.author, "index", i)
	return transcript.Marshal(&transcript.ForkProof{
		Format: transcript.FormatFork, Line: ls.id, Charter: string(ls.charter.Raw), Author: lg.author, Index: i,
		A: transcript.Branch{Checkpoint: string(ours), LeafHash: lg.tree.LeafHash(i), Inclusion: pa},
		B: transcript.Branch{Checkpoint: string(v.cp.Note), LeafHash: v.hashes[i-v.start], Inclusion: pb},
	})
}

// mergeNotes appends the signature lines of b to note a (same text).
func mergeNotes(a, b []byte) []byte {
	i := bytes.LastIndex(b, []byte("\n\n"))
	out := append([]byte{}, a...)
	return append(out, b[i+2:]...)
}

// acceptReceipts verifies cosignatures by peer on this party's log and
// takes in the new ones.
//
// A new receipt counts at once, before it is on disk: the peer's cosignature
// is released only after the peer's commit, so what it covers is on disk at
// the peer, and the peer repeats its latest cosignature in every reply. The
// note is stored lazily, sharing a later commit; if this node dies first,
// the next exchange brings the receipt back. Thus the only fsyncs between a
// send and "delivered" are the sender's commit and the receiver's.
func (n *Node) acceptReceipts(ctx context.Context, ls *lineState, peer string, notes [][]byte) error {
	lg := ls.log(ls.me)
	type receipt struct {
		*verify.Checkpoint
		at time.Time
	}
	var fresh []receipt
	for _, b := range notes {
		lg.mu.Lock()
		held := bytes.Equal(lg.lastReceipt[peer], b)
		lg.mu.Unlock()
		if held {
			// The peer repeats its latest cosignature in every bundle:
			// the one we verified last time needs no second look.
			continue
		}
		c, err := ls.keys.Receipt(b, ls.me, peer)
		if errors.Is(err, verify.ErrUnknownKey) {
			// New keys of the peer whose key entry has not reached us:
			// the peer repeats its latest receipt until it verifies.
			continue
		}
		if err != nil {
			return fmt.Errorf("%w: %w", tlog.ErrBadCosignature, err)
		}
		if committed := lg.committed.Load(); c.Size > committed {
			return fmt.Errorf("%w: size %d is beyond our log (%d)", ErrBadReceipt, c.Size, committed)
		}
		if err := c.Match(&lg.tree); err != nil {
			return fmt.Errorf("%w: %w", ErrBadReceipt, err)
		}
		lg.mu.Lock()
		old := lg.receipts[peer] >= c.Size
		if !old {
			lg.receipts[peer], lg.lastReceipt[peer] = c.Size, b
		}
		lg.mu.Unlock()
		if !old {
			at, _ := c.CosignedBy(peer)
			fresh = append(fresh, receipt{c, at})
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	if ls.awaitingReceipt.Load() {
		n.refreshCharter(ls) // our acceptance may now be cosigned by all
	}
	n.notify()
	return n.queue(ctx, &op{
		apply: func(tx *store.Tx) error {
			for _, c := range fresh {
				if err := tx.InsertCosig(&store.Cosig{Line: ls.id, Author: ls.me, Cosigner: peer,
					Size: c.Size, Time: c.at.Unix(), Note: c.Note}); err != nil {
					return err
				}
			}
			return nil
		},
		after: func() {
			lg.mu.Lock()
			for _, c := range fresh {
				lg.stored[peer] = max(lg.stored[peer], c.Size)
			}
			lg.mu.Unlock()
			n.notify()
		},
		lazy: true,
	})
}
