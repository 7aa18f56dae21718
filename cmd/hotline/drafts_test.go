package main

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/hotline-line/hotline/internal/control"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/officer"
	"github.com/hotline-line/hotline/internal/twoperson"
)

// addDrafts creates Seoul's officers and saves FLASH drafts by Kim, as the
// console's compose does, and returns their IDs.
func addDrafts(t *testing.T, dir string, texts ...string) []string {
	t.Helper()
	ctx := context.Background()
	off, err := officer.OpenDir(dir, officer.Config{Params: officer.Params{Time: 1, Memory: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer off.Close()
	for name, role := range map[string]officer.Role{"Kim": officer.Admin, "Park": officer.Releaser, "Lee": officer.Admin, "Choi": officer.Watch} {
		if err := off.Add(ctx, name, role, "a long enough password"); err != nil && !errors.Is(err, officer.ErrExists) {
			t.Fatal(err)
		}
	}
	var line string
	if _, stdout, _ := hotlineOut(t, "status", "--dir", dir, "--json"); true {
		var st node.LineStatus
		if err := json.Unmarshal([]byte(stdout), &st); err != nil {
			t.Fatal(err)
		}
		line = st.ID
	}
	var ids []string
	for _, text := range texts {
		d, err := off.AddDraft(ctx, officer.Draft{Line: line, Precedence: "FLASH", Lang: "ko", Text: text, Drafter: "Kim"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, strconv.FormatInt(d.ID, 10))
	}
	return ids
}

func draftsJSON(t *testing.T, dir string, args ...string) []officer.Draft {
	t.Helper()
	code, stdout, stderr := hotlineOut(t, append([]string{"drafts", "--dir", dir, "--json"}, args...)...)
	var list []officer.Draft
	if err := json.Unmarshal([]byte(stdout), &list); code != 0 || err != nil {
		t.Fatalf("drafts --json: %d %v %s", code, err, stderr)
	}
	return list
}

// serveDesk answers the control socket of the node in dir with its
// drafts, as hotline serve does, until the test ends.
func serveDesk(t *testing.T, dir string) {
	t.Helper()
	n, err := node.Open(dir, node.Options{})
	if err != nil {
		t.Fatal(err)
	}
	off, err := officer.OpenDir(dir, officer.Config{})
	if err != nil {
		n.Close()
		t.Fatal(err)
	}
	l, err := net.Listen("unix", filepath.Join(dir, node.SocketFile))
	if err != nil {
		off.Close()
		n.Close()
		t.Fatal(err)
	}
	desk := twoperson.Open(context.Background(), n, off, nil)
	srv := &http.Server{Handler: control.Handler(control.Local{N: n, Desk: desk})}
	go srv.Serve(l)
	t.Cleanup(func() {
		srv.Close()
		off.Close()
		n.Close()
	})
}

// TestDraftCommands lists, releases and rejects drafts with the command
// line: with no node running (the command opens it), then through the
// control socket of a running node, where many releases of one draft at
// once write one message.
func TestDraftCommands(t *testing.T) {
	seoul, _ := pairCLI(t, "--two-person", "FLASH")
	ids := addDrafts(t, seoul, "훈련 취소", "좌표 오류")

	code, stdout, stderr := hotlineOut(t, "drafts", "--dir", seoul)
	if code != 0 || strings.Count(stdout, "FLASH  pending  drafted by Kim") != 2 || !strings.Contains(stdout, "text (ko): 훈련 취소") {
		t.Fatalf("drafts: %d\n%s%s", code, stdout, stderr)
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"release", ids[0]}, 2, "--officer"},
		{[]string{"release", "x1", "--officer", "Park"}, 2, "positive number"},
		{[]string{"release", ids[0], "--officer", "Kim"}, 1, "hint: another officer must release it"},
		{[]string{"release", ids[0], "--officer", "Choi"}, 1, "hint: an administrator gives the role"},
		{[]string{"release", ids[0], "--officer", "Nobody"}, 1, "hint: list the accounts"},
		{[]string{"release", "99", "--officer", "Park"}, 1, "hint: list the drafts"},
		{[]string{"reject", ids[1], "--officer", "Park"}, 2, "--reason"},
	} {
		code, _, stderr := hotlineOut(t, append(c.args, "--dir", seoul)...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: %d %s, want %d and %q", c.args, code, stderr, c.code, c.want)
		}
	}

	// Released with no node running: the message ID on standard output.
	code, stdout, stderr = hotlineOut(t, "release", ids[0], "--officer", "Park", "--dir", seoul)
	msg := strings.TrimSpace(stdout)
	if code != 0 || !strings.HasPrefix(msg, "seoul-") {
		t.Fatalf("release: %d %q %s", code, stdout, stderr)
	}
	if code, stdout, _ := hotlineOut(t, "show", "--dir", seoul, msg); code != 0 || !strings.Contains(stdout, "written by officer Kim, released by Park") {
		t.Fatalf("show %s: %d\n%s", msg, code, stdout)
	}
	if code, _, stderr := hotlineOut(t, "release", ids[0], "--officer", "Lee", "--dir", seoul); code != 1 || !strings.Contains(stderr, "released by Park") {
		t.Fatalf("second release: %d %s", code, stderr)
	}

	// Through the running node's socket: reject one, and race releases of
	// a third.
	serveDesk(t, seoul)
	if code, _, stderr := hotlineOut(t, "reject", ids[1], "--officer", "Lee", "--reason", "wrong coordinates", "--dir", seoul); code != 0 {
		t.Fatalf("reject over the socket: %d %s", code, stderr)
	}
	if code, _, stderr := hotlineOut(t, "release", ids[1], "--officer", "Park", "--dir", seoul); code != 1 ||
		!strings.Contains(stderr, "rejected by Lee") || !strings.Contains(stderr, "hint: see how it was decided") {
		t.Fatalf("releasing a rejected draft over the socket: %d %s", code, stderr)
	}
	third := addDrafts(t, seoul, "세 번째")[0]
	n, _ := strconv.ParseInt(third, 10, 64)
	line := draftsJSON(t, seoul)[0].Line
	var wg sync.WaitGroup
	var mu sync.Mutex
	var won []string
	for i := range 10 {
		wg.Go(func() {
			c, err := control.Dial(seoul)
			if err != nil {
				t.Error(err)
				return
			}
			rel, err := c.Release(context.Background(), line, n, []string{"Park", "Lee"}[i%2])
			if err == nil {
				mu.Lock()
				won = append(won, rel.Message)
				mu.Unlock()
			} else if !strings.Contains(err.Error(), officer.ErrDecided.Error()) {
				t.Errorf("release over the socket: %v", err)
			}
		})
	}
	wg.Wait()
	if len(won) != 1 {
		t.Fatalf("%d releases over the socket succeeded, want 1: %v", len(won), won)
	}

	all := draftsJSON(t, seoul, "--state", "all")
	states := map[string]officer.DraftState{}
	for _, d := range all {
		states[strconv.FormatInt(d.ID, 10)] = d.State
	}
	if len(all) != 3 || states[ids[0]] != officer.DraftReleased || states[ids[1]] != officer.DraftRejected || states[third] != officer.DraftReleased {
		t.Fatalf("drafts --state all: %+v", all)
	}
	if len(draftsJSON(t, seoul)) != 0 {
		t.Fatal("drafts lists decided drafts as pending")
	}
	code, stdout, _ = hotlineOut(t, "inbox", "--dir", seoul, "--outbox", "--json")
	var out []node.Message
	if err := json.Unmarshal([]byte(stdout), &out); code != 0 || err != nil || len(out) != 2 {
		t.Fatalf("outbox: %d %v %d messages, want the two released", code, err, len(out))
	}
}
