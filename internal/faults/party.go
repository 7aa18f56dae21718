package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hotline-line/hotline/internal/control"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/transcript"
)

// cmdTimeout bounds one short hotline command. A node that does not answer
// its control socket in this long is hung.
const cmdTimeout = 30 * time.Second

// Send runs "hotline send" and records the message if it printed an ID.
// Only such a message counts as accepted.
func (p *Party) Send(ctx context.Context, precedence, text string) (Sent, error) {
	out, err := run(ctx, p.c.Bin, cmdTimeout, "send", "--dir", p.Dir, "--precedence", precedence, text)
	if err != nil {
		return Sent{}, err
	}
	id := strings.TrimSpace(string(out))
	author, index, err := entry.ParseID(id)
	if err != nil || author != p.Slug {
		return Sent{}, fmt.Errorf("send printed %q: not an ID of %s", out, p.Slug)
	}
	s := Sent{ID: id, Index: index, Text: text, Precedence: precedence, At: time.Now()}
	p.mu.Lock()
	p.sent = append(p.sent, s)
	p.mu.Unlock()
	return s, nil
}

// Sent returns the messages the party sent so far, in order.
func (p *Party) Sent() []Sent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.sent)
}

// Status runs "hotline status --json".
func (p *Party) Status(ctx context.Context) (*node.LineStatus, error) {
	out, err := run(ctx, p.c.Bin, cmdTimeout, "status", "--dir", p.Dir, "--json")
	if err != nil {
		return nil, err
	}
	var st node.LineStatus
	if err := json.Unmarshal(out, &st); err != nil {
		return nil, fmt.Errorf("%s: status --json: %w", p.Slug, err)
	}
	return &st, nil
}

// Messages runs "hotline inbox --json" (with --outbox if outbox) for every
// message, oldest first.
func (p *Party) Messages(ctx context.Context, outbox bool) ([]node.Message, error) {
	args := []string{"inbox", "--dir", p.Dir, "--json", "--limit", "1000000"}
	if outbox {
		args = append(args, "--outbox")
	}
	out, err := run(ctx, p.c.Bin, cmdTimeout, args...)
	if err != nil {
		return nil, err
	}
	var msgs []node.Message
	if err := json.Unmarshal(out, &msgs); err != nil {
		return nil, fmt.Errorf("%s: inbox --json: %w", p.Slug, err)
	}
	slices.Reverse(msgs)
	return msgs, nil
}

// Verify exports the party's transcript with "hotline export" and checks
// it with "hotline verify --json".
func (p *Party) Verify(ctx context.Context) (*transcript.Report, error) {
	file := filepath.Join(p.c.Root, fmt.Sprintf("%s-transcript-%d.json", p.Slug, time.Now().UnixNano()))
	if _, err := run(ctx, p.c.Bin, cmdTimeout, "export", "--dir", p.Dir, "--out", file); err != nil {
		return nil, err
	}
	out, err := run(ctx, p.c.Bin, cmdTimeout, "verify", "--json", file)
	if err != nil {
		return nil, err
	}
	var rep transcript.Report
	if err := json.Unmarshal(out, &rep); err != nil {
		return nil, fmt.Errorf("%s: verify --json: %w", p.Slug, err)
	}
	return &rep, nil
}

// peerStatus returns the part of st about the party's peer and about
// itself.
func peerStatus(st *node.LineStatus, me string) (mine, peer *node.PartyStatus) {
	for i := range st.Parties {
		if st.Parties[i].Party == me {
			mine = &st.Parties[i]
		} else {
			peer = &st.Parties[i]
		}
	}
	return mine, peer
}

// Receipt returns how much of its log the party holds the peer's
// cosignature for, from status --json.
func (p *Party) Receipt(ctx context.Context) (uint64, error) {
	st, err := p.Status(ctx)
	if err != nil {
		return 0, err
	}
	_, peer := peerStatus(st, p.Slug)
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
	_, peer := peerStatus(st, p.Slug)
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
	err := waitUntil(ctx, d, fmt.Sprintf("%s's receipt for %s", p.c.Peer(p).Slug, s.ID), func() (bool, error) {
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
	err := waitUntil(ctx, d, "the direct route to carry traffic again", func() (bool, error) {
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
