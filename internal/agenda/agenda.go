// Package agenda computes the shared agenda of exchanges from the agenda
// entries of every party's log: visits, port calls, exercises, talks and
// hotline drills, each with its time, place, participants and history.
//
// # One rule
//
// The state of an event is [State] of its entries, and nothing else: the
// node uses it to list the agenda and to refuse a change before writing
// it, the views of every party use it, and so would a verifier of a
// transcript. An event is proposed by one party, whose proposal entry's ID
// becomes the event's ID. From then on:
//
//   - confirm: by a party that has not yet agreed to the current time, and
//     naming that time: a confirmation of a time the event has since left
//     is refused. The proposer (or the party that last moved the event)
//     agrees by doing so; when every party of the line agrees, the event
//     is confirmed.
//   - postpone: by any party, to a later time, before the event begins.
//     Agreement starts again from the party that moved it.
//   - cancel: by any party, with a reason, and the message that caused it
//     if there is one, until the event is held.
//   - held: by any party, once the event is confirmed and its start has
//     come (by the author's clock, as signed).
//
// A cancelled or held event changes no more. A step the rules refuse is
// kept in the history with the reason, and changes nothing: the other
// party's log may hold what its node should not have written, and the
// agenda still reads the same on every side.
//
// # Order
//
// Steps are read in one order every node computes alike: the proposal
// first, then each author's steps in log order, merged by the time their
// authors signed (then by author). Two nodes that hold the same entries
// show the same agenda.
package agenda

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
)

// Status is where an event stands.
type Status string

// The statuses of an event.
const (
	Proposed  Status = "proposed"  // awaiting the other parties' confirmation
	Confirmed Status = "confirmed" // every party agreed to its time
	Postponed Status = "postponed" // moved; awaiting confirmation of the new time
	Cancelled Status = "cancelled"
	Held      Status = "held"
)

// Step is one agenda entry as State reads it.
type Step struct {
	ID     string    `json:"id"`    // the entry's ID, author-index
	Party  string    `json:"party"` // its author
	Index  uint64    `json:"-"`
	Time   time.Time `json:"time"` // the author's clock, as signed
	Body   *entry.Agenda
	Broken string `json:"broken,omitempty"` // why the body could not be read; Body is then nil
}

// Event is an event as its steps make it.
type Event struct {
	ID           string    `json:"id"` // the ID of its proposal entry
	Proposer     string    `json:"proposer"`
	Kind         string    `json:"kind"`
	Title        string    `json:"title"`
	Place        string    `json:"place"`
	Participants []string  `json:"participants,omitempty"`
	Start        time.Time `json:"start"`
	End          time.Time `json:"end,omitzero"`
	Status       Status    `json:"status"`
	// AgreedBy are the parties that agreed to the current time.
	AgreedBy []string `json:"agreed_by"`
	// Reason and Because explain a cancellation; CancelledBy made it.
	Reason      string    `json:"reason,omitempty"`
	Because     string    `json:"because,omitempty"`
	CancelledBy string    `json:"cancelled_by,omitempty"`
	Updated     time.Time `json:"updated"`  // the time of the last step applied
	Sequence    int       `json:"sequence"` // steps applied after the proposal
	History     []Change  `json:"history"`
}

// Change is one step in an event's history and what it did.
type Change struct {
	Entry   string             `json:"entry"`
	Party   string             `json:"party"`
	Time    time.Time          `json:"time"`
	Action  entry.AgendaAction `json:"action,omitempty"`
	Officer string             `json:"officer,omitempty"`
	Start   time.Time          `json:"start,omitzero"` // a proposal's or postponement's time
	End     time.Time          `json:"end,omitzero"`
	Reason  string             `json:"reason,omitempty"`
	Because string             `json:"because,omitempty"`
	Status  Status             `json:"status"` // the event's status after it
	// Refused says why the rules refused the step; it then changed nothing.
	Refused string `json:"refused,omitempty"`
}

// State returns the event that steps make, given the parties of the line.
// steps[0] must be the event's proposal; the others are its changes in
// any order (State orders them). It fails only when there is no event:
// the first step is not a readable proposal by a party of the line. Any
// other step the rules refuse is kept in the history as refused.
func State(parties []string, steps []Step) (*Event, error) {
	if len(steps) == 0 {
		return nil, fmt.Errorf("agenda: no proposal")
	}
	p := steps[0]
	if p.Body == nil || p.Body.Action != entry.AgendaPropose {
		return nil, fmt.Errorf("agenda: %s is not a readable proposal", p.ID)
	}
	if !slices.Contains(parties, p.Party) {
		return nil, fmt.Errorf("agenda: %s is by %s, not a party of the line", p.ID, p.Party)
	}
	b := p.Body
	ev := &Event{ID: p.ID, Proposer: p.Party, Kind: b.Kind, Title: b.Title, Place: b.Place,
		Participants: b.Participants, Start: b.Start.UTC(), End: utc(b.End),
		Status: Proposed, AgreedBy: []string{p.Party}, Updated: p.Time}
	ev.History = append(ev.History, Change{Entry: p.ID, Party: p.Party, Time: p.Time, Action: b.Action,
		Officer: b.Officer, Start: ev.Start, End: ev.End, Status: Proposed})
	if len(parties) == 1 {
		ev.Status = Confirmed
	}
	for _, s := range order(steps[1:]) {
		c := Change{Entry: s.ID, Party: s.Party, Time: s.Time}
		if s.Body != nil {
			c.Action, c.Officer, c.Reason, c.Because = s.Body.Action, s.Body.Officer, s.Body.Reason, s.Body.Because
			c.Start, c.End = utc(s.Body.Start), utc(s.Body.End)
		}
		if err := apply(ev, parties, s); err != nil {
			c.Refused = err.Error()
		} else {
			ev.Updated = s.Time
			ev.Sequence++
		}
		c.Status = ev.Status
		ev.History = append(ev.History, c)
	}
	return ev, nil
}

