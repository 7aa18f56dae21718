package node_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/agenda"
	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
	"github.com/hotline-line/hotline/internal/testclock"
)

// march is 2017-03-d at h:00 UTC.
func march(d, h int) time.Time { return time.Date(2017, 3, d, h, 0, 0, 0, time.UTC) }

// agendaPair starts Seoul and Beijing on a clock at 2017-03-01.
func agendaPair(t *testing.T) (*testclock.Clock, *node.Node, *node.Node, string) {
	t.Helper()
	clk := testclock.New(march(1, 0))
	nodes, line := startedPair(t, clk, func(c *charter.Charter) { c.Created = march(1, 0) })
	return clk, nodes[0], nodes[1], line
}

// change writes an agenda step and fails the test if it is refused.
func change(t *testing.T, n *node.Node, line string, step entry.Agenda) *node.AgendaWritten {
	t.Helper()
	w, err := n.ChangeAgenda(context.Background(), node.AgendaRequest{Line: line, Step: step})
	if err != nil {
		t.Fatalf("%s: %s: %v", n.Me(), step.Action, err)
	}
	return w
}

// eventOn waits until n sees event id with the given number of steps.
func eventOn(t *testing.T, n *node.Node, line, id string, steps int) agenda.Event {
	t.Helper()
	var ev agenda.Event
	nodetest.Wait(t, 30*time.Second, n.Me()+" to hold the event's steps", func() bool {
		evs, err := n.Agenda(line)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.ID == id && len(e.History) == steps {
				ev = e
				return true
			}
		}
		return false
	})
	return ev
}

// TestAgendaSameHistoryOnBothNodes: an exercise proposed by Seoul,
// confirmed by Beijing, postponed by Seoul and cancelled by Beijing
// because of a message reads the same, step by step, on both nodes.
func TestAgendaSameHistoryOnBothNodes(t *testing.T) {
	ctx := context.Background()
	clk, seoul, beijing, line := agendaPair(t)
	w := change(t, seoul, line, entry.Agenda{Action: entry.AgendaPropose, Kind: "exercise", Title: "Joint search and rescue",
		Start: march(10, 1), End: march(10, 7), Place: "Yellow Sea", Participants: []string{"ROKN 3rd Fleet", "PLAN North Sea Fleet"}})
	id := w.Event.ID
	if w.Entry != id || w.Event.Status != agenda.Proposed {
		t.Fatalf("proposal: %+v", w)
	}
	if _, err := seoul.ChangeAgenda(ctx, node.AgendaRequest{Line: line, Step: entry.Agenda{Action: entry.AgendaConfirm, Event: id}}); !errors.Is(err, node.ErrAgendaRefused) {
		t.Errorf("Seoul confirmed its own proposal: %v", err)
	}
	eventOn(t, beijing, line, id, 1)

	clk.Advance(time.Hour)
	if w := change(t, beijing, line, entry.Agenda{Action: entry.AgendaConfirm, Event: id, Officer: "Li Wei"}); w.Event.Status != agenda.Confirmed {
		t.Fatalf("after the confirmation: %s", w.Event.Status)
	}
	eventOn(t, seoul, line, id, 2)

	clk.Advance(time.Hour)
	w = change(t, seoul, line, entry.Agenda{Action: entry.AgendaPostpone, Event: id, Start: march(20, 1)})
	if w.Event.Status != agenda.Postponed || !w.Event.End.Equal(march(20, 7)) {
		t.Fatalf("after the postponement: %s, end %v (the length is kept)", w.Event.Status, w.Event.End)
	}
	eventOn(t, beijing, line, id, 3)

	clk.Advance(time.Hour)
	notice, err := beijing.Send(ctx, node.SendRequest{Line: line, Lang: "zh", Text: "暂停所有交流活动，等待审查。"})
	if err != nil {
		t.Fatal(err)
	}
	w = change(t, beijing, line, entry.Agenda{Action: entry.AgendaCancel, Event: id, Reason: "exchanges suspended pending review", Because: notice})
	if w.Event.Status != agenda.Cancelled || w.Event.Because != notice {
		t.Fatalf("after the cancellation: %+v", w.Event)
	}
	if _, err := seoul.ChangeAgenda(ctx, node.AgendaRequest{Line: line, Step: entry.Agenda{Action: entry.AgendaConfirm, Event: id}}); !errors.Is(err, node.ErrAgendaRefused) {
		// Seoul may not hold the cancellation yet; then it is refused as
		// Seoul's own postponement awaiting another party.
		t.Errorf("Seoul confirmed: %v", err)
	}

	a, b := eventOn(t, seoul, line, id, 4), eventOn(t, beijing, line, id, 4)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Errorf("the nodes disagree:\nseoul   %s\nbeijing %s", ja, jb)
	}
	var statuses []agenda.Status
	for _, c := range a.History {
		if c.Refused != "" {
			t.Errorf("step %s refused: %s", c.Entry, c.Refused)
		}
		statuses = append(statuses, c.Status)
	}
	want := []agenda.Status{agenda.Proposed, agenda.Confirmed, agenda.Postponed, agenda.Cancelled}
	if len(statuses) != len(want) {
		t.Fatalf("statuses %v, want %v", statuses, want)
	}
	for i := range want {
		if statuses[i] != want[i] {
			t.Fatalf("statuses %v, want %v", statuses, want)
		}
	}
	if a.History[1].Officer != "Li Wei" || a.History[1].Party != "beijing" || a.CancelledBy != "beijing" || a.Sequence != 3 {
		t.Errorf("event: %+v", a)
	}
}

