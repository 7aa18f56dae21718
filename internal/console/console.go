// Package console serves the watch officer's web console: a few static
// pages (embedded HTML, CSS and JavaScript, no build step, nothing loaded
// from elsewhere) and the JSON API they use, on a listener of its own.
//
// # Security
//
// Browser pages and the API are on separate muxes. Every API route is in
// one table ([routes]) and goes through one guard: a live session (a random
// token in an HttpOnly, SameSite=Strict cookie, stored hashed by
// [officer.Store]), the officer's role, and for every route that changes
// state a CSRF token sent in the X-CSRF-Token header that must match both
// the CSRF cookie and the session. Logins are rate limited per client
// address and per name, with a lockout that doubles. Every response carries
// a strict Content-Security-Policy (no inline script, no eval, no
// framing), nosniff and no-referrer. Over plain HTTP the console answers
// only to an IP address or localhost in the Host header, which defeats DNS
// rebinding.
//
// Message text comes from another organization and is hostile input: the
// API sends it as text_visible, with the invisible and control characters
// made visible by [inert.Text], and the pages put it in the document only
// through textContent.
//
// # Two-person release and proof
//
// Where a line's charter puts a precedence under two-person release,
// compose saves a draft in officers.db, and a second officer releases it
// (drafts.go, through twoperson.Desk). The proof page exports the line's transcript in-process and
// verifies it as `hotline verify` does, entry by entry (proof.go,
// proofcheck.go).
//
// See docs/api.md for the API.
package console

import (
	"context"
	"embed"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/officer"
	"github.com/hotline-line/hotline/internal/twoperson"
)

//go:embed assets
var assets embed.FS

// Config is what a console needs besides its node.
type Config struct {
	Officers *officer.Store // accounts and sessions
	Logger   *slog.Logger
	// TLS is true when the console is served over TLS: cookies are then
	// Secure and carry the __Host- prefix.
	TLS bool
	Now func() time.Time // the clock of the login limiter; time.Now if nil
	// Alerts is the node's escalation engine; nil shows no alerts.
	Alerts Alerts
	// Drafts is the node's two-person release desk, shared with the
	// control socket; nil opens one for the console alone.
	Drafts *twoperson.Desk
}

// Server is the console of one node. It is an http.Handler.
type Server struct {
	n       *node.Node
	off     *officer.Store
	log     *slog.Logger
	tls     bool
	limiter *limiter
	handler http.Handler

	alerts Alerts          // nil: no escalation engine
	desk   *twoperson.Desk // drafts, release and rejection
	proof  chan struct{}   // one transcript verification at a time
}

// New returns the console of node n.
func New(n *node.Node, cfg Config) *Server {
	s := &Server{n: n, off: cfg.Officers, log: cfg.Logger, tls: cfg.TLS,
		proof: make(chan struct{}, 1), alerts: cfg.Alerts, desk: cfg.Drafts}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", "console")
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	s.limiter = newLimiter(now, s.unlockedAt)
	if s.desk == nil {
		s.desk = twoperson.Open(context.Background(), n, cfg.Officers, s.log)
	}
	api := s.apiMux()
	pages := pageMux()
	s.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setHeaders(w, s.tls)
		if !s.tls && !plainHost(r.Host) {
			http.Error(w, "use the console's IP address or localhost", http.StatusMisdirectedRequest)
			return
		}
		if r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/") {
			w.Header().Set("Cache-Control", "no-store")
			api.ServeHTTP(w, r)
			return
		}
		pages.ServeHTTP(w, r)
	})
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// csp allows this origin's own scripts, styles and connections, and
// nothing inline, evaluated, framed or embedded.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"font-src 'self'; media-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func setHeaders(w http.ResponseWriter, tls bool) {
	h := w.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
	if tls {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
}

// plainHost reports whether host (from the Host header) is an IP address or
// localhost. A DNS-rebinding page reaches the console under its own domain
// name, so refusing names refuses it.
func plainHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return host == "localhost" || net.ParseIP(host) != nil
}

// pageMux serves the pages: the one HTML page at / and its static files.
func pageMux() *http.ServeMux {
	static, _ := fs.Sub(assets, "assets")
	files := http.FileServerFS(static)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeFileFS(w, r, static, "index.html")
	})
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") || r.URL.Path == "index.html" {
			http.NotFound(w, r) // no directory listings
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})))
	return mux
}

// apiError writes a JSON error: {"error": msg, "code": code}.
func apiError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"error": msg, "code": code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
