package console

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/officer"
)

// maxMessageBody bounds the JSON of a compose or a reply: a text of
// entry.MaxTextSize bytes, each written as a six-byte \u00XX escape in
// the worst case, and room for the other fields. A longer body cannot
// hold a text the node would take.
const maxMessageBody = 6*entry.MaxTextSize + 4<<10

// decodeMessageRequest reads the JSON body of a compose or a reply into
// v, answering 413 for a body too large to hold an acceptable text and
// 400 for bad JSON. It reports whether v was read.
func decodeMessageRequest(w http.ResponseWriter, r *http.Request, v any) bool {
	body := r.Body
	dec := json.NewDecoder(http.MaxBytesReader(w, body, maxMessageBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if tooBig := (*http.MaxBytesError)(nil); errors.As(err, &tooBig) {
		// The browser is still sending: read on, a bounded amount, so that
		// it gets this answer rather than a connection reset under it
		// ("Failed to fetch"). Beyond that bound the connection just ends.
		io.Copy(io.Discard, io.LimitReader(body, 8*maxMessageBody))
		apiError(w, http.StatusRequestEntityTooLarge, "too_large",
			"request too large: a message's text is at most 64 KiB")
		return false
	}
	if err != nil {
		apiError(w, http.StatusBadRequest, "bad_request", "bad JSON: "+err.Error())
		return false
	}
	return true
}

// replyRequest is a reply to one received message. Precedence defaults
// to the precedence of the message it answers.
type replyRequest struct {
	Precedence string `json:"precedence,omitempty"`
	Text       string `json:"text"`
	Lang       string `json:"lang,omitempty"`
	Key        string `json:"key,omitempty"`
	// DespiteSuspension: as in a compose.
	DespiteSuspension bool `json:"despite_suspension,omitempty"`
}

// repliers may answer a received message: the watch officers who
// acknowledge it as well as those who compose. The charter's two-person
// release applies to a reply as to any message.
var repliers = []officer.Role{officer.Watch, officer.Drafter, officer.Admin}

// reply sends a reply to the message {id} on {line}: the answer a watch
// officer gives to what it just acknowledged, without a drafter.
func (s *Server) reply(w http.ResponseWriter, r *http.Request, ss *officer.Session) {
	line, id := r.PathValue("line"), r.PathValue("id")
	if _, _, err := entry.ParseID(id); err != nil {
		apiError(w, http.StatusBadRequest, "bad_id", err.Error())
		return
	}
	var req replyRequest
	if !decodeMessageRequest(w, r, &req) {
		return
	}
	m, err := s.n.Message(line, id)
	if err != nil {
		s.nodeError(w, err)
		return
	}
	if m.Author == s.n.Me() {
		apiError(w, http.StatusConflict, "not_inbound", "a reply answers another party's message; "+id+" is ours")
		return
	}
	if strings.TrimSpace(req.Precedence) == "" {
		req.Precedence = string(m.Precedence)
	}
	s.send(w, r, ss, line, composeRequest{Precedence: req.Precedence, Text: req.Text, Lang: req.Lang, ReplyTo: id, Key: req.Key,
		DespiteSuspension: req.DespiteSuspension})
}
