package escalate

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"os"
	"strings"
	"time"
	"unicode"
)

// validate checks the file's fields and builds the chain, reading the
// files it names.
func (f *fileConfig) validate(dir string) (*Config, error) {
	c := &Config{Repeat: f.Repeat}
	if len(f.Steps) == 0 {
		return nil, fieldErr("steps", "want at least one step")
	}
	if len(f.Steps) > MaxSteps {
		return nil, fieldErr("steps", "at most %d steps, not %d", MaxSteps, len(f.Steps))
	}
	names := map[string]bool{}
	emails, hooks := false, false
	for i, fs := range f.Steps {
		at := fmt.Sprintf("steps[%d]", i)
		s := Step{Name: fs.Name, Console: fs.Console}
		if err := checkName(fs.Name); err != nil {
			return nil, fieldErr(at+".name", "%v", err)
		}
		if names[fs.Name] {
			return nil, fieldErr(at+".name", "%q names another step too", fs.Name)
		}
		names[fs.Name] = true
		var err error
		if s.Email, err = checkEmails(at+".email", fs.Email); err != nil {
			return nil, err
		}
		if s.Webhook, err = checkURLs(at+".webhook", fs.Webhook); err != nil {
			return nil, err
		}
		if !s.Console && len(s.Email) == 0 && len(s.Webhook) == 0 {
			return nil, fieldErr(at, "the step notifies nobody: give it console, email or webhook")
		}
		emails = emails || len(s.Email) > 0
		hooks = hooks || len(s.Webhook) > 0
		last := i == len(f.Steps)-1
		switch {
		case last && !f.Repeat && fs.Wait != "":
			return nil, fieldErr(at+".wait", "the last step waits for nothing unless repeat is true: remove wait, or set repeat")
		case last && !f.Repeat:
		case fs.Wait == "":
			return nil, fieldErr(at+".wait", "missing: how long to wait before the next step, such as \"5m\"")
		default:
			if s.Wait, err = parseDuration(fs.Wait, MinWait, MaxWait); err != nil {
				return nil, fieldErr(at+".wait", "%v", err)
			}
		}
		c.Steps = append(c.Steps, s)
	}
	if f.SMTP != nil {
		smtp, err := f.SMTP.validate(dir)
		if err != nil {
			return nil, err
		}
		c.SMTP = smtp
	} else if emails {
		return nil, fieldErr("smtp", "missing: a step sends email, so the chain needs an SMTP server")
	}
	wh := f.Webhook
	if wh == nil {
		wh = &fileWebhook{}
	}
	var err error
	if c.Webhook, err = wh.validate(dir, hooks); err != nil {
		return nil, err
	}
	return c, nil
}

func (f *fileSMTP) validate(dir string) (*SMTP, error) {
	s := &SMTP{Addr: f.Addr, Username: f.Username, TLS: f.TLS, RequireTLS: f.RequireTLS || f.TLS, HELO: f.HELO}
	if f.Password != nil {
		return nil, fieldErr("smtp.password", "%w: put the password in a file of mode 0600 and name it in password_file, or name an environment variable in password_env", ErrSecretInConfig)
	}
	host, port, err := net.SplitHostPort(f.Addr)
	if err != nil || host == "" || port == "" {
		return nil, fieldErr("smtp.addr", "want host:port, such as mail.example.org:587, not %q", f.Addr)
	}
	s.host = host
	from, err := mail.ParseAddress(f.From)
	if err != nil || !plain(f.From) {
		return nil, fieldErr("smtp.from", "want an address such as hotline@example.org, not %q", f.From)
	}
	s.From = from.Address
	switch {
	case f.Username == "" && (f.PasswordFile != "" || f.PasswordEnv != ""):
		return nil, fieldErr("smtp.username", "missing: a password is named but no username")
	case f.Username != "" && !plain(f.Username):
		return nil, fieldErr("smtp.username", "must be printable text")
	case f.Username != "" && (f.PasswordFile == "") == (f.PasswordEnv == ""):
		return nil, fieldErr("smtp", "with a username, name exactly one of password_file and password_env")
	case f.PasswordFile != "":
		pw, err := readSecret(dir, f.PasswordFile)
		if err != nil {
			return nil, fieldErr("smtp.password_file", "%v", err)
		}
		s.PasswordFrom = "file " + resolve(dir, f.PasswordFile)
		s.creds = &credentials{password: string(pw)}
	case f.PasswordEnv != "":
		pw := strings.TrimRight(os.Getenv(f.PasswordEnv), "\r\n")
		if pw == "" {
			return nil, fieldErr("smtp.password_env", "the environment variable %s is empty or not set", f.PasswordEnv)
		}
		s.PasswordFrom = "environment variable " + f.PasswordEnv
		s.creds = &credentials{password: pw}
	}
	if f.HELO != "" && (!plain(f.HELO) || strings.ContainsAny(f.HELO, " <>")) {
		return nil, fieldErr("smtp.helo", "want a host name, not %q", f.HELO)
	}
	if s.roots, err = readCAs(dir, f.CAFile); err != nil {
		return nil, fieldErr("smtp.ca_file", "%v", err)
	}
	s.CAFile = resolve(dir, f.CAFile)
	if s.Timeout, err = optDuration(f.Timeout, 30*time.Second); err != nil {
		return nil, fieldErr("smtp.timeout", "%v", err)
	}
	return s, nil
}

