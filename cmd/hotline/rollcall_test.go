package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/control"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
)

// hotlineOut runs the command in this process and returns its exit code,
// standard output and standard error (the commands write to os.Stdout and
// os.Stderr, so both are swapped for pipes while it runs).
func hotlineOut(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	var wg sync.WaitGroup
	wg.Go(func() { io.Copy(&stdout, outR) })
	wg.Go(func() { io.Copy(&stderr, errR) })
	oldOut, oldErr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = outW, errW
	code := run(context.Background(), args, errW)
	os.Stdout, os.Stderr = oldOut, oldErr
	outW.Close()
	errW.Close()
	wg.Wait()
	return code, stdout.String(), stderr.String()
}

// newParty creates a party's data directory and writes its card beside it.
func newParty(t *testing.T, root, slug, lang, listen string) (dir, cardFile string) {
	t.Helper()
	dir = filepath.Join(root, slug)
	if err := node.Init(dir, node.Config{Party: slug, Name: "Ministry " + slug, Langs: []string{lang}, Listen: listen}); err != nil {
		t.Fatal(err)
	}
	cfg, k, err := node.LoadIdentity(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, raw, err := node.MakeCard(cfg, k)
	if err != nil {
		t.Fatal(err)
	}
	cardFile = filepath.Join(root, slug+".card")
	if err := os.WriteFile(cardFile, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, cardFile
}

// proposer returns a function that runs hotline line propose in dir with
// the peer's card, writing the charter to out under root.
func proposer(t *testing.T, root, dir, peerCard string) func(out string, extra ...string) (int, string) {
	return func(out string, extra ...string) (int, string) {
		args := append([]string{"line", "propose", "--dir", dir, "--title", "Seoul-Beijing", "--peer", peerCard,
			"--out", filepath.Join(root, out)}, extra...)
		code, _, stderr := hotlineOut(t, args...)
		return code, stderr
	}
}

func readCharter(t *testing.T, file string) *charter.Signed {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s, err := charter.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLineProposeRules(t *testing.T) {
	root := t.TempDir()
	seoul, _ := newParty(t, root, "seoul", "ko", "127.0.0.1:7441")
	_, beijingCard := newParty(t, root, "beijing", "zh", "127.0.0.1:7442")
	propose := proposer(t, root, seoul, beijingCard)

	for _, bad := range [][]string{
		{"--roll-call", "30s"},
		{"--roll-call", "often"},
		{"--roll-call", "4h", "--roll-call-answer", "0s"},
		{"--two-person", "FLASH,URGENT"},
	} {
		if code, stderr := propose("bad.txt", bad...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage): %s", bad, code, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "bad.txt")); err == nil {
		t.Fatal("a refused proposal wrote a charter")
	}

	code, stderr := propose("rules.txt", "--roll-call", "4h", "--two-person", "immediate, FLASH,flash")
	if code != 0 {
		t.Fatalf("propose: %d %s", code, stderr)
	}
	c := readCharter(t, filepath.Join(root, "rules.txt"))
	if want := (charter.RollCallRule{Every: charter.Duration(4 * time.Hour), Answer: charter.Duration(15 * time.Minute)}); c.RollCall == nil || *c.RollCall != want {
		t.Fatalf("roll-call rule %+v, want %+v", c.RollCall, want)
	}
	if want := []entry.Precedence{entry.Flash, entry.Immediate}; !reflect.DeepEqual(c.TwoPerson, want) {
		t.Fatalf("two-person %v, want %v", c.TwoPerson, want)
	}
	for _, want := range []string{"roll-call: every 4h0m0s, answered within 15m0s", "two-person release: FLASH, IMMEDIATE"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("propose does not show %q:\n%s", want, stderr)
		}
	}

	// The answer time is cut to the slot.
	if code, stderr := propose("short.txt", "--roll-call", "10m", "--roll-call-answer", "1h"); code != 0 {
		t.Fatalf("propose: %d %s", code, stderr)
	}
	if c := readCharter(t, filepath.Join(root, "short.txt")); c.RollCall == nil || c.RollCall.Answer != c.RollCall.Every {
		t.Fatalf("answer not capped: %+v", c.RollCall)
	}

	// Without the flags, no rules.
	if code, stderr := propose("plain.txt"); code != 0 {
		t.Fatalf("propose: %d %s", code, stderr)
	}
	if c := readCharter(t, filepath.Join(root, "plain.txt")); c.RollCall != nil || c.TwoPerson != nil {
		t.Fatalf("rules without flags: %+v %v", c.RollCall, c.TwoPerson)
	}
}

// serveControl answers the control socket of the node in dir in this
// process, as hotline serve does, until the test ends.
func serveControl(t *testing.T, dir string) {
	t.Helper()
	n, err := node.Open(dir, node.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	serveNode(t, dir, n)
}

// serveNode answers the control socket of n, open in this process, until
// the test ends.
func serveNode(t *testing.T, dir string, n *node.Node) {
	t.Helper()
	l, err := net.Listen("unix", filepath.Join(dir, node.SocketFile))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: control.Handler(control.Local{N: n})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
}

// TestRollCallAndReleaseCommands pairs two parties with the line commands
// under a charter with roll-call and two-person release, answers the
// roll-call and sends a released FLASH: Beijing with no node running (the
// command opens it), Seoul through the control socket of a running node.
func TestRollCallAndReleaseCommands(t *testing.T) {
	seoul, beijing := pairCLI(t, "--roll-call", "4h", "--two-person", "FLASH")
	status := func(dir string) *node.LineStatus {
		t.Helper()
		code, stdout, stderr := hotlineOut(t, "status", "--dir", dir, "--json")
		if code != 0 {
			t.Fatalf("status: %d %s", code, stderr)
		}
		var st node.LineStatus
		if err := json.Unmarshal([]byte(stdout), &st); err != nil {
			t.Fatal(err)
		}
		return &st
	}

	// Just opened: both parties are asked at once.
	code, stdout, stderr := hotlineOut(t, "status", "--dir", beijing)
	if code != 0 || strings.Count(stdout, "roll-call PENDING until") != 2 {
		t.Fatalf("status at opening: %d\n%s%s", code, stdout, stderr)
	}
	if code, _, stderr := hotlineOut(t, "rollcall", "--dir", beijing); code != 2 {
		t.Fatalf("rollcall without --officer: %d %s", code, stderr)
	}
	if code, _, stderr := hotlineOut(t, "rollcall", "--dir", beijing, "--officer", "Wang Lei"); code != 0 || !strings.Contains(stderr, "answered: person present") {
		t.Fatalf("rollcall: %d %s", code, stderr)
	}
	if code, _, stderr := hotlineOut(t, "rollcall", "--dir", beijing, "--officer", "Zhao Min"); code != 0 || !strings.Contains(stderr, "already answered") || !strings.Contains(stderr, "by Wang Lei") {
		t.Fatalf("second rollcall: %d %s", code, stderr)
	}
	st := status(beijing)
	if len(st.RollCalls) != 2 || st.RollCalls[1].Party != "beijing" || st.RollCalls[1].Officer != "Wang Lei" || st.RollCalls[1].Pending ||
		st.RollCalls[0].Party != "seoul" || !st.RollCalls[0].Pending {
		t.Fatalf("status roll-calls: %+v", st.RollCalls)
	}
	if _, stdout, _ := hotlineOut(t, "status", "--dir", beijing); !strings.Contains(stdout, "person present: last ") || !strings.Contains(stdout, " by Wang Lei") {
		t.Fatalf("status does not show the answer:\n%s", stdout)
	}

	// Seoul's node runs: the same commands go through its socket.
	serveControl(t, seoul)
	if code, _, stderr := hotlineOut(t, "rollcall", "--dir", seoul, "--officer", "Kim Min-jun"); code != 0 || !strings.Contains(stderr, "answered: person present") {
		t.Fatalf("rollcall over the socket: %d %s", code, stderr)
	}
	if st := status(seoul); st.RollCalls[0].Officer != "Kim Min-jun" || st.RollCalls[0].Pending {
		t.Fatalf("seoul's roll-call over the socket: %+v", st.RollCalls)
	}
	code, stdout, stderr = hotlineOut(t, "send", "--dir", seoul, "--precedence", "FLASH", "--officer", "Kim Min-jun", "훈련 취소")
	if code != 1 || !strings.Contains(stderr, "two-person release") || !strings.Contains(stderr, "hint: hotline send --officer DRAFTER --released-by RELEASER") || stdout != "" {
		t.Fatalf("unreleased FLASH: %d %q %s", code, stdout, stderr)
	}
	code, stdout, stderr = hotlineOut(t, "send", "--dir", seoul, "--precedence", "FLASH", "--officer", "Kim Min-jun", "--released-by", "Lee Seo-yeon", "훈련 취소")
	if code != 0 {
		t.Fatalf("released FLASH: %d %s", code, stderr)
	}
	id := strings.TrimSpace(stdout)
	if code, stdout, _ := hotlineOut(t, "show", "--dir", seoul, id); code != 0 || !strings.Contains(stdout, "written by officer Kim Min-jun, released by Lee Seo-yeon") {
		t.Fatalf("show %s: %d\n%s", id, code, stdout)
	}
	if code, stdout, _ := hotlineOut(t, "inbox", "--dir", seoul, "--outbox"); code != 0 || !strings.Contains(stdout, "Kim Min-jun, released by Lee Seo-yeon") {
		t.Fatalf("outbox: %d\n%s", code, stdout)
	}
}

// pairCLI makes Seoul and Beijing and opens a line between them with the
// line commands, the charter drafted with the extra propose flags.
func pairCLI(t *testing.T, extra ...string) (seoul, beijing string) {
	t.Helper()
	root := t.TempDir()
	seoul, _ = newParty(t, root, "seoul", "ko", "127.0.0.1:7441")
	beijing, beijingCard := newParty(t, root, "beijing", "zh", "127.0.0.1:7442")
	ch := filepath.Join(root, "charter.txt")
	propose := append([]string{"line", "propose", "--dir", seoul, "--title", "Seoul-Beijing", "--peer", beijingCard, "--out", ch}, extra...)
	for _, args := range [][]string{propose, {"line", "accept", "--dir", beijing, ch}, {"line", "accept", "--dir", seoul, ch}} {
		if code, _, stderr := hotlineOut(t, args...); code != 0 {
			t.Fatalf("%v: %d %s", args, code, stderr)
		}
	}
	return seoul, beijing
}

func TestRollCallWithoutRule(t *testing.T) {
	_, beijing := pairCLI(t)
	code, _, stderr := hotlineOut(t, "rollcall", "--dir", beijing, "--officer", "Wang Lei")
	if code != 1 || !strings.Contains(stderr, "no roll-call") || !strings.Contains(stderr, "hint: ") {
		t.Fatalf("rollcall on a line without roll-call: %d %s", code, stderr)
	}
	if _, stdout, _ := hotlineOut(t, "status", "--dir", beijing); strings.Contains(stdout, "roll-call") || strings.Contains(stdout, "person present") {
		t.Fatalf("status shows a roll-call the charter does not ask for:\n%s", stdout)
	}
}
