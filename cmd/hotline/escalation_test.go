package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hotline-line/hotline/internal/escalate"
	"github.com/hotline-line/hotline/internal/escalate/escalatetest"
	"github.com/hotline-line/hotline/internal/node"
)

func TestEscalationCommand(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "seoul")
	if err := node.Init(dir, node.Config{Party: "seoul", Name: "Seoul", Langs: []string{"ko"}, Listen: "127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	hotline := func(args ...string) (int, string) {
		var stderr bytes.Buffer
		code := run(ctx, args, &stderr)
		return code, stderr.String()
	}
	write := func(name, content string, mode os.FileMode) {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(path, mode)
	}

	for _, args := range [][]string{{"escalation"}, {"escalation", "frob"}, {"escalation", "check", "extra", "--dir", dir}} {
		if code, out := hotline(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2: %s", args, code, out)
		}
	}
	if code, out := hotline("escalation", "check", "--dir", filepath.Join(dir, "nothing")); code != 1 || !strings.Contains(out, "hint: create one") {
		t.Errorf("no node: %d %s", code, out)
	}

	// Without escalation.json: the console alarm alone.
	var b bytes.Buffer
	if err := escalationCheck(dir, &b); err != nil || !strings.Contains(b.String(), "the default chain") || !strings.Contains(b.String(), "1. console: console alarm") {
		t.Fatalf("default chain: %v\n%s", err, b.String())
	}

	// A bad chain names its field, with a hint.
	write(escalate.File, `{"steps": [{"name": "duty", "console": true, "emial": ["a@b.org"]}]}`, 0o600)
	if code, out := hotline("escalation", "check", "--dir", dir); code != 1 ||
		!strings.Contains(out, "hotline: error: "+filepath.Join(dir, escalate.File)+": steps[0].emial: unknown field") || !strings.Contains(out, "hotline: hint: ") {
		t.Errorf("unknown field: %d %s", code, out)
	}
	write("smtp-password", "hunter2\n", 0o644)
	write(escalate.File, `{"steps": [{"name": "duty", "email": ["duty@seoul.example"]}],
		"smtp": {"addr": "127.0.0.1:25", "from": "h@seoul.example", "username": "u", "password_file": "smtp-password"}}`, 0o600)
	if code, out := hotline("escalation", "check", "--dir", dir); code != 1 || !strings.Contains(out, "smtp.password_file") || !strings.Contains(out, "mode 0644") {
		t.Errorf("readable password: %d %s", code, out)
	}

	// A good chain: check prints it, test reaches every channel.
	mail := escalatetest.StartSMTP(t, escalatetest.SMTPOptions{User: "u", Password: "hunter2"})
	hooks := escalatetest.StartHooks(t, []byte("a webhook key of thirty-two byte"))
	write("smtp-password", "hunter2\n", 0o600)
	write("webhook-secret", "a webhook key of thirty-two byte\n", 0o600)
	write(escalate.File, fmt.Sprintf(`{"steps": [
			{"name": "duty", "console": true, "email": ["duty@seoul.example"], "webhook": ["%s/duty"], "wait": "5m"},
			{"name": "chief", "email": ["chief@seoul.example"]}],
		"smtp": {"addr": %q, "from": "h@seoul.example", "username": "u", "password_file": "smtp-password", "require_tls": true, "ca_file": %q},
		"webhook": {"secret_file": "webhook-secret"}}`, hooks.URL, mail.Addr, mail.CAFile), 0o600)
	b.Reset()
	if err := escalationCheck(dir, &b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2 step(s):", "1. duty: console alarm, email duty@seoul.example, webhook " + hooks.URL + "/duty; after 5m0s, the next step",
		"2. chief: email chief@seoul.example; stays at this step", "STARTTLS required"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("check lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "hunter2") {
		t.Error("check shows the password")
	}
	b.Reset()
	if err := escalationTest(ctx, dir, &b); err != nil {
		t.Fatalf("test: %v\n%s", err, b.String())
	}
	if len(mail.Mails()) != 2 || len(hooks.Received()) != 1 || !hooks.Received()[0].SignatureOK {
		t.Fatalf("test sent %d mails and %d webhooks", len(mail.Mails()), len(hooks.Received()))
	}
	for _, want := range []string{"1. duty   console", "1. duty   email    duty@seoul.example", "ok", "2. chief  email    chief@seoul.example"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("test output lacks %q:\n%s", want, b.String())
		}
	}

	// A failure is reported, and the command fails.
	mail.FailNext(1)
	if code, out := hotline("escalation", "test", "--dir", dir); code != 1 || !strings.Contains(out, "1 of 3 test notices failed") {
		t.Errorf("a failing server: %d %s", code, out)
	}
}
