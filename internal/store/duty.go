package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/hotline-line/hotline/internal/entry"
)

// Pending is a message that still waits for an acknowledgement or a reply
// from one party, with what is proven about it so far. Times are 0 when
// there is no such record.
type Pending struct {
	Author     string
	Index      uint64
	Precedence entry.Precedence
	Time       int64 // author's clock, ms
	Received   int64 // this node's clock, ms: when it was queued (ours) or arrived (a peer's)

	Receipt   int64 // the party's first cosignature covering the message, unix seconds
	Sent      int64 // when it first left for the party (ours only), ms
	Displayed int64 // the party's displayed mark, author's clock ms
	Acked     int64 // the party's acknowledgement, ms
	AckedBy   string
	Replied   int64 // the party's first reply, ms
	Reply     string
	ReplyTo   string // the message this one answers; a reply is owed no reply
}

// stmtPending selects the pending messages among entries ?4 to ?5 of
// author's log, as seen by party: every message that party has not
// acknowledged, and every message that is not itself a reply and that
// party has not replied to (every message, pending or not, when ?6 is 1). (A reply asks for no reply, or every exchange
// would end in an obligation nobody can meet.) Each message costs a few
// index lookups: entries_ref for the marks, the cosigs key for the
// receipt, sent_range for the first send.
const stmtPending = `SELECT * FROM (SELECT m.idx, m.precedence, m.time, m.received,
	COALESCE((SELECT c.time FROM cosigs c WHERE c.line = ?1 AND c.author = ?2 AND c.cosigner = ?3 AND c.size > m.idx
		ORDER BY c.size LIMIT 1), 0),
	COALESCE((SELECT s.time FROM sent s WHERE s.line = ?1 AND s.peer = ?3 AND s.hi >= m.idx AND s.lo <= m.idx
		ORDER BY s.hi LIMIT 1), 0),
	COALESCE((SELECT MIN(d.time) FROM entries d WHERE d.line = ?1 AND d.ref = m.author || '-' || m.idx AND d.ref != ''
		AND d.author = ?3 AND d.kind = 'displayed'), 0),
	COALESCE((SELECT a.time FROM entries a WHERE a.line = ?1 AND a.ref = m.author || '-' || m.idx AND a.ref != ''
		AND a.author = ?3 AND a.kind = 'ack' ORDER BY a.idx LIMIT 1), 0) AS acked,
	COALESCE((SELECT a.officer FROM entries a WHERE a.line = ?1 AND a.ref = m.author || '-' || m.idx AND a.ref != ''
		AND a.author = ?3 AND a.kind = 'ack' ORDER BY a.idx LIMIT 1), ''),
	COALESCE((SELECT r.time FROM entries r WHERE r.line = ?1 AND r.ref = m.author || '-' || m.idx AND r.ref != ''
		AND r.author = ?3 AND r.kind = 'message' ORDER BY r.idx LIMIT 1), 0) AS replied,
	COALESCE((SELECT r.idx FROM entries r WHERE r.line = ?1 AND r.ref = m.author || '-' || m.idx AND r.ref != ''
		AND r.author = ?3 AND r.kind = 'message' ORDER BY r.idx LIMIT 1), -1),
	m.ref AS ref
	FROM entries m WHERE m.line = ?1 AND m.author = ?2 AND m.idx >= ?4 AND m.idx <= ?5 AND m.kind = 'message')
	WHERE ?6 OR acked = 0 OR (replied = 0 AND ref = '')
	ORDER BY idx`

// PendingMarks returns the messages among entries from to to (inclusive)
// of author's log on line that still wait for party's acknowledgement or
// reply (see stmtPending), oldest first. A caller that follows a line
// reads each range once and keeps the answer up to date from what is
// written later (see [Store.MarksSince]): rereading every pending message
// on every look costs the whole backlog each time.
func (s *Store) PendingMarks(ctx context.Context, line, author, party string, from, to uint64) ([]Pending, error) {
	return s.pending(ctx, line, author, party, from, to, false)
}

// MessageMarks is PendingMarks for every message in the range, also those
// that party owes nothing any more: what a reader that keeps no copy of a
// message reads to learn whether it closed.
func (s *Store) MessageMarks(ctx context.Context, line, author, party string, from, to uint64) ([]Pending, error) {
	return s.pending(ctx, line, author, party, from, to, true)
}

