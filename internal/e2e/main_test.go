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
	"github.com/hotline-line/hotline/internal/hotlinebin"
)

// hotlineBin is the hotline binary built for this test run.
var hotlineBin string

func TestMain(m *testing.M) {
	os.Exit(hotlinebin.Main(m, "e2e", os.Getenv("HOTLINE_E2E_RACE") == "1", &hotlineBin))
}

// newCluster creates and pairs two parties in a temporary directory. Their
// serve processes are not running yet; whatever runs at the end of the
// test is killed, and on failure the tails of the serve logs are printed.
func newCluster(t *testing.T) *cluster.Cluster {
	t.Helper()
	hotlinebin.TrackSources(t, "HOTLINE_E2E_RACE")
	root := t.TempDir()
	c, err := cluster.New(t.Context(), cluster.Options{Bin: hotlineBin, Root: root, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		if !t.Failed() {
			return
		}
		t.Logf("last lines of the serve logs:\n%s", c.Tails(60))
		keep, err := os.MkdirTemp("", "hotline-e2e-"+t.Name()+"-")
		if err == nil {
			err = c.KeepLogs(keep)
		}
		if err != nil {
			t.Logf("keeping the serve logs: %v", err)
			return
		}
		t.Logf("whole serve logs kept in %s", keep)
	})
	return c
}

// startAll starts both serve processes and waits until they are ready.
func startAll(t *testing.T, c *cluster.Cluster) {
	t.Helper()
	if err := c.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
}
