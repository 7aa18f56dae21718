package officer

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"time"
)

// Session is a console login.
type Session struct {
	Officer  string
	Role     Role
	Lang     string // the officer's console language; '' is the party's default
	Created  time.Time
	Seen     time.Time
	Expires  time.Time // the earlier of the idle and the absolute expiry
	token    []byte    // hash
	csrfHash []byte
}

// ErrNoSession means the token names no live session: it never existed,
// was logged out, expired, or its officer was removed. Ask the officer to
// log in again.
var ErrNoSession = errors.New("no session: log in")

func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func hashToken(t string) []byte {
	h := sha256.Sum256([]byte(t))
	return h[:]
}

// NewSession starts a session for officer name. It returns the session
// token (for an HttpOnly cookie) and the CSRF token (for the page to send
// back in a header); the store keeps only their hashes.
func (s *Store) NewSession(ctx context.Context, name string) (token, csrf string, err error) {
	if token, err = newToken(); err != nil {
		return "", "", err
	}
	if csrf, err = newToken(); err != nil {
		return "", "", err
	}
	now := s.ms()
	// Expired sessions are removed here, so the table does not grow.
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE seen < ? OR created < ?`,
		now-s.cfg.Idle.Milliseconds(), now-s.cfg.Absolute.Milliseconds()); err != nil {
		return "", "", err
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO sessions (token_hash, csrf_hash, officer, created, seen)
		SELECT ?, ?, name, ?, ? FROM officers WHERE name = ?`, hashToken(token), hashToken(csrf), now, now, name)
	if err != nil {
		return "", "", err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return "", "", ErrNoOfficer
	}
	return token, csrf, nil
}

// Session returns the live session of token and marks it used now. The
// officer's role is read afresh, so a change of role or a removal takes
// effect at the next request.
func (s *Store) Session(ctx context.Context, token string) (*Session, error) {
	if token == "" {
		return nil, ErrNoSession
	}
	h := hashToken(token)
	var ss Session
	var created, seen int64
	err := s.db.QueryRowContext(ctx, `SELECT s.officer, o.role, o.lang, s.created, s.seen, s.csrf_hash
		FROM sessions s JOIN officers o ON o.name = s.officer WHERE s.token_hash = ?`, h).
		Scan(&ss.Officer, &ss.Role, &ss.Lang, &created, &seen, &ss.csrfHash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	ss.Created, ss.Seen, ss.token = time.UnixMilli(created), time.UnixMilli(seen), h
	if now.Sub(ss.Seen) > s.cfg.Idle || now.Sub(ss.Created) > s.cfg.Absolute {
		s.db.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, h)
		return nil, ErrNoSession
	}
	// Write the use at most every few seconds: an open console asks often,
	// and the idle limit does not need millisecond precision.
	if now.Sub(ss.Seen) >= min(s.cfg.Idle/100, 30*time.Second) {
		if _, err := s.db.ExecContext(ctx, `UPDATE sessions SET seen = ? WHERE token_hash = ?`, now.UnixMilli(), h); err != nil {
			return nil, err
		}
		ss.Seen = now
	}
	ss.Expires = ss.Seen.Add(s.cfg.Idle)
	if abs := ss.Created.Add(s.cfg.Absolute); abs.Before(ss.Expires) {
		ss.Expires = abs
	}
	return &ss, nil
}

// CSRFValid reports whether csrf is the CSRF token of the session.
func (ss *Session) CSRFValid(csrf string) bool {
	return csrf != "" && subtle.ConstantTimeCompare(hashToken(csrf), ss.csrfHash) == 1
}

// EndSession logs a session out.
func (s *Store) EndSession(ctx context.Context, ss *Session) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, ss.token)
	return err
}
