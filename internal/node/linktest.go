package node

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/linestate"
	"github.com/hotline-line/hotline/internal/store"
)

// RunLinkTests tests every route to every peer of line now, with a real
// exchange on each route alone, and writes the results as a linktest entry
// in our log: the peers receive it like any entry, so both sides see both
// directions.
func (n *Node) RunLinkTests(ctx context.Context, line string) (*entry.LinkTest, error) {
	ls, err := n.line(line)
	if err != nil {
		return nil, err
	}
	if err := n.admit(ls, entry.KindLinkTest, "", false); err != nil {
		return nil, err
	}
	n.linkMu.Lock()
	routes := routesFor(n.routes, ls.id)
	n.linkMu.Unlock()
	t := &entry.LinkTest{Results: []entry.RouteResult{}}
	for _, peer := range ls.peers() {
		l := n.linkFor(ls.id, peer)
		for _, r := range routes {
			b, _ := n.reply(ls, peer)
			start := n.now()
			rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			resp, err := r.Exchange(rctx, ls.id, peer, b)
			cancel()
			rtt := n.now().Sub(start)
			if l != nil {
				l.record(r.Name(), start, err)
			}
			res := entry.RouteResult{Peer: peer, Route: r.Name(), OK: err == nil, RTTms: rtt.Milliseconds()}
			if err != nil {
				res.Error = err.Error()
				if len(res.Error) > 200 {
					res.Error = res.Error[:200]
				}
				n.log.Warn("link test failed", "line", ls.id, "peer", peer, "route", r.Name(), "err", err)
			} else if resp != nil {
				n.absorb(ctx, ls, peer, resp)
			}
			t.Results = append(t.Results, res)
		}
	}
	body, _ := json.Marshal(t)
	d, err := n.sealDraft(ls, entry.KindLinkTest, body)
	if err != nil {
		return nil, err
	}
	err = n.submit(ctx, &op{apply: func(tx *store.Tx) error {
		_, err := n.writeEntry(tx, ls, d)
		return err
	}})
	return t, err
}

// LinkTestView is the latest link test a party wrote.
type LinkTestView struct {
	By      string              `json:"by"`
	At      time.Time           `json:"at"`
	Results []entry.RouteResult `json:"results"`
	Overdue bool                `json:"overdue"` // none within two intervals: the party or its routes are silent
}

// LinkTests returns the latest link test of every party of line.
func (n *Node) LinkTests(line string) ([]LinkTestView, error) {
	ls, err := n.line(line)
	if err != nil {
		return nil, err
	}
	rows, err := n.Store.EntriesByKind(ls.id, entry.KindLinkTest, 16*len(ls.charter.Parties))
	if err != nil {
		return nil, err
	}
	closed, err := n.closed(ls)
	if err != nil {
		return nil, err
	}
	every := ls.rules().LinkTestEvery()
	var out []LinkTestView
	for _, p := range ls.charter.Slugs() {
		v := LinkTestView{By: p, Overdue: true}
		for _, e := range rows {
			if e.Author != p || e.Body == nil {
				continue
			}
			var t entry.LinkTest
			if json.Unmarshal(e.Body, &t) == nil {
				v.At, v.Results = ms(e.Time), t.Results
				break
			}
		}
		since := v.At
		if ls.installed.After(since) {
			since = ls.installed
		}
		v.Overdue = n.now().Sub(since) > 2*every && !closed
		out = append(out, v)
	}
	return out, nil
}

// linkTester runs the link tests of every line on the charter's schedule
// and warns when a peer's tests stop arriving.
func (n *Node) linkTester(ctx context.Context) {
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	last := map[string]time.Time{}
	warned := map[string]time.Time{}
	for {
		for _, line := range n.Lines() {
			ls, err := n.line(line)
			if err != nil {
				continue
			}
			every := ls.rules().LinkTestEvery()
			views, err := n.LinkTests(line)
			if err != nil {
				// Without our latest test in hand the schedule is unknown:
				// wait for the next tick rather than test out of turn.
				continue
			}
			if last[line].IsZero() {
				// The first test is one interval after the line opened.
				last[line] = ls.installed
			}
			for _, v := range views {
				if v.By == ls.me {
					if v.At.After(last[line]) {
						last[line] = v.At // a test run by hand counts too
					}
					continue
				}
				if v.Overdue && n.now().Sub(warned[line+v.By]) > every {
					warned[line+v.By] = n.now()
					n.log.Error("peer has missed its link tests", "line", line, "peer", v.By, "last", v.At)
				}
			}
			if n.now().Sub(last[line]) >= every {
				last[line] = n.now()
				if _, err := n.RunLinkTests(ctx, line); err != nil && ctx.Err() == nil && !errors.Is(err, linestate.ErrClosed) {
					n.log.Warn("link tests", "line", line, "err", err)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
