package duty

import (
	"fmt"
	"strings"
	"time"

	"github.com/hotline-line/hotline/internal/escalate"
)

// addRoutes adds the health of our routes to the party concerned to the
// alerts about the network (undelivered, linktest_overdue): it tells the
// cut cable from the silent peer. The line's status is read only when
// such an alert is open.
func (s *Source) addRoutes(l *lineInfo, alerts []escalate.Alert, now time.Time) error {
	need := false
	for _, a := range alerts {
		need = need || a.Kind == escalate.Undelivered || a.Kind == escalate.LinkTestOverdue
	}
	if !need {
		return nil
	}
	st, err := s.n.Status(l.ID)
	if err != nil {
		return err
	}
	routes := map[string][]escalate.Route{}
	for _, p := range st.Parties {
		for _, h := range p.Routes {
			routes[p.Party] = append(routes[p.Party], escalate.Route{Name: h.Route, LastSuccess: h.LastSuccess,
				LastFailure: h.LastFailure, LastError: h.LastError, Failures: h.Failures})
		}
	}
	for i := range alerts {
		a := &alerts[i]
		if a.Kind != escalate.Undelivered && a.Kind != escalate.LinkTestOverdue {
			continue
		}
		a.Facts.Routes = routes[a.Party]
		if len(a.Facts.Routes) > 0 {
			a.Detail += "; routes: " + routeText(newClock(now), a.Facts.Routes)
		}
	}
	return nil
}

// routeText sums up routes: "direct failing since 03:01 (4 failures:
// connection refused), relay last success 02:55".
func routeText(c *clock, routes []escalate.Route) string {
	var parts []string
	for _, r := range routes {
		var s string
		switch {
		case r.Failures > 0:
			s = fmt.Sprintf("%s failing, last at %s (%d failures: %s)", r.Name, c.at(r.LastFailure), r.Failures, firstLine(r.LastError, 80))
		case !r.LastSuccess.IsZero():
			s = r.Name + " last success " + c.at(r.LastSuccess)
		default:
			s = r.Name + " not used yet"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

func firstLine(s string, max int) string {
	s, _, _ = strings.Cut(s, "\n")
	if r := []rune(s); len(r) > max {
		s = string(r[:max-1]) + "…"
	}
	return s
}
