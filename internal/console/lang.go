package console

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"

	"github.com/hotline-line/hotline/internal/consolei18n"
	"github.com/hotline-line/hotline/internal/inert"
	"github.com/hotline-line/hotline/internal/officer"
)

// The console's language: the page asks for its catalog (consolei18n)
// and fills in every string from it. Before login the page reads in the
// party's default language; after, in the officer's own.

// langOf is the language the officer of session ss reads; nil (no
// session) reads the party's default.
func (s *Server) langOf(ss *officer.Session) string {
	if ss == nil {
		return consolei18n.Default(s.n.Cfg.Langs)
	}
	return consolei18n.For(ss.Lang, s.n.Cfg.Langs)
}

// catalog is the public route of the page's strings: the catalog of
// ?lang= when the console speaks it, else the officer's (when logged in),
// else the party's default. Catalogs are the same for everyone and hold
// nothing secret, so the page can show the login form in the party's
// language.
func (s *Server) catalog(w http.ResponseWriter, r *http.Request, _ *officer.Session) {
	lang, ok := consolei18n.Match(r.URL.Query().Get("lang"))
	if !ok {
		ss, _ := s.session(r) // no session: the party's default
		lang = s.langOf(ss)
	}
	c, _ := consolei18n.Get(lang)
	writeJSON(w, http.StatusOK, c)
}

// partyView is what the login page shows of the node before anyone logs
// in: whose console it is and which lines it keeps, in the words of the
// party's card and of the charters. Nothing secret: no keys, addresses or
// officers.
type partyView struct {
	Party string     `json:"party"`
	Name  string     `json:"name"`
	Lang  string     `json:"lang"`  // the party's default language for the console
	Langs []string   `json:"langs"` // the languages the console speaks
	Lines []lineName `json:"lines"`
}

type lineName struct {
	Name  string `json:"name,omitempty"`
	Title string `json:"title"`
}

// party is the public route of the login page's heading.
func (s *Server) party(w http.ResponseWriter, r *http.Request, _ *officer.Session) {
	v := partyView{Party: s.n.Me(), Name: inert.Text(s.n.Cfg.Name), Lang: consolei18n.Default(s.n.Cfg.Langs),
		Langs: consolei18n.Langs(), Lines: []lineName{}}
	ids := s.n.Lines()
	slices.Sort(ids)
	for _, id := range ids {
		c, err := s.charterOf(id)
		if err != nil {
			continue // a line being installed shows once it is
		}
		v.Lines = append(v.Lines, lineName{Name: c.Name, Title: inert.Text(c.Title)})
	}
	writeJSON(w, http.StatusOK, v)
}

type langRequest struct {
	Lang string `json:"lang"` // one of the console's languages, or "" for the party's default
}

// setLang is an officer choosing the language it reads the console in.
// It answers with the new catalog.
func (s *Server) setLang(w http.ResponseWriter, r *http.Request, ss *officer.Session) {
	var req langRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 1024))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		apiError(w, http.StatusBadRequest, "bad_request", "send {\"lang\": \"en\"}, \"ko\", \"zh\" or \"\" for the party's default")
		return
	}
	if req.Lang != "" && !slices.Contains(consolei18n.Langs(), req.Lang) {
		apiError(w, http.StatusBadRequest, "bad_lang", "the console speaks en, ko and zh")
		return
	}
	if err := s.off.SetLang(r.Context(), ss.Officer, req.Lang); err != nil {
		s.internalError(w, err)
		return
	}
	s.record(r, officer.Act{Officer: ss.Officer, Act: "language", Detail: req.Lang})
	ss.Lang = req.Lang
	c, _ := consolei18n.Get(s.langOf(ss))
	writeJSON(w, http.StatusOK, c)
}
