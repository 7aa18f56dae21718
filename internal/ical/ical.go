// Package ical writes a line's shared agenda as an iCalendar file (RFC
// 5545), for the calendars people already read. Each event is one VEVENT
// whose UID is the event's ID on the line, so that a calendar that imports
// the file again updates the events it has rather than adding them twice;
// SEQUENCE counts the changes. A cancelled event stays in the file with
// STATUS:CANCELLED and its reason, as it stays on the agenda.
package ical

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	ics "github.com/arran4/golang-ical"

	"github.com/hotline-line/hotline/internal/agenda"
)

// Status maps an event's status to the VEVENT STATUS: only confirmed (and
// held) events are CONFIRMED; proposed or postponed ones await the other
// side and are TENTATIVE.
func Status(s agenda.Status) ics.ObjectStatus {
	switch s {
	case agenda.Confirmed, agenda.Held:
		return ics.ObjectStatusConfirmed
	case agenda.Cancelled:
		return ics.ObjectStatusCancelled
	}
	return ics.ObjectStatusTentative
}

// UID is the iCalendar UID of an event of line.
func UID(line, event string) string { return event + "." + line + "@hotline" }

// Write writes the events of line's agenda, titled title, as one
// VCALENDAR. now stamps the file (DTSTAMP).
func Write(w io.Writer, line, title string, events []agenda.Event, now time.Time) error {
	cal := ics.NewCalendarFor("hotline")
	cal.SetMethod(ics.MethodPublish)
	cal.SetName(oneLine(title))
	for _, ev := range events {
		v := cal.AddEvent(UID(line, ev.ID))
		v.SetDtStampTime(now)
		v.SetCreatedTime(ev.History[0].Time)
		v.SetModifiedAt(ev.Updated)
		v.SetSequence(ev.Sequence)
		v.SetStartAt(ev.Start)
		if !ev.End.IsZero() {
			v.SetEndAt(ev.End)
		}
		v.SetSummary(oneLine(ev.Title))
		v.SetLocation(oneLine(ev.Place))
		v.SetProperty(ics.ComponentPropertyCategories, oneLine(ev.Kind))
		v.SetStatus(Status(ev.Status))
		v.SetDescription(Description(&ev))
	}
	// RFC 5545 lines end in CRLF; the library writes LF unless told.
	return cal.SerializeTo(w, ics.WithNewLineWindows)
}

// Description is the text of an event for a calendar: who proposed it and
// with whom, why it was cancelled, and its history.
func Description(ev *agenda.Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s proposed by %s; %s", ev.Kind, ev.Proposer, ev.Status)
	if ev.Status == agenda.Cancelled {
		fmt.Fprintf(&b, " by %s: %s", ev.CancelledBy, ev.Reason)
		if ev.Because != "" {
			fmt.Fprintf(&b, " (because of %s)", ev.Because)
		}
	}
	if len(ev.Participants) > 0 {
		fmt.Fprintf(&b, "\nparticipants: %s", strings.Join(ev.Participants, "; "))
	}
	b.WriteString("\nhistory:")
	for _, c := range ev.History {
		fmt.Fprintf(&b, "\n%s %s %s by %s", c.Time.UTC().Format(time.RFC3339), c.Entry, c.Action, c.Party)
		if !c.Start.IsZero() {
			fmt.Fprintf(&b, " for %s", c.Start.UTC().Format(time.RFC3339))
		}
		if c.Refused != "" {
			fmt.Fprintf(&b, " (refused: %s)", c.Refused)
		}
	}
	return noControl(b.String(), '\n')
}

// oneLine replaces control characters with spaces. The entry decoder
// already refuses them in an event's fields; this keeps any other text (a
// line's title) from breaking a content line of the file.
func oneLine(s string) string { return noControl(s, -1) }

// noControl replaces every control character but keep with a space. The
// library escapes a line feed (as \n) but would write a carriage return
// as it is.
func noControl(s string, keep rune) string {
	return strings.Map(func(r rune) rune {
		if r != keep && unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}
