package store

import (
	"database/sql"
	"strconv"
)

// Pending is a message that still waits for an acknowledgement or a reply
// from one party, with what is proven about it so far. Times are 0 when
// there is no such record.
type Pending struct {
	Author     string
	Index      uint64
	Precedence string
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

// stmtPending selects the pending messages of author's log, as seen by
// party: every message that party has not acknowledged, and every message
// that is not itself a reply and that party has not replied to. (A reply
// asks for no reply, or every exchange would end in an obligation nobody
// can meet.) Each row costs a few index lookups (entries_ref for the marks,
// the cosigs key for the receipt, sent_range for the first send), so a
// caller that passes the index of its oldest pending message pays for the
// messages since then, not for the whole line.
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
	FROM entries m
	WHERE m.line = ?1 AND m.author = ?2 AND m.idx >= ?4 AND m.idx <= ?5 AND m.kind = 'message')
	WHERE acked = 0 OR (replied = 0 AND ref = '')
	ORDER BY idx`

// PendingMarks returns the messages of author's log on line, from index
// from on, that still wait for party's acknowledgement or reply (see
// stmtPending), oldest first. next is the index to pass as from next time: the oldest message
// returned, or the end of the log if none is. Acknowledgements and replies
// are never taken back, so nothing before next can become pending again.
func (s *Store) PendingMarks(line, author, party string, from uint64) (pending []Pending, next uint64, err error) {
	// The end of the log is read first: the log only grows, and every entry
	// below its end is on disk, so the rows read next cover all of it
	// however much arrives in between.
	var last sql.NullInt64
	if err := s.r.QueryRow(`SELECT MAX(idx) FROM entries WHERE line = ? AND author = ?`, line, author).Scan(&last); err != nil {
		return nil, from, err
	}
	if !last.Valid || uint64(last.Int64) < from {
		return nil, from, nil
	}
	rows, err := s.query(stmtPending, line, author, party, from, last.Int64)
	if err != nil {
		return nil, from, err
	}
	defer rows.Close()
	next = uint64(last.Int64) + 1
	for rows.Next() {
		p := Pending{Author: author}
		var reply int64
		if err := rows.Scan(&p.Index, &p.Precedence, &p.Time, &p.Received, &p.Receipt, &p.Sent, &p.Displayed,
			&p.Acked, &p.AckedBy, &p.Replied, &reply, &p.ReplyTo); err != nil {
			return nil, from, err
		}
		if reply >= 0 {
			p.Reply = party + "-" + strconv.FormatInt(reply, 10)
		}
		next = min(next, p.Index)
		pending = append(pending, p)
	}
	if err := rows.Err(); err != nil {
		return nil, from, err
	}
	return pending, next, nil
}