// apply makes step s of ev, or says why the rules refuse it.
func apply(ev *Event, parties []string, s Step) error {
	switch {
	case s.Body == nil:
		return fmt.Errorf("unreadable: %s", s.Broken)
	case !slices.Contains(parties, s.Party):
		return fmt.Errorf("%s is not a party of the line", s.Party)
	case s.Body.Event != ev.ID:
		return fmt.Errorf("it concerns event %s, not %s", s.Body.Event, ev.ID)
	case ev.Status == Cancelled || ev.Status == Held:
		return fmt.Errorf("the event was already %s", ev.Status)
	}
	b := s.Body
	switch b.Action {
	case entry.AgendaConfirm:
		if !b.Start.Equal(ev.Start) {
			return fmt.Errorf("it confirms %s, but the event is at %s", b.Start.UTC().Format(time.RFC3339), ev.Start.Format(time.RFC3339))
		}
		if slices.Contains(ev.AgreedBy, s.Party) {
			if len(ev.AgreedBy) == 1 {
				return fmt.Errorf("%s set this time: another party confirms it", s.Party)
			}
			return fmt.Errorf("%s already agreed to this time", s.Party)
		}
		ev.AgreedBy = append(ev.AgreedBy, s.Party)
		if len(ev.AgreedBy) == len(parties) {
			ev.Status = Confirmed
		}
	case entry.AgendaPostpone:
		if !s.Time.Before(ev.Start) {
			return fmt.Errorf("the event began at %s: too late to postpone it", ev.Start.Format(time.RFC3339))
		}
		start := b.Start.UTC()
		if !start.After(ev.Start) {
			return fmt.Errorf("postponed to %s, which is not later than %s", start.Format(time.RFC3339), ev.Start.Format(time.RFC3339))
		}
		ev.Start, ev.End = start, utc(b.End)
		ev.AgreedBy = []string{s.Party}
		ev.Status = Postponed
		if len(parties) == 1 {
			ev.Status = Confirmed
		}
	case entry.AgendaCancel:
		ev.Status, ev.Reason, ev.Because, ev.CancelledBy = Cancelled, b.Reason, b.Because, s.Party
	case entry.AgendaHeld:
		if ev.Status != Confirmed {
			return fmt.Errorf("the event is %s, not confirmed", ev.Status)
		}
		if s.Time.Before(ev.Start) {
			return fmt.Errorf("the event starts at %s: it cannot have been held before", ev.Start.Format(time.RFC3339))
		}
		ev.Status = Held
	default:
		return fmt.Errorf("a %s does not change an event", b.Action)
	}
	return nil
}

// order returns steps in the order State reads them: each author's steps
// in log order, merged by signed time, then author.
func order(steps []Step) []Step {
	byAuthor := map[string][]Step{}
	for _, s := range steps {
		byAuthor[s.Party] = append(byAuthor[s.Party], s)
	}
	for _, ss := range byAuthor {
		slices.SortFunc(ss, func(a, b Step) int { return cmp.Compare(a.Index, b.Index) })
	}
	out := make([]Step, 0, len(steps))
	for len(out) < len(steps) {
		next := ""
		for a, ss := range byAuthor {
			if len(ss) == 0 {
				continue
			}
			if next == "" {
				next = a
				continue
			}
			h, n := ss[0], byAuthor[next][0]
			if c := h.Time.Compare(n.Time); c < 0 || c == 0 && a < next {
				next = a
			}
		}
		out = append(out, byAuthor[next][0])
		byAuthor[next] = byAuthor[next][1:]
	}
	return out
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

// Events groups agenda steps by event and returns every event whose
// proposal is among them, by start time. Steps that name no event held
// here (their proposal has not arrived yet) wait for it.
func Events(parties []string, steps []Step) []Event {
	byEvent := map[string][]Step{}
	var proposals []Step
	for _, s := range steps {
		switch {
		case s.Body != nil && s.Body.Action == entry.AgendaPropose:
			proposals = append(proposals, s)
		case s.Body != nil:
			byEvent[s.Body.Event] = append(byEvent[s.Body.Event], s)
		}
	}
	var out []Event
	for _, p := range proposals {
		ev, err := State(parties, append([]Step{p}, byEvent[p.ID]...))
		if err == nil {
			out = append(out, *ev)
		}
	}
	slices.SortFunc(out, func(a, b Event) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.ID, b.ID))
	})
	return out
}
