package console

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/hotline-line/hotline/internal/officer"
)

// path fills a route's pattern with a real line, a message ID and a draft
// ID.
func (f *fixture) path(rt route) string {
	p := strings.ReplaceAll(rt.Pattern, "{line}", f.line)
	p = strings.ReplaceAll(p, "{draft}", "1")
	return strings.ReplaceAll(p, "{id}", "seoul-1")
}

// body is a well-formed body for each route that takes one, so that only
// the guard can refuse it.
func body(rt route) any {
	switch {
	case rt.Method != "POST":
		return nil
	case strings.HasSuffix(rt.Pattern, "/messages"):
		return map[string]string{"precedence": "ROUTINE", "text": "test"}
	case strings.HasSuffix(rt.Pattern, "/reply"):
		return map[string]string{"text": "test"}
	case strings.HasSuffix(rt.Pattern, "/reject"):
		return map[string]string{"reason": "test"}
	case rt.Pattern == "/api/me/password":
		return map[string]string{"current": "a long enough password", "new": "another long password"}
	case rt.Pattern == "/api/me/lang":
		return map[string]string{"lang": "ko"}
	}
	return nil
}

// everyRole are the routes every role may call that change state: they
// act on the officer's own session or account, not on the line, or record
// that a message was on the officer's screen, which any officer's is.
var everyRole = []string{"/api/logout", "/api/me/password", "/api/me/lang", "/api/lines/{line}/messages/{id}/displayed"}

// TestEveryRouteIsGuarded goes through every API route and shows that it
// refuses a request with no session (401), an officer of a wrong role
// (403) and, for every route that changes state, a missing or wrong CSRF
// token (403).
func TestEveryRouteIsGuarded(t *testing.T) {
	f := newFixture(t, nil)
	sessions := map[officer.Role]login{}
	for _, r := range officer.Roles {
		sessions[r] = f.session(t, "officer-"+string(r), r)
	}
	other := f.session(t, "other-admin", officer.Admin) // a CSRF token of another session

	mux := f.console.apiMux()
	var public []string
	for _, rt := range routes {
		name := rt.Method + " " + rt.Pattern
		t.Run(name, func(t *testing.T) {
			// The route is the one the mux serves for this path.
			if _, pattern := mux.Handler(f.request(t, rt.Method, f.path(rt), nil, "", nil)); pattern != name {
				t.Fatalf("the API mux routes %s to %q", name, pattern)
			}
			if rt.Roles == nil {
				// The login has no session to hold a token to; it takes
				// only JSON from its own origin (TestLoginRefusesForms).
				// The login page's strings and heading are read before
				// anyone logs in (TestLoginPageNamesParty).
				public = append(public, name)
				return
			}
			if rt.Method != "GET" && !rt.CSRF {
				t.Fatalf("%s changes state but does not need the CSRF token", name)
			}
			if rt.Method == "GET" && rt.CSRF {
				t.Fatalf("%s reads, so it writes nothing and needs no CSRF token", name)
			}

			// No session, an unknown session: 401, CSRF header or not.
			for _, l := range []*login{nil, {token: "forged", csrf: "forged"}} {
				csrf := ""
				if l != nil {
					csrf = l.csrf
				}
				if code, v := f.do(t, f.request(t, rt.Method, f.path(rt), l, csrf, body(rt))); code != http.StatusUnauthorized || v["code"] != "no_session" {
					t.Errorf("session %v: got %d %v, want 401 no_session", l, code, v)
				}
			}

			// Every role not allowed: 403, even with a valid CSRF token.
			for _, role := range officer.Roles {
				if slices.Contains(rt.Roles, role) {
					continue
				}
				l := sessions[role]
				if code, v := f.do(t, f.request(t, rt.Method, f.path(rt), &l, l.csrf, body(rt))); code != http.StatusForbidden || v["code"] != "role" {
					t.Errorf("role %s: got %d %v, want 403 role", role, code, v)
				}
			}
			if len(rt.Roles) == len(officer.Roles) && rt.Method == "POST" && !slices.Contains(everyRole, rt.Pattern) {
				t.Errorf("%s acts on the line, yet every role may call it", name)
			}

			allowed := sessions[rt.Roles[0]]
			if rt.CSRF {
				// No header; a header that differs from the cookie; the
				// token of another session in both.
				cases := map[string]*http.Request{
					"no header":         f.request(t, rt.Method, f.path(rt), &allowed, "", body(rt)),
					"header not cookie": f.request(t, rt.Method, f.path(rt), &allowed, other.csrf, body(rt)),
				}
				swapped := login{allowed.name, allowed.token, other.csrf}
				cases["another session's token"] = f.request(t, rt.Method, f.path(rt), &swapped, other.csrf, body(rt))
				for what, req := range cases {
					if code, v := f.do(t, req); code != http.StatusForbidden || v["code"] != "csrf" {
						t.Errorf("%s: got %d %v, want 403 csrf", what, code, v)
					}
				}
			}

			// From another origin: 403 before anything else.
			req := f.request(t, rt.Method, f.path(rt), &allowed, allowed.csrf, body(rt))
			req.Header.Set("Origin", "http://evil.example")
			if code, _ := f.do(t, req); code != http.StatusForbidden {
				t.Errorf("cross-origin request: got %d, want 403", code)
			}
			req = f.request(t, rt.Method, f.path(rt), &allowed, allowed.csrf, body(rt))
			req.Header.Set("Sec-Fetch-Site", "same-site")
			if code, _ := f.do(t, req); code != http.StatusForbidden {
				t.Errorf("same-site (another port) request: got %d, want 403", code)
			}

			// And the right officer with the token gets past the guard.
			if rt.Pattern == "/api/logout" {
				allowed = f.session(t, allowed.name, rt.Roles[0]) // a session of its own to end
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req = f.request(t, rt.Method, f.path(rt), &allowed, allowed.csrf, body(rt)).WithContext(ctx)
			resp, err := f.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close() // the event stream ends here
			if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
				t.Errorf("allowed officer with the CSRF token: got %d", resp.StatusCode)
			}
		})
	}
	if !slices.Equal(public, []string{"POST /api/login", "GET /api/catalog", "GET /api/party"}) {
		t.Errorf("public API routes are %v, want only the login and the login page's catalog and heading", public)
	}

	// An unknown API path is a 404, not a page.
	if code, _ := f.do(t, f.request(t, "GET", "/api/nothing", nil, "", nil)); code != http.StatusNotFound {
		t.Errorf("unknown API route: %d", code)
	}
}

// A session ends for every route the moment its officer is removed.
func TestRemovedOfficerLosesAccess(t *testing.T) {
	f := newFixture(t, nil)
	l := f.session(t, "Wang Lei", officer.Watch)
	if code, _ := f.do(t, f.request(t, "GET", "/api/me", &l, "", nil)); code != http.StatusOK {
		t.Fatalf("before removal: %d", code)
	}
	f.off.Remove(context.Background(), "Wang Lei")
	if code, _ := f.do(t, f.request(t, "GET", "/api/me", &l, "", nil)); code != http.StatusUnauthorized {
		t.Fatalf("after removal: %d, want 401", code)
	}
}
