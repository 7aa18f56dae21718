package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/inert"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/officer"
)

// Two-person release. Where the line's charter puts a precedence under
// two-person release, compose saves a draft (officers.db) instead of
// sending; a releaser, who must be another officer, releases it (the node
// then writes the message, signed with both names) or rejects it.

// draftView is a draft as the console shows it. The text is our own
// officer's, but a releaser must see exactly what it releases, so
// invisible characters are made visible as in messages.
type draftView struct {
	officer.Draft
	TextVisible string `json:"text_visible"`
	Mine        bool   `json:"mine"` // drafted by the officer asking
}

func viewDraft(d officer.Draft, ss *officer.Session) draftView {
	d.Lang, d.Reason = inert.Text(d.Lang), inert.Text(d.Reason)
	return draftView{Draft: d, TextVisible: inert.Text(d.Text), Mine: d.Drafter == ss.Officer}
}

// saveDraft is compose under two-person release: the message waits as a
// draft. Answer 202.
func (s *Server) saveDraft(w http.ResponseWriter, r *http.Request, ss *officer.Session, line string, p entry.Precedence, body entry.Message) {
	d, err := s.off.AddDraft(r.Context(), officer.Draft{Line: line, Precedence: string(p), Lang: body.Lang,
		Text: body.Text, ReplyTo: body.ReplyTo, Drafter: ss.Officer})
	if err != nil {
		s.internalError(w, err)
		return
	}
	s.draftsChanged.Notify()
	s.record(r, officer.Act{Officer: ss.Officer, Act: "draft", Line: line, Detail: fmt.Sprintf("draft %d %s", d.ID, p)})
	s.log.Info("draft saved for release", "officer", ss.Officer, "line", line, "draft", d.ID, "precedence", p)
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
	q := officer.DraftQuery{Line: line, State: officer.DraftState(r.URL.Query().Get("state")), Limit: limit}
	switch q.State {
	case "":
		q.State = officer.DraftPending
	case "all":
		q.State = ""
	case officer.DraftPending, officer.DraftReleasing, officer.DraftReleased, officer.DraftRejected:
	default:
		apiError(w, http.StatusBadRequest, "bad_state", "state is pending, releasing, released, rejected or all")
		return
	}
	if ss.Role == officer.Drafter {
		q.Drafter = ss.Officer
	}
	list, err := s.off.Drafts(r.Context(), q)
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
// names. The claim in officers.db makes it happen at most once, however
// many releasers click at the same moment.
func (s *Server) release(w http.ResponseWriter, r *http.Request, ss *officer.Session) {
	line := r.PathValue("line")
	id, ok := draftID(w, r)
	if !ok {
		return
	}
	// The node holds names that differ only in case or spaces for one
	// officer; the claim below compares them exactly, and atomically.
	d, err := s.off.Draft(r.Context(), line, id)
	if err == nil && sameOfficer(d.Drafter, ss.Officer) {
		err = officer.ErrOwnDraft
	}
	if err == nil {
		d, err = s.off.ClaimRelease(r.Context(), line, id, ss.Officer)
	}
	if err != nil {
		s.draftError(w, err, d)
		return
	}
	// From here the draft is ours to settle, whatever the client does.
	ctx := context.WithoutCancel(r.Context())
	msg, err := s.n.Send(r.Context(), node.SendRequest{Line: line, Precedence: entry.Precedence(d.Precedence), Lang: d.Lang,
		Text: d.Text, ReplyTo: d.ReplyTo, Officer: d.Drafter, ReleasedBy: ss.Officer, Key: releaseKey(d)})
	if err != nil {
		// node.Send fails only before it writes anything.
		if aerr := s.off.AbandonRelease(ctx, id); aerr != nil {
			s.log.Error("release failed and the draft could not be put back", "draft", id, "err", aerr)
		}
		s.draftsChanged.Notify()
		s.nodeError(w, err)
		return
	}
	if err := s.off.FinishRelease(ctx, id, msg); err != nil {
		// The message is written; the next start settles the draft.
		s.log.Error("released, but the draft was not marked", "draft", id, "message", msg, "err", err)
	}
	s.draftsChanged.Notify()
	s.record(r, officer.Act{Officer: ss.Officer, Act: "release", Line: line, Message: msg,
		Detail: fmt.Sprintf("draft %d by %s", id, d.Drafter)})
	s.log.Info("draft released", "officer", ss.Officer, "drafter", d.Drafter, "line", line, "draft", id, "message", msg)
	if d, err = s.off.Draft(ctx, line, id); err != nil {
		s.internalError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, releaseResponse{Message: msg, Draft: viewDraft(*d, ss)})
}

type rejectRequest struct {
	Reason string `json:"reason"`
}

// reject decides a draft against sending, with a reason its drafter sees.
func (s *Server) reject(w http.ResponseWriter, r *http.Request, ss *officer.Session) {
	line := r.PathValue("line")
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
	d, err := s.off.Reject(r.Context(), line, id, ss.Officer, req.Reason)
	if err != nil {
		s.draftError(w, err, d)
		return
	}
	s.draftsChanged.Notify()
	s.record(r, officer.Act{Officer: ss.Officer, Act: "reject", Line: line,
		Detail: fmt.Sprintf("draft %d by %s: %s", id, d.Drafter, req.Reason)})
	s.log.Info("draft rejected", "officer", ss.Officer, "drafter", d.Drafter, "line", line, "draft", id)
	writeJSON(w, http.StatusOK, viewDraft(*d, ss))
}

// sameOfficer reports whether two names are one officer's, as node.Send
// judges it: up to case and surrounding spaces.
func sameOfficer(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
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
func (s *Server) draftError(w http.ResponseWriter, err error, d *officer.Draft) {
	switch {
	case errors.Is(err, officer.ErrNoDraft):
		apiError(w, http.StatusNotFound, "no_draft", err.Error())
	case errors.Is(err, officer.ErrOwnDraft):
		apiError(w, http.StatusForbidden, "own_draft", "you drafted this message: another officer must release it")
	case errors.Is(err, officer.ErrDecided):
		who := ""
		if d != nil && d.DecidedBy != "" {
			who = " by " + d.DecidedBy
		}
		state := "decided"
		if d != nil {
			state = string(d.State)
		}
		apiError(w, http.StatusConflict, "decided", fmt.Sprintf("this draft was %s%s already", state, who))
	default:
		s.internalError(w, err)
	}
}

// settleReleases finishes the releases a crash interrupted: drafts left in
// releasing. If the node's log holds the message (same text, same two
// officers), the draft is released; if not, it is pending again. Only this
// process releases drafts of this node, and none is in flight yet.
func (s *Server) settleReleases(ctx context.Context) {
	left, err := s.off.Releasing(ctx)
	if err != nil {
		s.log.Error("settle interrupted releases", "err", err)
		return
	}
	for _, d := range left {
		msg, err := s.releasedAs(d)
		if err != nil {
			s.log.Error("settle interrupted release", "draft", d.ID, "err", err)
			continue
		}
		if msg != "" {
			err = s.off.FinishRelease(ctx, d.ID, msg)
		} else {
			err = s.off.AbandonRelease(ctx, d.ID)
		}
		if err != nil {
			s.log.Error("settle interrupted release", "draft", d.ID, "err", err)
			continue
		}
		s.log.Warn("settled an interrupted release", "draft", d.ID, "message", msg)
	}
}

// releasedAs finds the message a draft was released as among the line's
// latest outgoing messages; "" if none. The node was down since, so the
// message, if written, is among the last few.
func (s *Server) releasedAs(d officer.Draft) (string, error) {
	msgs, err := s.n.Messages(d.Line, true, 50)
	if errors.Is(err, node.ErrNoLine) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	for _, m := range msgs {
		if m.Officer == d.Drafter && m.ReleasedBy == d.DecidedBy && m.Text == d.Text && m.Lang == d.Lang &&
			string(m.Precedence) == d.Precedence && m.ReplyTo == d.ReplyTo {
			return m.ID, nil
		}
	}
	return "", nil
}

// releaseKey is the idempotency key of a draft's release: a release
// retried after the node lost its answer sends once. The creation time
// keeps it unique should officers.db ever start its numbering again.
func releaseKey(d *officer.Draft) string {
	return "draft-" + strconv.FormatInt(d.ID, 10) + "-" + strconv.FormatInt(d.Created.UnixMilli(), 10)
}
