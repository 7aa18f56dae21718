package duty

import (
	"context"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/escalate"
)

// linkTestAlerts raises linktest_overdue for each peer whose scheduled link
// tests stopped arriving. The rule is node.LinkTestView's Overdue: none
// within two intervals of the charter's schedule, counted from the latest
// one or from when the line was installed here. It is applied to the
// latest test read through an index, as node.LinkTests reads the whole
// line to find it. A closed line takes no link tests, so none is overdue
// on it, as node.LinkTestView says. The peer's routes are added by
// addRoutes.
func (s *Source) linkTestAlerts(ctx context.Context, l *lineInfo, now time.Time) ([]escalate.Alert, error) {
	st, err := s.n.LineState(l.ID)
	if err != nil {
		return nil, err
	}
	if st.State == entry.LineClosed {
		return nil, nil
	}
	every := l.Rules().LinkTestEvery()
	var out []escalate.Alert
	for _, peer := range l.Peers() {
		latest, err := s.n.Store.LatestLinkTest(ctx, l.ID, peer)
		if err != nil {
			return nil, err
		}
		at := ms(latest)
		since := at
		if l.Installed.After(since) {
			since = l.Installed
		}
		due := since.Add(2 * every)
		if !now.After(due) {
			continue
		}
		a := escalate.Alert{ID: string(escalate.LinkTestOverdue) + ":" + l.ID + ":" + peer, Kind: escalate.LinkTestOverdue,
			Line: l.ID, LineTitle: l.Title, Party: peer, Deadline: due, Opened: due,
			Facts: escalate.Facts{LastLinkTest: at}}
		if at.IsZero() {
			a.Summary = peer + "'s link tests are overdue — none since the line opened here " + utc(now, l.Installed)
		} else {
			a.Summary = peer + "'s link tests are overdue — the latest is from " + utc(now, at)
		}
		a.Detail = "the charter asks for a link test every " + every.String() + "; none for " + (2 * every).String() +
			": " + peer + "'s node, or every route between us, is silent"
		out = append(out, a)
	}
	return out, nil
}
