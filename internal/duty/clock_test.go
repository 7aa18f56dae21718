package duty_test

import (
	"context"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/duty"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
	"github.com/hotline-line/hotline/internal/testclock"
)

// TestClockSkew runs Seoul's clock two hours ahead of Beijing's, each an
// injected clock. Beijing refuses Seoul's entries as dated ahead and
// learns that Seoul's clock is at least two hours ahead; Seoul learns
// from the refusals that Beijing's is behind by more than the tolerance.
// Both raise clock_skew. Once the clocks agree, Seoul's entries go
// through, measurements replace the bounds, and both alerts close.
func TestClockSkew(t *testing.T) {
	wall := time.Now().UTC().Truncate(time.Second)
	seoulClock, beijingClock := testclock.New(wall.Add(2*time.Hour)), testclock.New(wall)
	nodes, line := nodetest.PairEach(t, nodetest.Dirs(t), []node.Options{{Now: seoulClock.Now}, {Now: beijingClock.Now}}, nil)
	seoul, beijing := nodes[0], nodes[1]
	nodetest.Connect(nodes...)

	skewed := func(n *node.Node, peer string) bool {
		o, err := n.ClockOffsets(line)
		if err != nil {
			t.Fatal(err)
		}
		return o[peer].Skewed
	}
	alert := func(n *node.Node, now time.Time) string {
		alerts, err := duty.Alerts(context.Background(), n, now)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range alerts {
			if a.Kind == duty.ClockSkew {
				return a.Summary
			}
		}
		return ""
	}
	nodetest.Wait(t, 30*time.Second, "both sides to find the clocks apart", func() bool {
		return skewed(seoul, "beijing") && skewed(beijing, "seoul")
	})
	o, _ := beijing.ClockOffsets(line)
	if got := o["seoul"]; !got.Bound || got.Offset < 2*time.Hour-time.Second {
		t.Fatalf("beijing's estimate of seoul's clock: %+v (%s)", got, got)
	}
	for _, n := range nodes {
		s := alert(n, wall)
		if s == "" {
			o, _ := n.ClockOffsets(line)
			t.Fatalf("%s raises no clock_skew alert; offsets %+v", n.Me(), o)
		}
		t.Logf("%s: %s", n.Me(), s)
	}
	// Evidence is written without waiting for its commit.
	nodetest.Wait(t, 30*time.Second, "beijing's bad_time evidence against seoul", func() bool {
		st, err := beijing.Status(line)
		if err != nil {
			t.Fatal(err)
		}
		return st.Evidence > 0 && st.EvidenceCounts[0].Kind == "bad_time" && st.EvidenceCounts[0].Peer == "seoul"
	})

	// Beijing's clock is set right; each side sends, and measures.
	beijingClock.Set(seoulClock.Now())
	for _, n := range nodes {
		if _, err := n.Send(context.Background(), node.SendRequest{Line: line, Text: "after the clocks agree"}); err != nil {
			t.Fatal(err)
		}
	}
	nodetest.Wait(t, 30*time.Second, "both alerts to close", func() bool {
		return !skewed(seoul, "beijing") && !skewed(beijing, "seoul")
	})
	for _, n := range nodes {
		if s := alert(n, seoulClock.Now()); s != "" {
			t.Fatalf("%s still alerts: %s", n.Me(), s)
		}
	}
}
