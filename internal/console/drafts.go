package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/inert"
	"github.com/hotline-line/hotline/internal/officer"
	"github.com/hotline-line/hotline/internal/twoperson"
)

// Two-person release. Where the line's charter puts a precedence under
// two-person release, compose saves a draft instead of sending; a
// releaser, who must be another officer, releases it (the node then
// writes the message, signed with both names) or rejects it. The rules
// live in twoperson.Desk, which the hotline command uses too; these
// handlers only speak HTTP.

// draftView is a draft as the console shows it. The text is our own
// officer's, but a releaser must see exactly what it releases, so
// invisible characters are made visible as in messages.
type draftView struct {
	officer.Draft
	TextVisible string `json:"text_visible"`
	Mine        bool   `json:"mine"` // drafted by the officer asking, by the rule that refuses its release
}

func viewDraft(d officer.Draft, ss *officer.Session) draftView {
	d.Lang, d.Reason = inert.Text(d.Lang), inert.Text(d.Reason)
	return draftView{Draft: d, TextVisible: inert.Text(d.Text), Mine: entry.SameOfficer(d.Drafter, ss.Officer)}
}

// saveDraft is compose under two-person release: the message waits as a
// draft. Answer 202.
func (s *Server) saveDraft(w http.ResponseWriter, r *http.Request, ss *officer.Session, line string, p entry.Precedence, body entry.Message) {
	d, err := s.desk.Save(r.Context(), officer.Draft{Line: line, Precedence: string(p), Lang: body.Lang,
		Text: body.Text, ReplyTo: body.ReplyTo, Drafter: ss.Officer})
	if err != nil {
		s.internalError(w, err)
		return
	}
	v := viewDraft(*d, ss)
	writeJSON(w, http.StatusAccepted, composeResponse{Line: line, Officer: ss.Officer, Draft: &v})
}

// drafts lists a line's drafts: every officer's for releasers and
// administrators, one's own for a drafter.
func (s *Server) drafts(w http.ResponseWriter, r *http.Request, ss *officer.Session) {
	line := r.PathValue("line")
	if _, err := s.charterOf(line); err != nil {
		s.nodeError(w, err)
		return
	}
	limit, ok := limitOf(r)
	if !ok {
		apiError(w, http.StatusBadRequest, "bad_limit", "limit must be 1 to 500")
		return
	}
	state, err := officer.ParseDraftState(r.URL.Query().Get("state"))
	if err != nil {
		apiError(w, http.StatusBadRequest, "bad_state", "state is pending, releasing, released, rejected or all")
		return
	}
	q := officer.DraftQuery{Line: line, State: state, Limit: limit}
	if ss.Role == officer.Drafter {
		q.Drafter = ss.Officer
	}
	list, err := s.desk.Drafts(r.Context(), q)
	if err != nil {
		s.internalError(w, err)
		return
	}
	out := make([]draftView, 0, len(list))
	for _, d := range list {
		out = append(out, viewDraft(d, ss))
	}
	writeJSON(w, http.StatusOK, out)
}

type releaseResponse struct {
	Message string    `json:"message"` // the ID of the message written
	Draft   draftView `json:"draft"`
}

// release writes a draft's message with the drafter's and the releaser's
// names, at most once however many releasers click at the same moment
// (see twoperson.Desk.Release).
func (s *Server) release(w http.ResponseWriter, r *http.Request, ss *officer.Session) {
	id, ok := draftID(w, r)
	if !ok {
		return
	}
	rel, err := s.desk.Release(r.Context(), r.PathValue("line"), id, ss.Officer)
	if err != nil {
		s.draftError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, releaseResponse{Message: rel.Message, Draft: viewDraft(rel.Draft, ss)})
}

type rejectRequest struct {
	Reason string `json:"reason"`
}

// reject decides a draft against sending, with a reason its drafter sees.
func (s *Server) reject(w http.ResponseWriter, r *http.Request, ss *officer.Session) {
	id, ok := draftID(w, r)
	if !ok {
		return
	}
	var req rejectRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 4*officer.MaxReason))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || req.Reason == "" || len(req.Reason) > officer.MaxReason {
		apiError(w, http.StatusBadRequest, "bad_reason", fmt.Sprintf("give a reason of 1 to %d bytes", officer.MaxReason))
		return
	}
	d, err := s.desk.Reject(r.Context(), r.PathValue("line"), id, ss.Officer, req.Reason)
	if err != nil {
		s.draftError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, viewDraft(*d, ss))
}

func draftID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("draft"), 10, 64)
	if err != nil || id < 1 {
		apiError(w, http.StatusBadRequest, "bad_draft", "a draft ID is a positive number")
		return 0, false
	}
	return id, true
}

// draftError answers with the status that fits an error of a draft.
func (s *Server) draftError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, officer.ErrNoDraft):
		apiError(w, http.StatusNotFound, "no_draft", err.Error())
	case errors.Is(err, officer.ErrOwnDraft):
		apiError(w, http.StatusForbidden, "own_draft", "you drafted this message: another officer must release it")
	case errors.Is(err, officer.ErrDecided):
		apiError(w, http.StatusConflict, "decided", err.Error())
	case errors.Is(err, officer.ErrNoOfficer) || errors.Is(err, twoperson.ErrNotReleaser):
		// The session's account was removed or its role changed since the
		// guard looked.
		apiError(w, http.StatusForbidden, "role", err.Error())
	default:
		s.nodeError(w, err)
	}
}