func (f *fileWebhook) validate(dir string, used bool) (Webhook, error) {
	w := Webhook{}
	if f.Secret != nil {
		return w, fieldErr("webhook.secret", "%w: put the secret in a file of mode 0600 and name it in secret_file", ErrSecretInConfig)
	}
	switch {
	case f.SecretFile == "" && used:
		return w, fieldErr("webhook.secret_file", "missing: webhooks are signed, so that their receivers can tell our notices from forgeries; name a file of mode 0600 holding at least 16 random bytes")
	case f.SecretFile != "":
		secret, err := readSecret(dir, f.SecretFile)
		if err != nil {
			return w, fieldErr("webhook.secret_file", "%v", err)
		}
		if len(secret) < 16 {
			return w, fieldErr("webhook.secret_file", "the secret is %d bytes: want at least 16", len(secret))
		}
		w.SecretFile = resolve(dir, f.SecretFile)
		w.secret = &signingKey{key: secret}
	}
	roots, err := readCAs(dir, f.CAFile)
	if err != nil {
		return w, fieldErr("webhook.ca_file", "%v", err)
	}
	w.CAFile = resolve(dir, f.CAFile)
	if w.Timeout, err = optDuration(f.Timeout, 10*time.Second); err != nil {
		return w, fieldErr("webhook.timeout", "%v", err)
	}
	w.client = newHTTPClient(roots, w.Timeout)
	return w, nil
}

// checkName keeps step names short and printable: they appear in mail
// subjects, logs and the console.
func checkName(name string) error {
	if name == "" || len(name) > 40 {
		return fmt.Errorf("want 1 to 40 characters, not %d", len(name))
	}
	for _, r := range name {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(" -_.", r)) {
			return fmt.Errorf("%q: use letters, digits, spaces, '-', '_' and '.'", name)
		}
	}
	return nil
}

func checkEmails(field string, in []string) ([]string, error) {
	if len(in) > maxTargets {
		return nil, fieldErr(field, "at most %d addresses", maxTargets)
	}
	var out []string
	for i, a := range in {
		addr, err := mail.ParseAddress(a)
		if err != nil || !plain(a) {
			return nil, fieldErr(fmt.Sprintf("%s[%d]", field, i), "want an address such as duty@example.org, not %q", a)
		}
		for _, seen := range out {
			if strings.EqualFold(seen, addr.Address) {
				return nil, fieldErr(fmt.Sprintf("%s[%d]", field, i), "%s is listed twice", addr.Address)
			}
		}
		out = append(out, addr.Address)
	}
	return out, nil
}

func checkURLs(field string, in []string) ([]string, error) {
	if len(in) > maxTargets {
		return nil, fieldErr(field, "at most %d URLs", maxTargets)
	}
	var out []string
	for i, s := range in {
		at := fmt.Sprintf("%s[%d]", field, i)
		u, err := url.Parse(s)
		if err != nil || u.Host == "" || !plain(s) {
			return nil, fieldErr(at, "want a URL such as https://pager.example.org/hotline, not %q", s)
		}
		if u.User != nil {
			return nil, fieldErr(at, "%w: no user or password in the URL", ErrSecretInConfig)
		}
		switch {
		case u.Scheme == "https":
		case u.Scheme == "http" && loopbackHost(u.Hostname()):
		default:
			return nil, fieldErr(at, "want https (plain http only to this machine), not %q", u.Scheme)
		}
		if u.Fragment != "" {
			return nil, fieldErr(at, "a webhook URL has no #fragment")
		}
		if contains(out, s) {
			return nil, fieldErr(at, "%s is listed twice", s)
		}
		out = append(out, s)
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// plain reports whether s is printable text with no control characters:
// what ends up in a mail header must not carry a line break.
func plain(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || !unicode.IsPrint(r) && r != ' ' {
			return false
		}
	}
	return true
}

func parseDuration(s string, lo, hi time.Duration) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration: write it like 30s, 5m or 1h30m", s)
	}
	if d < lo || d > hi {
		return 0, fmt.Errorf("%s is out of range: want %s to %s", d, lo, hi)
	}
	return d, nil
}

func optDuration(s string, def time.Duration) (time.Duration, error) {
	if s == "" {
		return def, nil
	}
	return parseDuration(s, time.Second, 5*time.Minute)
}

// loopbackHost reports whether host names this machine.
func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