func (s *Store) pending(ctx context.Context, line, author, party string, from, to uint64, all bool) ([]Pending, error) {
	return collect(s, ctx, stmtPending, []any{line, author, party, from, to, all}, func(rows *sql.Rows, p *Pending) error {
		var reply int64
		if err := rows.Scan(&p.Index, &p.Precedence, &p.Time, &p.Received, &p.Receipt, &p.Sent, &p.Displayed,
			&p.Acked, &p.AckedBy, &p.Replied, &reply, &p.ReplyTo); err != nil {
			return err
		}
		p.Author = author
		if reply >= 0 {
			p.Reply = party + "-" + strconv.FormatInt(reply, 10)
		}
		return nil
	})
}

// stmtLogEnds reads the last index of each log named in ?2 (a JSON array
// of parties), NULL for an empty one: one descent of the primary key each
// (a bare MAX: SQLite takes the last row of the key only for that).
const stmtLogEnds = `SELECT j.value, (SELECT MAX(e.idx) FROM entries e WHERE e.line = ?1 AND e.author = j.value)
	FROM json_each(?2) j`

// LogEnds returns, for each author, the number of entries of its log on
// line this node holds (its last index + 1). Every entry below it is on
// disk, however much arrives after: logs only grow, in order.
func (s *Store) LogEnds(ctx context.Context, line string, authors []string) (map[string]uint64, error) {
	list, _ := json.Marshal(authors)
	ends, err := s.byParty(ctx, stmtLogEnds, line, string(list))
	for a := range ends {
		ends[a]++
	}
	return ends, err
}

// byParty runs q, whose rows are a party and a number or NULL, and
// returns the numbers by party, leaving out the NULLs.
func (s *Store) byParty(ctx context.Context, q string, args ...any) (map[string]uint64, error) {
	rows, err := s.queryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]uint64{}
	for rows.Next() {
		var p string
		var v sql.NullInt64
		if err := rows.Scan(&p, &v); err != nil {
			return nil, err
		}
		if v.Valid {
			out[p] = uint64(v.Int64)
		}
	}
	return out, rows.Err()
}

// stmtReceiptSizes reads the largest cosignature of author's log by each
// cosigner named in ?3 (a JSON array), on the cosigs key.
const stmtReceiptSizes = `SELECT j.value, (SELECT MAX(c.size) FROM cosigs c WHERE c.line = ?1 AND c.author = ?2 AND c.cosigner = j.value)
	FROM json_each(?3) j`

// ReceiptSizes returns, for each cosigner that has cosigned author's log
// on line, the largest size cosigned: every entry below it is delivered.
func (s *Store) ReceiptSizes(ctx context.Context, line, author string, cosigners []string) (map[string]uint64, error) {
	list, _ := json.Marshal(cosigners)
	return s.byParty(ctx, stmtReceiptSizes, line, author, string(list))
}

// stmtLastSent is a bare MAX, which SQLite answers from the end of the
// index; COALESCE around it walked every send of the line.
const stmtLastSent = `SELECT MAX(rowid) FROM sent WHERE line = ?`

// LastSentRow returns the row of the latest send recorded on line, 0 if
// none: a reader that starts there reads only the sends that follow
// (SentSince).
func (s *Store) LastSentRow(ctx context.Context, line string) (int64, error) {
	var row sql.NullInt64
	err := s.queryRowContext(ctx, stmtLastSent, line).Scan(&row)
	return row.Int64, err
}

// Mark is an entry that refers to a message: a displayed mark, an
// acknowledgement, or a reply (a message whose Ref is the one it answers).
type Mark struct {
	Author  string
	Index   uint64
	Kind    entry.Kind
	Time    int64 // author's clock, ms
	Officer string
	Ref     string // the message's ID
}

const (
	markCols      = `author, idx, kind, time, officer, ref`
	stmtMarksFrom = `SELECT ` + markCols + ` FROM entries WHERE line = ? AND author = ? AND idx >= ? AND idx < ?
		AND ref != '' AND kind IN ('displayed', 'ack', 'message') ORDER BY idx`
	// The marks of a page of messages, on the ref index, as stmtReferred.
	stmtMarksOf = `SELECT ` + markCols + ` FROM entries INDEXED BY entries_ref
		WHERE line = ?1 AND ref IN (SELECT value FROM json_each(?2)) AND ref != '' ORDER BY author, idx`
)