// TestAgendaRefusals: the node refuses, before writing, a step the rules
// refuse, and names what is wrong.
func TestAgendaRefusals(t *testing.T) {
	ctx := context.Background()
	clk, seoul, beijing, line := agendaPair(t)
	id := change(t, seoul, line, entry.Agenda{Action: entry.AgendaPropose, Kind: "talks", Title: "Defence policy talks",
		Start: march(2, 2), Place: "Beijing"}).Event.ID
	eventOn(t, beijing, line, id, 1)
	try := func(n *node.Node, step entry.Agenda, want error) {
		t.Helper()
		step.Event = id
		if _, err := n.ChangeAgenda(ctx, node.AgendaRequest{Line: line, Step: step}); !errors.Is(err, want) {
			t.Errorf("%s %s: %v, want %v", n.Me(), step.Action, err, want)
		}
	}
	try(beijing, entry.Agenda{Action: entry.AgendaHeld}, node.ErrAgendaRefused) // not confirmed
	change(t, beijing, line, entry.Agenda{Action: entry.AgendaConfirm, Event: id})
	try(beijing, entry.Agenda{Action: entry.AgendaHeld}, node.ErrAgendaRefused) // before the start
	try(beijing, entry.Agenda{Action: entry.AgendaPostpone, Start: march(1, 0)}, node.ErrAgendaRefused)
	if _, err := seoul.ChangeAgenda(ctx, node.AgendaRequest{Line: line, Step: entry.Agenda{Action: entry.AgendaConfirm, Event: "seoul-99"}}); !errors.Is(err, node.ErrNoEvent) {
		t.Errorf("an unknown event: %v", err)
	}
	if _, err := seoul.ChangeAgenda(ctx, node.AgendaRequest{Line: line, Step: entry.Agenda{Action: entry.AgendaCancel, Event: id, Reason: "r", Because: "beijing-99"}}); err == nil {
		t.Error("a cancellation because of an entry that does not exist")
	}
	clk.Set(march(2, 3))
	if w := change(t, beijing, line, entry.Agenda{Action: entry.AgendaHeld, Event: id}); w.Event.Status != agenda.Held {
		t.Errorf("after held: %s", w.Event.Status)
	}
	try(beijing, entry.Agenda{Action: entry.AgendaCancel, Reason: "too late"}, node.ErrAgendaRefused)
}

