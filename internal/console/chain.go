package console

import (
	"net/http"
	"time"

	"github.com/hotline-line/hotline/internal/amend"
	"github.com/hotline-line/hotline/internal/inert"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/officer"
)

// chainView is a line's charter chain and its parties' signing keys, as
// `hotline line amendments` and `hotline status` print them: the node's
// own views, with the changes in words (amend.Describe) beside each
// amendment and every text a party wrote made visible.
type chainView struct {
	*node.AmendmentsView
	Amendments []amendmentView  `json:"amendments"`
	Keys       []node.KeyChange `json:"keys"`
	ServerTime time.Time        `json:"server_time"`
}

// amendmentView is an amendment with its changes in words.
type amendmentView struct {
	amend.Amendment
	Described []string `json:"described"`
}

// charterChain answers GET /api/lines/{line}/charter.
func (s *Server) charterChain(w http.ResponseWriter, r *http.Request, _ *officer.Session) {
	line := r.PathValue("line")
	av, err := s.n.Amendments(line)
	if err != nil {
		s.nodeError(w, err)
		return
	}
	keys, err := s.n.KeyHistory(line)
	if err != nil {
		s.nodeError(w, err)
		return
	}
	v := inert.Text
	out := chainView{AmendmentsView: av, Amendments: []amendmentView{}, Keys: keys, ServerTime: time.Now().UTC()}
	if out.Keys == nil {
		out.Keys = []node.KeyChange{}
	}
	for _, a := range av.Amendments {
		a.Officer, a.Reason, a.Why = v(a.Officer), v(a.Reason), v(a.Why)
		a.Accepted, a.Refused = visibleAnswers(a.Accepted), visibleAnswers(a.Refused)
		d := []string{}
		for _, line := range amend.Describe(a.Changes) {
			d = append(d, v(line))
		}
		out.Amendments = append(out.Amendments, amendmentView{Amendment: a, Described: d})
	}
	refused := make([]amend.Refusal, len(av.Refused))
	for i, rf := range av.Refused {
		rf.Error = v(rf.Error)
		refused[i] = rf
	}
	av.Refused = refused
	writeJSON(w, http.StatusOK, out)
}

// visibleAnswers copies answers with the officers' names and reasons
// made visible.
func visibleAnswers(as []amend.Answer) []amend.Answer {
	out := make([]amend.Answer, len(as))
	for i, a := range as {
		a.Officer, a.Reason = inert.Text(a.Officer), inert.Text(a.Reason)
		out[i] = a
	}
	return out
}
