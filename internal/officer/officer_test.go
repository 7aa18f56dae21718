package officer

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/testclock"
)

// testParams keep hashing cheap in tests that are not about its cost.
var testParams = Params{Time: 1, Memory: 64, Threads: 1}

func open(t *testing.T, c *testclock.Clock) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), File), Config{Params: testParams, Now: c.Now,
		Idle: time.Hour, Absolute: 12 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("correct horse battery", DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=4$") {
		t.Fatalf("hash %q: not argon2id with the default parameters", h)
	}
	h2, _ := HashPassword("correct horse battery", DefaultParams)
	if h == h2 {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	for pw, want := range map[string]bool{"correct horse battery": true, "correct horse batterY": false, "": false} {
		ok, err := VerifyPassword(pw, h)
		if err != nil || ok != want {
			t.Errorf("VerifyPassword(%q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=4194304,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", // 4 GiB: refused
		"$argon2id$v=19$m=65536,t=3,p=4$!!$aGFzaGhhc2hoYXNoaGFzaA"} {
		if _, err := VerifyPassword("x", bad); err == nil {
			t.Errorf("VerifyPassword accepted the hash %q", bad)
		}
	}
}

func TestAccounts(t *testing.T) {
	ctx := context.Background()
	s := open(t, testclock.New(time.Now()))
	if err := s.Add(ctx, "Wang Lei", Watch, "a long enough password"); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(ctx, "Wang Lei", Admin, "another long password"); !errors.Is(err, ErrExists) {
		t.Fatalf("second add: %v, want ErrExists", err)
	}
	for _, tc := range []struct{ name, pw string }{
		{"", "a long enough password"},
		{" Wang", "a long enough password"},
		{"Wang\u202eLei", "a long enough password"},
		{"Kim", "short"},
	} {
		if err := s.Add(ctx, tc.name, Watch, tc.pw); err == nil {
			t.Errorf("Add(%q, %q) succeeded", tc.name, tc.pw)
		}
	}
	if err := s.Add(ctx, "Kim", "captain", "a long enough password"); err == nil {
		t.Error("Add with an unknown role succeeded")
	}
	o, err := s.Authenticate(ctx, "Wang Lei", "a long enough password")
	if err != nil || o.Role != Watch {
		t.Fatalf("Authenticate = %v, %v", o, err)
	}
	for _, tc := range [][2]string{{"Wang Lei", "wrong password!"}, {"Nobody", "a long enough password"}} {
		if _, err := s.Authenticate(ctx, tc[0], tc[1]); !errors.Is(err, ErrBadLogin) {
			t.Errorf("Authenticate(%q, %q) = %v, want ErrBadLogin", tc[0], tc[1], err)
		}
	}
	list, err := s.List(ctx)
	if err != nil || len(list) != 1 || list[0].Name != "Wang Lei" {
		t.Fatalf("List = %v, %v", list, err)
	}
	if err := s.Remove(ctx, "Wang Lei"); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ctx, "Wang Lei"); !errors.Is(err, ErrNoOfficer) {
		t.Fatalf("second remove: %v", err)
	}
}

func TestSessions(t *testing.T) {
	ctx := context.Background()
	c := testclock.New(time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC))
	s := open(t, c)
	if err := s.Add(ctx, "Wang Lei", Watch, "a long enough password"); err != nil {
		t.Fatal(err)
	}
	tok, csrf, err := s.NewSession(ctx, "Wang Lei")
	if err != nil {
		t.Fatal(err)
	}
	ss, err := s.Session(ctx, tok)
	if err != nil || ss.Officer != "Wang Lei" || ss.Role != Watch {
		t.Fatalf("Session = %+v, %v", ss, err)
	}
	if !ss.CSRFValid(csrf) || ss.CSRFValid(tok) || ss.CSRFValid("") {
		t.Fatal("CSRF check accepts the wrong token or refuses the right one")
	}
	if _, err := s.Session(ctx, tok+"x"); !errors.Is(err, ErrNoSession) {
		t.Fatalf("wrong token: %v", err)
	}

	// Used every 50 minutes, it lives until the absolute limit.
	for range 14 {
		c.Advance(50 * time.Minute)
		if _, err := s.Session(ctx, tok); err != nil {
			t.Fatalf("at %v: %v", c.Now(), err)
		}
	}
	c.Advance(50 * time.Minute) // 12 h 30 min after login
	if _, err := s.Session(ctx, tok); !errors.Is(err, ErrNoSession) {
		t.Fatalf("after the absolute limit: %v", err)
	}

	// Unused for more than an hour, it ends.
	tok, _, _ = s.NewSession(ctx, "Wang Lei")
	c.Advance(61 * time.Minute)
	if _, err := s.Session(ctx, tok); !errors.Is(err, ErrNoSession) {
		t.Fatalf("after the idle limit: %v", err)
	}

	// Logout and removal end it at once; a role change shows at once.
	tok, _, _ = s.NewSession(ctx, "Wang Lei")
	ss, _ = s.Session(ctx, tok)
	if err := s.EndSession(ctx, ss); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, tok); !errors.Is(err, ErrNoSession) {
		t.Fatalf("after logout: %v", err)
	}
	tok, _, _ = s.NewSession(ctx, "Wang Lei")
	s.Remove(ctx, "Wang Lei")
	if _, err := s.Session(ctx, tok); !errors.Is(err, ErrNoSession) {
		t.Fatalf("after removal: %v", err)
	}
	if _, _, err := s.NewSession(ctx, "Wang Lei"); !errors.Is(err, ErrNoOfficer) {
		t.Fatalf("session for a removed officer: %v", err)
	}
}

func TestActs(t *testing.T) {
	ctx := context.Background()
	s := open(t, testclock.New(time.Now()))
	s.Record(ctx, Act{Officer: "Kim", Act: "send", Line: "L", Message: "seoul-3"})
	s.Record(ctx, Act{Officer: "Kim", Act: "login"})
	by, err := s.SentBy(ctx, "L", []string{"seoul-3", "seoul-4"})
	if err != nil || len(by) != 1 || by["seoul-3"] != "Kim" {
		t.Fatalf("SentBy = %v, %v", by, err)
	}
	acts, err := s.Acts(ctx, 10)
	if err != nil || len(acts) != 2 || acts[0].Act != "login" {
		t.Fatalf("Acts = %v, %v", acts, err)
	}
}
