package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
	"github.com/hotline-line/hotline/internal/soak"
)

// TestThreeLinesOneNode runs Seoul's node with three lines behind its one
// listener: the ministers' line and a navy line with Beijing, and an air
// force line with Tokyo, with real "hotline serve" processes. Beijing
// suspends the navy line by notice. Every message lands in its own line's
// inbox and nowhere else, and each line's transcript proves its own state.
func TestThreeLinesOneNode(t *testing.T) {
	ctx := t.Context()
	c := newCluster(t)
	seoul, beijing := c.Nodes[0], c.Nodes[1]
	ministers := c.Line
	tokyo, err := c.AddParty(ctx, soak.Party{Slug: "tokyo", Name: "防衛省 (Ministry of Defense, Tokyo)", Lang: "ja"})
	if err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		out, err := c.Run(ctx, args...)
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	// pair proposes a named line from Seoul to peer, and has both accept.
	pair := func(name string, peer *soak.Node) error {
		file := filepath.Join(c.Root, name+"-"+peer.Slug+".txt")
		run("line", "propose", "--dir", seoul.Dir, "--name", name, "--title", name+" line",
			"--peer", filepath.Join(c.Root, peer.Slug+".card"), "--out", file)
		run("line", "accept", "--dir", peer.Dir, file)
		_, err := c.Run(ctx, "line", "accept", "--dir", seoul.Dir, file)
		return err
	}
	if err := pair("navy", beijing); err != nil {
		t.Fatal(err)
	}
	if err := pair("air", tokyo); err != nil {
		t.Fatal(err)
	}
	// Names are unique on a node: Tokyo installs a second "navy" line
	// (it has none), Seoul refuses it.
	if err := pair("navy", tokyo); err == nil || !strings.Contains(err.Error(), "already has a line of that name") {
		t.Fatalf("seoul accepted a second line named navy: %v", err)
	}
	if _, err := c.Run(ctx, "status", "--dir", seoul.Dir); err == nil || !strings.Contains(err.Error(), "name one with --line") {
		t.Fatalf("status without --line on a node of three lines: %v", err)
	}
	seoul.Line, beijing.Line = ministers, ministers
	tokyo.Line = "air"
	for _, n := range []*soak.Node{seoul, beijing, tokyo} {
		if err := n.Start(ctx); err != nil {
			t.Fatal(err)
		}
	}

	lines := func(n *soak.Node) map[string]node.LineInfo {
		t.Helper()
		var ls []node.LineInfo
		if err := json.Unmarshal([]byte(run("lines", "--dir", n.Dir, "--json")), &ls); err != nil {
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

	send := func(n *soak.Node, line, text string, flags ...string) {
		t.Helper()
		run(append(append([]string{"send", "--dir", n.Dir, "--line", line}, flags...), text)...)
	}
	send(seoul, ministers, "seoul on the ministers' line", "--precedence", "FLASH")
	send(seoul, "navy", "seoul on the navy line")
	send(seoul, "air", "seoul on the air force line")
	send(beijing, ministers, "beijing on the ministers' line")
	send(beijing, navy, "beijing on the navy line")
	send(tokyo, "air", "tokyo on the air force line")

	run("line", "suspend", "--dir", beijing.Dir, "--line", "navy", "--officer", "Cdr. Wang", "--reason", "port visit cancelled")
	nodetest.Wait(t, 60*time.Second, "seoul sees the navy line suspended", func() bool {
		return lines(seoul)["navy"].Status.State == "suspended"
	})
	if st := lines(seoul)["navy"].Status; st.By != "beijing" || st.Officer != "Cdr. Wang" || st.Reason != "port visit cancelled" {
		t.Fatalf("seoul's view of the suspension: %+v", st)
	}
	if _, err := c.Run(ctx, "send", "--dir", seoul.Dir, "--line", "navy", "routine while suspended"); err == nil ||
		!strings.Contains(err.Error(), "the line is suspended") || !strings.Contains(err.Error(), "--despite-suspension") {
		t.Fatalf("routine on the suspended navy line: %v", err)
	}
	send(seoul, "navy", "flash while suspended", "--precedence", "FLASH")
	send(seoul, "navy", "routine despite the suspension", "--despite-suspension")
	send(seoul, "air", "routine on the air force line goes on")
	if _, err := c.Run(ctx, "line", "reopen", "--dir", seoul.Dir, "--line", "navy", "--officer", "Gen. Kim"); err == nil ||
		!strings.Contains(err.Error(), "only the party that suspended the line may reopen it") {
		t.Fatalf("seoul reopens beijing's suspension: %v", err)
	}

	// What each node must end up holding, by line.
	want := map[*soak.Node]map[string][]string{
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
	inbox := func(n *soak.Node) map[string][]string {
		t.Helper()
		var msgs []node.Message
		if err := json.Unmarshal([]byte(run("inbox", "--dir", n.Dir, "--json", "--limit", "100")), &msgs); err != nil {
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
		nodetest.Wait(t, 60*time.Second, n.Slug+"'s inbox, line by line", func() bool { return same(inbox(n), w) })
	}
	// --line narrows the inbox to one line, by name or ID.
	var navyOnly []node.Message
	if err := json.Unmarshal([]byte(run("inbox", "--dir", beijing.Dir, "--json", "--line", "navy")), &navyOnly); err != nil {
		t.Fatal(err)
	}
	if len(navyOnly) != 3 {
		t.Fatalf("beijing's navy inbox holds %d messages, want 3", len(navyOnly))
	}

	// Each line's transcript proves its own state.
	for name, state := range map[string]string{"navy": "line state: suspended by beijing (officer Cdr. Wang)", "air": "line state: open"} {
		file := filepath.Join(c.Root, name+".json")
		run("export", "--dir", seoul.Dir, "--line", name, "--out", file)
		if out := run("verify", file); !strings.Contains(out, state) {
			t.Errorf("verify of the %s line does not say %q:\n%s", name, state, out)
		}
	}
	if problems := c.LogProblems(); len(problems) > 0 {
		t.Fatalf("problems in the logs:\n%s", strings.Join(problems, "\n"))
	}
}
