package console

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/inert"
	"github.com/hotline-line/hotline/internal/linestate"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/notice"
	"github.com/hotline-line/hotline/internal/officer"
	"github.com/hotline-line/hotline/internal/store"
)

// messageView is a message as the console shows it. Text stays the
// original, authoritative text; TextVisible is what the page renders.
type messageView struct {
	node.Message
	TextVisible string `json:"text_visible"`
	Inbound     bool   `json:"inbound"`           // written by another party
	SentBy      string `json:"sent_by,omitempty"` // the officer who sent it from this console
	// A formatted notice: its template's name and its fields, labelled in
	// the reader's language (notices.go).
	FormTitle string       `json:"form_title,omitempty"`
	FormRows  []notice.Row `json:"form_rows,omitempty"`
	// Translations beside the original, each with its attribution.
	Translations []translationView `json:"translations,omitempty"`
}

func (s *Server) view(m node.Message) messageView {
	return s.viewIn(m, s.n.Cfg.Langs[0])
}

// viewIn is the view of m for a reader of lang: a notice's fields are
// labelled in lang.
func (s *Server) viewIn(m node.Message, lang string) messageView {
	// The language tag, a body error and the officers' names (the author's,
	// signed into the message; the receivers', in their acknowledgements)
	// come from the other parties too.
	m.Lang, m.BodyError = inert.Text(m.Lang), inert.Text(m.BodyError)
	m.Officer, m.ReleasedBy = inert.Text(m.Officer), inert.Text(m.ReleasedBy)
	m.Ladder = slices.Clone(m.Ladder)
	for i := range m.Ladder {
		m.Ladder[i].AckedBy = inert.Text(m.Ladder[i].AckedBy)
	}
	v := messageView{Message: m, TextVisible: inert.Text(m.Text), Inbound: m.Author != s.n.Me()}
	v.FormError = inert.Text(m.FormError)
	v.FormTitle, v.FormRows = formRows(&m, lang)
	v.Translations = visibleTranslations(m.Translations)
	if !v.Inbound {
		v.SentBy = m.Officer
	}
	return v
}

// nodeError answers with the status that fits an error of the node.
func (s *Server) nodeError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, node.ErrNoLine):
		apiError(w, http.StatusNotFound, "no_line", err.Error())
	case errors.Is(err, node.ErrNoMessage):
		apiError(w, http.StatusNotFound, "no_message", err.Error())
	case errors.Is(err, node.ErrNotAPeerMessage):
		apiError(w, http.StatusConflict, "not_inbound", err.Error())
	case errors.Is(err, node.ErrNeedsRelease):
		apiError(w, http.StatusConflict, "needs_release", err.Error())
	case errors.Is(err, linestate.ErrSuspended) || errors.Is(err, linestate.ErrClosed):
		// The line's state refuses it: say so, with who set it and why.
		apiError(w, http.StatusConflict, "line_state", inert.Text(err.Error()))
	case errors.Is(err, node.ErrUnavailable) || errors.Is(err, node.ErrClosed) ||
		errors.Is(err, store.ErrDiskFull) || errors.Is(err, store.ErrReadOnly):
		s.log.Error("node unavailable", "err", err)
		apiError(w, http.StatusServiceUnavailable, "unavailable", err.Error())
	default:
		s.internalError(w, err)
	}
}

type lineView struct {
	ID    string `json:"id"`
	Name  string `json:"name,omitempty"`
	Title string `json:"title"`
	State string `json:"state"`
	node.LineNotices
	Me      string             `json:"me"`
	Parties []node.PartyStatus `json:"parties"`
	// TwoPerson lists the precedences that need a second officer's
	// release on this line.
	TwoPerson []entry.Precedence `json:"two_person"`
	// RollCalls is every party's roll-call: whether a person there
	// confirmed presence in time, and ours to answer.
	RollCalls []node.RollCallView `json:"roll_calls,omitempty"`
}

func (s *Server) lines(w http.ResponseWriter, r *http.Request, _ *officer.Session) {
	ids := s.n.Lines()
	slices.Sort(ids)
	out := []lineView{}
	for _, id := range ids {
		st, err := s.n.Status(id)
		if err != nil {
			s.nodeError(w, err)
			return
		}
		tp, err := s.twoPerson(id)
		if err != nil {
			s.nodeError(w, err)
			return
		}
		visibleStatus(st)
		out = append(out, lineView{ID: st.ID, Title: st.Title, State: st.State, LineNotices: st.LineNotices,
			Me: st.Me, Parties: st.Parties, TwoPerson: tp, RollCalls: st.RollCalls})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) status(w http.ResponseWriter, r *http.Request, _ *officer.Session) {
	st, err := s.n.Status(r.PathValue("line"))
	if err != nil {
		s.nodeError(w, err)
		return
	}
	visibleStatus(st)
	writeJSON(w, http.StatusOK, struct {
		*node.LineStatus
		ServerTime time.Time `json:"server_time"`
	}{st, time.Now().UTC()})
}

// visibleStatus makes what the other parties wrote in a status visible:
// the officers' names in roll-calls, and the line's state notice (see
// linestate.go).
func visibleStatus(st *node.LineStatus) {
	for i := range st.RollCalls {
		st.RollCalls[i].Officer = inert.Text(st.RollCalls[i].Officer)
	}
	visibleNotices(&st.LineNotices)
}

func limitOf(r *http.Request) (int, bool) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return 50, true
	}
	n, err := strconv.Atoi(v)
	return n, err == nil && n >= 1 && n <= 500
}

