package console

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/inert"
	"github.com/hotline-line/hotline/internal/officer"
	"github.com/hotline-line/hotline/internal/transcript"
)

// proofView is the answer of GET /api/lines/{line}/transcript: the line's
// transcript as this node exports it, verified as `hotline verify` would,
// and what was proven of each entry.
type proofView struct {
	Line       string    `json:"line"`
	Title      string    `json:"title"`
	Parties    []string  `json:"parties"`
	ExportedBy string    `json:"exported_by"`
	ExportedAt time.Time `json:"exported_at"`
	// Verified is the verdict of transcript.Check on the whole
	// transcript; Error and Failure say why not.
	Verified bool       `json:"verified"`
	Error    string     `json:"error,omitempty"`
	Failure  string     `json:"failure,omitempty"`
	Logs     []proofLog `json:"logs"`
	// Counts are by entry status over the whole transcript; Messages over
	// its messages.
	Counts   map[string]int `json:"counts"`
	Messages map[string]int `json:"messages"`
	// Entries are the failed ones, then the newest others, at most limit;
	// Total is how many the transcript holds (of the kind asked for).
	Entries []proofEntry `json:"entries"`
	Total   int          `json:"total"`
	TookMs  float64      `json:"took_ms"`
}

// transcriptProof exports the line's transcript in-process and verifies it.
// Only one runs at a time: each reads and hashes the whole line.
func (s *Server) transcriptProof(w http.ResponseWriter, r *http.Request, _ *officer.Session) {
	q := r.URL.Query()
	limit := 200
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 50000 {
			apiError(w, http.StatusBadRequest, "bad_limit", "limit must be 1 to 50000")
			return
		}
		limit = n
	}
	kind := entry.Kind(q.Get("kind"))
	if kind != "" && !kind.Valid() {
		apiError(w, http.StatusBadRequest, "bad_kind", "unknown kind of entry")
		return
	}
	line := r.PathValue("line")
	if _, err := s.charterOf(line); err != nil {
		s.nodeError(w, err)
		return
	}
	select {
	case s.proof <- struct{}{}:
		defer func() { <-s.proof }()
	case <-r.Context().Done():
		return // the client went away while waiting
	}
	start := time.Now()
	// With plaintext: the bodies are what the commitments are checked
	// against. None of them leaves this function.
	t, err := transcript.Export(s.n.Store, s.n.SigningKeys(), line, true, time.Now())
	if err != nil {
		s.internalError(w, err)
		return
	}
	trimReceipts(t)
	v := checkTranscript(t, kind, limit)
	v.TookMs = float64(time.Since(start).Microseconds()) / 1000
	writeJSON(w, http.StatusOK, v)
}

// checkTranscript verifies a transcript and reports on its entries.
func checkTranscript(t *transcript.Transcript, kind entry.Kind, limit int) *proofView {
	v := &proofView{Line: t.Line, ExportedBy: t.ExportedBy, ExportedAt: t.ExportedAt, Logs: []proofLog{},
		Counts: map[string]int{}, Messages: map[string]int{}, Entries: []proofEntry{}}
	a := transcript.Check(t)
	v.Verified = a.Err == nil
	if a.Err != nil {
		v.Error, v.Failure = inert.Text(a.Err.Error()), failureCode(a.Err)
	}
	v.Title, v.Parties = inert.Text(a.Title), a.Parties
	var rows []proofEntry
	for i := range a.Logs {
		l := &a.Logs[i]
		inertProblems(l)
		v.Logs = append(v.Logs, *l)
		for _, r := range l.Entries {
			v.Counts[r.Status]++
			if r.Kind == entry.KindMessage {
				v.Messages[r.Status]++
			}
			if kind == "" || r.Kind == kind {
				rows = append(rows, r)
			}
		}
	}
	v.Total = len(rows)
	// Failed entries first, then the newest.
	slices.SortStableFunc(rows, func(a, b proofEntry) int {
		if fa, fb := a.Status == proofFailed, b.Status == proofFailed; fa != fb {
			if fa {
				return -1
			}
			return 1
		}
		return cmp.Or(b.Written.Compare(a.Written), cmp.Compare(a.Log, b.Log), cmp.Compare(b.Index, a.Index))
	})
	v.Entries = append(v.Entries, rows[:min(limit, len(rows))]...)
	return v
}

// trimReceipts drops receipts that cover more of a log than the transcript
// holds. Export reads a log's entries and then its receipts; a receipt that
// arrives in between covers entries the export did not read, and would
// fail the verification of a log that is fine. Dropping a receipt only
// ever proves less.
func trimReceipts(t *transcript.Transcript) {
	for i := range t.Logs {
		lg := &t.Logs[i]
		lg.Receipts = slices.DeleteFunc(lg.Receipts, func(raw string) bool {
			n, ok := receiptSize(raw)
			return ok && n > uint64(len(lg.Entries))
		})
	}
}
