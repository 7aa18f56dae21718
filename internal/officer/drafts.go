package officer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
)

// draftsSchema is the migration that adds the drafts table.
//
// A draft is released at most once: the release claims it by moving it
// from pending to releasing in one UPDATE (SQLite runs one writer at a
// time, so of two releasers only one finds it pending), then the message
// is written to the node, then the draft is marked released with the
// message's ID. A draft left in releasing by a crash between the two is
// settled at the next start of the process that releases drafts
// (internal/twoperson), found by [Store.Releasing].
const draftsSchema = `CREATE TABLE drafts (
		id INTEGER PRIMARY KEY,
		line TEXT NOT NULL,
		precedence TEXT NOT NULL,
		lang TEXT NOT NULL,
		text TEXT NOT NULL,
		reply_to TEXT NOT NULL DEFAULT '',
		drafter TEXT NOT NULL,
		created INTEGER NOT NULL,        -- ms
		state TEXT NOT NULL DEFAULT 'pending',
		decided_by TEXT NOT NULL DEFAULT '',
		decided_at INTEGER NOT NULL DEFAULT 0, -- ms
		reason TEXT NOT NULL DEFAULT '', -- why it was rejected
		message TEXT NOT NULL DEFAULT '' -- the message ID, once released
	);
	CREATE INDEX drafts_line ON drafts (line, state, id);`

// DraftState is where a draft stands.
type DraftState string

// The states of a draft: pending until a second officer decides; releasing
// while its message is being written; then released or rejected for good.
const (
	DraftPending   DraftState = "pending"
	DraftReleasing DraftState = "releasing"
	DraftReleased  DraftState = "released"
	DraftRejected  DraftState = "rejected"
)

// ParseDraftState reads a state to list drafts by: "" means pending,
// "all" means every state (the zero DraftState).
func ParseDraftState(s string) (DraftState, error) {
	switch st := DraftState(s); st {
	case "":
		return DraftPending, nil
	case "all":
		return "", nil
	case DraftPending, DraftReleasing, DraftReleased, DraftRejected:
		return st, nil
	}
	return "", fmt.Errorf("unknown draft state %q: use pending, releasing, released, rejected or all", s)
}

// MaxReason bounds the reason given for a rejection, in bytes.
const MaxReason = 1000

// Draft is a message waiting for a second officer's release.
type Draft struct {
	ID         int64      `json:"id"`
	Line       string     `json:"line"`
	Precedence string     `json:"precedence"`
	Lang       string     `json:"lang"`
	Text       string     `json:"text"`
	ReplyTo    string     `json:"reply_to,omitempty"`
	Drafter    string     `json:"drafter"`
	Created    time.Time  `json:"created"`
	State      DraftState `json:"state"`
	DecidedBy  string     `json:"decided_by,omitempty"`
	DecidedAt  time.Time  `json:"decided_at,omitzero"`
	Reason     string     `json:"reason,omitempty"`
	Message    string     `json:"message,omitempty"` // the message's ID once released
}

// Errors of the draft calls.
var (
	// ErrNoDraft means there is no draft of that ID on the line.
	ErrNoDraft = errors.New("no such draft")
	// ErrOwnDraft means an officer tried to release a draft of its own:
	// two-person release needs a second officer.
	ErrOwnDraft = errors.New("a draft is released by an officer other than its drafter")
	// ErrDecided means the draft is no longer pending: another officer
	// released or rejected it first.
	ErrDecided = errors.New("the draft is no longer pending")
)

const draftCols = `id, line, precedence, lang, text, reply_to, drafter, created, state, decided_by, decided_at, reason, message`

func scanDraft(sc interface{ Scan(...any) error }) (*Draft, error) {
	var d Draft
	var created, decided int64
	err := sc.Scan(&d.ID, &d.Line, &d.Precedence, &d.Lang, &d.Text, &d.ReplyTo, &d.Drafter, &created,
		&d.State, &d.DecidedBy, &decided, &d.Reason, &d.Message)
	if err != nil {
		return nil, err
	}
	d.Created = time.UnixMilli(created).UTC()
	if decided != 0 {
		d.DecidedAt = time.UnixMilli(decided).UTC()
	}
	return &d, nil
}

