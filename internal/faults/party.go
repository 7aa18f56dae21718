package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/hotline-line/hotline/internal/cluster"
	"github.com/hotline-line/hotline/internal/control"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/transcript"
)

// Party is one side of the line, with the messages it sent.
type Party struct {
	*cluster.Party
	c *Cluster

	mu   sync.Mutex
	sent []Sent // messages whose send printed an ID, in order
}

// Sent is a message a party wrote: send printed its ID.
type Sent struct {
	ID         string
	Index      uint64
	Text       string
	Precedence string
	At         time.Time // when send returned
}

// Send runs "hotline send" and records the message if it printed an ID.
// Only such a message counts as accepted.
func (p *Party) Send(ctx context.Context, precedence, text string) (Sent, error) {
	id, err := p.Party.Send(ctx, precedence, text)
	if err != nil {
		return Sent{}, err
	}
	_, index, err := entry.ParseID(id)
	if err != nil {
		return Sent{}, err
	}
	s := Sent{ID: id, Index: index, Text: text, Precedence: precedence, At: time.Now()}
	p.record(s)
	return s, nil
}

// record adds a message to the party's ledger.
func (p *Party) record(s Sent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sent = append(p.sent, s)
}

// Sent returns the messages the party sent so far, in order.
func (p *Party) Sent() []Sent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.sent)
}

// Messages runs "hotline inbox --json" (with --outbox if outbox) for every
// message, oldest first.
func (p *Party) Messages(ctx context.Context, outbox bool) ([]node.Message, error) {
	const all = 1000000
	list := p.Inbox
	if outbox {
		list = p.Outbox
	}
	msgs, err := list(ctx, all)
	if err != nil {
		return nil, err
	}
	slices.Reverse(msgs)
	return msgs, nil
}

// Verify exports the party's transcript with "hotline export" and checks
// it with "hotline verify --json".
func (p *Party) Verify(ctx context.Context) (*transcript.Report, error) {
	file := filepath.Join(p.c.Root, fmt.Sprintf("%s-transcript-%d.json", p.Slug, time.Now().UnixNano()))
	if _, err := p.c.Run(ctx, "export", "--dir", p.Dir, "--out", file); err != nil {
		return nil, err
	}
	out, err := p.c.Run(ctx, "verify", "--json", file)
	if err != nil {
		return nil, err
	}
	var rep transcript.Report
	if err := json.Unmarshal(out, &rep); err != nil {
		return nil, fmt.Errorf("%s: verify --json: %w", p.Slug, err)
	}
	return &rep, nil
}

// Receipt returns how much of its log the party holds the peer's
// cosignature for, from status --json.
func (p *Party) Receipt(ctx context.Context) (uint64, error) {
	st, err := p.Status(ctx)
	if err != nil {
		return 0, err
	}
	_, peer := p.Mine(st)
	if peer == nil {
		return 0, fmt.Errorf("%s: status names no peer", p.Slug)
	}
	return peer.Receipt, nil
}

// Route returns the health of one route to the peer, from status --json.
func (p *Party) Route(ctx context.Context, name string) (node.RouteHealth, error) {
	st, err := p.Status(ctx)
	if err != nil {
		return node.RouteHealth{}, err
	}
	_, peer := p.Mine(st)
	if peer != nil {
		for _, r := range peer.Routes {
			if r.Route == name {
				return r, nil
			}
		}
	}
	return node.RouteHealth{}, fmt.Errorf("%s: status shows no route %s", p.Slug, name)
}

// WaitDelivered waits until the party holds the peer's cosignature on
// message s (its receipt covers s's index) and returns when it saw it.
func (p *Party) WaitDelivered(ctx context.Context, s Sent, d time.Duration) (time.Time, error) {
	var at time.Time
	err := cluster.Poll(ctx, d, fmt.Sprintf("%s's receipt for %s", p.c.Peer(p).Slug, s.ID), func() (bool, error) {
		r, err := p.Receipt(ctx)
		if err != nil {
			return false, nil // the node may be restarting
		}
		at = time.Now()
		return r > s.Index, nil
	})
	return at, err
}

// api dials the party's control socket: the same calls the command line
// makes, without a process per call. The benchmark polls through it, to
// time receipts to the millisecond.
func (p *Party) api() (*control.Client, error) { return control.Dial(p.Dir) }

// DirectBack waits until the direct route works again after since: an
// exchange on it succeeded from one side, and neither side counts it as
// failing any more (an exchange that reached a side clears its failures).
// It returns how long after since the first success was.
func (c *Cluster) DirectBack(ctx context.Context, since time.Time, d time.Duration) (time.Duration, error) {
	var first time.Time
	var last [2]node.RouteHealth
	err := cluster.Poll(ctx, d, "the direct route to carry traffic again", func() (bool, error) {
		ok := true
		for i, p := range c.Parties {
			h, err := p.Route(ctx, "direct")
			if err != nil {
				return false, nil
			}
			last[i] = h
			if h.LastSuccess.After(since) && (first.IsZero() || h.LastSuccess.Before(first)) {
				first = h.LastSuccess
			}
			ok = ok && h.Failures == 0
		}
		return ok && !first.IsZero(), nil
	})
	if err != nil {
		return 0, fmt.Errorf("%w: last %+v", err, last)
	}
	return first.Sub(since), nil
}