// MarksSince returns the marks among entries from to to (exclusive) of
// author's log on line, oldest first: what author did since a reading
// that ended at from.
func (s *Store) MarksSince(ctx context.Context, line, author string, from, to uint64) ([]Mark, error) {
	return s.marks(ctx, stmtMarksFrom, line, author, from, to)
}

// MarksOf returns every entry that refers to one of the messages ids on
// line, in log order: the ladders of a page of messages in one query.
func (s *Store) MarksOf(ctx context.Context, line string, ids []string) ([]Mark, error) {
	list, _ := json.Marshal(ids)
	return s.marks(ctx, stmtMarksOf, line, string(list))
}

func (s *Store) marks(ctx context.Context, q string, args ...any) ([]Mark, error) {
	return collect(s, ctx, q, args, func(rows *sql.Rows, m *Mark) error {
		return rows.Scan(&m.Author, &m.Index, &m.Kind, &m.Time, &m.Officer, &m.Ref)
	})
}

// stmtReceiptsAbove reads the cosignatures of author's log larger than a
// size given per cosigner (?3, a JSON object cosigner → size), on the
// cosigs key.
const stmtReceiptsAbove = `SELECT c.cosigner, c.size, c.time FROM json_each(?3) j
	CROSS JOIN cosigs c ON c.line = ?1 AND c.author = ?2 AND c.cosigner = j.key AND c.size > j.value
	ORDER BY c.cosigner, c.size`

// ReceiptsAbove returns the cosignatures of author's log on line by each
// cosigner in above that are larger than the size given for it, smallest
// first, without their notes.
func (s *Store) ReceiptsAbove(ctx context.Context, line, author string, above map[string]uint64) ([]Cosig, error) {
	obj, _ := json.Marshal(above)
	return s.receipts(ctx, stmtReceiptsAbove, line, author, string(obj))
}

func (s *Store) receipts(ctx context.Context, q string, args ...any) ([]Cosig, error) {
	return collect(s, ctx, q, args, func(rows *sql.Rows, c *Cosig) error {
		return rows.Scan(&c.Cosigner, &c.Size, &c.Time)
	})
}

// Sent is a record that entries Lo..Hi of this node's log went to Peer.
type Sent struct {
	Row    int64 // in the order recorded
	Peer   string
	Lo, Hi uint64
	Time   int64 // ms
}

// SentSince returns the sends recorded on line after row (0 for all), in
// the order recorded: rows are only ever added, so a reader that keeps
// the last row it saw reads each send once.
func (s *Store) SentSince(ctx context.Context, line string, row int64) ([]Sent, error) {
	return s.sends(ctx, stmtSentSince, row, line)
}

// stmtSentSince reads on the rowid: left to itself SQLite took sent_range
// for the line and walked every send ever recorded (14 ms at 10,000).
const stmtSentSince = `SELECT rowid, peer, lo, hi, time FROM sent NOT INDEXED WHERE rowid > ? AND line = ? ORDER BY rowid`

func (s *Store) sends(ctx context.Context, q string, args ...any) ([]Sent, error) {
	return collect(s, ctx, q, args, func(rows *sql.Rows, x *Sent) error {
		return rows.Scan(&x.Row, &x.Peer, &x.Lo, &x.Hi, &x.Time)
	})
}

// collect runs the prepared read q and scans each row into a T.
func collect[T any](s *Store, ctx context.Context, q string, args []any, scan func(*sql.Rows, *T) error) ([]T, error) {
	rows, err := s.queryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var x T
		if err := scan(rows, &x); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// LatestLinkTest returns the author's clock time (ms) of the latest link
// test author wrote on line that this node could read, or 0. It walks the
// entries_kind index from the newest entry down and stops at the first of
// author's, so it costs a few rows however long the line.
func (s *Store) LatestLinkTest(ctx context.Context, line, author string) (int64, error) {
	var t int64
	err := s.queryRowContext(ctx, `SELECT time FROM entries INDEXED BY entries_kind
		WHERE line = ? AND kind = 'linktest' AND author = ? AND body IS NOT NULL AND body_error = ''
		ORDER BY received DESC LIMIT 1`, line, author).Scan(&t)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return t, err
}