func (s *Server) inbox(w http.ResponseWriter, r *http.Request, _ *officer.Session) {
	s.list(w, r, false)
}

func (s *Server) outbox(w http.ResponseWriter, r *http.Request, _ *officer.Session) {
	s.list(w, r, true)
}

func (s *Server) list(w http.ResponseWriter, r *http.Request, outbox bool) {
	limit, ok := limitOf(r)
	if !ok {
		apiError(w, http.StatusBadRequest, "bad_limit", "limit must be 1 to 500")
		return
	}
	line := r.PathValue("line")
	msgs, err := s.n.Messages(line, outbox, limit)
	if err != nil {
		s.nodeError(w, err)
		return
	}
	out := make([]messageView, 0, len(msgs))
	lang := s.readerLang(r)
	for _, m := range msgs {
		out = append(out, s.viewIn(m, lang))
	}
	if outbox {
		if err := s.sentBy(r, line, out); err != nil {
			s.internalError(w, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// message returns one message. Reading writes nothing: the page records
// that a received message was shown with markDisplayed, once it is on
// screen.
func (s *Server) message(w http.ResponseWriter, r *http.Request, _ *officer.Session) {
	if line, m, ok := s.readMessage(w, r); ok {
		s.writeMessage(w, r, line, m)
	}
}

// readMessage reads the message the path names, or answers with why not.
func (s *Server) readMessage(w http.ResponseWriter, r *http.Request) (string, *node.Message, bool) {
	line, id := r.PathValue("line"), r.PathValue("id")
	if _, _, err := entry.ParseID(id); err != nil {
		apiError(w, http.StatusBadRequest, "bad_id", err.Error())
		return "", nil, false
	}
	m, err := s.n.Message(line, id)
	if err != nil {
		s.nodeError(w, err)
		return "", nil, false
	}
	return line, m, true
}

// markDisplayed records that a message from another party is on an
// officer's screen, and answers with the message.
func (s *Server) markDisplayed(w http.ResponseWriter, r *http.Request, _ *officer.Session) {
	line, m, ok := s.readMessage(w, r)
	if !ok {
		return
	}
	id := m.ID
	if m.Author == s.n.Me() {
		s.nodeError(w, fmt.Errorf("%s: %w", id, node.ErrNotAPeerMessage))
		return
	}
	if !displayed(m, s.n.Me()) {
		// Only the first display writes: every write wakes the event
		// streams, and an open page fetches again on each event.
		if err := s.n.MarkDisplayed(r.Context(), line, id); err != nil {
			s.nodeError(w, err)
			return
		}
		var err error
		if m, err = s.n.Message(line, id); err != nil {
			s.nodeError(w, err)
			return
		}
	}
	s.writeMessage(w, r, line, m)
}

// writeMessage answers with one message as the console shows it.
func (s *Server) writeMessage(w http.ResponseWriter, r *http.Request, line string, m *node.Message) {
	v := []messageView{s.viewIn(*m, s.readerLang(r))}
	if !v[0].Inbound {
		if err := s.sentBy(r, line, v); err != nil {
			s.internalError(w, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, v[0])
}

// sentBy fills in who sent our messages that do not name their officer
// (sent before messages carried the name) from the record of acts.
func (s *Server) sentBy(r *http.Request, line string, msgs []messageView) error {
	var ids []string
	for _, m := range msgs {
		if m.SentBy == "" {
			ids = append(ids, m.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	by, err := s.off.SentBy(r.Context(), line, ids)
	if err != nil {
		return err
	}
	for i := range msgs {
		if msgs[i].SentBy == "" {
			msgs[i].SentBy = by[msgs[i].ID]
		}
	}
	return nil
}

// displayed reports whether party has marked m displayed.
func displayed(m *node.Message, party string) bool {
	for _, r := range m.Ladder {
		if r.Party == party {
			return !r.Displayed.IsZero()
		}
	}
	return false
}

type ackResponse struct {
	Acknowledged bool        `json:"acknowledged"` // false: it was acknowledged before
	Officer      string      `json:"officer"`
	Message      messageView `json:"message"`
}

func (s *Server) ack(w http.ResponseWriter, r *http.Request, ss *officer.Session) {
	line, id := r.PathValue("line"), r.PathValue("id")
	if _, _, err := entry.ParseID(id); err != nil {
		apiError(w, http.StatusBadRequest, "bad_id", err.Error())
		return
	}
	if _, err := s.n.Message(line, id); err != nil {
		s.nodeError(w, err) // no such line or message: 404
		return
	}
	wrote, err := s.n.Ack(r.Context(), line, id, ss.Officer)
	if err != nil {
		s.nodeError(w, err)
		return
	}
	if wrote {
		s.record(r, officer.Act{Officer: ss.Officer, Act: "ack", Line: line, Message: id})
		s.log.Info("acknowledged", "officer", ss.Officer, "line", line, "message", id)
	}
	m, err := s.n.Message(line, id)
	if err != nil {
		s.nodeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, ackResponse{Acknowledged: wrote, Officer: ss.Officer, Message: s.view(*m)})
}

type composeRequest struct {
	Precedence string `json:"precedence"`
	Text       string `json:"text"`
	Lang       string `json:"lang,omitempty"` // default: the party's first language
	ReplyTo    string `json:"reply_to,omitempty"`
	// Template and Fields send a formatted notice: a template of the
	// line's charter and its values as the officer wrote them.
	Template string            `json:"template,omitempty"`
	Fields   map[string]string `json:"fields,omitempty"`
	// DespiteSuspension sends a ROUTINE or PRIORITY message on a
	// suspended line; the message records it.
	DespiteSuspension bool `json:"despite_suspension,omitempty"`
	// Key makes a retried compose idempotent: the page sends the same key
	// until the message is sent, so a reply lost to the network and a
	// second click write one message.
	Key string `json:"key,omitempty"`
}

// composeResponse: ID when the message was sent (201), Draft when it
// waits for a second officer's release (202).
type composeResponse struct {
	ID      string     `json:"id,omitempty"`
	Line    string     `json:"line"`
	Officer string     `json:"officer"`
	Draft   *draftView `json:"draft,omitempty"`
}

func (s *Server) compose(w http.ResponseWriter, r *http.Request, ss *officer.Session) {
	var req composeRequest
	if !decodeMessageRequest(w, r, &req) {
		return
	}
	s.send(w, r, ss, r.PathValue("line"), req)
}

// send writes the message of req on line, or saves it as a draft where
// the charter asks for a second officer's release.
func (s *Server) send(w http.ResponseWriter, r *http.Request, ss *officer.Session, line string, req composeRequest) {
	p, err := entry.ParsePrecedence(req.Precedence)
	if err != nil {
		apiError(w, http.StatusBadRequest, "bad_precedence", err.Error())
		return
	}
	lang := req.Lang
	if lang == "" {
		lang = s.n.Cfg.Langs[0]
	}
	body := entry.Message{Lang: lang, Text: req.Text, ReplyTo: req.ReplyTo, Officer: ss.Officer, DespiteSuspension: req.DespiteSuspension}
	if req.Template != "" || req.Fields != nil {
		// The node's own check, before anything is saved or sent: the
		// error names the field at fault.
		form, err := s.n.FillForm(line, &entry.Form{Template: req.Template, Fields: req.Fields})
		if err != nil {
			s.formError(w, err)
			return
		}
		body.Form = form
	}
	if err := body.Validate(); err != nil {
		apiError(w, http.StatusBadRequest, "bad_message", err.Error())
		return
	}
	c, err := s.charterOf(line)
	if err != nil {
		s.nodeError(w, err)
		return
	}
	if req.ReplyTo != "" {
		if _, err := s.n.Message(line, req.ReplyTo); err != nil {
			if errors.Is(err, node.ErrNoMessage) {
				apiError(w, http.StatusBadRequest, "bad_reply_to", "reply_to: "+err.Error())
				return
			}
			s.nodeError(w, err)
			return
		}
	}
	if c.NeedsTwoPerson(p) {
		if body.Form != nil {
			apiError(w, http.StatusConflict, "notice_needs_release",
				"a formatted notice at "+string(p)+" needs two-person release, and drafts hold only text: "+
					"send it from the command line with hotline send --template … --released-by, or at another precedence")
			return
		}
		s.saveDraft(w, r, ss, line, p, body)
		return
	}
	if len(req.Key) > 64 {
		apiError(w, http.StatusBadRequest, "bad_key", "key: at most 64 bytes")
		return
	}
	key := ""
	if req.Key != "" {
		key = "console-" + req.Key
	}
	id, err := s.n.Send(r.Context(), node.SendRequest{Line: line, Precedence: p, Lang: lang, Text: req.Text,
		ReplyTo: req.ReplyTo, Officer: ss.Officer, Key: key, Form: body.Form, DespiteSuspension: req.DespiteSuspension})
	if errors.Is(err, node.ErrNeedsRelease) && body.Form == nil {
		s.saveDraft(w, r, ss, line, p, body) // the node knows better than our reading of the charter
		return
	}
	if err != nil {
		s.nodeError(w, err)
		return
	}
	// The message is on disk and queued; the record says who sent it.
	s.record(r, officer.Act{Officer: ss.Officer, Act: "send", Line: line, Message: id, Detail: string(p)})
	s.log.Info("message sent", "officer", ss.Officer, "line", line, "message", id, "precedence", p)
	writeJSON(w, http.StatusCreated, composeResponse{ID: id, Line: line, Officer: ss.Officer})
}
