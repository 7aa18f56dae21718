package cluster

import (
	"context"
	"fmt"
	"time"

	"github.com/hotline-line/hotline/internal/node"
)

// Sizes is where the line stands, read from both parties' status.
type Sizes struct {
	Log      [2]uint64 // each party's own log size
	Held     [2]uint64 // how much of the other party's log each holds
	Receipt  [2]uint64 // how much of its own log each holds a cosignature for
	Pending  [2]uint64
	Statuses [2]*node.LineStatus
}

// Converged reports whether each party holds all of the other's log and
// holds the other's cosignature on all of its own, with nothing pending.
func (s *Sizes) Converged() bool {
	for i := range 2 {
		if s.Receipt[i] != s.Log[i] || s.Pending[i] != 0 || s.Held[1-i] != s.Log[i] {
			return false
		}
	}
	return true
}

func (s *Sizes) String() string {
	return fmt.Sprintf("%s log %d (cosigned %d, pending %d), held by %s %d; %s log %d (cosigned %d, pending %d), held by %s %d",
		Parties[0].Slug, s.Log[0], s.Receipt[0], s.Pending[0], Parties[1].Slug, s.Held[1],
		Parties[1].Slug, s.Log[1], s.Receipt[1], s.Pending[1], Parties[0].Slug, s.Held[0])
}

// Sizes reads both parties' status.
func (c *Cluster) Sizes(ctx context.Context) (*Sizes, error) {
	var s Sizes
	for i, p := range c.Parties {
		st, err := p.Status(ctx)
		if err != nil {
			return nil, err
		}
		me, peer := p.Mine(st)
		if me == nil || peer == nil {
			return nil, fmt.Errorf("%s: status lacks a party: %+v", p.Slug, st.Parties)
		}
		s.Log[i], s.Held[i], s.Receipt[i], s.Pending[i] = me.LogSize, peer.LogSize, peer.Receipt, peer.Pending
		s.Statuses[i] = st
	}
	return &s, nil
}

// WaitConverged polls both parties' status until the line has converged:
// every entry of each log is held and cosigned by the other party. Both
// serves must run; one that has exited is reported as a crash.
func (c *Cluster) WaitConverged(ctx context.Context, timeout time.Duration) (*Sizes, error) {
	var last *Sizes
	var lastErr error
	err := Poll(ctx, timeout, "the line to converge", func() (bool, error) {
		for _, p := range c.Parties {
			if !p.Alive() {
				return false, fmt.Errorf("waiting for convergence: %s is not serving (crashed?)\n%s", p.Slug, TailFile(p.log, 30))
			}
		}
		last, lastErr = c.Sizes(ctx)
		return lastErr == nil && last.Converged(), nil
	})
	switch {
	case err == nil:
		return last, nil
	case lastErr != nil:
		return nil, fmt.Errorf("%w: %w", err, lastErr)
	case last != nil:
		return last, fmt.Errorf("%w: %s", err, last)
	}
	return nil, err
}
