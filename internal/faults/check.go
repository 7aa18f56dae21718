package faults

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/transcript"
)

// Settled is the state both sides agreed on.
type Settled struct {
	LogSizes  map[string]uint64 // each party's log size, the same on both sides
	Delivered map[string]int    // accepted messages by author, each delivered once
	Took      time.Duration     // from the start of Check until both sides agreed
}

// Settle waits up to d until both sides agree on every log with nothing
// pending (see [cluster.Cluster.WaitConverged]) and returns each party's
// log size.
func (c *Cluster) Settle(ctx context.Context, d time.Duration) (map[string]uint64, error) {
	sz, err := c.WaitConverged(ctx, d)
	if err != nil {
		return nil, err
	}
	sizes := map[string]uint64{}
	for i, p := range c.Parties {
		sizes[p.Slug] = sz.Log[i]
	}
	return sizes, nil
}

// Check waits up to d for the line to settle (see Settle), then checks the
// invariants every scenario ends with:
//
//   - both serve processes still run;
//   - every accepted message is in the peer's inbox exactly once, with its
//     text, under its ID, stored in author order; nothing unknown is
//     doubled;
//   - the sender's ladder shows each one delivered;
//   - neither side kept evidence against the other (faults of the network
//     or a disk are not the peer's fault);
//   - each side's exported transcript verifies with "hotline verify":
//     every checkpoint, entry and cosignature, both logs complete and
//     cosigned to the end by the other party, every accepted message in it
//     with the peer's receipt.
func (c *Cluster) Check(ctx context.Context, d time.Duration) (*Settled, error) {
	start := time.Now()
	sizes, err := c.Settle(ctx, d)
	if err != nil {
		return nil, err
	}
	s := &Settled{LogSizes: sizes, Delivered: map[string]int{}, Took: time.Since(start)}
	var errs []error
	for _, p := range c.Parties {
		n, err := c.checkDirection(ctx, p, c.Peer(p))
		s.Delivered[p.Slug] = n
		errs = append(errs, err)
	}
	for _, p := range c.Parties {
		st, err := p.Status(ctx)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if st.Evidence != 0 {
			errs = append(errs, fmt.Errorf("%s kept %d pieces of evidence against its peer: a fault was blamed on it", p.Slug, st.Evidence))
		}
		errs = append(errs, c.checkTranscript(ctx, p, sizes))
	}
	return s, errors.Join(errs...)
}

// checkDirection checks the messages from one party to the other.
func (c *Cluster) checkDirection(ctx context.Context, from, to *Party) (int, error) {
	sent := from.Sent()
	for i := 1; i < len(sent); i++ {
		if sent[i].Index <= sent[i-1].Index {
			return 0, fmt.Errorf("%s: send gave %s after %s", from.Slug, sent[i].ID, sent[i-1].ID)
		}
	}
	inbox, err := to.Messages(ctx, false)
	if err != nil {
		return 0, err
	}
	var errs []error
	byID := map[string]node.Message{}
	byText := map[string]int{}
	var theirs []node.Message
	for _, m := range inbox {
		if m.Author != from.Slug {
			continue
		}
		if _, dup := byID[m.ID]; dup {
			errs = append(errs, fmt.Errorf("%s's inbox shows %s twice", to.Slug, m.ID))
		}
		byID[m.ID] = m
		byText[m.Text]++
		theirs = append(theirs, m)
	}
	// Stored in author order: the inbox (oldest first by arrival) lists
	// the author's entries by increasing index.
	for i := 1; i < len(theirs); i++ {
		a, b := theirs[i-1], theirs[i]
		if b.Received.Before(a.Received) {
			errs = append(errs, fmt.Errorf("%s stored %s (at %v) before %s (at %v): not in author order",
				to.Slug, b.ID, b.Received, a.ID, a.Received))
		}
	}
	for _, s := range sent {
		m, ok := byID[s.ID]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("%s (%s, sent %v) is not in %s's inbox", s.ID, s.Precedence, s.At.Format(time.TimeOnly), to.Slug))
			continue
		case m.Text != s.Text:
			errs = append(errs, fmt.Errorf("%s in %s's inbox reads %q, was sent as %q", s.ID, to.Slug, m.Text, s.Text))
		case byText[s.Text] != 1:
			errs = append(errs, fmt.Errorf("%q is in %s's inbox %d times", s.Text, to.Slug, byText[s.Text]))
		case string(m.Precedence) != s.Precedence:
			errs = append(errs, fmt.Errorf("%s arrived as %s, was sent as %s", s.ID, m.Precedence, s.Precedence))
		}
	}
	// The sender's ladder shows every one delivered.
	outbox, err := from.Messages(ctx, true)
	if err != nil {
		return 0, errors.Join(append(errs, err)...)
	}
	ladder := map[string]node.Message{}
	for _, m := range outbox {
		ladder[m.ID] = m
	}
	for _, s := range sent {
		m, ok := ladder[s.ID]
		if !ok {
			errs = append(errs, fmt.Errorf("%s is not in %s's outbox", s.ID, from.Slug))
			continue
		}
		i := slices.IndexFunc(m.Ladder, func(r node.Rungs) bool { return r.Party == to.Slug })
		if i < 0 || m.Ladder[i].Delivered.IsZero() || m.Ladder[i].State == "queued" || m.Ladder[i].State == "sent" {
			errs = append(errs, fmt.Errorf("%s's ladder for %s at %s: %+v, want delivered", from.Slug, s.ID, to.Slug, m.Ladder))
		}
	}
	return len(sent), errors.Join(errs...)
}

// checkTranscript exports p's transcript and verifies it.
func (c *Cluster) checkTranscript(ctx context.Context, p *Party, sizes map[string]uint64) error {
	rep, err := p.Verify(ctx)
	if err != nil {
		return fmt.Errorf("%s's transcript: %w", p.Slug, err)
	}
	var errs []error
	for _, lg := range rep.Logs {
		other := c.Parties[0].Slug
		if other == lg.Author {
			other = c.Parties[1].Slug
		}
		if lg.Size != sizes[lg.Author] {
			errs = append(errs, fmt.Errorf("%s's transcript holds %d entries of %s's log, status said %d", p.Slug, lg.Size, lg.Author, sizes[lg.Author]))
		}
		if lg.HeldBy[other] != lg.Size {
			errs = append(errs, fmt.Errorf("%s's transcript: %s's log of %d entries is cosigned by %s up to %d", p.Slug, lg.Author, lg.Size, other, lg.HeldBy[other]))
		}
	}
	if len(rep.Logs) != 2 {
		errs = append(errs, fmt.Errorf("%s's transcript holds %d logs, want 2", p.Slug, len(rep.Logs)))
	}
	msgs := map[string]transcript.MessageReport{}
	for _, m := range rep.Messages {
		msgs[m.ID] = m
	}
	for _, q := range c.Parties {
		for _, s := range q.Sent() {
			m, ok := msgs[s.ID]
			switch {
			case !ok:
				errs = append(errs, fmt.Errorf("%s's transcript lacks %s", p.Slug, s.ID))
			case m.Text != s.Text:
				errs = append(errs, fmt.Errorf("%s's transcript: %s reads %q", p.Slug, s.ID, m.Text))
			case m.Held[c.Peer(q).Slug].IsZero():
				errs = append(errs, fmt.Errorf("%s's transcript: no receipt by %s for %s", p.Slug, c.Peer(q).Slug, s.ID))
			}
		}
	}
	return errors.Join(errs...)
}
