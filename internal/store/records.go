package store

import (
	"database/sql"
	"errors"

	"github.com/hotline-line/hotline/internal/entry"
)

// Entry is one log entry as stored.
type Entry struct {
	Line       string
	Author     string
	Index      uint64
	Leaf       []byte
	Envelope   []byte
	Kind       entry.Kind
	Time       int64            // author's clock, ms
	Precedence entry.Precedence // messages only
	Salt       []byte           // nil when this node cannot read the body
	Body       []byte
	BodyError  string
	Ref        string
	Officer    string
	Received   int64 // this node's clock, ms
}

// entryCols are the columns of an Entry, envelope included: a query that
// selects them reads FROM entries ... withEnvelope.
const entryCols = `line, author, idx, leaf, envelope, kind, time, precedence, salt, body, body_error, ref, officer, received`

// withEnvelope joins each entry to its envelope, kept apart (see
// migrateEnvelopes): one lookup by rowid, for the queries that return it.
const withEnvelope = ` JOIN envelopes ON envelopes.id = entries.env`

func scanEntry(sc interface{ Scan(...any) error }) (Entry, error) {
	var e Entry
	err := sc.Scan(&e.Line, &e.Author, &e.Index, &e.Leaf, &e.Envelope, &e.Kind, &e.Time, &e.Precedence,
		&e.Salt, &e.Body, &e.BodyError, &e.Ref, &e.Officer, &e.Received)
	return e, err
}

// An entry is two rows: its envelope first, then the entry, which points
// at it by the envelope's rowid (last_insert_rowid(): the insert just
// before, on the transaction's one connection).
const (
	stmtInsertEnvelope = `INSERT INTO envelopes (envelope) VALUES (?)`
	stmtInsertEntry    = `INSERT INTO entries (line, author, idx, leaf, kind, time, precedence, salt, body, body_error, ref, officer, received, env)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,last_insert_rowid())`
)

// InsertEntry stores an entry. Entries are immutable: inserting one that
// exists is an error (and the caller rolls back, envelope and all).
func (t *Tx) InsertEntry(e *Entry) error {
	if err := t.exec(stmtInsertEnvelope, e.Envelope); err != nil {
		return err
	}
	return t.exec(stmtInsertEntry, e.Line, e.Author, e.Index, e.Leaf, e.Kind, e.Time, e.Precedence,
		e.Salt, e.Body, e.BodyError, e.Ref, e.Officer, e.Received)
}

// Entries returns the entries of author's log on line with from <= index < to.
func (s *Store) Entries(line, author string, from, to uint64) ([]Entry, error) {
	return s.queryEntries(`SELECT `+entryCols+` FROM entries`+withEnvelope+` WHERE line = ? AND author = ? AND idx >= ? AND idx < ? ORDER BY idx`,
		line, author, from, to)
}

// Entry returns one entry, or sql.ErrNoRows.
func (s *Store) Entry(line, author string, index uint64) (Entry, error) {
	return scanEntry(s.r.QueryRow(`SELECT `+entryCols+` FROM entries`+withEnvelope+` WHERE line = ? AND author = ? AND idx = ?`, line, author, index))
}

// EntryTime returns the time of one entry (author's clock, ms), seeing the
// transaction's own writes; ok is false if the entry is not held.
func (t *Tx) EntryTime(line, author string, index uint64) (ms int64, ok bool, err error) {
	st, err := t.stmt(stmtEntryTime)
	if err != nil {
		return 0, false, err
	}
	err = st.QueryRow(line, author, index).Scan(&ms)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return ms, err == nil, err
}

// CountByKind counts the entries of a kind author wrote on line, seeing
// the transaction's own writes.
func (t *Tx) CountByKind(line, author string, kind entry.Kind) (n int, err error) {
	st, err := t.stmt(stmtCountKind)
	if err != nil {
		return 0, err
	}
	err = st.QueryRow(line, kind, author).Scan(&n)
	return n, err
}

// EntriesByKind returns the entries of a kind on line in the order this node
// stored them, newest first, at most limit.
func (s *Store) EntriesByKind(line string, kind entry.Kind, limit int) ([]Entry, error) {
	return s.queryEntries(stmtByKind, line, kind, limit)
}

// The orders below run every column the same way (all DESC), so SQLite
// walks an index backwards and stops at the limit; mixing directions made
// it sort the whole line on every call (80 ms at 10,000 messages).
const (
	stmtByKind    = `SELECT ` + entryCols + ` FROM entries` + withEnvelope + ` WHERE line = ? AND kind = ? ORDER BY received DESC, author DESC, idx DESC LIMIT ?`
	stmtMine      = `SELECT ` + entryCols + ` FROM entries` + withEnvelope + ` WHERE line = ? AND kind = 'message' AND author = ? ORDER BY received DESC, author DESC, idx DESC LIMIT ?`
	stmtTheirs    = `SELECT ` + entryCols + ` FROM entries` + withEnvelope + ` WHERE line = ? AND kind = 'message' AND author != ? ORDER BY received DESC, author DESC, idx DESC LIMIT ?`
	stmtReferred  = `SELECT ` + entryCols + ` FROM entries INDEXED BY entries_ref` + withEnvelope + ` WHERE line = ? AND ref = ? AND ref != '' ORDER BY time`
	stmtHasMark   = `SELECT 1 FROM entries INDEXED BY entries_ref WHERE line = ? AND ref = ? AND ref != '' AND author = ? AND kind = ? LIMIT 1`
	stmtEntryTime = `SELECT time FROM entries WHERE line = ? AND author = ? AND idx = ?`
	stmtCountKind = `SELECT count(*) FROM entries INDEXED BY entries_kind WHERE line = ? AND kind = ? AND author = ?`
)

