package e2e

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/soak"
	"github.com/hotline-line/hotline/internal/testload"
)

// TestKillRecovery SIGKILLs the two serve processes in turn, at random
// points of a continuous stream of sends from both sides, and restarts
// them, for 24 cycles; in three of them the victim stays down long enough
// to come back to a backlog. While a serve is down, "hotline send" opens
// that node's data directory itself. Every send that printed an ID must
// arrive exactly once, in its author's order, and be cosigned, once
// everything has been restarted and the line has converged.
func TestKillRecovery(t *testing.T) {
	const cycles = 24
	c := newCluster(t)
	startAll(t, c)
	var seed uint64
	if s := os.Getenv("HOTLINE_E2E_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("HOTLINE_E2E_SEED: %v", err)
		}
	}
	rep, err := soak.Chaos(t.Context(), c, soak.Options{
		Cycles:        cycles,
		Workers:       3,
		LongDownEvery: 7, // cycles 6, 13 and 20 (seoul, beijing, seoul) leave a backlog of 75-150 sends
		CheckOutbox:   true,
		// The senders' pace follows the machine's: a minute without the
		// next sends accepted means a stall only on an idle machine. The
		// convergence wait is the harness's and stretches by itself.
		Progress: testload.Scale(time.Minute),
		Seed:     seed,
		Logf:     t.Logf,
	})
	t.Logf("replay with HOTLINE_E2E_SEED=%d\n%s", rep.Seed, rep)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Kills < cycles {
		t.Errorf("%d kills, want at least %d", rep.Kills, cycles)
	}
	for i := range 2 {
		if rep.Accepted[i] == 0 {
			t.Errorf("%s had no send accepted", c.Parties[i].Slug)
		}
		if rep.Delivered[i] != rep.Accepted[i] {
			t.Errorf("%s: %d sends accepted, %d delivered", c.Parties[i].Slug, rep.Accepted[i], rep.Delivered[i])
		}
	}
	if rep.Duplicates != 0 {
		t.Errorf("%d duplicates", rep.Duplicates)
	}
}
