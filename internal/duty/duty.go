// Package duty works out what a node's lines owe and are owed at a moment:
// the alert conditions the escalation engine follows.
//
// On the receiving side it finds the messages our people have not
// acknowledged or answered in time; on the sending side, the deadlines a
// peer let pass, with what is proven of each message there (delivered by
// cosigned receipt, displayed, acknowledged), our urgent messages that no
// route delivered, and peers whose link tests fell silent.
//
// Alerts carry metadata only, never a message's text: they leave the node
// by mail and webhook, outside the line's end-to-end encryption.
//
// A [Source] keeps a [readmodel.Tracker] per line: each evaluation reads
// only what was committed since the last one and the deadlines that
// passed, and writes again only the alerts that are open, so its cost does
// not grow with the messages that wait for an acknowledgement.
package duty

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/hotline-line/hotline/internal/escalate"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/readmodel"
)

// Source computes the alerts of a node. It is safe for concurrent use.
type Source struct {
	n *node.Node

	mu    sync.Mutex
	lines map[string]*lineInfo
}

// lineInfo is what a line's alerts need of it, kept between evaluations.
type lineInfo struct {
	*readmodel.Line
	tracker *readmodel.Tracker
	open    map[string]readmodel.Owed // by Owed.Key: messages with an alert open at the last evaluation
}

// New returns the alert source of node n.
func New(n *node.Node) *Source {
	return &Source{n: n, lines: map[string]*lineInfo{}}
}

// Alerts returns the conditions of every line of n open at now, once.
// A long-running caller keeps a [Source] instead, which reads less.
func Alerts(ctx context.Context, n *node.Node, now time.Time) ([]escalate.Alert, error) {
	return New(n).Alerts(ctx, now)
}

// Alerts returns the conditions open at now on every line, as an
// [escalate.Source]. Its reads stop when ctx ends.
func (s *Source) Alerts(ctx context.Context, now time.Time) ([]escalate.Alert, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := s.n.Lines()
	slices.Sort(ids)
	var out []escalate.Alert
	for _, id := range ids {
		l, err := s.line(id)
		if err != nil {
			return nil, err
		}
		var line []escalate.Alert
		for _, f := range []func(context.Context, *lineInfo, time.Time) ([]escalate.Alert, error){s.messageAlerts, s.linkTestAlerts, s.rollCallAlerts, s.clockAlerts} {
			a, err := f(ctx, l, now)
			if err != nil {
				return nil, fmt.Errorf("line %s: %w", id, err)
			}
			line = append(line, a...)
		}
		if err := s.addRoutes(l, line, now); err != nil {
			return nil, fmt.Errorf("line %s: %w", id, err)
		}
		out = append(out, line...)
	}
	return out, nil
}

// Next returns the earliest deadline of a message still ahead on any
// line, or zero, as an [escalate.Options.Next]: the alerts about messages
// change by themselves then, with nothing new on the node.
func (s *Source) Next() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	var next time.Time
	for _, l := range s.lines {
		if at := l.tracker.Next(); !at.IsZero() && (next.IsZero() || at.Before(next)) {
			next = at
		}
	}
	return next
}

// line returns what the alerts need of line id, from the node's read of
// its charter.
func (s *Source) line(id string) (*lineInfo, error) {
	if l := s.lines[id]; l != nil {
		return l, nil
	}
	rl, err := s.n.ReadLine(id)
	if err != nil {
		return nil, err
	}
	l := &lineInfo{Line: rl, tracker: readmodel.NewTracker(s.n.Store, rl), open: map[string]readmodel.Owed{}}
	s.lines[id] = l
	return l, nil
}

// ms turns a time in milliseconds, 0 for none, into a time.
func ms(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}
