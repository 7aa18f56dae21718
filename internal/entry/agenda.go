package entry

import (
	"fmt"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"
)

// KindAgenda is one step of the shared agenda of exchanges: a proposal of
// an event (a visit, a port call, an exercise, talks, a hotline drill) or a
// change of its status. The state of an event is what its steps, read in
// order, make of it (package agenda).
const KindAgenda Kind = "agenda"

// AgendaAction is what an agenda entry does.
type AgendaAction string

// The agenda actions.
const (
	AgendaPropose  AgendaAction = "propose"  // a new event; its entry's ID is the event's ID
	AgendaConfirm  AgendaAction = "confirm"  // the author agrees to the event at Start, its current time
	AgendaPostpone AgendaAction = "postpone" // the event moves to Start (and End)
	AgendaCancel   AgendaAction = "cancel"   // the event will not take place, for Reason
	AgendaHeld     AgendaAction = "held"     // the event took place
)

// EventKinds lists the kinds of exchange events.
var EventKinds = []string{"visit", "port-call", "exercise", "talks", "drill"}

// Bounds of an agenda body's fields.
const (
	MaxAgendaField  = 200  // a title, a place, a participant
	MaxAgendaReason = 1000 // the reason of a cancellation
	MaxParticipants = 50
)

// Agenda is the body of a KindAgenda entry. Which fields are set depends
// on Action; Validate refuses any other.
type Agenda struct {
	Action AgendaAction `json:"action"`
	// Event is the ID of the event (of its proposal entry); empty on a
	// proposal, whose own entry ID becomes the event's.
	Event string `json:"event,omitempty"`
	// Proposal: what, where and with whom. Start (and End, if any) also
	// on a postponement: the new time. Start also on a confirmation: the
	// time agreed to, so that a confirmation written before the author
	// saw a postponement does not pass for agreeing to the new time.
	Kind         string    `json:"kind,omitempty"`
	Title        string    `json:"title,omitempty"`
	Start        time.Time `json:"start,omitzero"`
	End          time.Time `json:"end,omitzero"`
	Place        string    `json:"place,omitempty"`
	Participants []string  `json:"participants,omitempty"`
	// Cancellation: why, and the message (or notice) that caused it.
	Reason  string `json:"reason,omitempty"`
	Because string `json:"because,omitempty"`
	// Officer, if set, is who made this step for the author's party.
	Officer string `json:"officer,omitempty"`
}

// Validate checks an agenda body: the fields its action needs, and no
// other.
func (a *Agenda) Validate() error {
	propose := a.Action == AgendaPropose
	moves := propose || a.Action == AgendaPostpone
	timed := moves || a.Action == AgendaConfirm
	switch a.Action {
	case AgendaPropose, AgendaConfirm, AgendaPostpone, AgendaCancel, AgendaHeld:
	default:
		return fmt.Errorf("agenda: unknown action %q: use propose, confirm, postpone, cancel or held", a.Action)
	}
	if propose != (a.Event == "") {
		return fmt.Errorf("agenda: a %s names the event it changes, and only a proposal names none", a.Action)
	}
	if a.Event != "" {
		if _, _, err := ParseID(a.Event); err != nil {
			return fmt.Errorf("agenda event: %w", err)
		}
	}
	if !propose && (a.Kind != "" || a.Title != "" || a.Place != "" || a.Participants != nil) {
		return fmt.Errorf("agenda: a %s does not change the kind, title, place or participants", a.Action)
	}
	if propose {
		if !slices.Contains(EventKinds, a.Kind) {
			return fmt.Errorf("agenda: event kind %q: use visit, port-call, exercise, talks or drill", a.Kind)
		}
		if err := agendaField("title", a.Title, MaxAgendaField); err != nil {
			return err
		}
		if err := agendaField("place", a.Place, MaxAgendaField); err != nil {
			return err
		}
		if len(a.Participants) > MaxParticipants {
			return fmt.Errorf("agenda: %d participants, at most %d", len(a.Participants), MaxParticipants)
		}
		for _, p := range a.Participants {
			if err := agendaField("participant", p, MaxAgendaField); err != nil {
				return err
			}
		}
	}
	if timed != !a.Start.IsZero() {
		return fmt.Errorf("agenda: a start time is given on a proposal, a postponement or a confirmation, and only there")
	}
	if !moves && !a.End.IsZero() {
		return fmt.Errorf("agenda: an end time is given on a proposal or a postponement, and only there")
	}
	if timed {
		if y := a.Start.Year(); y < 1970 || y > 9999 {
			return fmt.Errorf("agenda: start %s is out of range", a.Start)
		}
		if !a.End.IsZero() && !a.End.After(a.Start) {
			return fmt.Errorf("agenda: the end %s is not after the start %s", a.End.UTC().Format(time.RFC3339), a.Start.UTC().Format(time.RFC3339))
		}
		if !a.End.IsZero() && a.End.Year() > 9999 {
			return fmt.Errorf("agenda: end %s is out of range", a.End)
		}
	}
	if (a.Action == AgendaCancel) != (a.Reason != "") {
		return fmt.Errorf("agenda: a cancellation gives its reason, and only a cancellation has one")
	}
	if a.Reason != "" {
		if err := agendaField("reason", a.Reason, MaxAgendaReason); err != nil {
			return err
		}
	}
	if a.Because != "" {
		if a.Action != AgendaCancel {
			return fmt.Errorf("agenda: only a cancellation names the message that caused it")
		}
		if _, _, err := ParseID(a.Because); err != nil {
			return fmt.Errorf("agenda: cancelled because of: %w", err)
		}
	}
	if err := checkOfficer(a.Officer, false); err != nil {
		return fmt.Errorf("agenda: %w", err)
	}
	return nil
}

// agendaField checks one line of text: present, at most max bytes of
// UTF-8, and no control characters, so that it cannot break the lines of
// a listing or an iCalendar file.
func agendaField(name, v string, max int) error {
	if v == "" || len(v) > max || !utf8.ValidString(v) {
		return fmt.Errorf("agenda: the %s is 1 to %d bytes of UTF-8", name, max)
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return fmt.Errorf("agenda: the %s holds a control character", name)
		}
	}
	return nil
}

// DecodeAgenda decodes and validates an agenda body.
func DecodeAgenda(b []byte) (*Agenda, error) {
	var a Agenda
	if err := strictJSON(b, &a); err != nil {
		return nil, fmt.Errorf("agenda body: %w", err)
	}
	return &a, a.Validate()
}
