package e2e

import (
	"encoding/json"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/amend"
	"github.com/hotline-line/hotline/internal/cluster"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
)

// TestAmendmentAddsARelay runs Seoul and Beijing as "hotline serve"
// processes on a line with no relay. Seoul proposes an amendment that adds
// a relay (a real "hotline relay serve") and shortens the FLASH deadlines;
// nothing changes until Beijing accepts; then both nodes test and use the
// relay, without a restart, and exports made before and after verify.
func TestAmendmentAddsARelay(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c := newCluster(t)
	seoul, beijing := c.Parties[0].Dir, c.Parties[1].Dir
	startAll(t, c)
	run := runner(t, c)

	// A relay the charter does not name yet; it learns the line from the
	// signed charter, as for a relay named at the start.
	ports, err := cluster.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	relayDir := filepath.Join(c.Root, "new-relay")
	run("relay", "init", "--dir", relayDir, "--listen", ports[0])
	key := strings.TrimSpace(run("relay", "key", "--dir", relayDir))
	run("relay", "add-line", "--dir", relayDir, filepath.Join(c.Root, "charter.txt"))
	relay, err := cluster.StartProc(c.Bin, []string{"relay", "serve", "--dir", relayDir}, filepath.Join(c.Root, "new-relay.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(relay.Kill)
	if err := cluster.Poll(ctx, cluster.StartTimeout, "the new relay listening", func() (bool, error) {
		conn, err := net.DialTimeout("tcp", ports[0], time.Second)
		if err == nil {
			conn.Close()
		}
		return err == nil, nil
	}); err != nil {
		t.Fatal(err)
	}

	before := filepath.Join(c.Root, "before.json")
	run("export", "--dir", seoul, "--out", before)

	amendments := func(dir string) *node.AmendmentsView {
		t.Helper()
		var v node.AmendmentsView
		if err := json.Unmarshal([]byte(run("line", "amendments", "--dir", dir, "--json")), &v); err != nil {
			t.Fatal(err)
		}
		return &v
	}
	relayOK := regexp.MustCompile(`(?m)^\S+\s+relay\s+ok`)
	id := strings.TrimSpace(run("line", "amend", "--dir", seoul, "--relay-add", ports[0]+"="+key, "--deadline", "FLASH=5m/30m",
		"--reason", "a second carrier, by diplomatic note 12", "--officer", "Gen. Kim"))
	nodetest.Wait(t, 60*time.Second, "beijing holds the proposal", func() bool { return len(amendments(beijing).Amendments) == 1 })
	for _, dir := range []string{seoul, beijing} {
		v := amendments(dir)
		if v.Version != 1 || v.Amendments[0].ID != id || v.Amendments[0].State != amend.Proposed {
			t.Fatalf("%s before beijing signed: %+v", filepath.Base(dir), v)
		}
		if out := run("linktest", "--dir", dir); relayOK.MatchString(out) || strings.Contains(out, "relay") {
			t.Fatalf("%s tests a relay only seoul signed for:\n%s", filepath.Base(dir), out)
		}
	}

	acc := strings.TrimSpace(run("line", "accept-amendment", "--dir", beijing, "--officer", "Col. Li", id))
	var since [2]time.Time
	for i, dir := range []string{seoul, beijing} {
		nodetest.Wait(t, 60*time.Second, filepath.Base(dir)+" with the amendment in force", func() bool { return amendments(dir).Version == 2 })
		a := amendments(dir).Amendments[0]
		if a.State != amend.InForce || a.Entry != acc {
			t.Fatalf("%s: %+v, want in force from %s", filepath.Base(dir), a, acc)
		}
		since[i] = a.Since
		// The relay is tested, and works, without a restart.
		nodetest.Wait(t, 60*time.Second, filepath.Base(dir)+"'s link test over the new relay", func() bool {
			out, _ := c.Run(ctx, "linktest", "--dir", dir)
			return relayOK.Match(out)
		})
	}
	if !since[0].Equal(since[1]) {
		t.Fatalf("in force from %s at seoul and %s at beijing", since[0], since[1])
	}
	if out := run("line", "amendments", "--dir", beijing); !strings.Contains(out, "accepted by beijing (officer Col. Li) in "+acc) ||
		!strings.Contains(out, "FLASH deadlines: acknowledge within 5m0s") {
		t.Fatalf("hotline line amendments:\n%s", out)
	}

	after := filepath.Join(c.Root, "after.json")
	run("export", "--dir", beijing, "--out", after)
	if out := run("verify", before); !strings.Contains(out, "charter in force: version 1") {
		t.Fatalf("verify of the export before the amendment:\n%s", out)
	}
	out := run("verify", after)
	for _, want := range []string{"amendment " + id + ": IN FORCE as version 2", "accepted by beijing (officer Col. Li) in " + acc,
		"charter in force: version 2", "relay: " + ports[0]} {
		if !strings.Contains(out, want) {
			t.Fatalf("verify of the export after the amendment does not say %q:\n%s", want, out)
		}
	}
	if problems := c.LogProblems(); len(problems) > 0 {
		t.Fatalf("problems in the logs:\n%s", strings.Join(problems, "\n"))
	}
}
