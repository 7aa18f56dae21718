package escalate

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// secretDir is a data directory with the secret files the tests name.
func secretDir(t testing.TB) string {
	dir := t.TempDir()
	for name, f := range map[string]struct {
		content string
		mode    os.FileMode
	}{
		"smtp-password":  {"correct horse battery\n", 0o600},
		"webhook-secret": {"0123456789abcdef0123456789abcdef\n", 0o600},
		"open-password":  {"hunter2\n", 0o644},
		"short-secret":   {"tiny\n", 0o600},
		"empty":          {"\n", 0o600},
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(f.content), f.mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(path, f.mode) // whatever the umask
	}
	return dir
}

func TestParseErrors(t *testing.T) {
	dir := secretDir(t)
	t.Setenv("HOTLINE_TEST_EMPTY", "")
	const smtp = `"smtp": {"addr": "127.0.0.1:25", "from": "hotline@example.org"}`
	const one = `"steps": [{"name": "duty", "console": true}]`
	for _, c := range []struct{ name, json, want string }{
		{"not json", `{"steps": [`, "not valid JSON"},
		{"syntax", "{\n\"steps\": [}", "line 2"},
		{"two values", `{` + one + `} {}`, "more than one value"},
		{"array", `[]`, "want a JSON object"},
		{"empty", ``, "empty or cut short"},
		{"no steps", `{}`, "steps: want at least one step"},
		{"unknown top field", `{` + one + `, "colour": 1}`, "colour: unknown field"},
		{"unknown step field", `{"steps": [{"name": "duty", "console": true, "emial": ["a@b.org"]}]}`, "steps[0].emial: unknown field"},
		{"unknown smtp field", `{` + one + `, "smtp": {"addr": "h:25", "from": "a@b.org", "pasword_file": "x"}}`, "smtp.pasword_file: unknown field"},
		{"wrong type", `{"steps": {"name": "duty"}}`, "steps: want"},
		{"wrong type in step", `{"steps": [{"name": 7, "console": true}]}`, "steps.name: want string"},
		{"password in config", `{` + one + `, "smtp": {"addr": "h:25", "from": "a@b.org", "username": "u", "password": "hunter2"}}`, "smtp.password: secrets do not go in escalation.json"},
		{"secret in config", `{` + one + `, "webhook": {"secret": "s3cret"}}`, "webhook.secret: secrets do not go in escalation.json"},
		{"bad duration", `{"steps": [{"name": "a", "console": true, "wait": "5 minutes"}, {"name": "b", "console": true}]}`, `steps[0].wait: "5 minutes" is not a duration`},
		{"wait too short", `{"steps": [{"name": "a", "console": true, "wait": "1s"}, {"name": "b", "console": true}]}`, "steps[0].wait: 1s is out of range"},
		{"wait missing", `{"steps": [{"name": "a", "console": true}, {"name": "b", "console": true}]}`, "steps[0].wait: missing"},
		{"wait missing with repeat", `{"repeat": true, ` + one + `}`, "steps[0].wait: missing"},
		{"wait on the last step", `{"steps": [{"name": "a", "console": true, "wait": "5m"}]}`, "steps[0].wait: the last step waits for nothing"},
		{"duplicate names", `{"steps": [{"name": "a", "console": true, "wait": "5m"}, {"name": "a", "console": true}]}`, "steps[1].name"},
		{"bad name", `{"steps": [{"name": "duty\nBcc: x", "console": true}]}`, "steps[0].name"},
		{"no channel", `{"steps": [{"name": "duty"}]}`, "steps[0]: the step notifies nobody"},
		{"email without smtp", `{"steps": [{"name": "duty", "email": ["duty@example.org"]}]}`, "smtp: missing"},
		{"bad address", `{"steps": [{"name": "duty", "email": ["not an address"]}], ` + smtp + `}`, "steps[0].email[0]"},
		{"header in address", `{"steps": [{"name": "duty", "email": ["a@b.org\r\nBcc: c@d.org"]}], ` + smtp + `}`, "steps[0].email[0]"},
		{"address twice", `{"steps": [{"name": "duty", "email": ["a@b.org", "A@b.org"]}], ` + smtp + `}`, "steps[0].email[1]: A@b.org is listed twice"},
		{"webhook without secret", `{"steps": [{"name": "duty", "webhook": ["https://pager.example.org/x"]}]}`, "webhook.secret_file: missing"},
		{"plain http beyond loopback", `{"steps": [{"name": "duty", "webhook": ["http://pager.example.org/x"]}], "webhook": {"secret_file": "webhook-secret"}}`, `steps[0].webhook[0]: want https`},
		{"password in URL", `{"steps": [{"name": "duty", "webhook": ["https://u:p@pager.example.org/x"]}], "webhook": {"secret_file": "webhook-secret"}}`, "no user or password"},
		{"not a URL", `{"steps": [{"name": "duty", "webhook": ["pager"]}], "webhook": {"secret_file": "webhook-secret"}}`, "steps[0].webhook[0]: want a URL"},
		{"readable password file", `{` + one + `, "smtp": {"addr": "h:25", "from": "a@b.org", "username": "u", "password_file": "open-password"}}`, "smtp.password_file: " + filepath.Join(dir, "open-password") + " can be read by others (mode 0644)"},
		{"missing password file", `{` + one + `, "smtp": {"addr": "h:25", "from": "a@b.org", "username": "u", "password_file": "nope"}}`, "smtp.password_file: open"},
		{"empty password file", `{` + one + `, "smtp": {"addr": "h:25", "from": "a@b.org", "username": "u", "password_file": "empty"}}`, "the first line is empty"},
		{"empty env", `{` + one + `, "smtp": {"addr": "h:25", "from": "a@b.org", "username": "u", "password_env": "HOTLINE_TEST_EMPTY"}}`, "smtp.password_env: the environment variable HOTLINE_TEST_EMPTY is empty"},
		{"two passwords", `{` + one + `, "smtp": {"addr": "h:25", "from": "a@b.org", "username": "u", "password_file": "smtp-password", "password_env": "X"}}`, "exactly one of password_file and password_env"},
		{"password without user", `{` + one + `, "smtp": {"addr": "h:25", "from": "a@b.org", "password_file": "smtp-password"}}`, "smtp.username: missing"},
		{"bad addr", `{` + one + `, "smtp": {"addr": "mail.example.org", "from": "a@b.org"}}`, "smtp.addr: want host:port"},
		{"bad from", `{` + one + `, "smtp": {"addr": "h:25", "from": "hotline"}}`, "smtp.from"},
		{"bad timeout", `{` + one + `, "smtp": {"addr": "h:25", "from": "a@b.org", "timeout": "forever"}}`, "smtp.timeout"},
		{"short secret", `{` + one + `, "webhook": {"secret_file": "short-secret"}}`, "webhook.secret_file: the secret is 4 bytes"},
		{"bad CA file", `{` + one + `, "webhook": {"ca_file": "webhook-secret"}}`, "webhook.ca_file: no PEM certificate"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.json), dir)
			if err == nil {
				t.Fatalf("parsed; want an error containing %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not contain %q", err, c.want)
			}
		})
	}
}

