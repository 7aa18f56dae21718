package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hotline-line/hotline/internal/store"
	"github.com/hotline-line/hotline/internal/tlog"
	"github.com/hotline-line/hotline/internal/wire"
)

// Route carries bundles to a peer and brings back the peer's reply.
// Implementations: the direct mutual-TLS route, and in-memory routes in
// tests.
type Route interface {
	Name() string
	Exchange(ctx context.Context, line, peer string, b *wire.Bundle) (*wire.Bundle, error)
}

// ErrNotAParty means a bundle came from someone who is not a party of the line.
var ErrNotAParty = errors.New("sender is not a party of this line")

// HandleBundle processes a bundle that authenticated party from sent, and
// returns the reply: our cosignature on from's log, the sizes we hold, and
// (when asked, or when our own link to from is failing) what from lacks of
// our log. A refusal is returned as an error; the reply still tells the
// sender where we stand.
func (n *Node) HandleBundle(ctx context.Context, from string, b *wire.Bundle) (*wire.Bundle, error) {
	ls, err := n.line(b.Line)
	if err != nil {
		return nil, err
	}
	if b.From != from || from == ls.me || ls.log(from) == nil || !ls.isPeer(from) {
		err := fmt.Errorf("%w: %q (authenticated as %q)", ErrNotAParty, b.From, from)
		// An authenticated party posing as another is kept like any
		// other refused input.
		n.keepEvidence(ls.id, from, err, b.Marshal())
		return nil, err
	}
	l := n.linkFor(ls.id, from)
	if l != nil {
		l.inbound(b.Have)
	}
	// Work begun is finished even if the sender hangs up: its retry then
	// finds the entries held instead of starting over.
	absorbErr := n.absorb(context.WithoutCancel(ctx), ls, from, b)
	if errors.Is(absorbErr, ErrUnavailable) {
		return nil, absorbErr
	}
	reply, _ := n.reply(ls, from)
	if b.Pull || (l != nil && l.failing()) {
		if seg, err := n.segment(ls, b.Have[ls.me]); err == nil && seg != nil {
			reply.Segments = []wire.Segment{*seg}
		}
	}
	if absorbErr != nil {
		reply.Error = absorbErr.Error()
	}
	return reply, absorbErr
}

// absorb takes in the segments and cosignatures of a bundle from peer. The
// first refused part stops it; the input is kept as evidence. Segments are
// verified one ahead: while one is stored and committed by the writer, the
// next one's signatures and bodies are checked.
func (n *Node) absorb(ctx context.Context, ls *lineState, peer string, b *wire.Bundle) error {
	type checked struct {
		v   *verified
		err error
	}
	check := func(i int) <-chan checked {
		ch := make(chan checked, 1)
		go func() {
			v, err := n.verifySegment(ls, &b.Segments[i])
			ch <- checked{v, err}
		}()
		return ch
	}
	var next <-chan checked
	if len(b.Segments) > 0 {
		next = check(0)
	}
	for i := range b.Segments {
		seg := &b.Segments[i]
		c := <-next
		v, err := c.v, c.err
		// The next segment is checked under the keys this one leaves in
		// force: after a key entry, only once it is stored.
		ahead := err == nil && i+1 < len(b.Segments) && len(v.rotations) == 0
		if ahead {
			next = check(i + 1)
		}
		if err == nil {
			_, err = n.ingest(ctx, v)
		}
		if err == nil && i+1 < len(b.Segments) && !ahead {
			next = check(i + 1)
		}
		var r *Refusal
		switch {
		case err == nil:
		case v == nil || errors.As(err, &r):
			data := evidenceOf(ls, seg)
			var fe *ForkError
			if errors.As(err, &fe) && fe.Proof != nil {
				data = fe.Proof // verifiable by anyone with: hotline verify
			}
			n.keepEvidence(ls.id, peer, err, data)
			return err
		default:
			return unavailable(err)
		}
	}
	if len(b.Cosigs) > 0 {
		err := n.acceptReceipts(ctx, ls, peer, b.Cosigs)
		switch {
		case err == nil:
		case errors.Is(err, tlog.ErrBadCosignature) || errors.Is(err, ErrBadReceipt):
			// Only a receipt that fails verification is evidence against
			// the peer; one we could not store says nothing about it.
			n.keepEvidence(ls.id, peer, err, (&wire.Bundle{V: wire.Version, Line: ls.id, From: peer, Cosigs: b.Cosigs}).Marshal())
			return err
		default:
			return unavailable(err)
		}
	}
	return nil
}

// ErrUnavailable means this node could not take input in for reasons of
// its own (a full disk, shutting down): nothing is wrong with the input,
// and the sender should retry later. The direct route answers 503.
var ErrUnavailable = errors.New("node cannot take input now")

func unavailable(err error) error { return fmt.Errorf("%w: %w", ErrUnavailable, err) }

// evidenceOf packs a refused segment with the author's checkpoint we held
// before it, so that a fork is shown by two signed checkpoints side by side.
func evidenceOf(ls *lineState, seg *wire.Segment) []byte {
	b := &wire.Bundle{V: wire.Version, Line: ls.id, From: seg.Author, Segments: []wire.Segment{*seg}}
	if lg := ls.log(seg.Author); lg != nil {
		lg.mu.Lock()
		if lg.checkpoint != nil {
			b.Cosigs = [][]byte{lg.checkpoint}
		}
		lg.mu.Unlock()
	}
	return b.Marshal()
}

