package agenda

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
)

var parties = []string{"beijing", "seoul"}

// day is 2017-03-d at h:00 UTC.
func day(d, h int) time.Time { return time.Date(2017, 3, d, h, 0, 0, 0, time.UTC) }

// idx counts entries per author, so that every step gets its own index.
type log map[string]uint64

func (l log) step(party string, at time.Time, b entry.Agenda) Step {
	i := l[party] + 1
	l[party] = i
	return Step{ID: entry.ID(party, i), Party: party, Index: i, Time: at, Body: &b}
}

func proposal(l log, party string, at, start time.Time) Step {
	return l.step(party, at, entry.Agenda{Action: entry.AgendaPropose, Kind: "exercise", Title: "Joint search and rescue",
		Start: start, End: start.Add(6 * time.Hour), Place: "Yellow Sea"})
}

// change makes a step of event ev; a confirmation agrees to day 10, the
// proposal's time (see confirmAt for another).
func change(l log, party string, at time.Time, ev string, a entry.AgendaAction) Step {
	b := entry.Agenda{Action: a, Event: ev}
	switch a {
	case entry.AgendaConfirm:
		b.Start = day(10, 1)
	case entry.AgendaCancel:
		b.Reason = "the situation does not allow it"
	case entry.AgendaPostpone:
		b.Start, b.End = day(20, 1), day(20, 7)
	}
	return l.step(party, at, b)
}

// TestState is the table of who may do what to an event, and when.
func TestState(t *testing.T) {
	type step struct {
		party  string
		at     time.Time
		action entry.AgendaAction
		refuse string // part of the refusal, or "" if the step applies
	}
	tests := []struct {
		name   string
		steps  []step // after seoul's proposal on day 1 of an event on day 10
		status Status
		agreed []string
	}{
		{"proposed", nil, Proposed, []string{"seoul"}},
		{"confirmed by the other party", []step{{"beijing", day(2, 0), entry.AgendaConfirm, ""}}, Confirmed, []string{"seoul", "beijing"}},
		{"the proposer cannot confirm", []step{{"seoul", day(2, 0), entry.AgendaConfirm, "another party confirms"}}, Proposed, []string{"seoul"}},
		{"confirmed twice", []step{
			{"beijing", day(2, 0), entry.AgendaConfirm, ""},
			{"beijing", day(3, 0), entry.AgendaConfirm, "already agreed"}}, Confirmed, []string{"seoul", "beijing"}},
		{"cancelled by the proposer", []step{{"seoul", day(2, 0), entry.AgendaCancel, ""}}, Cancelled, []string{"seoul"}},
		{"cancelled by the other party after confirming", []step{
			{"beijing", day(2, 0), entry.AgendaConfirm, ""},
			{"beijing", day(3, 0), entry.AgendaCancel, ""}}, Cancelled, []string{"seoul", "beijing"}},
		{"nothing after a cancellation", []step{
			{"beijing", day(2, 0), entry.AgendaCancel, ""},
			{"seoul", day(3, 0), entry.AgendaCancel, "already cancelled"},
			{"beijing", day(3, 0), entry.AgendaConfirm, "already cancelled"}}, Cancelled, []string{"seoul"}},
		{"postponed by the other party, confirmed by the proposer", []step{
			{"beijing", day(2, 0), entry.AgendaPostpone, ""},
			{"beijing", day(3, 0), entry.AgendaConfirm, "another party confirms"},
			{"seoul", day(4, 0), entry.AgendaConfirm, ""}}, Confirmed, []string{"beijing", "seoul"}},
		{"a postponement undoes the confirmation", []step{
			{"beijing", day(2, 0), entry.AgendaConfirm, ""},
			{"seoul", day(3, 0), entry.AgendaPostpone, ""}}, Postponed, []string{"seoul"}},
		{"too late to postpone", []step{{"beijing", day(10, 2), entry.AgendaPostpone, "too late"}}, Proposed, []string{"seoul"}},
		{"held after the start", []step{
			{"beijing", day(2, 0), entry.AgendaConfirm, ""},
			{"beijing", day(10, 3), entry.AgendaHeld, ""}}, Held, []string{"seoul", "beijing"}},
		{"held before the start", []step{
			{"beijing", day(2, 0), entry.AgendaConfirm, ""},
			{"seoul", day(9, 0), entry.AgendaHeld, "cannot have been held before"}}, Confirmed, []string{"seoul", "beijing"}},
		{"held unconfirmed", []step{{"seoul", day(10, 3), entry.AgendaHeld, "not confirmed"}}, Proposed, []string{"seoul"}},
		{"no cancellation once held", []step{
			{"beijing", day(2, 0), entry.AgendaConfirm, ""},
			{"seoul", day(10, 3), entry.AgendaHeld, ""},
			{"beijing", day(10, 4), entry.AgendaCancel, "already held"}}, Held, []string{"seoul", "beijing"}},
		{"a party not on the line", []step{{"tokyo", day(2, 0), entry.AgendaConfirm, "not a party"}}, Proposed, []string{"seoul"}},
		{"the other party confirms the new time", []step{
			{"seoul", day(2, 0), entry.AgendaPostpone, ""},
			{"beijing", day(3, 0), entry.AgendaConfirm, ""}}, Confirmed, []string{"seoul", "beijing"}},
		{"a proposal is no change", []step{{"beijing", day(2, 0), entry.AgendaPropose, "concerns event"}}, Proposed, []string{"seoul"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := log{}
			p := proposal(l, "seoul", day(1, 0), day(10, 1))
			steps := []Step{p}
			current := day(10, 1)
			for _, s := range tt.steps {
				st := change(l, s.party, s.at, p.ID, s.action)
				switch s.action {
				case entry.AgendaPropose:
					st = proposal(l, s.party, s.at, day(11, 0))
				case entry.AgendaConfirm:
					st.Body.Start = current
				case entry.AgendaPostpone:
					if s.refuse == "" {
						current = st.Body.Start
					}
				}
				steps = append(steps, st)
			}
			ev, err := State(parties, steps)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Status != tt.status || !slices.Equal(ev.AgreedBy, tt.agreed) {
				t.Errorf("status %s agreed by %v, want %s by %v\n%s", ev.Status, ev.AgreedBy, tt.status, tt.agreed, history(ev))
			}
			for i, s := range tt.steps {
				got := ev.History[i+1].Refused
				if s.refuse == "" && got != "" || s.refuse != "" && !strings.Contains(got, s.refuse) {
					t.Errorf("step %d (%s %s): refused %q, want %q", i+1, s.party, s.action, got, s.refuse)
				}
			}
		})
	}
}

