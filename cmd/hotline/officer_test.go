package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/officer"
)

func TestOfficerCommand(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "beijing")
	if err := node.Init(dir, node.Config{Party: "beijing", Name: "Beijing", Langs: []string{"zh"}, Listen: "127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("a long enough password\n"), 0o600)
	hotline := func(args ...string) (int, string) {
		var stderr bytes.Buffer
		code := run(ctx, args, &stderr)
		return code, stderr.String()
	}

	// Flags after the name, as the usage shows them.
	if code, out := hotline("officer", "add", "Wang Lei", "--role", "watch", "--dir", dir, "--password-file", pw); code != 0 {
		t.Fatalf("officer add: %d %s", code, out)
	}
	if code, out := hotline("officer", "add", "Wang Lei", "--role", "admin", "--dir", dir, "--password-file", pw); code != 1 || !strings.Contains(out, "hint: remove") {
		t.Errorf("second add: %d %s", code, out)
	}
	// The console's language, matched to one it speaks.
	if code, out := hotline("officer", "add", "Li Na", "--role", "watch", "--lang", "zh-Hans", "--dir", dir, "--password-file", pw); code != 0 {
		t.Fatalf("officer add --lang zh-Hans: %d %s", code, out)
	}
	for _, args := range [][]string{
		{"officer", "add", "Kim", "--role", "watch", "--lang", "fr", "--dir", dir, "--password-file", pw},
		{"officer", "add", "Kim", "--role", "captain", "--dir", dir, "--password-file", pw},
		{"officer", "add", "--role", "watch", "--dir", dir, "--password-file", pw},
		{"officer", "promote", "Kim"},
		{"officer"},
	} {
		if code, out := hotline(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage): %s", args, code, out)
		}
	}

	st, err := officer.OpenDir(dir, officer.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if o, err := st.Authenticate(ctx, "Wang Lei", "a long enough password"); err != nil || o.Role != officer.Watch {
		t.Fatalf("the added officer cannot log in: %v %v", o, err)
	}
	if lang, err := st.Lang(ctx, "Li Na"); err != nil || lang != "zh" {
		t.Errorf("Li Na reads the console in %q (%v), want zh", lang, err)
	}
	if lang, err := st.Lang(ctx, "Wang Lei"); err != nil || lang != "" {
		t.Errorf("Wang Lei reads the console in %q (%v), want the party's default", lang, err)
	}
	if code, out := hotline("officer", "remove", "--dir", dir, "Li Na"); code != 0 {
		t.Fatalf("officer remove: %d %s", code, out)
	}
	if code, out := hotline("officer", "remove", "--dir", dir, "Wang Lei"); code != 0 {
		t.Fatalf("officer remove: %d %s", code, out)
	}
	if list, _ := st.List(ctx); len(list) != 0 {
		t.Fatalf("after remove: %v", list)
	}
	if code, _ := hotline("officer", "remove", "--dir", dir, "Wang Lei"); code != 1 {
		t.Errorf("removing twice: exit %d, want 1", code)
	}
}

// passwd and role change an account in place, and end the officer's
// console sessions: none goes on with the old password or the old role.
func TestOfficerPasswdAndRole(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "beijing")
	if err := node.Init(dir, node.Config{Party: "beijing", Name: "Beijing", Langs: []string{"zh"}, Listen: "127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	pw1, pw2 := filepath.Join(t.TempDir(), "pw1"), filepath.Join(t.TempDir(), "pw2")
	os.WriteFile(pw1, []byte("the first password\n"), 0o600)
	os.WriteFile(pw2, []byte("the second password\n"), 0o600)
	hotline := func(args ...string) (int, string) {
		var stderr bytes.Buffer
		code := run(ctx, args, &stderr)
		return code, stderr.String()
	}
	if code, out := hotline("officer", "add", "Wang Lei", "--role", "watch", "--dir", dir, "--password-file", pw1); code != 0 {
		t.Fatalf("officer add: %d %s", code, out)
	}
	st, err := officer.OpenDir(dir, officer.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	login := func() string {
		t.Helper()
		tok, _, err := st.NewSession(ctx, "Wang Lei")
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}

	tok := login()
	if code, out := hotline("officer", "passwd", "Wang Lei", "--dir", dir, "--password-file", pw2); code != 0 {
		t.Fatalf("officer passwd: %d %s", code, out)
	}
	if _, err := st.Session(ctx, tok); !errors.Is(err, officer.ErrNoSession) {
		t.Errorf("a session outlived the new password: %v", err)
	}
	if _, err := st.Authenticate(ctx, "Wang Lei", "the second password"); err != nil {
		t.Errorf("the new password does not log in: %v", err)
	}
	if _, err := st.Authenticate(ctx, "Wang Lei", "the first password"); !errors.Is(err, officer.ErrBadLogin) {
		t.Errorf("the old password still logs in: %v", err)
	}

	tok = login()
	if code, out := hotline("officer", "role", "--dir", dir, "Wang Lei", "--role", "releaser"); code != 0 {
		t.Fatalf("officer role: %d %s", code, out)
	}
	if _, err := st.Session(ctx, tok); !errors.Is(err, officer.ErrNoSession) {
		t.Errorf("a session outlived the role change: %v", err)
	}
	if list, _ := st.List(ctx); len(list) != 1 || list[0].Role != officer.Releaser {
		t.Errorf("after officer role: %+v", list)
	}

	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"officer", "role", "Wang Lei", "--role", "captain", "--dir", dir}, 2},
		{[]string{"officer", "role", "--role", "admin", "--dir", dir}, 2},
		{[]string{"officer", "passwd", "--dir", dir, "--password-file", pw1}, 2},
		{[]string{"officer", "role", "Nobody", "--role", "admin", "--dir", dir}, 1},
		{[]string{"officer", "passwd", "Nobody", "--dir", dir, "--password-file", pw1}, 1},
	} {
		if code, out := hotline(tc.args...); code != tc.code {
			t.Errorf("%v: exit %d, want %d: %s", tc.args, code, tc.code, out)
		}
	}
}

