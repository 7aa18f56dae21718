package node

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hotline-line/hotline/internal/agenda"
	"github.com/hotline-line/hotline/internal/entry"
)

// The shared agenda: every proposal of an exchange event and every change
// of its status is an agenda entry in the log of the party that made it,
// so both sides read one agenda with its history. What the entries make of
// an event is package agenda's one rule; the node applies the same rule
// to refuse a change before writing it.

// maxAgendaEntries bounds the agenda entries of a line read at once:
// every one a line can hold (checkRuleQuota), so no step of an event falls
// out of the fold.
var maxAgendaEntries = foldLimit(entry.KindAgenda)

// ErrAgendaRefused means the agenda's rules do not allow the change (see
// package agenda): the error says why.
var ErrAgendaRefused = errors.New("the agenda does not allow this")

// ErrNoEvent means no event with that ID is on the line's agenda.
var ErrNoEvent = errors.New("no such event on the agenda")

// AgendaRequest is one agenda step to write: a proposal (Step.Event
// empty) or a change of an event.
type AgendaRequest struct {
	Line string       `json:"line"`
	Step entry.Agenda `json:"step"`
}

// AgendaWritten is what an agenda step wrote: its entry, and the event as
// it stands after it.
type AgendaWritten struct {
	Entry string       `json:"entry"`
	Event agenda.Event `json:"event"`
}

// Agenda returns the events on the line's agenda, by start time, each with
// its history.
func (n *Node) Agenda(line string) ([]agenda.Event, error) {
	ls, err := n.line(line)
	if err != nil {
		return nil, err
	}
	steps, err := n.agendaSteps(ls)
	if err != nil {
		return nil, err
	}
	return agenda.Events(ls.charter.Slugs(), steps), nil
}

func (n *Node) agendaSteps(ls *lineState) ([]agenda.Step, error) {
	rows, err := n.Store.EntriesByKind(ls.id, entry.KindAgenda, maxAgendaEntries)
	if err != nil {
		return nil, err
	}
	steps := make([]agenda.Step, 0, len(rows))
	for _, e := range rows {
		s := agenda.Step{ID: entry.ID(e.Author, e.Index), Party: e.Author, Index: e.Index, Time: ms(e.Time)}
		if b, err := entry.DecodeAgenda(e.Body); err == nil && e.BodyError == "" {
			s.Body = b
		} else {
			continue // unreadable: it names no event anyone could show it under
		}
		steps = append(steps, s)
	}
	return steps, nil
}

// ChangeAgenda writes an agenda step by this party: a proposal, or a
// change of an event the rules allow this party to make now. A
// postponement that gives no end keeps the event's length; a confirmation
// that names no time agrees to the time this node holds.
func (n *Node) ChangeAgenda(ctx context.Context, req AgendaRequest) (*AgendaWritten, error) {
	ls, err := n.line(req.Line)
	if err != nil {
		return nil, err
	}
	// A suspended line still carries the agenda: a cancellation is what
	// a suspension often brings. A closed one takes nothing new.
	if err := n.admit(ls, entry.KindAgenda, "", false); err != nil {
		return nil, err
	}
	a := req.Step
	steps, err := n.agendaSteps(ls)
	if err != nil {
		return nil, err
	}
	var prior []agenda.Step
	if a.Action != entry.AgendaPropose {
		var ev *agenda.Event
		if prior, ev = eventSteps(ls.charter.Slugs(), steps, a.Event); ev == nil {
			return nil, fmt.Errorf("%w: %s", ErrNoEvent, a.Event)
		}
		if a.Action == entry.AgendaPostpone && a.End.IsZero() && !ev.End.IsZero() && !a.Start.IsZero() {
			a.End = a.Start.Add(ev.End.Sub(ev.Start))
		}
		if a.Action == entry.AgendaConfirm && a.Start.IsZero() {
			a.Start = ev.Start // what we agree to: the time we hold
		}
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	if a.Because != "" {
		author, index, _ := entry.ParseID(a.Because)
		if _, err := n.Store.Entry(ls.id, author, index); errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("cancelled because of %s: no such entry on this line", a.Because)
		} else if err != nil {
			return nil, err
		}
	}
	if a.Action != entry.AgendaPropose {
		// The step as the rules will read it once written: by us, now,
		// after everything we hold.
		try := agenda.Step{ID: entry.ID(ls.me, ls.log(ls.me).committed.Load()), Party: ls.me,
			Index: ls.log(ls.me).committed.Load(), Time: n.now().UTC(), Body: &a}
		after, _ := agenda.State(ls.charter.Slugs(), append(prior, try))
		if r := after.History[len(after.History)-1].Refused; r != "" {
			return nil, fmt.Errorf("%w: %s", ErrAgendaRefused, r)
		}
	}
	body, _ := json.Marshal(a)
	d, err := n.sealDraft(ls, entry.KindAgenda, body)
	if err != nil {
		return nil, err
	}
	d.ref, d.officer = a.Event, a.Officer
	id, err := n.writeOne(ctx, ls, d)
	if err != nil {
		return nil, err
	}
	evID := a.Event
	if a.Action == entry.AgendaPropose {
		evID = id
	}
	all, err := n.Agenda(req.Line)
	if err != nil {
		return nil, err
	}
	for _, ev := range all {
		if ev.ID == evID {
			return &AgendaWritten{Entry: id, Event: ev}, nil
		}
	}
	return nil, fmt.Errorf("%w: %s after writing %s", ErrNoEvent, evID, id)
}

// eventSteps returns the steps of event id, its proposal first, and the
// event they make; nil if there is no such event.
func eventSteps(parties []string, steps []agenda.Step, id string) ([]agenda.Step, *agenda.Event) {
	var out []agenda.Step
	for _, s := range steps {
		switch {
		case s.ID == id && s.Body.Action == entry.AgendaPropose:
			out = append([]agenda.Step{s}, out...)
		case s.Body.Event == id:
			out = append(out, s)
		}
	}
	ev, err := agenda.State(parties, out)
	if err != nil {
		return nil, nil
	}
	return out, ev
}
