package console

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/hotline-line/hotline/internal/officer"
)

type passwordRequest struct {
	Current string `json:"current"`
	New     string `json:"new"`
}

// changePassword is an officer changing its own password. Guessing the
// current password here is guessing a login, so it counts against the same
// limits, per client address and per name; a success ends the officer's
// other sessions and keeps this one.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, ss *officer.Session) {
	var req passwordRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 4*officer.MaxPassword))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || req.Current == "" {
		apiError(w, http.StatusBadRequest, "bad_request", "give the current and the new password")
		return
	}
	if err := officer.CheckPassword(req.New); err != nil {
		apiError(w, http.StatusBadRequest, "bad_password", err.Error())
		return
	}
	addr := clientAddr(r)
	answered, err := s.checkPassword(w, addr, ss.Officer, "wrong passwords", func() error {
		return s.off.ChangePassword(r.Context(), ss, req.Current, req.New)
	})
	if answered {
		return
	}
	if err != nil {
		s.log.Warn("wrong current password", "officer", ss.Officer, "client", addr)
		// Not 401: the session is fine, and the page logs out on a 401.
		apiError(w, http.StatusBadRequest, "wrong_password", "the current password is wrong")
		return
	}
	s.record(r, officer.Act{Officer: ss.Officer, Act: "password", Detail: addr})
	s.log.Info("password changed", "officer", ss.Officer, "client", addr)
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// tooMany answers 429 with Retry-After in whole seconds.
func tooMany(w http.ResponseWriter, wait time.Duration, what string) {
	secs := max(int(wait.Round(time.Second)/time.Second), 1)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	apiError(w, http.StatusTooManyRequests, "rate_limited", fmt.Sprintf("too many %s: try again in %d s", what, secs))
}
