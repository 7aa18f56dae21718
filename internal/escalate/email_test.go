package escalate

import (
	"context"
	"errors"
	"fmt"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/escalate/escalatetest"
)

func smtpConfig(t *testing.T, srv *escalatetest.SMTPServer, extra string) *Config {
	t.Helper()
	ca := ""
	if srv.CAFile != "" {
		ca = fmt.Sprintf(`, "ca_file": %q`, srv.CAFile)
	}
	c, err := Parse([]byte(fmt.Sprintf(`{"steps": [{"name": "duty", "email": ["duty@mnd.example"]}],
		"smtp": {"addr": %q, "from": "hotline@seoul.example"%s%s}}`, srv.Addr, ca, extra)), secretDir(t))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func sendTest(c *Config) error {
	msg := emailMessage(c.SMTP.From, "duty@mnd.example", "seoul", time.Now(), []mailNotice{{Notice: Notice{Event: EventTest,
		Alert: Alert{ID: "test:duty", Summary: "test"}}}})
	return c.SMTP.send(context.Background(), []string{"duty@mnd.example"}, msg)
}

func TestSMTPSecurity(t *testing.T) {
	const login = `, "username": "hotline", "password_file": "smtp-password"`
	users := escalatetest.SMTPOptions{User: "hotline", Password: "correct horse battery"}

	t.Run("starttls", func(t *testing.T) {
		srv := escalatetest.StartSMTP(t, users)
		if err := sendTest(smtpConfig(t, srv, login)); err != nil {
			t.Fatal(err)
		}
		if m := srv.Mails(); len(m) != 1 || !m[0].TLS || m[0].User != "hotline" {
			t.Fatalf("%+v", m)
		}
	})
	t.Run("implicit tls", func(t *testing.T) {
		o := users
		o.ImplicitTLS = true
		srv := escalatetest.StartSMTP(t, o)
		if err := sendTest(smtpConfig(t, srv, login+`, "tls": true`)); err != nil {
			t.Fatal(err)
		}
		if m := srv.Mails(); len(m) != 1 || !m[0].TLS {
			t.Fatalf("%+v", m)
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		srv := escalatetest.StartSMTP(t, users)
		srv.CAFile = "" // trust only the system's roots
		if err := sendTest(smtpConfig(t, srv, login)); err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("sent to a server with an unknown certificate: %v", err)
		}
	})
	t.Run("no starttls, loopback", func(t *testing.T) {
		// This machine's own mail server may take the password in the
		// clear: it never crosses a network.
		o := users
		o.NoTLS, o.AllowInsecureAuth = true, true
		srv := escalatetest.StartSMTP(t, o)
		if err := sendTest(smtpConfig(t, srv, login)); err != nil {
			t.Fatal(err)
		}
		if m := srv.Mails(); len(m) != 1 || m[0].TLS || m[0].User != "hotline" {
			t.Fatalf("%+v", m)
		}
	})
	t.Run("no starttls, required", func(t *testing.T) {
		srv := escalatetest.StartSMTP(t, escalatetest.SMTPOptions{NoTLS: true})
		if err := sendTest(smtpConfig(t, srv, `, "require_tls": true`)); !errors.Is(err, ErrNoTLS) {
			t.Fatalf("err = %v, want ErrNoTLS", err)
		}
		if len(srv.Mails()) != 0 {
			t.Fatal("mail sent without TLS")
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		srv := escalatetest.StartSMTP(t, escalatetest.SMTPOptions{User: "hotline", Password: "another"})
		if err := sendTest(smtpConfig(t, srv, login)); err == nil || !strings.Contains(err.Error(), "auth") {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestPlainAuthBeyondLoopback: over a connection without TLS to another
// machine the password is never sent.
func TestPlainAuthBeyondLoopback(t *testing.T) {
	a := &plainAuth{user: "u", password: "p", allowed: false}
	if _, _, err := a.Start(&smtp.ServerInfo{Name: "mail.example.org", TLS: false, Auth: []string{"PLAIN"}}); !errors.Is(err, ErrPlainAuth) {
		t.Fatalf("err = %v, want ErrPlainAuth", err)
	}
	proto, resp, err := a.Start(&smtp.ServerInfo{Name: "mail.example.org", TLS: true})
	if err != nil || proto != "PLAIN" || string(resp) != "\x00u\x00p" {
		t.Fatalf("over TLS: %q %q %v", proto, resp, err)
	}
}

// TestConfigTest: hotline escalation test reaches every channel of every
// step and reports each.
func TestConfigTest(t *testing.T) {
	r := newRig(t, chain)
	r.mail.FailNext(1) // the first mail fails: its result says so
	results := r.cfg.Test(context.Background(), "seoul", t0)
	var got []string
	for _, res := range results {
		s := fmt.Sprintf("%d %s %s", res.Step, res.Channel, res.To)
		if res.Err != nil {
			s += " failed"
		}
		got = append(got, s)
	}
	hook := r.hooks.URL
	want := []string{"0 console ", "0 email duty@mnd.example failed", "0 webhook " + hook + "/duty", "1 email deputy@mnd.example",
		"2 console ", "2 email chief@mnd.example", "2 webhook " + hook + "/chief"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("results:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if h := r.hooks.Received(); len(h) != 2 || h[0].Event != EventTest || !h[0].SignatureOK || h[0].Notice["step_name"] != "duty" {
		t.Fatalf("test webhooks: %+v", h)
	}
	if m := r.mail.Mails(); len(m) != 2 || !strings.Contains(string(m[0].Data), "This is a test") {
		t.Fatalf("test mails: %d", len(m))
	}
}

func TestSignVerify(t *testing.T) {
	key, body := []byte("k"), []byte(`{"event":"alert"}`)
	sig := Sign(key, body)
	if !strings.HasPrefix(sig, "sha256=") || len(sig) != 7+64 || !Verify(key, body, sig) {
		t.Fatalf("sig %q", sig)
	}
	if Verify(key, []byte(`{"event":"resolved"}`), sig) || Verify([]byte("other"), body, sig) {
		t.Fatal("verified a tampered notice")
	}
}
