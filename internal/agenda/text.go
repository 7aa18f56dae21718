package agenda

import (
	"fmt"
	"io"
	"strings"

	"github.com/hotline-line/hotline/internal/inert"
)

// WriteText prints an event for people, in a few lines: the command line's
// listing and the report of a verified transcript both use it. Every
// string a party wrote goes through package inert.
func (ev *Event) WriteText(w io.Writer) {
	when := ev.Start.Format("2006-01-02 15:04")
	if !ev.End.IsZero() {
		when += " to " + ev.End.Format("2006-01-02 15:04")
	}
	fmt.Fprintf(w, "%s  %s  %s UTC  %s\n", ev.ID, strings.ToUpper(string(ev.Status)), when, ev.Kind)
	fmt.Fprintf(w, "  %s, at %s (proposed by %s)\n", inert.Text(ev.Title), inert.Text(ev.Place), ev.Proposer)
	if len(ev.Participants) > 0 {
		fmt.Fprintf(w, "  participants: %s\n", inert.Text(strings.Join(ev.Participants, "; ")))
	}
	switch ev.Status {
	case Proposed, Postponed:
		fmt.Fprintf(w, "  agreed by %s; awaiting the others\n", strings.Join(ev.AgreedBy, ", "))
	case Cancelled:
		fmt.Fprintf(w, "  cancelled by %s: %s", ev.CancelledBy, inert.Text(ev.Reason))
		if ev.Because != "" {
			fmt.Fprintf(w, " (because of %s)", ev.Because)
		}
		fmt.Fprintln(w)
	}
}

// WriteHistory prints an event's steps, one a line, with what each did or
// why the rules refused it.
func (ev *Event) WriteHistory(w io.Writer) {
	fmt.Fprintln(w, "history:")
	for _, c := range ev.History {
		fmt.Fprintf(w, "  %s UTC  %-12s %s %s", c.Time.Format("2006-01-02 15:04:05"), c.Entry, c.Party, c.Action)
		if c.Officer != "" {
			fmt.Fprintf(w, " (officer %s)", inert.Text(c.Officer))
		}
		if !c.Start.IsZero() {
			fmt.Fprintf(w, " for %s UTC", c.Start.Format("2006-01-02 15:04"))
		}
		if c.Reason != "" {
			fmt.Fprintf(w, ": %s", inert.Text(c.Reason))
		}
		if c.Because != "" {
			fmt.Fprintf(w, " (because of %s)", c.Because)
		}
		if c.Refused != "" {
			fmt.Fprintf(w, "  REFUSED by the rules: %s", c.Refused)
		} else {
			fmt.Fprintf(w, "  -> %s", c.Status)
		}
		fmt.Fprintln(w)
	}
}
