package console

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
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
	// The fifth failure locked the name: not even the right password is
	// checked now.
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

	// One address guessing over many names: one name has failed so far;
	// the address is locked when more than ipNames names have.
	for i := 1; i <= ipNames; i++ {
		if r := f.login(t, "nobody-"+strconv.Itoa(i), "guess"); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("name %d: %d, want 401", i, r.StatusCode)
		}
	}
	if r := f.login(t, "someone-new", "guess"); r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("address locked: %d, want 429", r.StatusCode)
	}
}

// TestConcurrentGuessesAreCounted: 50 wrong passwords for one name at
// once run at most userFree password checks; the rest are refused unread.
func TestConcurrentGuessesAreCounted(t *testing.T) {
	f := newFixture(t, nil)
	if err := f.off.Add(context.Background(), "Wang Lei", officer.Watch, "a long enough password"); err != nil {
		t.Fatal(err)
	}
	before := officer.Hashes()
	codes := make(chan int, 50)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() { codes <- f.login(t, "Wang Lei", "guess "+strconv.Itoa(i)).StatusCode })
	}
	wg.Wait()
	close(codes)
	n := map[int]int{}
	for c := range codes {
		n[c]++
	}
	if checked := officer.Hashes() - before; checked > userFree {
		t.Errorf("%d password checks for 50 concurrent guesses, want at most %d", checked, userFree)
	}
	if n[http.StatusUnauthorized] > userFree || n[http.StatusUnauthorized]+n[http.StatusTooManyRequests] != 50 {
		t.Errorf("answers %v: want at most %d 401 and the rest 429", n, userFree)
	}
}

// TestSharedAddressKeepsTheWatch: a name locked from an address does not
// lock out another officer behind the same address, and an administrator
// lifts the lock with the same call hotline officer unlock makes.
func TestSharedAddressKeepsTheWatch(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	for _, name := range []string{"Wang Lei", "Li Na"} {
		if err := f.off.Add(ctx, name, officer.Watch, "a long enough password"); err != nil {
			t.Fatal(err)
		}
	}
	for range userFree + 3 {
		f.login(t, "Wang Lei", "wrong")
	}
	if r := f.login(t, "Wang Lei", "a long enough password"); r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("Wang Lei after %d failures: %d, want 429", userFree+3, r.StatusCode)
	}
	if r := f.login(t, "Li Na", "a long enough password"); r.StatusCode != http.StatusOK {
		t.Fatalf("another officer from the same address: %d, want 200", r.StatusCode)
	}
	f.clock.Advance(time.Millisecond) // the unlock comes after the lock
	if err := f.off.Unlock(ctx, officer.UnlockName("Wang Lei"), "admin"); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Second) // the limiter asks the database at most once a second
	if r := f.login(t, "Wang Lei", "a long enough password"); r.StatusCode != http.StatusOK {
		t.Fatalf("after unlock: %d, want 200", r.StatusCode)
	}
}

func TestLimiterBackoff(t *testing.T) {
	c := testclock.New(time.Unix(1e9, 0))
	l := newLimiter(c.Now, nil)
	fail := func(addr, name string) {
		t.Helper()
		at, w := l.begin(addr, name)
		if at == nil {
			t.Fatalf("%s from %s refused for %v", name, addr, w)
		}
		at.end(failed)
	}
	wait := func(addr, name string) time.Duration {
		at, w := l.begin(addr, name)
		if at != nil {
			at.end(undecided)
		}
		return w
	}
	for range userFree - 1 {
		fail("192.0.2.1", "kim")
	}
	if w := wait("192.0.2.1", "kim"); w != 0 {
		t.Fatalf("after %d failures: wait %v, want none", userFree-1, w)
	}
	want := lockBase
	for range 12 {
		fail("192.0.2.1", "kim")
		if w := wait("192.0.2.2", "kim"); w != want {
			t.Fatalf("wait %v, want %v", w, want)
		}
		c.Advance(want)
		want = min(2*want, lockMax)
	}
	if want != lockMax {
		t.Fatalf("the lock did not reach its cap: %v", want)
	}
	at, _ := l.begin("192.0.2.1", "kim")
	at.end(succeeded)
	if w := wait("192.0.2.2", "kim"); w != 0 {
		t.Fatalf("after success: %v", w)
	}
	// Failures long ago are forgotten.
	for range userFree {
		fail("192.0.2.3", "park")
	}
	c.Advance(quiet + lockMax)
	fail("192.0.2.3", "park")
	if w := wait("192.0.2.4", "park"); w != 0 {
		t.Fatalf("after a quiet hour one failure locks: %v", w)
	}
}

// TestLimiterUnlock: a lock ends when an unlock is recorded after it began,
// and not for an unlock recorded before.
func TestLimiterUnlock(t *testing.T) {
	c := testclock.New(time.Unix(1e9, 0))
	var unlocked time.Time
	asked := 0
	l := newLimiter(c.Now, func(key string) time.Time {
		asked++
		if key != "name:kim" {
			return time.Time{}
		}
		return unlocked
	})
	unlocked = c.Now() // an old unlock
	c.Advance(time.Second)
	for range userFree {
		at, _ := l.begin("192.0.2.1", "kim")
		at.end(failed)
	}
	if _, w := l.begin("192.0.2.1", "kim"); w == 0 {
		t.Fatal("an unlock from before the lock lifted it")
	}
	// Refused attempts within a second do not ask again.
	n := asked
	for range 100 {
		l.begin("192.0.2.1", "kim")
	}
	if asked != n {
		t.Errorf("100 refused attempts asked the database %d times", asked-n)
	}
	unlocked = c.Now()
	c.Advance(time.Second)
	if at, w := l.begin("192.0.2.1", "kim"); at == nil {
		t.Fatalf("after unlock: wait %v", w)
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
