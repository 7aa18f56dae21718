package console

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
	"github.com/hotline-line/hotline/internal/officer"
	"github.com/hotline-line/hotline/internal/testclock"
)

// cheap keeps argon2id fast in tests that are not about its cost (the
// officer package tests the real parameters).
var cheap = officer.Params{Time: 1, Memory: 64, Threads: 1}

// fixture is a console on the Beijing node of a Seoul–Beijing pair joined
// by in-memory routes.
type fixture struct {
	seoul, beijing *node.Node
	line           string
	off            *officer.Store
	clock          *testclock.Clock
	srv            *httptest.Server
	console        *Server
}

// newFixture starts the pair; edit, if not nil, changes the charter
// before the parties sign it.
func newFixture(t *testing.T, edit func(*charter.Charter)) *fixture {
	t.Helper()
	dirs := nodetest.Dirs(t)
	nodes, line := nodetest.PairWith(t, dirs, node.Options{}, edit)
	nodetest.Connect(nodes...)
	off, err := officer.Open(filepath.Join(dirs[1], officer.File), officer.Config{Params: cheap})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { off.Close() })
	f := &fixture{seoul: nodes[0], beijing: nodes[1], line: line, off: off, clock: testclock.New(time.Now())}
	f.console = New(f.beijing, Config{Officers: off, Now: f.clock.Now})
	f.srv = httptest.NewServer(f.console)
	t.Cleanup(f.srv.Close)
	return f
}

// twoPersonFlash puts FLASH under two-person release.
func twoPersonFlash(c *charter.Charter) { c.TwoPerson = []entry.Precedence{entry.Flash} }

// login is a session made directly in the store (no argon2, no limiter).
type login struct {
	name, token, csrf string
}

func (f *fixture) session(t *testing.T, name string, role officer.Role) login {
	t.Helper()
	ctx := context.Background()
	if err := f.off.Add(ctx, name, role, "a long enough password"); err != nil && !strings.Contains(err.Error(), "exists") {
		t.Fatal(err)
	}
	token, csrf, err := f.off.NewSession(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	return login{name, token, csrf}
}

// request builds a request as the console page would send it: the
// session cookie, the CSRF cookie, and the CSRF header when csrfHeader.
func (f *fixture) request(t *testing.T, method, path string, l *login, csrfHeader string, body any) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, f.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if l != nil {
		req.AddCookie(&http.Cookie{Name: f.console.cookieName("session"), Value: l.token})
		req.AddCookie(&http.Cookie{Name: f.console.cookieName("csrf"), Value: l.csrf})
	}
	if csrfHeader != "" {
		req.Header.Set("X-CSRF-Token", csrfHeader)
	}
	return req
}

// do sends a request and returns the status and the decoded JSON body.
func (f *fixture) do(t *testing.T, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	b, _ := io.ReadAll(resp.Body)
	json.Unmarshal(b, &v)
	return resp.StatusCode, v
}

// waitFor waits, with no sleeping, until cond holds after some change of
// node n, or fails at the deadline.
// deliver sends req on the fixture's line from Seoul and returns the
// message's ID once Beijing holds it.
func (f *fixture) deliver(t *testing.T, req node.SendRequest) string {
	t.Helper()
	req.Line = f.line
	id, err := f.seoul.Send(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, f.beijing, 20*time.Second, "the message at Beijing", func() bool {
		_, err := f.beijing.Message(f.line, id)
		return err == nil
	})
	return id
}

func waitFor(t *testing.T, n *node.Node, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		ch := n.Changed()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
	}
}