// officer unlock records the unlock the console's login limiter reads,
// for a name or an address.
func TestOfficerUnlock(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "beijing")
	if err := node.Init(dir, node.Config{Party: "beijing", Name: "Beijing", Langs: []string{"zh"}, Listen: "127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	hotline := func(args ...string) (int, string) {
		var stderr bytes.Buffer
		code := run(ctx, args, &stderr)
		return code, stderr.String()
	}
	for _, args := range [][]string{
		{"officer", "unlock", "--dir", dir},
		{"officer", "unlock", "Wang Lei", "--address", "192.0.2.1", "--dir", dir},
		{"officer", "unlock", "a", "b", "--dir", dir},
	} {
		if code, out := hotline(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage): %s", args, code, out)
		}
	}
	if code, out := hotline("officer", "unlock", "Wang Lei", "--dir", dir); code != 0 {
		t.Fatalf("unlock a name: %d %s", code, out)
	}
	if code, out := hotline("officer", "unlock", "--address", "192.0.2.1", "--dir", dir); code != 0 {
		t.Fatalf("unlock an address: %d %s", code, out)
	}
	st, err := officer.OpenDir(dir, officer.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, key := range []string{officer.UnlockName("Wang Lei"), officer.UnlockAddress("192.0.2.1")} {
		if at, err := st.UnlockedAt(ctx, key); err != nil || at.IsZero() {
			t.Errorf("%s: unlocked at %v, %v", key, at, err)
		}
	}
	if at, _ := st.UnlockedAt(ctx, officer.UnlockName("Li Na")); !at.IsZero() {
		t.Errorf("a name never unlocked reads %v", at)
	}
	acts, _ := st.Acts(ctx, 10)
	if len(acts) != 2 || acts[0].Act != "unlock" {
		t.Errorf("acts: %+v", acts)
	}
}
