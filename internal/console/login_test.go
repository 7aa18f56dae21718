package console

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/officer"
	"github.com/hotline-line/hotline/internal/testclock"
)

func (f *fixture) login(t *testing.T, name, password string) *http.Response {
	t.Helper()
	req := f.request(t, "POST", "/api/login", nil, "", map[string]string{"name": name, "password": password})
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestLogin(t *testing.T) {
	f := newFixture(t, nil)
	if err := f.off.Add(context.Background(), "Wang Lei", officer.Watch, "a long enough password"); err != nil {
		t.Fatal(err)
	}
	resp := f.login(t, "Wang Lei", "a long enough password")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	cookies := map[string]*http.Cookie{}
	for _, c := range resp.Cookies() {
		cookies[c.Name] = c
	}
	sess, csrf := cookies["hotline_session_beijing"], cookies["hotline_csrf_beijing"]
	if sess == nil || csrf == nil {
		t.Fatalf("cookies %v: want hotline_session_beijing and hotline_csrf_beijing", resp.Cookies())
	}
	if !sess.HttpOnly || sess.SameSite != http.SameSiteStrictMode || sess.Path != "/" || len(sess.Value) < 40 {
		t.Errorf("session cookie %+v: want HttpOnly, SameSite=Strict, path /, a long random value", sess)
	}
	if csrf.HttpOnly || csrf.SameSite != http.SameSiteStrictMode {
		t.Errorf("CSRF cookie %+v: the page must read it; SameSite=Strict", csrf)
	}
	// The store holds no token in the clear.
	l := login{"Wang Lei", sess.Value, csrf.Value}
	code, me := f.do(t, f.request(t, "GET", "/api/me", &l, "", nil))
	if code != http.StatusOK || me["name"] != "Wang Lei" || me["role"] != "watch" || me["party"] != "beijing" {
		t.Fatalf("me: %d %v", code, me)
	}
	if code, _ := f.do(t, f.request(t, "POST", "/api/logout", &l, l.csrf, nil)); code != http.StatusOK {
		t.Fatalf("logout: %d", code)
	}
	if code, _ := f.do(t, f.request(t, "GET", "/api/me", &l, "", nil)); code != http.StatusUnauthorized {
		t.Fatalf("me after logout: %d", code)
	}
	acts, _ := f.off.Acts(context.Background(), 10)
	if len(acts) != 2 || acts[0].Act != "logout" || acts[1].Act != "login" || acts[1].Officer != "Wang Lei" {
		t.Errorf("acts recorded: %+v", acts)
	}
}

// The login takes only JSON from its own origin: a form posted from
// another site (login CSRF) is refused.
func TestLoginRefusesForms(t *testing.T) {
	f := newFixture(t, nil)
	req, _ := http.NewRequest("POST", f.srv.URL+"/api/login", strings.NewReader("name=a&password=b"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if code, _ := f.do(t, req); code != http.StatusUnsupportedMediaType {
		t.Errorf("form login: %d, want 415", code)
	}
	req = f.request(t, "POST", "/api/login", nil, "", map[string]string{"name": "a", "password": "b"})
	req.Header.Set("Origin", "http://evil.example")
	if code, _ := f.do(t, req); code != http.StatusForbidden {
		t.Errorf("cross-origin login: %d, want 403", code)
	}
}

// TestLoginRateLimit: a name that fails five times is locked out, even for
// the right password, for a time that doubles with each further failure;
// one address that fails over many names is locked out too.
func TestLoginRateLimit(t *testing.T) {
	f := newFixture(t, nil)
	if err := f.off.Add(context.Background(), "Wang Lei", officer.Watch, "a long enough password"); err != nil {
		t.Fatal(err)
	}
	for i := range userFree {
		if r := f.login(t, "Wang Lei", "wrong password "+strconv.Itoa(i)); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d, want 401", i+1, r.StatusCode)
		}
	}
	// Five failures are free; the sixth is still checked, and locks.
	if r := f.login(t, "Wang Lei", "wrong again"); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("sixth failure: %d, want 401", r.StatusCode)
	}
	r := f.login(t, "Wang Lei", "a long enough password")
	if r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("right password while locked: %d, want 429", r.StatusCode)
	}
	if ra, _ := strconv.Atoi(r.Header.Get("Retry-After")); ra != int(lockBase/time.Second) {
		t.Errorf("Retry-After %q, want %d", r.Header.Get("Retry-After"), int(lockBase/time.Second))
	}

	// After the lock, one more failure locks for twice as long.
	f.clock.Advance(lockBase)
	if r := f.login(t, "Wang Lei", "wrong"); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("after the lock: %d, want 401", r.StatusCode)
	}
	if r := f.login(t, "Wang Lei", "a long enough password"); r.Header.Get("Retry-After") != strconv.Itoa(int(2*lockBase/time.Second)) {
		t.Fatalf("second lock: %d, Retry-After %q, want %v", r.StatusCode, r.Header.Get("Retry-After"), 2*lockBase)
	}
	f.clock.Advance(2 * lockBase)
	if r := f.login(t, "Wang Lei", "a long enough password"); r.StatusCode != http.StatusOK {
		t.Fatalf("after the second lock, the right password: %d, want 200", r.StatusCode)
	}
	// A success clears the name's failures.
	if r := f.login(t, "Wang Lei", "wrong"); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("after success: %d, want 401", r.StatusCode)
	}

	// One address guessing over many names: locked after ipFree failures
	// in all (eight so far), whatever the name.
	for i := 8; i < ipFree; i++ {
		if r := f.login(t, "nobody-"+strconv.Itoa(i), "guess"); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("name %d: %d, want 401", i, r.StatusCode)
		}
	}
	if r := f.login(t, "nobody-x", "guess"); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the failure that locks the address: %d, want 401", r.StatusCode)
	}
	if r := f.login(t, "someone-new", "guess"); r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("address locked: %d, want 429", r.StatusCode)
	}
}

