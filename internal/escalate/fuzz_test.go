package escalate

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that every error it gives is
// one line naming what is wrong, and that a chain it accepts keeps the
// rules the engine relies on.
func FuzzParse(f *testing.F) {
	dir := secretDir(f)
	f.Add(docExample(f))
	for _, seed := range []string{
		`{"steps": [{"name": "duty", "console": true}]}`,
		`{"steps": [{"name": "duty", "console": true, "wait": "5m"}, {"name": "chief", "email": ["c@example.org"], "wait": "1h"}], "repeat": true,
			"smtp": {"addr": "127.0.0.1:25", "from": "h@example.org", "username": "u", "password_file": "smtp-password", "tls": true}}`,
		`{"steps": [{"name": "duty", "webhook": ["http://127.0.0.1:9/x", "https://[::1]/y"]}], "webhook": {"secret_file": "webhook-secret", "timeout": "3s"}}`,
		`{"steps": [{"name": "duty", "console": true}], "smtp": {"addr": "h:25", "from": "a@b.org", "password": "hunter2"}}`,
		`{"steps": [{"name": "duty", "console": true, "wait": "5 minutes"}, {"name": "b", "console": true}]}`,
		`{"steps": [{"name": "duty", "email": ["a@b.org\r\nBcc: c@d.org"]}], "smtp": {"addr": "h:25", "from": "a@b.org"}}`,
		`{"steps": [{"name": "duty", "console": true, "emial": []}]}`,
		`{"steps": null, "repeat": "yes"}`,
		`{"steps": [{}]}`,
		`[]`, `null`, `{`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, dir)
		if err != nil {
			if c != nil {
				t.Fatal("a chain returned with an error")
			}
			if msg := err.Error(); msg == "" || strings.ContainsAny(msg, "\r\n") {
				t.Fatalf("error %q: want one line", msg)
			}
			var fe *FieldError
			if errors.As(err, &fe) && fe.Field == "" {
				t.Fatalf("a field error names no field: %v", err)
			}
			return
		}
		if len(c.Steps) == 0 || len(c.Steps) > MaxSteps {
			t.Fatalf("%d steps", len(c.Steps))
		}
		names := map[string]bool{}
		for i, s := range c.Steps {
			if s.Name == "" || names[s.Name] || !plain(s.Name) {
				t.Fatalf("step %d name %q", i, s.Name)
			}
			names[s.Name] = true
			if !s.Console && len(s.Email) == 0 && len(s.Webhook) == 0 {
				t.Fatalf("step %d notifies nobody", i)
			}
			if (i < len(c.Steps)-1 || c.Repeat) && (s.Wait < MinWait || s.Wait > MaxWait) {
				t.Fatalf("step %d waits %v", i, s.Wait)
			}
			if len(s.Email) > 0 && c.SMTP == nil {
				t.Fatalf("step %d mails with no server", i)
			}
			if len(s.Webhook) > 0 && c.Webhook.secret == nil {
				t.Fatalf("step %d posts unsigned", i)
			}
			for _, a := range append(append([]string{}, s.Email...), s.Webhook...) {
				if !plain(a) {
					t.Fatalf("step %d target %q", i, a)
				}
			}
		}
		if c.SMTP != nil && (!plain(c.SMTP.From) || c.SMTP.Username != "" && c.SMTP.creds == nil) {
			t.Fatalf("smtp %+v", c.SMTP)
		}
		var b bytes.Buffer
		c.Describe(&b)
		if strings.Contains(b.String(), "correct horse") {
			t.Fatal("the description shows the password")
		}
	})
}
