package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hotline-line/hotline/internal/agenda"
	"github.com/hotline-line/hotline/internal/atomicfile"
	"github.com/hotline-line/hotline/internal/control"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/ical"
	"github.com/hotline-line/hotline/internal/node"
)

func init() {
	register(command{"agenda", "[--ics FILE] | propose|confirm|postpone|cancel|held|history ...",
		"the shared agenda of exchanges: list it, propose an event, change its status", cmdAgenda})
}

const agendaUsage = `hotline agenda [--ics FILE] [--line L]
hotline agenda propose --kind KIND --title T --start TIME [--end TIME] --place P [--participants A,B] [--officer NAME]
hotline agenda confirm ID [--officer NAME]
hotline agenda postpone ID --to TIME [--end TIME] [--officer NAME]
hotline agenda cancel ID --reason R [--because MESSAGE-ID] [--officer NAME]
hotline agenda held ID [--officer NAME]
hotline agenda history ID`

func cmdAgenda(ctx context.Context, args []string) error {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "propose", "confirm", "postpone", "cancel", "held":
			return agendaChange(ctx, entry.AgendaAction(args[0]), args[1:])
		case "history":
			return agendaList(ctx, args[1:], true)
		}
		return usageError{fmt.Sprintf("unknown agenda subcommand %q:\n%s", args[0], agendaUsage)}
	}
	return agendaList(ctx, args, false)
}

// parseTime reads a time in UTC or with an offset, with or without
// seconds: 2017-03-10T01:00Z, 2017-03-10T10:00:00+09:00.
func parseTime(flag, s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, usageError{fmt.Sprintf("--%s %q: give a time like 2017-03-10T01:00Z or 2017-03-10T10:00+09:00", flag, s)}
}

func agendaChange(ctx context.Context, action entry.AgendaAction, args []string) error {
	fs := flags("agenda " + string(action))
	dir := dirFlag(fs)
	line := fs.String("line", "", "the line, by name or ID (default: the node's only line)")
	officer := fs.String("officer", "", "the officer who makes this step; signed into it")
	var kind, title, start, end, place, participants, to, reason, because *string
	switch action {
	case entry.AgendaPropose:
		kind = fs.String("kind", "", "visit, port-call, exercise, talks or drill")
		title = fs.String("title", "", "what the event is")
		start = fs.String("start", "", "when it starts, e.g. 2017-03-10T01:00Z")
		end = fs.String("end", "", "when it ends (optional)")
		place = fs.String("place", "", "where it takes place")
		participants = fs.String("participants", "", "who takes part, separated by commas (optional)")
	case entry.AgendaPostpone:
		to = fs.String("to", "", "the new start")
		end = fs.String("end", "", "the new end (default: the event keeps its length)")
	case entry.AgendaCancel:
		reason = fs.String("reason", "", "why the event will not take place")
		because = fs.String("because", "", "the ID of the message or notice that caused it (optional)")
	}
	pos, err := parseAnywhere(fs, args)
	if err != nil {
		return err
	}
	step := entry.Agenda{Action: action, Officer: *officer}
	if action == entry.AgendaPropose {
		if len(pos) != 0 {
			return usageError{"propose takes no event ID: the proposal's entry becomes the event"}
		}
		step.Kind, step.Title, step.Place = *kind, *title, *place
		if step.Start, err = parseTime("start", *start); err != nil {
			return err
		}
		for p := range strings.SplitSeq(*participants, ",") {
			if p = strings.TrimSpace(p); p != "" {
				step.Participants = append(step.Participants, p)
			}
		}
	} else {
		if len(pos) != 1 {
			return usageError{fmt.Sprintf("%s takes one event ID, like seoul-12", action)}
		}
		step.Event = pos[0]
	}
	switch action {
	case entry.AgendaPostpone:
		if step.Start, err = parseTime("to", *to); err != nil {
			return err
		}
	case entry.AgendaCancel:
		step.Reason, step.Because = *reason, *because
	}
	if end != nil && *end != "" {
		if step.End, err = parseTime("end", *end); err != nil {
			return err
		}
	}
	// A confirmation names the time it agrees to, which the node fills
	// in from the event it holds; every other step is whole here.
	if err := step.Validate(); err != nil && action != entry.AgendaConfirm {
		return usageError{err.Error()}
	}
	var w *node.AgendaWritten
	// Once only: a retry after a lost answer could propose the event twice.
	err = callOnce(ctx, *dir, *line, func(api control.API, l string) (err error) {
		w, err = api.ChangeAgenda(ctx, node.AgendaRequest{Line: l, Step: step})
		return err
	})
	if errors.Is(err, node.ErrAgendaRefused) || isNodeErr(err, node.ErrAgendaRefused) {
		return withHint(err, "see the event's history with: hotline agenda history "+step.Event)
	}
	if err != nil {
		return withLostHint(err, "run hotline agenda to see whether the step was written")
	}
	if action == entry.AgendaPropose {
		fmt.Printf("event %s proposed in entry %s\n", w.Event.ID, w.Entry)
	} else {
		fmt.Printf("%s: %s in entry %s; the event is %s\n", w.Event.ID, action, w.Entry, w.Event.Status)
	}
	return nil
}

func agendaList(ctx context.Context, args []string, history bool) error {
	name := "agenda"
	if history {
		name = "agenda history"
	}
	fs := flags(name)
	dir := dirFlag(fs)
	line := fs.String("line", "", "the line, by name or ID (default: the node's only line)")
	icsFile := fs.String("ics", "", "also write the agenda to this iCalendar (.ics) file")
	pos, err := parseAnywhere(fs, args)
	if err != nil {
		return err
	}
	if history != (len(pos) == 1) || len(pos) > 1 {
		return usageError{agendaUsage}
	}
	var events []agenda.Event
	var lineID, title string
	err = onLine(ctx, *dir, *line, "reading it again", "run the same hotline agenda again",
		func(api control.API, l string) (err error) {
			lineID = l
			if events, err = api.Agenda(ctx, l); err != nil {
				return err
			}
			st, err := api.Status(ctx, l)
			if err == nil {
				title = st.Title
			}
			return err
		})
	if err != nil {
		return err
	}
	if history {
		for _, ev := range events {
			if ev.ID == pos[0] {
				ev.WriteText(os.Stdout)
				ev.WriteHistory(os.Stdout)
				return nil
			}
		}
		return fmt.Errorf("%w: %s", node.ErrNoEvent, pos[0])
	}
	if len(events) == 0 {
		fmt.Println("the agenda is empty")
	}
	for _, ev := range events {
		ev.WriteText(os.Stdout)
	}
	if *icsFile != "" {
		var b strings.Builder
		if err := ical.Write(&b, lineID, title, events, time.Now()); err != nil {
			return err
		}
		if err := atomicfile.Write(*icsFile, []byte(b.String()), 0o600); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "wrote %s: %d events\n", *icsFile, len(events))
	}
	return nil
}
