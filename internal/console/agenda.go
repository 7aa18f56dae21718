package console

import (
	"errors"
	"net/http"
	"time"

	"github.com/hotline-line/hotline/internal/agenda"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/inert"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/officer"
)

// The shared agenda: the events both sides see, each with its status and
// history, as package agenda's rule makes them from the entries of every
// party's log (node.Agenda). A cancelled event stays on the list with its
// reason. Each step an officer takes here is an entry the node writes
// (node.ChangeAgenda), which refuses a step the rules do not allow.

// agendaWriters may propose events and change them: those who compose.
var agendaWriters = composers

// visibleEvent makes what the parties wrote of an event visible.
func visibleEvent(ev agenda.Event) agenda.Event {
	v := inert.Text
	ev.Kind, ev.Title, ev.Place, ev.Reason = v(ev.Kind), v(ev.Title), v(ev.Place), v(ev.Reason)
	ps := make([]string, len(ev.Participants))
	for i, p := range ev.Participants {
		ps[i] = v(p)
	}
	ev.Participants = ps
	h := make([]agenda.Change, len(ev.History))
	for i, c := range ev.History {
		c.Officer, c.Reason, c.Refused = v(c.Officer), v(c.Reason), v(c.Refused)
		h[i] = c
	}
	ev.History = h
	return ev
}

func (s *Server) agendaList(w http.ResponseWriter, r *http.Request, _ *officer.Session) {
	evs, err := s.n.Agenda(r.PathValue("line"))
	if err != nil {
		s.nodeError(w, err)
		return
	}
	out := make([]agenda.Event, 0, len(evs))
	for _, ev := range evs {
		out = append(out, visibleEvent(ev))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) agendaStep(w http.ResponseWriter, r *http.Request, ss *officer.Session) {
	// The request is the step's body, as the node writes it: a proposal
	// (no event), or a confirmation, postponement (start, and end if it
	// has one), cancellation (reason, and the entry that caused it, if
	// any) or a note that it was held. The officer is the one logged in.
	var step entry.Agenda
	if !decodeMessageRequest(w, r, &step) {
		return
	}
	step.Officer = ss.Officer
	if !step.Start.IsZero() {
		step.Start = step.Start.UTC()
	}
	if !step.End.IsZero() {
		step.End = step.End.UTC()
	}
	// The body's own rule, before the node is asked: a confirmation that
	// names no time agrees to the time the node holds, which it fills in.
	check := step
	if check.Action == entry.AgendaConfirm && check.Start.IsZero() {
		check.Start = time.Unix(0, 0)
	}
	if err := check.Validate(); err != nil {
		apiError(w, http.StatusBadRequest, "bad_step", inert.Text(err.Error()))
		return
	}
	line := r.PathValue("line")
	if step.Because != "" {
		// Validate has parsed it; the node looks for it too, but its
		// answer is not one a caller can tell from a failure of its own.
		author, index, _ := entry.ParseID(step.Because)
		if _, err := s.n.Store.Entry(line, author, index); err != nil {
			apiError(w, http.StatusBadRequest, "bad_step", "because: no entry "+step.Because+" on this line")
			return
		}
	}
	done, err := s.n.ChangeAgenda(r.Context(), node.AgendaRequest{Line: line, Step: step})
	switch {
	case errors.Is(err, node.ErrAgendaRefused):
		apiError(w, http.StatusConflict, "agenda_refused", inert.Text(err.Error()))
		return
	case errors.Is(err, node.ErrNoEvent):
		apiError(w, http.StatusNotFound, "no_event", inert.Text(err.Error()))
		return
	case err != nil:
		s.nodeError(w, err)
		return
	}
	s.record(r, officer.Act{Officer: ss.Officer, Act: "agenda", Line: line, Message: done.Entry, Detail: string(step.Action) + " " + done.Event.ID})
	s.log.Info("agenda step written", "officer", ss.Officer, "line", line, "entry", done.Entry, "action", step.Action, "event", done.Event.ID)
	writeJSON(w, http.StatusCreated, struct {
		Entry string       `json:"entry"`
		Event agenda.Event `json:"event"`
	}{done.Entry, visibleEvent(done.Event)})
}