// AddDraft stores a new pending draft and returns it with its ID. The
// caller has validated the message; the drafter must be an officer.
func (s *Store) AddDraft(ctx context.Context, d Draft) (*Draft, error) {
	if d.Line == "" || d.Precedence == "" || d.Text == "" {
		return nil, errors.New("a draft needs a line, a precedence and a text")
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO drafts (line, precedence, lang, text, reply_to, drafter, created)
		SELECT ?, ?, ?, ?, ?, name, ? FROM officers WHERE name = ?`,
		d.Line, d.Precedence, d.Lang, d.Text, d.ReplyTo, s.ms(), d.Drafter)
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNoOfficer, d.Drafter)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return nil, err
	}
	return s.Draft(ctx, d.Line, id)
}

// Draft returns one draft of line.
func (s *Store) Draft(ctx context.Context, line string, id int64) (*Draft, error) {
	d, err := scanDraft(s.db.QueryRowContext(ctx, `SELECT `+draftCols+` FROM drafts WHERE id = ? AND line = ?`, id, line))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %d", ErrNoDraft, id)
	}
	return d, err
}

// DraftQuery selects drafts. Zero fields do not filter.
type DraftQuery struct {
	Line    string
	State   DraftState
	Drafter string
	Limit   int // 100 if zero
}

// Drafts lists drafts, newest first.
func (s *Store) Drafts(ctx context.Context, q DraftQuery) ([]Draft, error) {
	var where []string
	var args []any
	for col, v := range map[string]string{"line": q.Line, "state": string(q.State), "drafter": q.Drafter} {
		if v != "" {
			where = append(where, col+" = ?")
			args = append(args, v)
		}
	}
	query := `SELECT ` + draftCols + ` FROM drafts`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	if q.Limit <= 0 {
		q.Limit = 100
	}
	rows, err := s.db.QueryContext(ctx, query+` ORDER BY id DESC LIMIT ?`, append(args, q.Limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Draft{}
	for rows.Next() {
		d, err := scanDraft(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *d)
	}
	return out, rows.Err()
}

// ClaimRelease moves a pending draft of line to releasing on behalf of
// releaser, who must not be its drafter by [entry.SameOfficer]. Of any
// number of concurrent claims, exactly one succeeds; the others get
// ErrDecided. The caller then writes the message and calls FinishRelease,
// or AbandonRelease if it could not.
func (s *Store) ClaimRelease(ctx context.Context, line string, id int64, releaser string) (*Draft, error) {
	d, err := s.Draft(ctx, line, id)
	if err != nil {
		return nil, err
	}
	// A draft's drafter never changes, so judging it before the claim
	// holds for the claim too.
	if entry.SameOfficer(d.Drafter, releaser) {
		return d, fmt.Errorf("%w: draft %d is %s's", ErrOwnDraft, id, d.Drafter)
	}
	res, err := s.db.ExecContext(ctx, `UPDATE drafts SET state = 'releasing', decided_by = ?, decided_at = ?
		WHERE id = ? AND line = ? AND state = 'pending'`, releaser, s.ms(), id, line)
	if err != nil {
		return nil, err
	}
	n, _ := res.RowsAffected()
	if d, err = s.Draft(ctx, line, id); err != nil {
		return nil, err
	}
	if n == 0 {
		return d, fmt.Errorf("%w: draft %d is %s", ErrDecided, id, d.State)
	}
	return d, nil
}

// FinishRelease records that a claimed draft's message was written.
func (s *Store) FinishRelease(ctx context.Context, id int64, message string) error {
	return s.settle(ctx, `UPDATE drafts SET state = 'released', message = ? WHERE id = ? AND state = 'releasing'`, message, id)
}

// AbandonRelease puts a claimed draft back to pending: its message was not
// written.
func (s *Store) AbandonRelease(ctx context.Context, id int64) error {
	return s.settle(ctx, `UPDATE drafts SET state = 'pending', decided_by = '', decided_at = 0 WHERE id = ? AND state = 'releasing'`, id)
}

func (s *Store) settle(ctx context.Context, q string, args ...any) error {
	res, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: draft %v is not being released", ErrDecided, args[len(args)-1])
	}
	return nil
}

// Reject decides a pending draft of line against sending it, with a
// reason. Any releaser may reject, the drafter included (withdrawing it).
func (s *Store) Reject(ctx context.Context, line string, id int64, officer, reason string) (*Draft, error) {
	if reason == "" || len(reason) > MaxReason {
		return nil, fmt.Errorf("give a reason of 1 to %d bytes", MaxReason)
	}
	res, err := s.db.ExecContext(ctx, `UPDATE drafts SET state = 'rejected', decided_by = ?, decided_at = ?, reason = ?
		WHERE id = ? AND line = ? AND state = 'pending'`, officer, s.ms(), reason, id, line)
	if err != nil {
		return nil, err
	}
	n, _ := res.RowsAffected()
	d, err := s.Draft(ctx, line, id)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return d, fmt.Errorf("%w: draft %d is %s", ErrDecided, id, d.State)
	}
	return d, nil
}

// Releasing returns the drafts left in releasing: at the start of the
// process that releases drafts, releases that a crash interrupted, which
// it settles against the node's log.
func (s *Store) Releasing(ctx context.Context) ([]Draft, error) {
	return s.Drafts(ctx, DraftQuery{State: DraftReleasing, Limit: 1000})
}
