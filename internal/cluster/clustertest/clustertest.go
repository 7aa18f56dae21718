// Package clustertest sets up a [cluster.Cluster] for a test: in the
// test's temporary directory, logging to the test, and torn down with it.
package clustertest

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/hotline-line/hotline/internal/cluster"
	"github.com/hotline-line/hotline/internal/hotlinebin"
)

// New creates and pairs a cluster with o (its Root and Logf are the
// test's); nothing runs yet. Whatever runs at the end of the test is
// killed; on failure the tails of the process logs are printed and the
// whole logs are kept in a directory that outlives the test run (see
// hotlinebin.KeepDir). A cluster
// that needs a tmpfs it cannot mount skips the test.
func New(t *testing.T, o cluster.Options) *cluster.Cluster {
	t.Helper()
	o.Root = t.TempDir()
	o.Logf = t.Logf
	c, err := cluster.New(t.Context(), o)
	if err != nil {
		if o.TmpfsSize > 0 && errors.Is(err, cluster.ErrNoMount) {
			t.Skipf("this test needs a tmpfs: %v", err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		if !t.Failed() {
			return
		}
		t.Logf("last lines of the process logs:\n%s", c.Tails(60))
		keep, err := os.MkdirTemp(hotlinebin.KeepDir(), "hotline-"+strings.ReplaceAll(t.Name(), "/", "-")+"-")
		if err == nil {
			err = c.KeepLogs(keep)
		}
		if err != nil {
			t.Logf("keeping the process logs: %v", err)
			return
		}
		t.Logf("whole process logs kept in %s", keep)
	})
	return c
}
