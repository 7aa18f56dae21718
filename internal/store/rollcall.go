package store

import (
	"database/sql"
	"errors"
)

// Roll-call answers are read per party and by the author's clock. Each
// query names kind = 'rollcall' literally, so SQLite can use the partial
// index entries_rollcall and reads one row, however long the log. Answers
// whose body did not decode (body_error) are not answers.

const (
	stmtLatestRollCall = `SELECT ` + entryCols + ` FROM entries INDEXED BY entries_rollcall` + withEnvelope + `
		WHERE line = ? AND author = ? AND kind = 'rollcall' AND body_error = '' AND time < ? ORDER BY time DESC LIMIT 1`
	stmtFirstRollCall = `SELECT ` + entryCols + ` FROM entries INDEXED BY entries_rollcall` + withEnvelope + `
		WHERE line = ? AND author = ? AND kind = 'rollcall' AND body_error = '' AND time >= ? ORDER BY time LIMIT 1`
	stmtHasRollCall = `SELECT 1 FROM entries INDEXED BY entries_rollcall
		WHERE line = ? AND author = ? AND kind = 'rollcall' AND body_error = '' AND time >= ? AND time < ? LIMIT 1`
)

// LatestRollCallBefore returns author's roll-call answer on line with the
// latest time before before (ms, the author's clock), or nil.
func (s *Store) LatestRollCallBefore(line, author string, before int64) (*Entry, error) {
	return s.oneEntry(stmtLatestRollCall, line, author, before)
}

// FirstRollCallSince returns author's earliest roll-call answer on line
// written at or after from (ms, the author's clock), or nil.
func (s *Store) FirstRollCallSince(line, author string, from int64) (*Entry, error) {
	return s.oneEntry(stmtFirstRollCall, line, author, from)
}

func (s *Store) oneEntry(q string, args ...any) (*Entry, error) {
	st, err := s.stmt(s.r, q)
	if err != nil {
		return nil, err
	}
	e, err := scanEntry(st.QueryRow(args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// HasRollCallBetween reports whether author has answered a roll-call on
// line with from <= time < to (ms), seeing the transaction's own
// uncommitted writes: two answers racing for one slot write one entry.
func (t *Tx) HasRollCallBetween(line, author string, from, to int64) (bool, error) {
	var one int
	err := t.tx.QueryRow(stmtHasRollCall, line, author, from, to).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// EntryTime returns the author's time (ms) of one entry, or false if the
// node does not hold it.
func (s *Store) EntryTime(line, author string, index uint64) (int64, bool, error) {
	st, err := s.stmt(s.r, `SELECT time FROM entries WHERE line = ? AND author = ? AND idx = ?`)
	if err != nil {
		return 0, false, err
	}
	var ms int64
	err = st.QueryRow(line, author, index).Scan(&ms)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return ms, err == nil, err
}
