package transcript

import (
	"io"

	"github.com/hotline-line/hotline/internal/agenda"
	"github.com/hotline-line/hotline/internal/entry"
)

// agendaReport is the shared agenda a verified transcript proves: every
// event whose proposal it holds with its body, by the one rule of package
// agenda, from the agenda entries of every log. The same entries give
// the same agenda on every node and here.
func agendaReport(parties []string, t *Transcript, logs []LogAudit) []agenda.Event {
	var steps []agenda.Step
	for i := range logs {
		for j, l := range logs[i].leaves {
			e := &t.Logs[i].Entries[j]
			if l == nil || l.Kind != entry.KindAgenda || e.Body == nil {
				continue
			}
			b, err := entry.DecodeAgenda(e.Body)
			if err != nil {
				continue
			}
			steps = append(steps, agenda.Step{ID: l.ID(), Party: l.Author, Index: l.Index, Time: l.Time, Body: b})
		}
	}
	return agenda.Events(parties, steps)
}

// writeAgenda prints the agenda a report proves, each event with its
// history.
func (r *Report) writeAgenda(w io.Writer) {
	if len(r.Agenda) == 0 {
		return
	}
	io.WriteString(w, "\nagenda of exchanges:\n")
	for _, ev := range r.Agenda {
		ev.WriteText(w)
		ev.WriteHistory(w)
	}
}