func history(ev *Event) string {
	var b strings.Builder
	for _, c := range ev.History {
		fmt.Fprintf(&b, "  %s %s %s -> %s %s\n", c.Entry, c.Party, c.Action, c.Status, c.Refused)
	}
	return b.String()
}

// TestStatePostponeMovesTheTime checks that a postponement carries the new
// start and end, and a cancellation its reason and cause.
func TestStatePostponeMovesTheTime(t *testing.T) {
	l := log{}
	p := proposal(l, "seoul", day(1, 0), day(10, 1))
	post := change(l, "beijing", day(2, 0), p.ID, entry.AgendaPostpone)
	cancel := change(l, "beijing", day(3, 0), p.ID, entry.AgendaCancel)
	cancel.Body.Because = "beijing-7"
	ev, err := State(parties, []Step{p, cancel, post}) // any order: State orders them
	if err != nil {
		t.Fatal(err)
	}
	if !ev.Start.Equal(day(20, 1)) || !ev.End.Equal(day(20, 7)) || ev.Status != Cancelled ||
		ev.Reason == "" || ev.Because != "beijing-7" || ev.CancelledBy != "beijing" || ev.Sequence != 2 || !ev.Updated.Equal(day(3, 0)) {
		t.Errorf("got %+v", ev)
	}
}

// TestOrder checks that steps are read in one order whatever order they
// come in: by log order within an author, even when its clock went back,
// then by time across authors.
func TestOrder(t *testing.T) {
	l := log{}
	p := proposal(l, "seoul", day(1, 0), day(10, 1))
	a := change(l, "beijing", day(3, 0), p.ID, entry.AgendaConfirm)
	b := change(l, "beijing", day(2, 0), p.ID, entry.AgendaCancel) // a clock that went back
	c := change(l, "seoul", day(2, 30), p.ID, entry.AgendaPostpone)
	want := []string{a.ID, b.ID, c.ID}
	for _, in := range [][]Step{{a, b, c}, {c, b, a}, {b, c, a}} {
		var got []string
		for _, s := range order(in) {
			got = append(got, s.ID)
		}
		if !slices.Equal(got, want) {
			t.Errorf("order of %v: %v, want %v", in, got, want)
		}
	}
}

func TestStateNeedsAProposal(t *testing.T) {
	l := log{}
	for _, steps := range [][]Step{
		nil,
		{change(l, "seoul", day(1, 0), "seoul-9", entry.AgendaConfirm)},
		{{ID: "seoul-3", Party: "seoul", Broken: "bad json"}},
		{proposal(l, "tokyo", day(1, 0), day(10, 1))},
	} {
		if _, err := State(parties, steps); err == nil {
			t.Errorf("State(%v) made an event", steps)
		}
	}
}

func TestEvents(t *testing.T) {
	l := log{}
	late := proposal(l, "seoul", day(1, 0), day(12, 1))
	early := proposal(l, "beijing", day(1, 0), day(11, 1))
	conf := change(l, "seoul", day(2, 0), early.ID, entry.AgendaConfirm)
	conf.Body.Start = day(11, 1)
	orphan := change(l, "seoul", day(2, 0), "beijing-99", entry.AgendaConfirm)
	evs := Events(parties, []Step{conf, late, orphan, early})
	if len(evs) != 2 || evs[0].ID != early.ID || evs[0].Status != Confirmed || evs[1].ID != late.ID || evs[1].Status != Proposed {
		t.Errorf("got %+v", evs)
	}
}

// TestStaleConfirmation: a confirmation written before its author saw a
// postponement agrees to the old time, not the new one.
func TestStaleConfirmation(t *testing.T) {
	l := log{}
	p := proposal(l, "seoul", day(1, 0), day(10, 1))
	post := change(l, "seoul", day(2, 0), p.ID, entry.AgendaPostpone)
	stale := change(l, "beijing", day(3, 0), p.ID, entry.AgendaConfirm) // of day 10
	ev, err := State(parties, []Step{p, stale, post})
	if err != nil {
		t.Fatal(err)
	}
	if ev.Status != Postponed || !strings.Contains(ev.History[2].Refused, "but the event is at 2017-03-20") {
		t.Errorf("%s\n%s", ev.Status, history(ev))
	}
}
