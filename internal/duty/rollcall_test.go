package duty_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/duty"
	"github.com/hotline-line/hotline/internal/escalate"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
	"github.com/hotline-line/hotline/internal/testclock"
)

// rollCalls lists the roll-call alerts as "kind party owed".
func rollCalls(alerts []escalate.Alert) []string {
	var out []string
	for _, a := range alerts {
		switch a.Kind {
		case escalate.RollCallPending, escalate.RollCallMissed, escalate.PeerRollCallMissed:
			owed := ""
			if a.Owed {
				owed = " owed"
			}
			out = append(out, string(a.Kind)+" "+a.Party+owed)
		}
	}
	slices.Sort(out)
	return out
}

// TestRollCallAlerts follows one slot of a line with a roll-call every
// four hours, answered within 15 minutes: our open roll-call is an owed
// alert from the start; a peer that lets its window pass raises
// peer_rollcall_missed; its late answer closes it; our own missed slot is
// owed until we answer.
func TestRollCallAlerts(t *testing.T) {
	clock := testclock.New(time.Now().UTC().Truncate(time.Second))
	var created time.Time
	nodes, line := nodetest.PairWith(t, nodetest.Dirs(t), node.Options{Now: clock.Now}, func(c *charter.Charter) {
		c.RollCall = &charter.RollCallRule{Every: charter.Duration(4 * time.Hour), Answer: charter.Duration(15 * time.Minute)}
		created = c.Created
	})
	nodetest.Connect(nodes...)
	// The charter's slots count from its creation, a wall-clock second
	// taken after the nodes were made, which on a loaded machine can be
	// seconds after the test's clock began: step just past it.
	clock.Set(created.Add(2 * time.Second))
	a, b := nodes[0], nodes[1]
	ctx := context.Background()
	src := duty.New(a)
	check := func(what string, want ...string) {
		t.Helper()
		if got := rollCalls(alertsOf(t, src, clock.Now())); !slices.Equal(got, want) {
			t.Fatalf("%s: roll-call alerts %q, want %q", what, got, want)
		}
	}

	check("at the opening", "rollcall_pending seoul owed")
	if _, err := a.AnswerRollCall(ctx, line, "Kim Min-jun"); err != nil {
		t.Fatal(err)
	}
	check("after our answer")

	clock.Advance(16 * time.Minute)
	check("beijing's window closed", "peer_rollcall_missed beijing")
	got := alertsOf(t, src, clock.Now())
	for _, al := range got {
		if al.Kind == escalate.PeerRollCallMissed && (al.Detail != "never confirmed; their terminal may still answer (see its routes)" || al.Line != line) {
			t.Errorf("peer_rollcall_missed: %+v", al)
		}
	}

	// Beijing answers late: a person is there now, so the alert closes.
	if _, err := b.AnswerRollCall(ctx, line, "Wang Lei"); err != nil {
		t.Fatal(err)
	}
	nodetest.Wait(t, 20*time.Second, "beijing's answer at seoul", func() bool {
		v, err := a.RollCalls(line)
		return err == nil && v[1].Officer == "Wang Lei"
	})
	check("after beijing's late answer")

	// The next slot: nobody answers in time on either side.
	clock.Advance(4*time.Hour + 16*time.Minute)
	check("the next slot missed", "peer_rollcall_missed beijing", "rollcall_missed seoul owed")
	if _, err := a.AnswerRollCall(ctx, line, "Kim Min-jun"); err != nil {
		t.Fatal(err)
	}
	check("after our late answer", "peer_rollcall_missed beijing")
}
