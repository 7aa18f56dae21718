package node

import (
	"errors"

	"github.com/hotline-line/hotline/internal/parcel"
	"github.com/hotline-line/hotline/internal/store"
	"github.com/hotline-line/hotline/internal/tlog"
	"github.com/hotline-line/hotline/internal/verify"
)

// An evidence kind names the sentinel a refusal wraps. Its rank says how
// much the input proves against its sender: a fork proof (two checkpoints
// the author signed, verifiable by anyone) most; input signed by the
// author that breaks a rule next; unsigned garbage least. Evidence of a
// kind gives way only to more serious evidence (store.InsertEvidence).
var evidenceKinds = []struct {
	err  error
	kind string
	rank int
}{
	{ErrFork, "fork", 100}, // +1 when the refusal carries a fork proof
	{ErrRootMismatch, "root_mismatch", 80},
	{ErrBadProof, "bad_proof", 80},
	{ErrBadReceipt, "bad_receipt", 70},
	{tlog.ErrBadCosignature, "bad_receipt", 70},
	{verify.ErrRetiredKey, "retired_key", 75}, // signed by a key the party gave up (keys.go)
	{ErrBadRotation, "bad_rotation", 60},
	{ErrBadTime, "bad_time", 60},
	{ErrBadEntry, "bad_entry", 60},
	{ErrBadBody, "bad_body", 50},
	{ErrForged, "forged", 30},
	{ErrWrongSender, "wrong_sender", 20},
	{ErrNotAParty, "not_a_party", 20},
	{parcel.ErrNotAParcel, "bad_parcel", 10},
}

// evidenceKind classifies a refusal.
func evidenceKind(reason error) (kind string, rank int) {
	for _, k := range evidenceKinds {
		if errors.Is(reason, k.err) {
			rank = k.rank
			var fe *ForkError
			if errors.As(reason, &fe) && fe.Proof != nil {
				rank++
			}
			return k.kind, rank
		}
	}
	return "other", 0
}

// unknownSender is the party evidence is kept under when the sender a
// carrier names is no party of the line: a relay names senders, and the
// names it makes up must not each get a budget of their own.
const unknownSender = "(not a party)"

// keepEvidence stores refused input without waiting for the commit. Lesser
// evidence is dropped when the writer is swamped (the log line records
// it); a fork waits for room, as it is the proof the line exists to give.
func (n *Node) keepEvidence(line, peer string, reason error, data []byte) {
	kind, rank := evidenceKind(reason)
	if ls, err := n.line(line); err == nil && ls.log(peer) == nil {
		peer = unknownSender
	}
	n.log.Warn("refused input from peer", "line", line, "peer", peer, "kind", kind, "reason", reason)
	e := &store.Evidence{Line: line, Peer: peer, Kind: kind, Rank: rank, Time: n.now().UnixMilli(), Reason: reason.Error(), Data: data}
	var freed int64
	o := &op{
		apply: func(tx *store.Tx) (err error) {
			freed, err = tx.InsertEvidence(e)
			return err
		},
		after: func() {
			if freed > 0 {
				if err := n.Store.Reclaim(); err != nil {
					n.log.Warn("reclaim space of dropped evidence", "err", err)
				}
			}
		},
	}
	if kind == "fork" {
		select {
		case n.ops <- o:
		case <-n.ctx.Done():
		}
		return
	}
	select {
	case n.ops <- o:
	default:
	}
}

// EvidenceCounts returns how often each party's input was refused on line
// (every line if ""), by kind.
func (n *Node) EvidenceCounts(line string) ([]store.EvidenceCount, error) {
	return n.Store.EvidenceCounts(line)
}
