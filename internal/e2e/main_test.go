// Package e2e tests hotline end to end with real processes: the hotline
// binary is built once, two parties are created and paired with the same
// commands a user runs, and "hotline serve" processes are started, killed
// with SIGKILL and restarted while "hotline send" processes write to them.
// State is read back only through the command line's JSON output. Real
// SQLite, real mutual TLS on loopback, no mocks. The processes are run by
// internal/cluster and the kill schedule and ledger are internal/soak's,
// which the soak command (cmd/hotline-soak) shares.
//
// Set HOTLINE_E2E_RACE=1 to build the hotline binary itself with the race
// detector (much slower: its SQLite is instrumented too); a data race in a
// serve process then fails the test through its log. Set HOTLINE_E2E_SEED
// to replay the kill schedule of a failed TestKillRecovery.
package e2e

import (
	"os"
	"testing"

	"github.com/hotline-line/hotline/internal/cluster"
	"github.com/hotline-line/hotline/internal/cluster/clustertest"
	"github.com/hotline-line/hotline/internal/hotlinebin"
)

// Parallel tests: a test whose time is mostly waiting for its processes
// (a serve to start, a delivery, a restart) calls t.Parallel first, and
// go test runs those side by side once the others are done; each has its
// own directories, ports and processes (newCluster, cluster.FreePorts).
// The tests that keep the CPU busy with a stream of "hotline send"
// processes (TestKillRecovery, TestThousandEachWay) do not: run beside
// each other they only slow each other down.

// hotlineBin is the hotline binary built for this test run.
var hotlineBin string

func TestMain(m *testing.M) {
	hotlinebin.Parallel(4) // see "Parallel tests" above
	os.Exit(hotlinebin.Main(m, "e2e", os.Getenv("HOTLINE_E2E_RACE") == "1", &hotlineBin))
}

// newCluster creates and pairs two parties in a temporary directory (see
// clustertest.New). Their serve processes are not running yet.
func newCluster(t *testing.T) *cluster.Cluster {
	t.Helper()
	hotlinebin.TrackSources(t, "HOTLINE_E2E_RACE")
	return clustertest.New(t, cluster.Options{Bin: hotlineBin})
}

// startAll starts both serve processes and waits until they are ready.
func startAll(t *testing.T, c *cluster.Cluster) {
	t.Helper()
	if err := c.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// runner returns a function that runs a hotline command of c and returns
// its standard output, failing t if the command fails.
func runner(t *testing.T, c *cluster.Cluster) func(args ...string) string {
	return func(args ...string) string {
		t.Helper()
		out, err := c.Run(t.Context(), args...)
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
}
