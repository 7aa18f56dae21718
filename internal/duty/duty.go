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
// A [Source] remembers, per log, the messages that still wait for
// something and how far it has read: acknowledgements and replies are
// never taken back, so each evaluation reads only those messages and what
// was written since, not the whole line.
package duty

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/escalate"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/store"
)

// Source computes the alerts of a node. It is safe for concurrent use.
type Source struct {
	n *node.Node

	mu    sync.Mutex
	lines map[string]*lineInfo
	scans map[string]store.Scan // by line, author, party: where the last reading left off
}

// lineInfo is what a line's alerts need of it, read once.
type lineInfo struct {
	id, title string
	me        string
	peers     []string
	charter   *charter.Signed
	installed time.Time
}

// New returns the alert source of node n.
func New(n *node.Node) *Source {
	return &Source{n: n, lines: map[string]*lineInfo{}, scans: map[string]store.Scan{}}
}

// Alerts returns the conditions of every line of n open at now, once.
// A long-running caller keeps a [Source] instead, which reads less.
func Alerts(n *node.Node, now time.Time) ([]escalate.Alert, error) { return New(n).Alerts(now) }

// Alerts returns the conditions open at now on every line, as an
// [escalate.Source].
func (s *Source) Alerts(now time.Time) ([]escalate.Alert, error) {
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
		for _, f := range []func(*lineInfo, time.Time) ([]escalate.Alert, error){s.messageAlerts, s.linkTestAlerts, s.rollCallAlerts, s.clockAlerts} {
			a, err := f(l, now)
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

// line returns what the alerts need of line id, reading its charter once.
func (s *Source) line(id string) (*lineInfo, error) {
	if l := s.lines[id]; l != nil {
		return l, nil
	}
	rows, err := s.n.Store.Lines()
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		if r.ID != id {
			continue
		}
		c, err := charter.Parse(r.Charter)
		if err != nil {
			return nil, fmt.Errorf("line %s: stored charter: %w", id, err)
		}
		l := &lineInfo{id: id, title: c.Title, me: s.n.Me(), charter: c, installed: time.UnixMilli(r.Installed).UTC()}
		for _, p := range c.Slugs() {
			if p != l.me {
				l.peers = append(l.peers, p)
			}
		}
		s.lines[id] = l
		return l, nil
	}
	return nil, fmt.Errorf("%w: %s", node.ErrNoLine, id)
}

// ms turns a time in milliseconds, 0 for none, into a time.
func ms(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}
