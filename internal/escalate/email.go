package escalate

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"os"
	"time"
)

// SMTP is the mail server notices leave through.
type SMTP struct {
	Addr     string // host:port
	From     string
	Username string // "" sends without AUTH
	// PasswordFrom says where the password came from ("file /srv/...",
	// "environment variable ..."), for display; the password itself is
	// never shown.
	PasswordFrom string
	// TLS speaks TLS from the first byte (port 465). Without it the
	// connection is upgraded with STARTTLS whenever the server offers it.
	TLS bool
	// RequireTLS refuses to send anything over a connection without TLS.
	RequireTLS bool
	CAFile     string // a private CA to trust instead of the system's
	HELO       string // the name we give in EHLO; the machine's host name if ""
	Timeout    time.Duration

	host  string
	roots *x509.CertPool
	creds *credentials
}

// Errors of sending mail that call for a change of configuration.
var (
	// ErrNoTLS means require_tls (or a password) is set and the server
	// offered no STARTTLS: fix the server, or use tls: true on its TLS port.
	ErrNoTLS = errors.New("the mail server offers no TLS")
	// ErrPlainAuth means the password would cross the network in the
	// clear: hotline sends it only over TLS, or to this machine.
	ErrPlainAuth = errors.New("refusing to send the SMTP password over a connection without TLS")
)

// send delivers one message to the recipients.
func (s *SMTP) send(ctx context.Context, to []string, msg []byte) error {
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	tlsConf := &tls.Config{ServerName: s.host, RootCAs: s.roots, MinVersion: tls.VersionTLS12}
	dialer := &net.Dialer{}
	var conn net.Conn
	var err error
	if s.TLS {
		conn, err = (&tls.Dialer{NetDialer: dialer, Config: tlsConf}).DialContext(ctx, "tcp", s.Addr)
	} else {
		conn, err = dialer.DialContext(ctx, "tcp", s.Addr)
	}
	if err != nil {
		return err
	}
	// One deadline for the whole conversation, and an early end if the
	// engine shuts down.
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	loopback := isLoopback(conn.RemoteAddr())
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	helo := s.HELO
	if helo == "" {
		if h, err := os.Hostname(); err == nil && plain(h) && h != "" {
			helo = h
		} else {
			helo = "localhost"
		}
	}
	if err := c.Hello(helo); err != nil {
		return err
	}
	encrypted := s.TLS
	if !encrypted {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(tlsConf); err != nil {
				return fmt.Errorf("starttls: %w", err)
			}
			encrypted = true
		} else if s.RequireTLS {
			return ErrNoTLS
		}
	}
	if s.Username != "" {
		if !encrypted && !loopback {
			return fmt.Errorf("%w (to %s)", ErrPlainAuth, s.Addr)
		}
		if ok, _ := c.Extension("AUTH"); !ok {
			return errors.New("the mail server offers no AUTH: remove username, or fix the server")
		}
		if err := c.Auth(&plainAuth{user: s.Username, password: s.creds.password, allowed: encrypted || loopback}); err != nil {
			return fmt.Errorf("auth: %w", err)
		}
	}
	if err := c.Mail(s.From); err != nil {
		return err
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt); err != nil {
			return fmt.Errorf("recipient %s: %w", rcpt, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	// The server took the message when it answered the data: a failure
	// to say goodbye does not undo that, and must not send it again.
	c.Quit()
	return nil
}

// plainAuth is AUTH PLAIN with our own rule for when the password may be
// sent: net/smtp's PlainAuth judges "this machine" by the server's name,
// we judge it by the address actually connected to.
type plainAuth struct {
	user, password string
	allowed        bool
}

func (a *plainAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !a.allowed && !server.TLS {
		return "", nil, ErrPlainAuth
	}
	return "PLAIN", []byte("\x00" + a.user + "\x00" + a.password), nil
}

func (a *plainAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("unexpected server challenge")
	}
	return nil, nil
}

func isLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}
