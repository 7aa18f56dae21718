package console

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"time"

	"github.com/hotline-line/hotline/internal/inert"
	"github.com/hotline-line/hotline/internal/officer"
)

// Cookie names carry the party, so that the consoles of two parties on one
// machine (as in the demo) do not overwrite each other's cookies: browsers
// share cookies between the ports of one host. Over TLS they carry the
// __Host- prefix, which makes the browser refuse them unless Secure, on
// path / and bound to this host.
func (s *Server) cookieName(kind string) string {
	name := "hotline_" + kind + "_" + s.n.Me()
	if s.tls {
		name = "__Host-" + name
	}
	return name
}

func (s *Server) setCookie(w http.ResponseWriter, kind, value string, httpOnly bool, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName(kind), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: httpOnly, Secure: s.tls, SameSite: http.SameSiteStrictMode,
	})
}

func (s *Server) clearCookies(w http.ResponseWriter) {
	s.setCookie(w, "session", "", true, -1)
	s.setCookie(w, "csrf", "", false, -1)
}

// session returns the live session of the request's cookie.
func (s *Server) session(r *http.Request) (*officer.Session, error) {
	c, err := r.Cookie(s.cookieName("session"))
	if err != nil {
		return nil, officer.ErrNoSession
	}
	return s.off.Session(r.Context(), c.Value)
}

// csrfValid is the double-submit check, held to the session: the header
// must equal the CSRF cookie, and be the token issued with this session.
func (s *Server) csrfValid(r *http.Request, ss *officer.Session) bool {
	h := r.Header.Get("X-CSRF-Token")
	c, err := r.Cookie(s.cookieName("csrf"))
	return err == nil && h != "" && c.Value == h && ss.CSRFValid(h)
}

type loginRequest struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

type meResponse struct {
	Name       string    `json:"name"`
	Role       string    `json:"role"`
	Party      string    `json:"party"`
	Langs      []string  `json:"langs"`
	Lang       string    `json:"lang"`     // the language the officer reads the console in
	OwnLang    string    `json:"own_lang"` // the officer's own choice; "" is the party's default
	Expires    time.Time `json:"expires"`
	CSRFCookie string    `json:"csrf_cookie"` // the cookie the page reads its CSRF token from
	CSRF       string    `json:"csrf,omitempty"`
}

func (s *Server) meOf(ss *officer.Session) meResponse {
	return meResponse{Name: ss.Officer, Role: string(ss.Role), Party: s.n.Me(), Langs: s.n.Cfg.Langs,
		Lang: s.langOf(ss), OwnLang: ss.Lang,
		Expires: ss.Expires.UTC(), CSRFCookie: s.cookieName("csrf")}
}

// clientAddr is the address the limiter counts by: the peer's IP (a proxy
// in front would need its own limit), and for IPv6 its /64, which one
// client typically holds whole.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return host
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, _ *officer.Session) {
	// A JSON body: a form on another site cannot send one without a CORS
	// preflight, which this server does not answer.
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		apiError(w, http.StatusUnsupportedMediaType, "content_type", "send JSON")
		return
	}
	var req loginRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&req); err != nil || req.Name == "" || req.Password == "" {
		apiError(w, http.StatusBadRequest, "bad_request", "give a name and a password")
		return
	}
	addr := clientAddr(r)
	var o *officer.Officer
	answered, err := s.checkPassword(w, addr, req.Name, "failed logins", func() (err error) {
		o, err = s.off.Authenticate(r.Context(), req.Name, req.Password)
		return err
	})
	if answered {
		return
	}
	if err != nil {
		s.log.Warn("failed login", "name", inert.Text(req.Name), "client", addr)
		apiError(w, http.StatusUnauthorized, "bad_login", "wrong name or password")
		return
	}
	token, csrf, err := s.off.NewSession(r.Context(), o.Name)
	if err != nil {
		s.internalError(w, err)
		return
	}
	ss, err := s.off.Session(r.Context(), token)
	if err != nil {
		s.internalError(w, err)
		return
	}
	s.setCookie(w, "session", token, true, 0)
	s.setCookie(w, "csrf", csrf, false, 0)
	s.record(r, officer.Act{Officer: o.Name, Act: "login", Detail: addr})
	s.log.Info("login", "officer", o.Name, "role", o.Role, "client", addr)
	me := s.meOf(ss)
	me.CSRF = csrf
	writeJSON(w, http.StatusOK, me)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, ss *officer.Session) {
	if err := s.off.EndSession(r.Context(), ss); err != nil {
		s.internalError(w, err)
		return
	}
	s.clearCookies(w)
	s.record(r, officer.Act{Officer: ss.Officer, Act: "logout"})
	s.log.Info("logout", "officer", ss.Officer)
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, ss *officer.Session) {
	writeJSON(w, http.StatusOK, s.meOf(ss))
}

// record writes an officer's act; a failure is logged, as the act itself
// (on the node) has happened.
func (s *Server) record(r *http.Request, a officer.Act) {
	if err := s.off.Record(r.Context(), a); err != nil {
		s.log.Error("record act", "act", a.Act, "officer", a.Officer, "err", err)
	}
}

func (s *Server) internalError(w http.ResponseWriter, err error) {
	s.log.Error("console", "err", err)
	apiError(w, http.StatusInternalServerError, "internal", "internal error: see the node's log")
}

// unlockedAt asks the officers database when an administrator last lifted
// a login lock on key; an error counts as never, and is logged.
func (s *Server) unlockedAt(key string) time.Time {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	at, err := s.off.UnlockedAt(ctx, key)
	if err != nil {
		s.log.Error("read login unlocks", "err", err)
	}
	return at
}

// checkPassword runs check, a password check for name from addr, under the
// login limits (what names the failures in a refusal). It answers the
// request itself, and says so, when the limits refuse the attempt, when
// the node's hashing budget is spent, or on an internal error; otherwise
// it returns check's verdict: nil, or officer.ErrBadLogin.
func (s *Server) checkPassword(w http.ResponseWriter, addr, name, what string, check func() error) (answered bool, err error) {
	at, wait := s.limiter.begin(addr, name)
	if at == nil {
		tooMany(w, wait, what)
		return true, nil
	}
	err = check()
	at.end(outcomeOf(err))
	switch {
	case err == nil, errors.Is(err, officer.ErrBadLogin):
		return false, err
	case errors.Is(err, officer.ErrBusy):
		w.Header().Set("Retry-After", "5")
		apiError(w, http.StatusServiceUnavailable, "busy", err.Error())
	default:
		s.internalError(w, err)
	}
	return true, err
}
