package console

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/hotline-line/hotline/internal/escalate"
	"github.com/hotline-line/hotline/internal/inert"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/officer"
)

// Alerts is the escalation engine as the console uses it: the open alerts,
// silencing one, and a channel closed when they change.
type Alerts interface {
	Active() []escalate.AlertState
	Silence(id, officer string) error
	Changed() <-chan struct{}
}

// alertsView is what GET /api/alerts returns: the open alerts, each with
// where its chain stands.
type alertsView struct {
	Alerts []escalate.AlertState `json:"alerts"`
}

func (s *Server) alertList(w http.ResponseWriter, r *http.Request, _ *officer.Session) {
	out := alertsView{Alerts: []escalate.AlertState{}}
	if s.alerts != nil {
		for _, a := range s.alerts.Active() {
			out.Alerts = append(out.Alerts, visibleAlert(a))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// visibleAlert makes the text of an alert that came from another party
// visible: party and officer names and route errors are theirs to choose.
func visibleAlert(a escalate.AlertState) escalate.AlertState {
	al := &a.Alert
	al.LineTitle, al.Party, al.Summary, al.Detail = inert.Text(al.LineTitle), inert.Text(al.Party), inert.Text(al.Summary), inert.Text(al.Detail)
	al.Facts.AckedBy = inert.Text(al.Facts.AckedBy)
	for i := range al.Facts.Routes {
		al.Facts.Routes[i].LastError = inert.Text(al.Facts.Routes[i].LastError)
	}
	// A webhook's URL may carry a token in its query or user info: the
	// console names the endpoint without them.
	a.Sent = slices.Clone(a.Sent)
	for i := range a.Sent {
		if a.Sent[i].Channel == "webhook" {
			a.Sent[i].To = endpoint(a.Sent[i].To)
		}
		a.Sent[i].Error = inert.Text(a.Sent[i].Error)
	}
	a.Notified = slices.Clone(a.Notified)
	for i, n := range a.Notified {
		if u, ok := strings.CutPrefix(n, "webhook:"); ok {
			a.Notified[i] = "webhook:" + endpoint(u)
		}
	}
	return a
}

// endpoint is a URL without its user info, query and fragment.
func endpoint(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(webhook)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

// silence stops an alert's chain. Only alerts our people cannot resolve by
// acting can be silenced: what we owe closes when someone acts.
func (s *Server) silence(w http.ResponseWriter, r *http.Request, ss *officer.Session) {
	if s.alerts == nil {
		apiError(w, http.StatusNotFound, "no_alert", "no such open alert")
		return
	}
	id := r.PathValue("id")
	err := s.alerts.Silence(id, ss.Officer)
	switch {
	case errors.Is(err, escalate.ErrNoAlert):
		apiError(w, http.StatusNotFound, "no_alert", err.Error())
		return
	case errors.Is(err, escalate.ErrOwed):
		apiError(w, http.StatusConflict, "owed", err.Error())
		return
	case err != nil:
		s.internalError(w, err)
		return
	}
	s.record(r, officer.Act{Officer: ss.Officer, Act: "silence", Detail: id})
	s.log.Info("alert silenced", "officer", ss.Officer, "alert", id)
	writeJSON(w, http.StatusOK, map[string]string{"silenced": id, "officer": ss.Officer})
}

// rollCall answers the line's current roll-call in the officer's name: a
// signed entry in our log, so every party sees a person is here.
func (s *Server) rollCall(w http.ResponseWriter, r *http.Request, ss *officer.Session) {
	line := r.PathValue("line")
	v, err := s.n.AnswerRollCall(r.Context(), line, ss.Officer)
	if errors.Is(err, node.ErrNoRollCall) {
		apiError(w, http.StatusConflict, "no_roll_call", err.Error())
		return
	}
	if err != nil {
		s.nodeError(w, err)
		return
	}
	s.record(r, officer.Act{Officer: ss.Officer, Act: "rollcall", Line: line})
	s.log.Info("roll-call answered", "officer", ss.Officer, "line", line)
	writeJSON(w, http.StatusOK, v)
}

// alertsChanged is closed when the open alerts change; nil (never) without
// an engine.
func (s *Server) alertsChanged() <-chan struct{} {
	if s.alerts == nil {
		return nil
	}
	return s.alerts.Changed()
}
