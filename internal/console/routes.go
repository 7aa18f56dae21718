package console

import (
	"net/http"
	"slices"
	"time"

	"github.com/hotline-line/hotline/internal/officer"
	"github.com/hotline-line/hotline/internal/twoperson"
)

// A route of the JSON API. Every API route is in [routes] and nowhere
// else, so the checks in [Server.guard] cover all of them and a test can
// enumerate them.
type route struct {
	Method  string
	Pattern string
	// Roles may call the route. Nil means the route is public: it needs no
	// session (only the login).
	Roles []officer.Role
	// CSRF: the route changes state, so it needs the session's CSRF token
	// in the X-CSRF-Token header (and the same value in the CSRF cookie).
	CSRF bool
	// Stream: a long-lived response (Server-Sent Events) with no write
	// deadline.
	Stream bool
	handle func(s *Server, w http.ResponseWriter, r *http.Request, ss *officer.Session)
}

var (
	everyone  = officer.Roles
	ackers    = []officer.Role{officer.Watch, officer.Admin}
	composers = []officer.Role{officer.Drafter, officer.Admin}
	releasers = twoperson.Releasers
	// Drafts are seen by those who write them (a drafter sees its own)
	// and those who release them.
	draftReaders = []officer.Role{officer.Drafter, officer.Releaser, officer.Admin}
)

// routes is the API. Reading is open to every officer, and no GET writes:
// the page records that a received message was shown with a POST of its
// own, once the message is on screen. So every GET is free of the CSRF
// token and every other route needs it.
var routes = []route{
	{Method: "POST", Pattern: "/api/login", handle: (*Server).login},
	{Method: "POST", Pattern: "/api/logout", Roles: everyone, CSRF: true, handle: (*Server).logout},
	{Method: "GET", Pattern: "/api/me", Roles: everyone, handle: (*Server).me},
	{Method: "GET", Pattern: "/api/lines", Roles: everyone, handle: (*Server).lines},
	{Method: "GET", Pattern: "/api/lines/{line}/status", Roles: everyone, handle: (*Server).status},
	{Method: "GET", Pattern: "/api/lines/{line}/inbox", Roles: everyone, handle: (*Server).inbox},
	{Method: "GET", Pattern: "/api/lines/{line}/outbox", Roles: everyone, handle: (*Server).outbox},
	{Method: "GET", Pattern: "/api/lines/{line}/messages/{id}", Roles: everyone, handle: (*Server).message},
	{Method: "POST", Pattern: "/api/lines/{line}/messages/{id}/displayed", Roles: everyone, CSRF: true, handle: (*Server).markDisplayed},
	{Method: "POST", Pattern: "/api/lines/{line}/messages/{id}/ack", Roles: ackers, CSRF: true, handle: (*Server).ack},
	{Method: "POST", Pattern: "/api/lines/{line}/messages", Roles: composers, CSRF: true, handle: (*Server).compose},
	{Method: "POST", Pattern: "/api/lines/{line}/messages/{id}/reply", Roles: repliers, CSRF: true, handle: (*Server).reply},
	{Method: "GET", Pattern: "/api/lines/{line}/drafts", Roles: draftReaders, handle: (*Server).drafts},
	{Method: "POST", Pattern: "/api/lines/{line}/drafts/{draft}/release", Roles: releasers, CSRF: true, handle: (*Server).release},
	{Method: "POST", Pattern: "/api/lines/{line}/drafts/{draft}/reject", Roles: releasers, CSRF: true, handle: (*Server).reject},
	{Method: "GET", Pattern: "/api/lines/{line}/charter", Roles: everyone, handle: (*Server).charterChain},
	{Method: "GET", Pattern: "/api/lines/{line}/transcript", Roles: everyone, handle: (*Server).transcriptProof},
	{Method: "POST", Pattern: "/api/lines/{line}/rollcall", Roles: ackers, CSRF: true, handle: (*Server).rollCall},
	{Method: "GET", Pattern: "/api/lines/{line}/templates", Roles: everyone, handle: (*Server).templates},
	{Method: "POST", Pattern: "/api/lines/{line}/messages/{id}/translations", Roles: translators, CSRF: true, handle: (*Server).translate},
	{Method: "GET", Pattern: "/api/lines/{line}/agenda", Roles: everyone, handle: (*Server).agendaList},
	{Method: "POST", Pattern: "/api/lines/{line}/agenda", Roles: agendaWriters, CSRF: true, handle: (*Server).agendaStep},
	{Method: "GET", Pattern: "/api/alerts", Roles: everyone, handle: (*Server).alertList},
	{Method: "POST", Pattern: "/api/alerts/{id}/silence", Roles: ackers, CSRF: true, handle: (*Server).silence},
	{Method: "POST", Pattern: "/api/me/password", Roles: everyone, CSRF: true, handle: (*Server).changePassword},
	{Method: "POST", Pattern: "/api/me/lang", Roles: everyone, CSRF: true, handle: (*Server).setLang},
	{Method: "GET", Pattern: "/api/catalog", handle: (*Server).catalog},
	{Method: "GET", Pattern: "/api/party", handle: (*Server).party},
	{Method: "GET", Pattern: "/api/events", Roles: everyone, Stream: true, handle: (*Server).events},
}

// apiMux registers every route behind its guard.
func (s *Server) apiMux() *http.ServeMux {
	mux := http.NewServeMux()
	for _, rt := range routes {
		mux.Handle(rt.Method+" "+rt.Pattern, s.guard(rt))
	}
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		apiError(w, http.StatusNotFound, "not_found", "no such API route")
	})
	return mux
}

// guard checks, in order: the request comes from our own origin; a live
// session (401); the officer's role (403); the CSRF token (403). Then it
// runs the route.
func (s *Server) guard(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !rt.Stream {
			// Ordinary answers are small: a client that cannot take one in
			// this time is stuck, and must not hold a connection.
			http.NewResponseController(w).SetWriteDeadline(time.Now().Add(30 * time.Second))
		}
		if !sameOrigin(r) {
			apiError(w, http.StatusForbidden, "cross_origin", "request from another origin refused")
			return
		}
		if rt.Roles == nil {
			rt.handle(s, w, r, nil)
			return
		}
		ss, err := s.session(r)
		if err != nil {
			s.clearCookies(w)
			apiError(w, http.StatusUnauthorized, "no_session", "log in first")
			return
		}
		if !slices.Contains(rt.Roles, ss.Role) {
			apiError(w, http.StatusForbidden, "role", "your role ("+string(ss.Role)+") may not do this")
			return
		}
		if rt.CSRF && !s.csrfValid(r, ss) {
			apiError(w, http.StatusForbidden, "csrf", "missing or wrong CSRF token: reload the console")
			return
		}
		rt.handle(s, w, r, ss)
	})
}

// sameOrigin refuses requests that a browser marks as coming from another
// site or origin. (Browsers send Sec-Fetch-Site and, on POST, Origin; a
// client that sends neither is not a browser and has no cookies to abuse.)
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false
	}
	if o := r.Header.Get("Origin"); o != "" {
		scheme := "http://"
		if r.TLS != nil {
			scheme = "https://"
		}
		return o == scheme+r.Host
	}
	return true
}