// Messages returns the messages on line written by author (mine) or by
// every other party (!mine), newest first, at most limit.
func (s *Store) Messages(line, author string, mine bool, limit int) ([]Entry, error) {
	if mine {
		return s.queryEntries(stmtMine, line, author, limit)
	}
	return s.queryEntries(stmtTheirs, line, author, limit)
}

// Referring returns the entries whose ref names message id: the displayed
// marks, acknowledgements and replies of a message.
func (s *Store) Referring(line, id string) ([]Entry, error) {
	// "ref != ''" makes the partial index entries_ref usable, and INDEXED BY
	// makes SQLite use it: left to itself, with no statistics, it walked the
	// whole line (19 ms) for each message an inbox page lists.
	return s.queryEntries(stmtReferred, line, id)
}

func (s *Store) queryEntries(q string, args ...any) ([]Entry, error) {
	rows, err := s.query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Leaves calls fn with every leaf of author's log on line, in order.
func (s *Store) Leaves(line, author string, fn func(index uint64, leaf []byte) error) error {
	rows, err := s.r.Query(`SELECT idx, leaf FROM entries WHERE line = ? AND author = ? ORDER BY idx`, line, author)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var i uint64
		var leaf []byte
		if err := rows.Scan(&i, &leaf); err != nil {
			return err
		}
		if err := fn(i, leaf); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Line is an installed line.
type Line struct {
	ID        string
	Charter   []byte
	State     string
	Installed int64
}

// InsertLine installs a line.
func (t *Tx) InsertLine(l *Line) error {
	_, err := t.tx.Exec(`INSERT INTO lines (id, charter, state, installed) VALUES (?,?,?,?)`, l.ID, l.Charter, l.State, l.Installed)
	return err
}

// Lines lists the installed lines.
func (s *Store) Lines() ([]Line, error) {
	rows, err := s.r.Query(`SELECT id, charter, state, installed FROM lines ORDER BY installed`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Line
	for rows.Next() {
		var l Line
		if err := rows.Scan(&l.ID, &l.Charter, &l.State, &l.Installed); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// Cosig is a stored cosignature: cosigner held author's log up to Size.
type Cosig struct {
	Line, Author, Cosigner string
	Size                   uint64
	Time                   int64 // cosigner's clock, unix seconds
	Note                   []byte
}

const stmtInsertCosig = `INSERT INTO cosigs (line, author, cosigner, size, time, note) VALUES (?,?,?,?,?,?)
	ON CONFLICT DO NOTHING`

// InsertCosig stores a cosignature; storing the same one again is a no-op.
func (t *Tx) InsertCosig(c *Cosig) error {
	return t.exec(stmtInsertCosig, c.Line, c.Author, c.Cosigner, c.Size, c.Time, c.Note)
}

// LatestCosigs returns, for each (author, cosigner) pair on line, the
// cosignature of the largest size.
func (s *Store) LatestCosigs(line string) ([]Cosig, error) {
	rows, err := s.r.Query(`SELECT c.line, c.author, c.cosigner, c.size, c.time, c.note FROM cosigs c
		JOIN (SELECT author, cosigner, MAX(size) AS size FROM cosigs WHERE line = ? GROUP BY author, cosigner) m
		ON c.author = m.author AND c.cosigner = m.cosigner AND c.size = m.size WHERE c.line = ?`, line, line)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Cosig
	for rows.Next() {
		var c Cosig
		if err := rows.Scan(&c.Line, &c.Author, &c.Cosigner, &c.Size, &c.Time, &c.Note); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

const stmtInsertSent = `INSERT INTO sent (line, peer, lo, hi, time, route) VALUES (?,?,?,?,?,?)`

// InsertSent records that entries lo..hi of this node's log went to peer.
func (t *Tx) InsertSent(line, peer string, lo, hi uint64, timeMs int64, route string) error {
	return t.exec(stmtInsertSent, line, peer, lo, hi, timeMs, route)
}

// HasMark reports whether author has already written an entry of kind that
// refers to message ref, seeing the transaction's own uncommitted writes.
func (t *Tx) HasMark(line, author string, kind entry.Kind, ref string) (bool, error) {
	var one int
	// On the ref index, like stmtReferred: without it every mark walked
	// the author's whole log, and acknowledging a long line was quadratic.
	st, err := t.stmt(stmtHasMark)
	if err != nil {
		return false, err
	}
	err = st.QueryRow(line, ref, author, kind).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// HasLine reports whether line id is installed, seeing uncommitted writes.
func (t *Tx) HasLine(id string) (bool, error) {
	var one int
	err := t.tx.QueryRow(`SELECT 1 FROM lines WHERE id = ?`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// Cosigs returns every stored cosignature on author's log, smallest size first.
func (s *Store) Cosigs(line, author string) ([]Cosig, error) {
	rows, err := s.r.Query(`SELECT line, author, cosigner, size, time, note FROM cosigs WHERE line = ? AND author = ? ORDER BY size, cosigner`, line, author)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Cosig
	for rows.Next() {
		var c Cosig
		if err := rows.Scan(&c.Line, &c.Author, &c.Cosigner, &c.Size, &c.Time, &c.Note); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
