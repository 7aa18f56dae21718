package store

import (
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

// Scan is where one reading of a log's pending messages left off: the
// messages pending then, and the end of the log it had read. Closing a
// message is never undone (acknowledgements and replies are not taken
// back), so the next reading need look only at those and at what was
// written since, not at the whole line. The zero Scan reads everything.
type Scan struct {
	Next    uint64   // the first index not read yet
	Pending []uint64 // the indexes that were pending
}

// stmtPending selects the pending messages of author's log, as seen by
// party: every message that party has not acknowledged, and every message
// that is not itself a reply and that party has not replied to. (A reply
// asks for no reply, or every exchange would end in an obligation nobody
// can meet.) The candidates are the entries written since the last reading
// (?4 to ?5, by the primary key) and the messages pending then (?6, a JSON
// array of indexes); each costs a few index lookups: entries_ref for the
// marks, the cosigs key for the receipt, sent_range for the first send.
// CROSS JOIN keeps the candidates the outer loop: SQLite would otherwise
// walk all of author's entries and look each up among them.
const stmtPending = `WITH c(idx) AS (
		SELECT idx FROM entries WHERE line = ?1 AND author = ?2 AND idx >= ?4 AND idx <= ?5 AND kind = 'message'
		UNION ALL
		SELECT value FROM json_each(?6) WHERE value < ?4)
	SELECT * FROM (SELECT m.idx, m.precedence, m.time, m.received,
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
	FROM c CROSS JOIN entries m ON m.line = ?1 AND m.author = ?2 AND m.idx = c.idx
	WHERE m.kind = 'message')
	WHERE acked = 0 OR (replied = 0 AND ref = '')
	ORDER BY idx`

// PendingMarks returns the messages of author's log on line that still
// wait for party's acknowledgement or reply (see stmtPending), oldest
// first, reading only the messages pending at prev and those written
// since; and where this reading leaves off, to pass as prev next time.
func (s *Store) PendingMarks(line, author, party string, prev Scan) ([]Pending, Scan, error) {
	// The end of the log is read first: the log only grows, and every entry
	// below its end is on disk, so the rows read next cover all of it
	// however much arrives in between.
	var last sql.NullInt64
	if err := s.r.QueryRow(`SELECT MAX(idx) FROM entries WHERE line = ? AND author = ?`, line, author).Scan(&last); err != nil {
		return nil, prev, err
	}
	next := prev.Next
	if last.Valid && uint64(last.Int64) >= next {
		next = uint64(last.Int64) + 1
	}
	known, _ := json.Marshal(prev.Pending)
	if prev.Pending == nil {
		known = []byte("[]")
	}
	rows, err := s.query(stmtPending, line, author, party, prev.Next, int64(next)-1, string(known))
	if err != nil {
		return nil, prev, err
	}
	defer rows.Close()
	var out []Pending
	scan := Scan{Next: next}
	for rows.Next() {
		p := Pending{Author: author}
		var reply int64
		if err := rows.Scan(&p.Index, &p.Precedence, &p.Time, &p.Received, &p.Receipt, &p.Sent, &p.Displayed,
			&p.Acked, &p.AckedBy, &p.Replied, &reply, &p.ReplyTo); err != nil {
			return nil, prev, err
		}
		if reply >= 0 {
			p.Reply = party + "-" + strconv.FormatInt(reply, 10)
		}
		scan.Pending = append(scan.Pending, p.Index)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, prev, err
	}
	return out, scan, nil
}

// LatestLinkTest returns the author's clock time (ms) of the latest link
// test author wrote on line that this node could read, or 0. It walks the
// entries_kind index from the newest entry down and stops at the first of
// author's, so it costs a few rows however long the line.
func (s *Store) LatestLinkTest(line, author string) (int64, error) {
	var t int64
	err := s.r.QueryRow(`SELECT time FROM entries INDEXED BY entries_kind
		WHERE line = ? AND kind = 'linktest' AND author = ? AND body IS NOT NULL AND body_error = ''
		ORDER BY received DESC LIMIT 1`, line, author).Scan(&t)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return t, err
}
