package officer

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/testclock"
)

func TestSetPasswordAndRole(t *testing.T) {
	ctx := context.Background()
	s := open(t, testclock.New(time.Now()))
	if err := s.Add(ctx, "Wang Lei", Watch, "the first password"); err != nil {
		t.Fatal(err)
	}
	s.Add(ctx, "Li Na", Watch, "another password")
	other, _, _ := s.NewSession(ctx, "Li Na")
	var tokens []string
	for range 2 {
		tok, _, err := s.NewSession(ctx, "Wang Lei")
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, tok)
	}

	// A new password ends every session of the officer, and only theirs.
	n, err := s.SetPassword(ctx, "Wang Lei", "the second password")
	if err != nil || n != 2 {
		t.Fatalf("SetPassword = %d, %v; want 2 sessions ended", n, err)
	}
	for _, tok := range tokens {
		if _, err := s.Session(ctx, tok); !errors.Is(err, ErrNoSession) {
			t.Errorf("session after a new password: %v", err)
		}
	}
	if _, err := s.Session(ctx, other); err != nil {
		t.Errorf("another officer's session ended: %v", err)
	}
	if _, err := s.Authenticate(ctx, "Wang Lei", "the first password"); !errors.Is(err, ErrBadLogin) {
		t.Errorf("old password: %v", err)
	}
	if _, err := s.Authenticate(ctx, "Wang Lei", "the second password"); err != nil {
		t.Errorf("new password: %v", err)
	}
	if _, err := s.SetPassword(ctx, "Wang Lei", "short"); err == nil {
		t.Error("a short password was accepted")
	}
	if _, err := s.SetPassword(ctx, "Nobody", "a long enough password"); !errors.Is(err, ErrNoOfficer) {
		t.Errorf("unknown officer: %v", err)
	}

	// A new role ends the sessions: none goes on under the old role.
	tok, _, _ := s.NewSession(ctx, "Wang Lei")
	if n, err := s.SetRole(ctx, "Wang Lei", Releaser); err != nil || n != 1 {
		t.Fatalf("SetRole = %d, %v", n, err)
	}
	if _, err := s.Session(ctx, tok); !errors.Is(err, ErrNoSession) {
		t.Errorf("session after a new role: %v", err)
	}
	if o, _ := s.Authenticate(ctx, "Wang Lei", "the second password"); o.Role != Releaser {
		t.Errorf("role %s, want releaser", o.Role)
	}
	if _, err := s.SetRole(ctx, "Wang Lei", "captain"); err == nil {
		t.Error("an unknown role was accepted")
	}
	if _, err := s.SetRole(ctx, "Nobody", Admin); !errors.Is(err, ErrNoOfficer) {
		t.Errorf("unknown officer: %v", err)
	}
}

func TestChangePassword(t *testing.T) {
	ctx := context.Background()
	s := open(t, testclock.New(time.Now()))
	s.Add(ctx, "Wang Lei", Watch, "the first password")
	mine, _, _ := s.NewSession(ctx, "Wang Lei")
	elsewhere, _, _ := s.NewSession(ctx, "Wang Lei")
	ss, err := s.Session(ctx, mine)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ChangePassword(ctx, ss, "not the password", "the second password"); !errors.Is(err, ErrBadLogin) {
		t.Fatalf("wrong current password: %v", err)
	}
	if err := s.ChangePassword(ctx, ss, "the first password", "short"); err == nil {
		t.Fatal("a short new password was accepted")
	}
	if _, err := s.Session(ctx, elsewhere); err != nil {
		t.Fatalf("a refused change ended a session: %v", err)
	}
	if err := s.ChangePassword(ctx, ss, "the first password", "the second password"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, mine); err != nil {
		t.Errorf("the session that changed the password ended: %v", err)
	}
	if _, err := s.Session(ctx, elsewhere); !errors.Is(err, ErrNoSession) {
		t.Errorf("the other session lives on: %v", err)
	}
	if _, err := s.Authenticate(ctx, "Wang Lei", "the second password"); err != nil {
		t.Errorf("new password: %v", err)
	}
}
