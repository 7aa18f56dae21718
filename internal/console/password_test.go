package console

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/hotline-line/hotline/internal/officer"
)

// An officer changes its own password: the current one must be right, and
// wrong guesses count against the login limits; the change ends the
// officer's other sessions and keeps this one.
func TestChangePassword(t *testing.T) {
	f := newFixture(t, nil)
	l := f.session(t, "Wang Lei", officer.Watch) // password "a long enough password"
	other := f.session(t, "Wang Lei", officer.Watch)
	colleague := f.session(t, "Li Na", officer.Watch)
	change := func(current, next string) (int, map[string]any) {
		return f.do(t, f.request(t, "POST", "/api/me/password", &l, l.csrf, map[string]string{"current": current, "new": next}))
	}

	if code, v := change("a long enough password", "short"); code != http.StatusBadRequest || v["code"] != "bad_password" {
		t.Fatalf("short new password: %d %v", code, v)
	}
	for i := range userFree {
		if code, v := change("wrong guess "+strconv.Itoa(i), "a new long password"); code != http.StatusBadRequest || v["code"] != "wrong_password" {
			t.Fatalf("wrong current password %d: %d %v", i+1, code, v)
		}
	}
	// Locked now, like a login under that name, even with the right one.
	req := f.request(t, "POST", "/api/me/password", &l, l.csrf, map[string]string{"current": "a long enough password", "new": "a new long password"})
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != strconv.Itoa(int(lockBase.Seconds())) {
		t.Fatalf("while locked: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if r := f.login(t, "Wang Lei", "a long enough password"); r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("login while the name is locked: %d", r.StatusCode)
	}
	// The wrong guesses ended no session.
	if code, _ := f.do(t, f.request(t, "GET", "/api/me", &other, "", nil)); code != http.StatusOK {
		t.Fatalf("other session after wrong guesses: %d", code)
	}

	f.clock.Advance(lockBase)
	if code, v := change("a long enough password", "a new long password"); code != http.StatusOK {
		t.Fatalf("change: %d %v", code, v)
	}
	for what, tc := range map[string]struct {
		l    login
		want int
	}{"this session": {l, 200}, "the officer's other session": {other, 401}, "another officer's session": {colleague, 200}} {
		if code, _ := f.do(t, f.request(t, "GET", "/api/me", &tc.l, "", nil)); code != tc.want {
			t.Errorf("%s after the change: %d, want %d", what, code, tc.want)
		}
	}
	if r := f.login(t, "Wang Lei", "a new long password"); r.StatusCode != http.StatusOK {
		t.Errorf("login with the new password: %d", r.StatusCode)
	}
	if r := f.login(t, "Wang Lei", "a long enough password"); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("login with the old password: %d", r.StatusCode)
	}
}

// A role changed from the command line (officer.Store.SetRole) ends the
// officer's sessions at once: none goes on with the old role's rights.
func TestRoleChangeEndsSessions(t *testing.T) {
	f := newFixture(t, nil)
	l := f.session(t, "Li Na", officer.Admin)
	if code, _ := f.do(t, f.request(t, "GET", "/api/me", &l, "", nil)); code != http.StatusOK {
		t.Fatalf("before: %d", code)
	}
	if _, err := f.off.SetRole(t.Context(), "Li Na", officer.Watch); err != nil {
		t.Fatal(err)
	}
	path := "/api/lines/" + f.line + "/messages"
	if code, v := f.do(t, f.request(t, "POST", path, &l, l.csrf, map[string]string{"precedence": "ROUTINE", "text": "x"})); code != http.StatusUnauthorized {
		t.Fatalf("compose with the old session after the role change: %d %v", code, v)
	}
}
