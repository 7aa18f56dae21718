package faults

import (
	"os"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/cluster"
	"github.com/hotline-line/hotline/internal/cluster/clustertest"
	"github.com/hotline-line/hotline/internal/hotlinebin"
)

// hotlineBin is the hotline binary built for this test run.
var hotlineBin string

func TestMain(m *testing.M) {
	hotlinebin.Parallel(4) // the scenarios mostly wait: see newCluster
	os.Exit(hotlinebin.Main(m, "faults", false, &hotlineBin))
}

// newCluster creates a relay and two paired parties behind proxies and
// starts them (see clustertest.New). It makes the test parallel: each
// scenario has processes, ports, proxies and directories of its own, and
// spends most of its time waiting for a route to be found dead or back,
// so the scenarios wait side by side instead of one after the other.
// A new scenario calls it first, before anything else.
func newCluster(t *testing.T, o cluster.Options) *Cluster {
	t.Helper()
	t.Parallel()
	hotlinebin.TrackSources(t)
	o.Bin, o.FaultRoutes = hotlineBin, true
	c := Wrap(clustertest.New(t, o))
	if err := c.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	return c
}

// check runs the invariants and reports how long the line took to settle.
func check(t *testing.T, c *Cluster, d time.Duration) *Settled {
	t.Helper()
	s, err := c.Check(t.Context(), d)
	if err != nil {
		t.Fatalf("invariants: %v", err)
	}
	t.Logf("settled in %v: logs %v, accepted messages delivered once each: %v", s.Took.Round(time.Millisecond), s.LogSizes, s.Delivered)
	return s
}

// send sends a message and fails the test if send printed no ID.
func send(t *testing.T, p *Party, precedence, text string) Sent {
	t.Helper()
	s, err := p.Send(t.Context(), precedence, text)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// delivered waits until p holds its peer's receipt for s, and returns how
// long after send that was.
func delivered(t *testing.T, p *Party, s Sent, d time.Duration) time.Duration {
	t.Helper()
	at, err := p.WaitDelivered(t.Context(), s, d)
	if err != nil {
		t.Fatal(err)
	}
	return at.Sub(s.At)
}
