package officer

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/testclock"
)

// TestLang: an officer's language starts as the party's default (”), is
// set and read back, comes with each session and with the account list,
// and a change does not end the officer's sessions.
func TestLang(t *testing.T) {
	ctx := context.Background()
	s := open(t, testclock.New(time.Now()))
	if err := s.Add(ctx, "kim", Watch, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	if lang, err := s.Lang(ctx, "kim"); err != nil || lang != "" {
		t.Fatalf("new officer's language = %q, %v; want the party's default ''", lang, err)
	}
	token, _, err := s.NewSession(ctx, "kim")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetLang(ctx, "kim", "ko"); err != nil {
		t.Fatal(err)
	}
	ss, err := s.Session(ctx, token)
	if err != nil {
		t.Fatalf("session after a change of language: %v (a language change must not log out)", err)
	}
	if ss.Lang != "ko" {
		t.Fatalf("session language = %q, want ko", ss.Lang)
	}
	list, err := s.List(ctx)
	if err != nil || len(list) != 1 || list[0].Lang != "ko" {
		t.Fatalf("list = %+v, %v; want kim in ko", list, err)
	}
	o, err := s.Authenticate(ctx, "kim", "correct horse battery")
	if err != nil || o.Lang != "ko" {
		t.Fatalf("authenticate = %+v, %v; want kim in ko", o, err)
	}
	if err := s.SetLang(ctx, "nobody", "ko"); !errors.Is(err, ErrNoOfficer) {
		t.Fatalf("SetLang of an unknown officer = %v, want ErrNoOfficer", err)
	}
	for _, bad := range []string{"ko KR", "<b>", "zh\u200b", "a-very-long-language-tag-of-forty-bytes"} {
		if err := s.SetLang(ctx, "kim", bad); err == nil {
			t.Errorf("SetLang(%q) accepted", bad)
		}
	}
}
