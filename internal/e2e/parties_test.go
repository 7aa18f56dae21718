package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/cluster"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
)

// TestPartyJoinsAndLeaves: with real "hotline serve" processes, Tokyo is
// added to Seoul and Beijing's line by an amendment both sign, opens the
// line from an invitation, sends and receives, and cannot read what was
// written before it joined; removed again, it receives no new body.
// Hostile amendments are each refused with their own error, and exports
// made before and after verify, the joining and the leaving reported with
// their signatures.
func TestPartyJoinsAndLeaves(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c := newCluster(t)
	seoul, beijing := c.Parties[0].Dir, c.Parties[1].Dir
	startAll(t, c)
	run := runner(t, c)
	fails := func(want string, args ...string) {
		t.Helper()
		if _, err := c.Run(ctx, args...); err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("%v: %v, want an error saying %q", args, err, want)
		}
	}
	amendments := func(dir string) *node.AmendmentsView {
		t.Helper()
		var v node.AmendmentsView
		if err := json.Unmarshal([]byte(run("line", "amendments", "--dir", dir, "--json")), &v); err != nil {
			t.Fatal(err)
		}
		return &v
	}
	inbox := func(dir string) map[string]node.Message {
		t.Helper()
		var msgs []node.Message
		if err := json.Unmarshal([]byte(run("inbox", "--dir", dir, "--json", "--limit", "100")), &msgs); err != nil {
			t.Fatal(err)
		}
		m := map[string]node.Message{}
		for _, msg := range msgs {
			m[msg.ID] = msg
		}
		return m
	}
	send := func(dir, text string) string {
		t.Helper()
		return strings.TrimSpace(run("send", "--dir", dir, "--precedence", "FLASH", text))
	}
	reads := func(dir, id, text string) {
		t.Helper()
		nodetest.Wait(t, 60*time.Second, filepath.Base(dir)+" reads "+id, func() bool { return inbox(dir)[id].Text == text })
	}

	before := send(seoul, "written before tokyo joined")
	reads(beijing, before, "written before tokyo joined")
	exportBefore := filepath.Join(c.Root, "before.json")
	run("export", "--dir", seoul, "--out", exportBefore)

	ports, err := cluster.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	tokyo := filepath.Join(c.Root, "tokyo")
	run("init", "--dir", tokyo, "--party", "tokyo", "--name", "Ministry of Defense, Tokyo", "--lang", "ja", "--listen", ports[0])
	tokyoCard := filepath.Join(c.Root, "tokyo-card.txt")
	if err := os.WriteFile(tokyoCard, []byte(run("card", "--dir", tokyo)), 0o644); err != nil {
		t.Fatal(err)
	}

	// Hostile amendments, each refused with its own error, nothing written.
	fails("already has, or had, a party of that name", "line", "amend", "--dir", seoul, "--add-party", filepath.Join(c.Root, "beijing.card"), "--reason", "r", "--officer", "Gen. Kim")
	fails("no such party in force", "line", "amend", "--dir", seoul, "--remove-party", "hanoi", "--reason", "r", "--officer", "Gen. Kim")
	fails("a line keeps at least two parties", "line", "amend", "--dir", seoul, "--remove-party", "beijing", "--reason", "r", "--officer", "Gen. Kim")
	fails("no amendment in force adds that party", "line", "invite", "--dir", seoul, "--party", "tokyo", "--out", filepath.Join(c.Root, "early.txt"))

	add := strings.TrimSpace(run("line", "amend", "--dir", seoul, "--add-party", tokyoCard, "--reason", "trilateral note 7", "--officer", "Gen. Kim"))
	nodetest.Wait(t, 60*time.Second, "beijing holds the proposal", func() bool { return len(amendments(beijing).Amendments) == 1 })
	accAdd := strings.TrimSpace(run("line", "accept-amendment", "--dir", beijing, "--officer", "Col. Li", add))
	for _, dir := range []string{seoul, beijing} {
		nodetest.Wait(t, 60*time.Second, filepath.Base(dir)+" with tokyo in force", func() bool { return amendments(dir).Version == 2 })
	}
	invite := filepath.Join(c.Root, "join.txt")
	run("line", "invite", "--dir", seoul, "--party", "tokyo", "--out", invite)
	fails("does not hold together", "line", "join", "--dir", beijing, invite)
	run("line", "join", "--dir", tokyo, invite)
	tk, err := cluster.StartServe(ctx, c.Bin, tokyo, filepath.Join(c.Root, "tokyo.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tk.Kill)

	// Tokyo holds the message written before it joined, and cannot read it.
	nodetest.Wait(t, 60*time.Second, "tokyo holds the message written before it joined", func() bool {
		_, ok := inbox(tokyo)[before]
		return ok
	})
	if m := inbox(tokyo)[before]; !m.BeforeJoining || m.Text != "" || m.BodyError != "" {
		t.Fatalf("tokyo's view of a message written before it joined: %+v", m)
	}
	nodetest.Wait(t, 60*time.Second, "tokyo in force by its own chain", func() bool { return amendments(tokyo).Version == 2 })

	// Every party sends and every other reads.
	sent := map[string]string{}
	for _, dir := range []string{seoul, beijing, tokyo} {
		sent[dir] = send(dir, "from "+filepath.Base(dir))
	}
	for from, id := range sent {
		for _, dir := range []string{seoul, beijing, tokyo} {
			if dir != from {
				reads(dir, id, "from "+filepath.Base(from))
			}
		}
	}
	exportJoined := filepath.Join(c.Root, "joined.json")
	run("export", "--dir", tokyo, "--out", exportJoined)

	// Tokyo is removed: Beijing proposes, Seoul accepts; Tokyo is not asked.
	remove := strings.TrimSpace(run("line", "amend", "--dir", beijing, "--remove-party", "tokyo", "--reason", "withdrew by note 9", "--officer", "Col. Li"))
	nodetest.Wait(t, 60*time.Second, "seoul holds the removal", func() bool { return len(amendments(seoul).Amendments) == 2 })
	accRemove := strings.TrimSpace(run("line", "accept-amendment", "--dir", seoul, "--officer", "Gen. Kim", remove))
	for _, dir := range []string{seoul, beijing} {
		nodetest.Wait(t, 60*time.Second, filepath.Base(dir)+" without tokyo", func() bool { return amendments(dir).Version == 3 })
	}
	after := send(seoul, "written after tokyo left")
	reads(beijing, after, "written after tokyo left")
	if m, ok := inbox(tokyo)[after]; ok && m.Text != "" {
		t.Fatalf("tokyo reads a message written after it was removed: %+v", m)
	}
	var st node.LineStatus
	if err := json.Unmarshal([]byte(run("status", "--dir", seoul, "--json")), &st); err != nil {
		t.Fatal(err)
	}
	var parties []string
	for _, p := range st.Parties {
		parties = append(parties, p.Party)
	}
	if !slices.Equal(parties, []string{"seoul", "beijing"}) {
		t.Fatalf("seoul's status lists %v", parties)
	}

	exportAfter := filepath.Join(c.Root, "after.json")
	run("export", "--dir", beijing, "--out", exportAfter)
	if out := run("verify", exportBefore); !strings.Contains(out, "charter in force: version 1") {
		t.Fatalf("verify of the export before tokyo joined:\n%s", out)
	}
	if out := run("verify", exportJoined); !strings.Contains(out, "party added: tokyo") || !strings.Contains(out, "accepted by beijing (officer Col. Li) in "+accAdd) {
		t.Fatalf("verify of tokyo's export:\n%s", out)
	}
	out := run("verify", exportAfter)
	for _, want := range []string{"amendment " + add + ": IN FORCE as version 2", "party added: tokyo", "amendment " + remove + ": IN FORCE as version 3",
		"party removed: tokyo", "accepted by seoul (officer Gen. Kim) in " + accRemove, "charter in force: version 3"} {
		if !strings.Contains(out, want) {
			t.Fatalf("verify of the export after tokyo left does not say %q:\n%s", want, out)
		}
	}
	if problems := c.LogProblems(); len(problems) > 0 {
		t.Fatalf("problems in the logs:\n%s", strings.Join(problems, "\n"))
	}
}
