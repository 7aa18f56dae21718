package officer

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Act is one thing an officer did in the console.
type Act struct {
	Time    time.Time `json:"time"`
	Officer string    `json:"officer"`
	Act     string    `json:"act"` // login, logout, ack, send, draft, release, reject, password
	Line    string    `json:"line,omitempty"`
	Message string    `json:"message,omitempty"`
	Detail  string    `json:"detail,omitempty"`
}

// Record writes an act; it is on disk when Record returns. The time is the
// store's clock.
func (s *Store) Record(ctx context.Context, a Act) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO acts (time, officer, act, line, message, detail) VALUES (?, ?, ?, ?, ?, ?)`,
		s.ms(), a.Officer, a.Act, a.Line, a.Message, a.Detail)
	return err
}

// Acts returns the latest acts, newest first, at most limit.
func (s *Store) Acts(ctx context.Context, limit int) ([]Act, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT time, officer, act, line, message, detail FROM acts ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Act
	for rows.Next() {
		var a Act
		var t int64
		if err := rows.Scan(&t, &a.Officer, &a.Act, &a.Line, &a.Message, &a.Detail); err != nil {
			return nil, err
		}
		a.Time = time.UnixMilli(t).UTC()
		out = append(out, a)
	}
	return out, rows.Err()
}

// SentBy returns, for each message ID of line that an officer sent from the
// console, that officer's name.
func (s *Store) SentBy(ctx context.Context, line string, ids []string) (map[string]string, error) {
	out := map[string]string{}
	for _, id := range ids {
		var name string
		err := s.db.QueryRowContext(ctx, `SELECT officer FROM acts WHERE line = ? AND message = ? AND act = 'send' LIMIT 1`, line, id).Scan(&name)
		switch {
		case err == nil:
			out[id] = name
		case !errors.Is(err, sql.ErrNoRows):
			return nil, err
		}
	}
	return out, nil
}
