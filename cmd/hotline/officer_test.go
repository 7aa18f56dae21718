package main

import (
	"bytes"
	"context"
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
	for _, args := range [][]string{
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
