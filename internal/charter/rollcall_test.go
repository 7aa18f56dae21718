package charter_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
)

func rule(every, answer time.Duration) *charter.RollCallRule {
	return &charter.RollCallRule{Every: charter.Duration(every), Answer: charter.Duration(answer)}
}

func TestRollCallAndTwoPersonRoundTrip(t *testing.T) {
	a, b := keys(t, "a"), keys(t, "b")
	c := draft(t, a, b)
	c.RollCall = rule(4*time.Hour, 15*time.Minute)
	c.TwoPerson = []entry.Precedence{entry.Flash, entry.Immediate}
	if !strings.Contains(c.Text(), `"roll_call":{"every":"4h0m0s","answer":"15m0s"},"two_person":["FLASH","IMMEDIATE"]`) {
		t.Fatalf("charter text: %s", c.Text())
	}
	s := mustSign(t, c, mustSign(t, c, nil, a).Raw, b)
	if *s.RollCall != *c.RollCall || !s.NeedsTwoPerson(entry.Flash) || !s.NeedsTwoPerson(entry.Immediate) ||
		s.NeedsTwoPerson(entry.Priority) || s.NeedsTwoPerson(entry.Routine) {
		t.Fatalf("rules changed in the round trip: %+v %v", s.RollCall, s.TwoPerson)
	}
	// Without the rules the fields are not written, so older charters keep
	// their text and their IDs.
	plain := draft(t, a, b)
	if strings.Contains(plain.Text(), "roll_call") || strings.Contains(plain.Text(), "two_person") {
		t.Fatalf("empty rules written: %s", plain.Text())
	}
}

func TestRollCallAndTwoPersonInvalid(t *testing.T) {
	a, b := keys(t, "a"), keys(t, "b")
	tests := map[string]func(c *charter.Charter){
		"every under a minute":     func(c *charter.Charter) { c.RollCall = rule(59*time.Second, time.Second) },
		"zero answer":              func(c *charter.Charter) { c.RollCall = rule(time.Hour, 0) },
		"negative answer":          func(c *charter.Charter) { c.RollCall = rule(time.Hour, -time.Minute) },
		"answer longer than every": func(c *charter.Charter) { c.RollCall = rule(time.Hour, time.Hour+time.Nanosecond) },
		"empty rule":               func(c *charter.Charter) { c.RollCall = &charter.RollCallRule{} },
		"unknown precedence":       func(c *charter.Charter) { c.TwoPerson = []entry.Precedence{"OVERRIDE"} },
		"lowercase precedence":     func(c *charter.Charter) { c.TwoPerson = []entry.Precedence{"flash"} },
		"repeated precedence":      func(c *charter.Charter) { c.TwoPerson = []entry.Precedence{entry.Flash, entry.Flash} },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			c := draft(t, a, b)
			mutate(c)
			if err := c.Validate(); err == nil {
				t.Fatal("Validate accepted it")
			}
			if _, err := charter.Parse(signText(t, c.Text(), a)); err == nil {
				t.Fatal("Parse accepted it")
			}
		})
	}
	c := draft(t, a, b)
	c.RollCall = rule(time.Minute, time.Minute)
	if err := c.Validate(); err != nil {
		t.Fatalf("the shortest schedule, answered over the whole slot: %v", err)
	}
}

func TestRollCallSlots(t *testing.T) {
	a, b := keys(t, "a"), keys(t, "b")
	c := draft(t, a, b) // created 09:30:15
	if got := c.RollCallSlot(created.Add(time.Hour)); !got.IsZero() {
		t.Fatalf("no rule: slot %v", got)
	}
	if got := c.RollCallDeadline(created, created); !got.IsZero() {
		t.Fatalf("no rule: deadline %v", got)
	}
	c.RollCall = rule(4*time.Hour, 15*time.Minute)
	at := func(h, m, s int) time.Time { return time.Date(2026, 11, 26, h, m, s, 0, time.UTC) }
	for _, tt := range []struct{ t, want time.Time }{
		{created, created},
		{created.Add(time.Millisecond), created},
		{created.Add(4*time.Hour - time.Millisecond), created},
		{created.Add(4 * time.Hour), at(13, 30, 15)},
		{created.Add(30 * 24 * time.Hour), created.Add(30 * 24 * time.Hour)},
		// Before the charter's creation (a clock behind), slots count back.
		{created.Add(-time.Millisecond), at(5, 30, 15)},
		{created.Add(-4 * time.Hour), at(5, 30, 15)},
		{created.Add(-4*time.Hour - time.Millisecond), at(1, 30, 15)},
	} {
		if got := c.RollCallSlot(tt.t); !got.Equal(tt.want) {
			t.Errorf("RollCallSlot(%v) = %v, want %v", tt.t, got, tt.want)
		}
	}
	// Within a slot, the roll-call closes Answer after the slot's start, or
	// after the party opened the line if that came later.
	slot := at(13, 30, 15)
	if got := c.RollCallDeadline(slot, created); !got.Equal(at(13, 45, 15)) {
		t.Errorf("deadline of a later slot: %v", got)
	}
	if got := c.RollCallDeadline(slot, at(16, 0, 0)); !got.Equal(at(16, 15, 0)) {
		t.Errorf("deadline of the slot the line opened in: %v", got)
	}
}
