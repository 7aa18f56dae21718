package console

import (
	"net/http"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/inert"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/officer"
)

// Translations: the original stays authoritative, and each translation is
// shown beside it with its attribution: the translator (a named officer),
// the party whose log holds it, and whether a machine made it. Any
// officer who may answer a message may translate it; the node writes the
// translation as an entry of this party's log (node.Translate).

// translationView is a translation as the page shows it: every string
// was written by some party, possibly the other one.
type translationView struct {
	node.TranslationView
	TextVisible string `json:"text_visible"`
}

func visibleTranslations(ts []node.TranslationView) []translationView {
	out := make([]translationView, 0, len(ts))
	for _, t := range ts {
		t.Lang, t.Officer = inert.Text(t.Lang), inert.Text(t.Officer)
		out = append(out, translationView{TranslationView: t, TextVisible: inert.Text(t.Text)})
	}
	return out
}

// translators may add a translation: those who may reply.
var translators = repliers

type translateRequest struct {
	Lang    string `json:"lang"`
	Text    string `json:"text"`
	Machine bool   `json:"machine,omitempty"` // a machine translated it; the officer vouches for having asked
}

type translateResponse struct {
	ID      string      `json:"id"`
	Officer string      `json:"officer"`
	Message messageView `json:"message"`
}

// translate writes the officer's translation of message {id}.
func (s *Server) translate(w http.ResponseWriter, r *http.Request, ss *officer.Session) {
	var req translateRequest
	if !decodeMessageRequest(w, r, &req) {
		return
	}
	line, m, ok := s.readMessage(w, r)
	if !ok {
		return
	}
	t := entry.Translation{Message: m.ID, Lang: req.Lang, Text: req.Text, Officer: ss.Officer, Machine: req.Machine}
	if err := t.Validate(); err != nil {
		apiError(w, http.StatusBadRequest, "bad_translation", err.Error())
		return
	}
	if m.Lang == req.Lang {
		apiError(w, http.StatusBadRequest, "bad_translation", m.ID+" is written in "+inert.Text(m.Lang)+" already: translate it into another language")
		return
	}
	id, err := s.n.Translate(r.Context(), node.TranslateRequest{Line: line, Message: m.ID, Lang: t.Lang, Text: t.Text,
		Officer: t.Officer, Machine: t.Machine})
	if err != nil {
		s.nodeError(w, err)
		return
	}
	s.record(r, officer.Act{Officer: ss.Officer, Act: "translate", Line: line, Message: id, Detail: m.ID + " " + t.Lang})
	s.log.Info("translation written", "officer", ss.Officer, "line", line, "entry", id, "of", m.ID, "lang", t.Lang)
	if m, err = s.n.Message(line, m.ID); err != nil {
		s.nodeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, translateResponse{ID: id, Officer: ss.Officer, Message: s.viewIn(*m, s.readerLang(r))})
}