// TestParseSecretErrors: a secret written into the file is refused with
// the sentinel callers can branch on.
func TestParseSecretErrors(t *testing.T) {
	_, err := Parse([]byte(`{"steps": [{"name": "d", "console": true}], "smtp": {"addr": "h:25", "from": "a@b.org", "password": ""}}`), t.TempDir())
	if !errors.Is(err, ErrSecretInConfig) {
		t.Fatalf("err = %v, want ErrSecretInConfig", err)
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "smtp.password" {
		t.Fatalf("err = %#v, want a FieldError on smtp.password", err)
	}
}

// docExample returns the example escalation.json of docs/operations.md,
// so that the documentation cannot drift from what the code accepts.
func docExample(t testing.TB) []byte {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, esc, ok := strings.Cut(string(doc), "\n## Escalation\n")
	if !ok {
		t.Fatal("docs/operations.md has no Escalation section")
	}
	m := regexp.MustCompile("(?s)```json\n(\\{\n  \"steps\".*?)```").FindStringSubmatch(esc)
	if m == nil {
		t.Fatal("no example escalation.json in the Escalation section")
	}
	return []byte(m[1])
}

func TestParseDocExample(t *testing.T) {
	dir := secretDir(t)
	c, err := Parse(docExample(t), dir)
	if err != nil {
		t.Fatalf("the example in docs/operations.md does not parse: %v", err)
	}
	if len(c.Steps) != 3 || !c.Repeat || c.Steps[0].Name != "duty" || c.Steps[2].Wait != 15*time.Minute {
		t.Fatalf("chain %+v", c.Steps)
	}
	if s := c.SMTP; s.Addr != "mail.mnd.example:587" || !s.RequireTLS || s.Timeout != 30*time.Second || s.creds.password != "correct horse battery" {
		t.Fatalf("smtp %+v", s)
	}
	if c.Webhook.secret == nil || string(c.Webhook.secret.key) != "0123456789abcdef0123456789abcdef" || c.Webhook.Timeout != 10*time.Second {
		t.Fatalf("webhook %+v", c.Webhook)
	}

	// Described for people: every step, never a secret.
	var b bytes.Buffer
	c.Describe(&b)
	out := b.String()
	for _, want := range []string{"3 step(s), repeating", "1. duty: console alarm, email duty-officer@mnd.example, webhook https://pager.mnd.example/hooks/hotline; after 5m0s, the next step",
		"3. chief", "starts over at step 1", "STARTTLS required", "password from file " + filepath.Join(dir, "smtp-password")} {
		if !strings.Contains(out, want) {
			t.Errorf("description lacks %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{"correct horse", "0123456789abcdef"} {
		if strings.Contains(out, secret) || strings.Contains(fmt.Sprintf("%+v %+v", *c, *c.SMTP), secret) {
			t.Errorf("a secret shows: %s", out)
		}
	}
}

func TestParseEnvPassword(t *testing.T) {
	t.Setenv("HOTLINE_TEST_SMTP_PASSWORD", "from the environment")
	c, err := Parse([]byte(`{"steps": [{"name": "duty", "email": ["d@example.org"]}],
		"smtp": {"addr": "[::1]:25", "from": "h@example.org", "username": "u", "password_env": "HOTLINE_TEST_SMTP_PASSWORD"}}`), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTP.creds.password != "from the environment" || c.SMTP.host != "::1" || c.SMTP.RequireTLS {
		t.Fatalf("%+v", c.SMTP)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	c, err := Load(dir)
	if err != nil || len(c.Steps) != 1 || !c.Steps[0].Console || c.Path != "" {
		t.Fatalf("without a file: %+v %v", c, err)
	}
	os.WriteFile(filepath.Join(dir, File), []byte(`{"steps": [{"name": "duty", "console": true, "wait": "x"}]}`), 0o600)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, File)+": steps[0].wait") {
		t.Fatalf("a bad file: %v", err)
	}
}
