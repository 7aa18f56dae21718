package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
)

func TestLineProposeTemplates(t *testing.T) {
	root := t.TempDir()
	seoul, _ := newParty(t, root, "seoul", "ko", "127.0.0.1:7441")
	_, beijingCard := newParty(t, root, "beijing", "zh", "127.0.0.1:7442")
	propose := proposer(t, root, seoul, beijingCard)
	if code, stderr := propose("starter.txt"); code != 0 || !strings.Contains(stderr, "notice templates: call-request, exercise-notice") {
		t.Fatalf("propose: %d %s", code, stderr)
	}
	if c := readCharter(t, filepath.Join(root, "starter.txt")); len(c.Templates) != 6 {
		t.Fatalf("the proposed charter has %d templates, want the starter set's 6", len(c.Templates))
	}
	if code, stderr := propose("none.txt", "--templates", "none"); code != 0 {
		t.Fatalf("propose --templates none: %d %s", code, stderr)
	}
	if c := readCharter(t, filepath.Join(root, "none.txt")); c.Templates != nil {
		t.Fatalf("--templates none wrote %d templates", len(c.Templates))
	}
	own := filepath.Join(root, "own.json")
	os.WriteFile(own, []byte(`[{"id":"fishing-notice","labels":{"en":"Fishing season","ko":"어로기","zh":"渔汛"},"fields":[{"name":"opens","type":"datetime","required":true,"labels":{"en":"Opens"}}]}]`), 0o644)
	if code, stderr := propose("own.txt", "--templates", own); code != 0 {
		t.Fatalf("propose --templates FILE: %d %s", code, stderr)
	}
	if c := readCharter(t, filepath.Join(root, "own.txt")); len(c.Templates) != 1 || c.Templates[0].ID != "fishing-notice" {
		t.Fatalf("--templates FILE wrote %+v", c.Templates)
	}
	os.WriteFile(own, []byte(`[{"id":"fishing-notice","fields":[]}]`), 0o644)
	if code, stderr := propose("bad.txt", "--templates", own); code != 1 || !strings.Contains(stderr, "fishing-notice") {
		t.Fatalf("propose with a bad template file: %d %s", code, stderr)
	}
}

// TestNoticeCommands: Seoul sends an exercise notice with hotline send
// --template; Beijing lists the templates and shows the notice with
// Chinese labels, or Korean ones on asking; bad notices are refused with
// the field named.
func TestNoticeCommands(t *testing.T) {
	s, b := pairCLI(t)
	dirs := []string{s, b}
	var nodes []*node.Node
	for _, d := range dirs {
		n, err := node.Open(d, node.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.Close() })
		serveNode(t, d, n)
		nodes = append(nodes, n)
	}
	nodetest.Connect(nodes...)
	seoul, beijing := dirs[0], dirs[1]

	code, stdout, stderr := hotlineOut(t, "templates", "--dir", beijing)
	if code != 0 || !strings.Contains(stdout, "exercise-notice  军事演习通报") || !strings.Contains(stdout, "live-fire") ||
		!strings.Contains(stdout, "rule: end is not before start") {
		t.Fatalf("templates: %d\n%s%s", code, stdout, stderr)
	}
	if _, stdout, _ := hotlineOut(t, "templates", "--dir", beijing, "--lang", "ko"); !strings.Contains(stdout, "군사 훈련 통보") {
		t.Fatalf("templates --lang ko:\n%s", stdout)
	}

	send := func(fields ...string) (int, string, string) {
		args := []string{"send", "--dir", seoul, "--precedence", "IMMEDIATE", "--template", "exercise-notice"}
		for _, f := range fields {
			args = append(args, "--field", f)
		}
		return hotlineOut(t, args...)
	}
	good := []string{"name=Foal-Eagle", "start=2017-03-01T00:00Z", "end=2017-04-30T00:00Z",
		"area=37.5N,126.9E,50km", "forces=ROK, US", "live-fire=yes"}
	for _, tt := range []struct {
		name, want string
		fields     []string
	}{
		{"missing required", "field forces: required", append(good[:4:4], good[5])},
		{"wrong type", "field start", append([]string{good[0], "start=March"}, good[2:]...)},
		{"position out of range", "field area", append(good[:3:3], "area=37.5N,196.9E,50km", good[4], good[5])},
		{"end before start", "field end", append(good[:2:2], "end=2017-02-01T00:00Z", good[3], good[4], good[5])},
	} {
		if code, _, stderr := send(tt.fields...); code != 1 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%s: %d %s", tt.name, code, stderr)
		}
	}
	if code, _, stderr := hotlineOut(t, "send", "--dir", seoul, "--template", "weather", "--field", "a=b"); code != 1 || !strings.Contains(stderr, "hint: list the line's templates") {
		t.Errorf("unknown template: %d %s", code, stderr)
	}
	if code, _, stderr := hotlineOut(t, "send", "--dir", seoul, "--field", "a=b", "text"); code != 2 {
		t.Errorf("--field without --template: %d %s", code, stderr)
	}
	if st, _ := nodes[0].Status(mustLine(t, nodes[0])); st.Parties[0].LogSize != 1 {
		t.Fatalf("refused notices were written: seoul's log has %d entries", st.Parties[0].LogSize)
	}

	code, stdout, stderr = send(good...)
	if code != 0 {
		t.Fatalf("send: %d %s", code, stderr)
	}
	id := strings.TrimSpace(stdout)
	nodetest.Wait(t, 30*time.Second, "beijing to receive the notice", func() bool {
		_, err := nodes[1].Message(mustLine(t, nodes[1]), id)
		return err == nil
	})
	code, stdout, stderr = hotlineOut(t, "show", "--dir", beijing, id)
	for _, want := range []string{"notice exercise-notice: 军事演习通报", "演习名称:", "Foal-Eagle", "演习区域:", "37.5N,126.9E,50km",
		"开始时间（UTC）:", "2017-03-01T00:00:00Z", "实弹射击:", "是"} {
		if code != 0 || !strings.Contains(stdout, want) {
			t.Fatalf("show at beijing lacks %q: %d\n%s%s", want, code, stdout, stderr)
		}
	}
	if _, stdout, _ := hotlineOut(t, "show", "--dir", beijing, "--lang", "ko", id); !strings.Contains(stdout, "훈련 명칭:") || !strings.Contains(stdout, "예") {
		t.Fatalf("show --lang ko:\n%s", stdout)
	}
	if _, stdout, _ := hotlineOut(t, "inbox", "--dir", beijing); !strings.Contains(stdout, "(notice exercise-notice)") {
		t.Fatalf("inbox:\n%s", stdout)
	}
}

func mustLine(t *testing.T, n *node.Node) string {
	t.Helper()
	l, err := n.DefaultLine()
	if err != nil {
		t.Fatal(err)
	}
	return l
}