// reply builds the part of a bundle that is always sent to peer: our
// latest cosignature on its log and the sizes of every log we hold.
func (n *Node) reply(ls *lineState, peer string) (*wire.Bundle, uint64) {
	b := &wire.Bundle{V: wire.Version, Line: ls.id, From: ls.me, Have: n.have(ls)}
	var size uint64
	if lg := ls.log(peer); lg != nil {
		lg.mu.Lock()
		if lg.ourCosig != nil {
			b.Cosigs, size = [][]byte{lg.ourCosig}, lg.ourSize
		}
		lg.mu.Unlock()
	}
	return b, size
}

func (n *Node) have(ls *lineState) map[string]uint64 {
	h := make(map[string]uint64, len(ls.logs()))
	for p, lg := range ls.logs() {
		h[p] = lg.committed.Load()
	}
	return h
}

// maxSegmentBytes bounds the encoded size of one segment, so that a bundle
// of a few segments stays under wire.MaxBundleSize.
const maxSegmentBytes = 12 << 20

// segment returns the next piece of our log after size from, ending at a
// freshly signed checkpoint, or nil if from is already the end.
func (n *Node) segment(ls *lineState, from uint64) (*wire.Segment, error) {
	lg := ls.log(ls.me)
	size := lg.committed.Load()
	if from >= size {
		return nil, nil
	}
	end := min(size, from+wire.MaxSegmentLength)
	rows, err := n.ownEntries(ls, from, end)
	if err != nil {
		return nil, err
	}
	// Keep a segment well inside the bundle limit however large the
	// entries (long texts sealed to many parties).
	bytes := 0
	for i, r := range rows {
		bytes += len(r.Leaf) + len(r.Envelope)*4/3 + 64
		if bytes > maxSegmentBytes && i > 0 {
			rows, end = rows[:i], from+uint64(i)
			break
		}
	}
	// A key entry whose commit is published but not yet in force ends the
	// segment before it: the checkpoint above it waits for the new key
	// (RotateKeys wakes the links once it is in force).
	last := ls.keys.LastKeyEntry(ls.me)
	for i, r := range rows {
		if idx := from + uint64(i); idx > last && isKeyLeaf(r.Leaf) {
			rows, end = rows[:i], idx
			break
		}
	}
	if end == from {
		return nil, nil
	}
	root, err := lg.tree.Root(end)
	if err != nil {
		return nil, err
	}
	signer, err := n.logSigner(ls, end)
	if err != nil {
		return nil, err
	}
	// Signing any committed size is safe: the tree only grows, so every
	// checkpoint we sign is consistent with every other.
	cp, err := tlog.Sign(signer, lg.origin, end, root)
	if err != nil {
		return nil, err
	}
	seg := &wire.Segment{Author: ls.me, Checkpoint: cp.Note, Start: from, Entries: rows}
	if from > 0 {
		if seg.Proof, err = lg.tree.ConsistencyProof(from, end); err != nil {
			return nil, err
		}
	}
	return seg, nil
}

// catchUpSegments is how many segments a link sends in one bundle to a
// peer that lags: the peer checks one while it commits the one before.
const catchUpSegments = 3

// segments returns up to limit consecutive segments of our log after size
// from, as many as one bundle holds.
func (n *Node) segments(ls *lineState, from uint64, limit int) ([]wire.Segment, error) {
	var segs []wire.Segment
	for len(segs) < min(limit, wire.MaxSegments) && len(segs)*maxSegmentBytes < wire.MaxBundleSize-2*maxSegmentBytes {
		seg, err := n.segment(ls, from)
		if err != nil {
			return segs, err
		}
		if seg == nil {
			break
		}
		segs = append(segs, *seg)
		from = seg.Start + uint64(len(seg.Entries))
	}
	return segs, nil
}

// ownEntries returns entries [from, end) of this party's log: from memory
// if they are recent, else from the database.
func (n *Node) ownEntries(ls *lineState, from, end uint64) ([]wire.Entry, error) {
	if es := ls.log(ls.me).recent.get(from, end); es != nil {
		return es, nil
	}
	rows, err := n.Store.Entries(ls.id, ls.me, from, end)
	if err != nil {
		return nil, err
	}
	if uint64(len(rows)) != end-from {
		return nil, fmt.Errorf("log %s: %d entries stored in [%d, %d)", ls.me, len(rows), from, end)
	}
	es := make([]wire.Entry, len(rows))
	for i, r := range rows {
		es[i] = wire.Entry{Leaf: r.Leaf, Envelope: r.Envelope}
	}
	return es, nil
}

// recordSent notes when entries first left for a peer, for the "sent" rung
// of the ladder. It does not wait: losing the note loses a timestamp, not a
// message. The note is lazy: it shares the commit of the receipt that
// usually follows instead of costing an fsync of its own.
func (n *Node) recordSent(line, peer string, lo, hi uint64, route string, when time.Time) {
	at := when.UnixMilli()
	select {
	case n.ops <- &op{apply: func(tx *store.Tx) error { return tx.InsertSent(line, peer, lo, hi, at, route) }, lazy: true}:
	default:
	}
}

// Peers returns the parties of a line other than this one.
func (n *Node) Peers(line string) ([]string, error) {
	ls, err := n.line(line)
	if err != nil {
		return nil, err
	}
	return ls.peers(), nil
}
