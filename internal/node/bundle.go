package node

import (
	"context"
	"crypto/hpke"
	"errors"
	"fmt"

	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/parcel"
	"github.com/hotline-line/hotline/internal/wire"
)

// ExportParcel seals, for peer, everything of our log it has not cosigned
// yet (as many segments as one bundle holds) with our latest cosignature
// on its log: what a file or a relay carries when no conversation is
// possible.
func (n *Node) ExportParcel(line, peer string) ([]byte, *wire.Bundle, error) {
	ls, err := n.line(line)
	if err != nil {
		return nil, nil, err
	}
	pk, ok := ls.hpkeOf(peer)
	if !ok {
		return nil, nil, fmt.Errorf("%s is not a peer on line %s", peer, line)
	}
	own := ls.log(ls.me)
	own.mu.Lock()
	from := own.receipts[peer]
	own.mu.Unlock()
	b, _ := n.reply(ls, peer)
	if b.Segments, err = n.segments(ls, from, wire.MaxSegments); err != nil {
		return nil, nil, err
	}
	data, err := parcel.Seal(b, peer, pk)
	return data, b, err
}

// Relays lists the mailboxes the charter of line names.
func (n *Node) Relays(line string) ([]charter.Relay, error) {
	ls, err := n.line(line)
	if err != nil {
		return nil, err
	}
	return ls.rules().Relays, nil
}

// SealFor seals a bundle to peer on line, for a mailbox route.
func (n *Node) SealFor(line, peer string, b *wire.Bundle) ([]byte, error) {
	ls, err := n.line(line)
	if err != nil {
		return nil, err
	}
	pk, ok := ls.hpkeOf(peer)
	if !ok {
		return nil, fmt.Errorf("%s is not a peer on line %s", peer, line)
	}
	return parcel.Seal(b, peer, pk)
}

// ErrWrongSender means a carrier says a parcel came from one party and the
// bundle inside says another.
var ErrWrongSender = errors.New("parcel's sender does not match the carrier's")

// AbsorbMailbox takes in a parcel that a relay attests sender put in our
// mailbox.
func (n *Node) AbsorbMailbox(ctx context.Context, line, sender string, data []byte) error {
	b, err := openWithAny(n, func(priv hpke.PrivateKey) (*wire.Bundle, error) { return parcel.Open(data, n.Me(), priv) })
	if err == nil && (b.From != sender || b.Line != line) {
		err = fmt.Errorf("%w: %s says %s on line %s", ErrWrongSender, sender, b.From, b.Line)
	}
	if err != nil {
		n.keepEvidence(line, sender, err, data)
		return err
	}
	return n.absorbCarried(ctx, b)
}

// ImportParcel opens a parcel and takes in the bundle it holds. Nothing in
// it is trusted but what verifies: its claims about what the sender holds
// are ignored, and the cosignature we owe goes back on the next route that
// works.
func (n *Node) ImportParcel(ctx context.Context, data []byte) (*wire.Bundle, error) {
	b, err := openWithAny(n, func(priv hpke.PrivateKey) (*wire.Bundle, error) { return parcel.Open(data, n.Me(), priv) })
	if err != nil {
		return nil, err
	}
	return b, n.absorbCarried(ctx, b)
}

// absorbCarried takes in a bundle that came by a carrier (file, relay)
// rather than from the peer itself.
func (n *Node) absorbCarried(ctx context.Context, b *wire.Bundle) error {
	ls, err := n.line(b.Line)
	if err != nil {
		return err
	}
	if b.From == ls.me || ls.log(b.From) == nil || !ls.isPeer(b.From) {
		return fmt.Errorf("%w: %q", ErrNotAParty, b.From)
	}
	err = n.absorb(ctx, ls, b.From, b)
	if l := n.linkFor(ls.id, b.From); l != nil {
		l.heard()
	}
	return err
}
