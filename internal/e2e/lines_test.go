package e2e

import (
	"encoding/json"
	"fmt"
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

// TestThreeLinesOneNode runs Seoul's node with three lines behind its one
// listener: the ministers' line and a navy line with Beijing, and an air
// force line with Tokyo, with real "hotline serve" processes. Beijing
// suspends the navy line by notice. Every message lands in its own line's
// inbox and nowhere else, and each line's transcript proves its own state.
func TestThreeLinesOneNode(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c := newCluster(t)
	seoul, beijing := c.Parties[0].Dir, c.Parties[1].Dir
	ministers := c.Line
	// Seoul and Beijing serve the ministers' line; the other lines are
	// opened beside it while they run, with the same commands.
	startAll(t, c)
	run := runner(t, c)
	ports, err := cluster.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	tokyo := filepath.Join(c.Root, "tokyo")
	run("init", "--dir", tokyo, "--party", "tokyo", "--name", "防衛省 (Ministry of Defense, Tokyo)", "--lang", "ja", "--listen", ports[0])
	card := func(dir, slug string) string {
		file := filepath.Join(c.Root, slug+"-card.txt")
		if err := os.WriteFile(file, []byte(run("card", "--dir", dir)), 0o644); err != nil {
			t.Fatal(err)
		}
		return file
	}
	cards := map[string]string{beijing: filepath.Join(c.Root, "beijing.card"), tokyo: card(tokyo, "tokyo")} // the cluster wrote Beijing's when it paired
	// pair proposes a named line from Seoul to peer, and has both accept.
	pair := func(name, peer string) error {
		file := filepath.Join(c.Root, name+"-"+filepath.Base(peer)+".txt")
		run("line", "propose", "--dir", seoul, "--name", name, "--title", name+" line", "--peer", cards[peer], "--out", file)
		run("line", "accept", "--dir", peer, file)
		_, err := c.Run(ctx, "line", "accept", "--dir", seoul, file)
		return err
	}
	if err := pair("navy", beijing); err != nil {
		t.Fatal(err)
	}
	if err := pair("air", tokyo); err != nil {
		t.Fatal(err)
	}
	tk, err := cluster.StartServe(ctx, c.Bin, tokyo, filepath.Join(c.Root, "tokyo.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tk.Kill)
	// Names are unique on a node: Tokyo installs a second "navy" line
	// (it has none), Seoul refuses it.
	if err := pair("navy", tokyo); err == nil || !strings.Contains(err.Error(), "already has a line of that name") {
		t.Fatalf("seoul accepted a second line named navy: %v", err)
	}
	if _, err := c.Run(ctx, "status", "--dir", seoul); err == nil || !strings.Contains(err.Error(), "name one with --line") {
		t.Fatalf("status without --line on a node of three lines: %v", err)
	}

	lines := func(n string) map[string]node.LineInfo {
		t.Helper()
		var ls []node.LineInfo
		if err := json.Unmarshal([]byte(run("lines", "--dir", n, "--json")), &ls); err != nil {
			t.Fatal(err)
		}
		m := map[string]node.LineInfo{}
		for _, l := range ls {
			m[l.Name] = l
		}
		return m
	}
	got := lines(seoul)
	if len(got) != 3 || got[""].ID != ministers || !slices.Equal(got["navy"].Parties, []string{"seoul", "beijing"}) ||
		!slices.Equal(got["air"].Parties, []string{"seoul", "tokyo"}) {
		t.Fatalf("seoul's lines: %+v", got)
	}
	navy, air := got["navy"].ID, got["air"].ID

	send := func(n, line, text string, flags ...string) {
		t.Helper()
		run(append(append([]string{"send", "--dir", n, "--line", line}, flags...), text)...)
	}
	send(seoul, ministers, "seoul on the ministers' line", "--precedence", "FLASH")
	send(seoul, "navy", "seoul on the navy line")
	send(seoul, "air", "seoul on the air force line")
	send(beijing, ministers, "beijing on the ministers' line")
	send(beijing, navy, "beijing on the navy line")
	send(tokyo, "air", "tokyo on the air force line")

	run("line", "suspend", "--dir", beijing, "--line", "navy", "--officer", "Cdr. Wang", "--reason", "port visit cancelled")
	nodetest.Wait(t, 60*time.Second, "seoul sees the navy line suspended", func() bool {
		return lines(seoul)["navy"].Status.State == "suspended"
	})
	if st := lines(seoul)["navy"].Status; st.By != "beijing" || st.Officer != "Cdr. Wang" || st.Reason != "port visit cancelled" {
		t.Fatalf("seoul's view of the suspension: %+v", st)
	}
	if _, err := c.Run(ctx, "send", "--dir", seoul, "--line", "navy", "routine while suspended"); err == nil ||
		!strings.Contains(err.Error(), "the line is suspended") || !strings.Contains(err.Error(), "--despite-suspension") {
		t.Fatalf("routine on the suspended navy line: %v", err)
	}
	send(seoul, "navy", "flash while suspended", "--precedence", "FLASH")
	send(seoul, "navy", "routine despite the suspension", "--despite-suspension")
	send(seoul, "air", "routine on the air force line goes on")
	if _, err := c.Run(ctx, "line", "reopen", "--dir", seoul, "--line", "navy", "--officer", "Gen. Kim"); err == nil ||
		!strings.Contains(err.Error(), "only the party that suspended the line may reopen it") {
		t.Fatalf("seoul reopens beijing's suspension: %v", err)
	}

	// What each node must end up holding, by line.
	want := map[string]map[string][]string{
		seoul: {
			ministers: {"beijing on the ministers' line"},
			navy:      {"beijing on the navy line"},
			air:       {"tokyo on the air force line"},
		},
		beijing: {
			ministers: {"seoul on the ministers' line"},
			navy:      {"flash while suspended", "routine despite the suspension", "seoul on the navy line"},
		},
		tokyo: {
			air: {"routine on the air force line goes on", "seoul on the air force line"},
		},
	}
	inbox := func(n string) map[string][]string {
		t.Helper()
		var msgs []node.Message
		if err := json.Unmarshal([]byte(run("inbox", "--dir", n, "--json", "--limit", "100")), &msgs); err != nil {
			t.Fatal(err)
		}
		byLine := map[string][]string{}
		for _, m := range msgs {
			byLine[m.Line] = append(byLine[m.Line], m.Text)
		}
		for _, texts := range byLine {
			slices.Sort(texts)
		}
		return byLine
	}
	same := func(a, b map[string][]string) bool {
		return fmt.Sprint(a) == fmt.Sprint(b)
	}
	for n, w := range want {
		nodetest.Wait(t, 60*time.Second, filepath.Base(n)+"'s inbox, line by line", func() bool { return same(inbox(n), w) })
	}
	// --line narrows the inbox to one line, by name or ID.
	var navyOnly []node.Message
	if err := json.Unmarshal([]byte(run("inbox", "--dir", beijing, "--json", "--line", "navy")), &navyOnly); err != nil {
		t.Fatal(err)
	}
	if len(navyOnly) != 3 {
		t.Fatalf("beijing's navy inbox holds %d messages, want 3", len(navyOnly))
	}

	// Each line's transcript proves its own state.
	for name, state := range map[string]string{"navy": "line state: suspended by beijing (officer Cdr. Wang)", "air": "line state: open"} {
		file := filepath.Join(c.Root, name+".json")
		run("export", "--dir", seoul, "--line", name, "--out", file)
		if out := run("verify", file); !strings.Contains(out, state) {
			t.Errorf("verify of the %s line does not say %q:\n%s", name, state, out)
		}
	}
	if problems := c.LogProblems(); len(problems) > 0 {
		t.Fatalf("problems in the logs:\n%s", strings.Join(problems, "\n"))
	}
}