// TestAgendaAcrossAPartition: with no route between them (the proposal
// went across on a parcel), Seoul postpones an exercise and Beijing,
// unaware, confirms the old time. Once the route is up, both nodes read
// the same history: the postponement stands and the stale confirmation is
// refused, so nobody agreed to a time it had not seen.
func TestAgendaAcrossAPartition(t *testing.T) {
	ctx := context.Background()
	clk := testclock.New(march(1, 0))
	nodes, line := nodetest.PairWith(t, nodetest.Dirs(t), node.Options{Now: clk.Now}, func(c *charter.Charter) { c.Created = march(1, 0) })
	seoul, beijing := nodes[0], nodes[1]
	id := change(t, seoul, line, entry.Agenda{Action: entry.AgendaPropose, Kind: "exercise", Title: "Joint search and rescue",
		Start: march(10, 1), Place: "Yellow Sea"}).Event.ID
	parcel, _, err := seoul.ExportParcel(line, "beijing")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := beijing.ImportParcel(ctx, parcel); err != nil {
		t.Fatal(err)
	}

	clk.Advance(time.Hour)
	change(t, seoul, line, entry.Agenda{Action: entry.AgendaPostpone, Event: id, Start: march(20, 1)})
	clk.Advance(time.Hour)
	if w := change(t, beijing, line, entry.Agenda{Action: entry.AgendaConfirm, Event: id}); w.Event.Status != agenda.Confirmed {
		t.Fatalf("Beijing, cut off, sees %s", w.Event.Status)
	}
	nodetest.Connect(nodes...)

	a, b := eventOn(t, seoul, line, id, 3), eventOn(t, beijing, line, id, 3)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Errorf("the nodes disagree:\nseoul   %s\nbeijing %s", ja, jb)
	}
	if a.Status != agenda.Postponed || !a.Start.Equal(march(20, 1)) || a.History[2].Party != "beijing" || a.History[2].Refused == "" {
		t.Errorf("after the partition: %s at %v\n%+v", a.Status, a.Start, a.History)
	}
}

// TestClosedLineTakesNoTranslationOrAgenda: a closed line takes nothing
// new, neither a translation nor an agenda step; a suspended one still
// carries the agenda (a cancellation is what a suspension often brings).
func TestClosedLineTakesNoTranslationOrAgenda(t *testing.T) {
	ctx := context.Background()
	_, seoul, _, line := agendaPair(t)
	id, err := seoul.Send(ctx, node.SendRequest{Line: line, Precedence: entry.Flash, Lang: "ko", Text: "훈련 취소"})
	if err != nil {
		t.Fatal(err)
	}
	ev := change(t, seoul, line, entry.Agenda{Action: entry.AgendaPropose, Kind: "drill", Title: "Hotline drill", Start: march(5, 1), Place: "Seoul"}).Event.ID
	if _, err := seoul.SetLineState(ctx, line, entry.LineSuspended, "review", "Kim Min-jun"); err != nil {
		t.Fatal(err)
	}
	change(t, seoul, line, entry.Agenda{Action: entry.AgendaCancel, Event: ev, Reason: "the line is suspended"})
	if _, err := seoul.SetLineState(ctx, line, entry.LineClosed, "end of the arrangement", "Kim Min-jun"); err != nil {
		t.Fatal(err)
	}
	if _, err := seoul.Translate(ctx, node.TranslateRequest{Line: line, Message: id, Lang: "en", Text: "Drill cancelled", Officer: "Kim Min-jun"}); err == nil {
		t.Error("a closed line took a translation")
	}
	if _, err := seoul.ChangeAgenda(ctx, node.AgendaRequest{Line: line, Step: entry.Agenda{Action: entry.AgendaPropose, Kind: "drill",
		Title: "Hotline drill", Start: march(6, 1), Place: "Seoul"}}); err == nil {
		t.Error("a closed line took an agenda step")
	}
}