func TestLimiterBackoff(t *testing.T) {
	c := testclock.New(time.Unix(1e9, 0))
	l := newLimiter(c.Now)
	for range userFree {
		l.fail("192.0.2.1", "kim")
	}
	if w := l.wait("192.0.2.1", "kim"); w != 0 {
		t.Fatalf("after %d failures: wait %v, want none", userFree, w)
	}
	want := lockBase
	for range 12 {
		l.fail("192.0.2.1", "kim")
		if w := l.wait("192.0.2.2", "kim"); w != want {
			t.Fatalf("wait %v, want %v", w, want)
		}
		c.Advance(want)
		want = min(2*want, lockMax)
	}
	if want != lockMax {
		t.Fatalf("the lock did not reach its cap: %v", want)
	}
	l.succeed("192.0.2.1", "kim")
	if w := l.wait("192.0.2.2", "kim"); w != 0 {
		t.Fatalf("after success: %v", w)
	}
	// Failures long ago are forgotten.
	for range userFree + 1 {
		l.fail("192.0.2.3", "park")
	}
	c.Advance(quiet + lockMax)
	l.fail("192.0.2.3", "park")
	if w := l.wait("192.0.2.4", "park"); w != 0 {
		t.Fatalf("after a quiet hour one failure locks: %v", w)
	}
}

func TestHeaders(t *testing.T) {
	f := newFixture(t, nil)
	for _, path := range []string{"/", "/static/app.js", "/api/me", "/nothing"} {
		resp, err := f.srv.Client().Get(f.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP %q allows inline script or eval", path, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: headers %v", path, h)
		}
	}
	resp, _ := f.srv.Client().Get(f.srv.URL + "/static/app.js")
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("app.js served as %q", ct)
	}
	resp.Body.Close()

	// DNS rebinding: a name in the Host header is refused over plain HTTP.
	req, _ := http.NewRequest("GET", f.srv.URL+"/api/me", nil)
	req.Host = "evil.example"
	if code, _ := f.do(t, req); code != http.StatusMisdirectedRequest {
		t.Errorf("Host evil.example: %d, want 421", code)
	}
}

// Over TLS, cookies are Secure and carry the __Host- prefix.
func TestTLSCookies(t *testing.T) {
	f := newFixture(t, nil)
	f.off.Add(context.Background(), "Wang Lei", officer.Watch, "a long enough password")
	s := New(f.beijing, Config{Officers: f.off, TLS: true})
	srv := httptest.NewTLSServer(s)
	defer srv.Close()
	resp, err := srv.Client().Post(srv.URL+"/api/login", "application/json",
		strings.NewReader(`{"name":"Wang Lei","password":"a long enough password"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(resp.Cookies()) != 2 {
		t.Fatalf("login over TLS: %d, cookies %v", resp.StatusCode, resp.Cookies())
	}
	for _, c := range resp.Cookies() {
		if !c.Secure || !strings.HasPrefix(c.Name, "__Host-hotline_") {
			t.Errorf("cookie %s: Secure %v", c.Name, c.Secure)
		}
	}
	if resp.Header.Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS over TLS")
	}
}
