package serve

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/hotline-line/hotline/internal/console"
	"github.com/hotline-line/hotline/internal/peerlimit"
)

type consoleOptions struct {
	addr              string
	certFile, keyFile string
}

// Console serves the officers' web console on addr (host:port; port 0
// picks a free one). Over plain HTTP addr must be a loopback address:
// anything else needs ConsoleTLS.
func Console(addr string) Option { return func(o *options) { o.console.addr = addr } }

// ConsoleTLS serves the console over TLS with the certificate and key in
// these PEM files.
func ConsoleTLS(certFile, keyFile string) Option {
	return func(o *options) { o.console.certFile, o.console.keyFile = certFile, keyFile }
}

// ErrConsoleNotLoopback means the console was asked to listen beyond this
// machine without TLS: give it a certificate (--console-cert and
// --console-key) or listen on 127.0.0.1.
var ErrConsoleNotLoopback = errors.New("console: serving beyond loopback needs TLS")

type consoleServer struct {
	http   *http.Server
	cancel context.CancelFunc // ends the event streams, which never go idle
}

func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s *Server) startConsole(log *slog.Logger, o consoleOptions) error {
	if o.addr == "" {
		return nil
	}
	useTLS := o.certFile != "" || o.keyFile != ""
	if !useTLS && !loopback(o.addr) {
		return fmt.Errorf("%w (%s)", ErrConsoleNotLoopback, o.addr)
	}
	var tlsConf *tls.Config
	if useTLS {
		cert, err := tls.LoadX509KeyPair(o.certFile, o.keyFile)
		if err != nil {
			return fmt.Errorf("console: certificate: %w", err)
		}
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}}
	}
	accounts, err := s.officers.List(context.Background())
	if err != nil {
		return fmt.Errorf("console: officers: %w", err)
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("console: listen on %s: %w", o.addr, err)
	}
	// Anyone who can reach the port can open connections before logging
	// in: they get a sixteenth of the descriptors at most, and a TLS
	// handshake is done under a deadline.
	errlog := slog.NewLogLogger(log.Handler(), slog.LevelDebug)
	pl := peerlimit.Listen(ln, tlsConf, peerlimit.Config{MaxConns: peerlimit.Budget(16), ErrorLog: errlog})
	ctx, cancel := context.WithCancel(context.Background())
	c := &consoleServer{cancel: cancel}
	c.http = &http.Server{
		Handler:           console.New(s.Node, console.Config{Officers: s.officers, Logger: log, TLS: useTLS, Alerts: s.Alerts, Drafts: s.desk}),
		TLSConfig:         tlsConf,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ConnState:         pl.ConnState,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ErrorLog:          errlog,
	}
	scheme := "http"
	if useTLS {
		scheme = "https"
	}
	go c.http.Serve(pl)
	s.console = c
	s.ConsoleURL = scheme + "://" + ln.Addr().String() + "/"
	s.ConsoleOfficers = len(accounts)
	log.Info("console", "url", s.ConsoleURL)
	return nil
}

func (s *Server) closeConsole(ctx context.Context) error {
	if s.console == nil {
		return nil
	}
	s.console.cancel()
	return shutdown(ctx, s.console.http)
}
