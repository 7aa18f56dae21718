package relay

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/hotline-line/hotline/internal/store"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// db holds the mailboxes in one SQLite file. One connection writes; several
// read. With WAL and synchronous=FULL a transaction is on disk when Commit
// returns, which is what lets the relay answer a put only once it is safe.
type db struct {
	w *sql.DB
	r *sql.DB
}

func openDB(path string) (*db, error) {
	w, r, err := store.OpenSQLite(path, migrations, 4)
	if err != nil {
		return nil, err
	}
	return &db{w: w, r: r}, nil
}

func (d *db) close() error { return errors.Join(d.r.Close(), d.w.Close()) }

// The mailboxes table keeps each queue's last sequence number, so numbers
// keep increasing after the queue is emptied, and its usage, so a put checks
// the quota without summing the queue.
var migrations = []string{
	`CREATE TABLE mailboxes (
		line TEXT NOT NULL,
		recipient TEXT NOT NULL,
		last_seq INTEGER NOT NULL,
		bytes INTEGER NOT NULL,
		count INTEGER NOT NULL,
		PRIMARY KEY (line, recipient)
	) WITHOUT ROWID;
	CREATE TABLE messages (
		line TEXT NOT NULL,
		recipient TEXT NOT NULL,
		seq INTEGER NOT NULL,
		sender TEXT NOT NULL,
		time INTEGER NOT NULL,   -- relay's clock at the put, ms
		size INTEGER NOT NULL,   -- length(blob)
		blob BLOB NOT NULL
	);
	CREATE UNIQUE INDEX messages_seq ON messages (line, recipient, seq);`,
}

// quotaError is a put refused because the mailbox is full.
type quotaError struct{ msg string }

func (e *quotaError) Error() string { return e.msg }

// clampSeq maps a client's sequence number onto SQLite's integers.
func clampSeq(s uint64) int64 {
	if s > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(s)
}

// put appends blob to the mailbox and returns its sequence number once the
// transaction has committed.
func (d *db) put(ctx context.Context, lineID, recipient, sender string, now time.Time, blob []byte, lim Limits) (uint64, error) {
	tx, err := d.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var last, bytes, count int64
	err = tx.QueryRowContext(ctx, `SELECT last_seq, bytes, count FROM mailboxes WHERE line = ? AND recipient = ?`,
		lineID, recipient).Scan(&last, &bytes, &count)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	if count+1 > lim.MaxCount {
		return 0, &quotaError{fmt.Sprintf("mailbox of %s is full: it holds %d messages, the message-count quota is %d; the recipient must fetch and acknowledge first",
			recipient, count, lim.MaxCount)}
	}
	if bytes+int64(len(blob)) > lim.MaxBytes {
		return 0, &quotaError{fmt.Sprintf("mailbox of %s is full: it holds %d bytes and this blob is %d, the byte quota is %d; the recipient must fetch and acknowledge first",
			recipient, bytes, len(blob), lim.MaxBytes)}
	}
	seq := last + 1
	if _, err := tx.ExecContext(ctx, `INSERT INTO messages (line, recipient, seq, sender, time, size, blob) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		lineID, recipient, seq, sender, now.UnixMilli(), len(blob), blob); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO mailboxes (line, recipient, last_seq, bytes, count) VALUES (?, ?, ?, ?, 1)
		ON CONFLICT (line, recipient) DO UPDATE SET last_seq = excluded.last_seq, bytes = bytes + excluded.bytes, count = count + 1`,
		lineID, recipient, seq, len(blob)); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return uint64(seq), nil
}

// fetch returns the messages after seq after, in order: as many as fit in
// maxBytes of blobs and maxCount messages, and always at least one if any.
func (d *db) fetch(ctx context.Context, lineID, recipient string, after uint64, maxBytes int64, maxCount int) ([]Message, error) {
	rows, err := d.r.QueryContext(ctx, `SELECT seq, sender, time, blob FROM messages
		WHERE line = ? AND recipient = ? AND seq > ? ORDER BY seq LIMIT ?`,
		lineID, recipient, clampSeq(after), maxCount)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var msgs []Message
	var total int64
	for rows.Next() {
		var m Message
		var seq, ms int64
		if err := rows.Scan(&seq, &m.Sender, &ms, &m.Blob); err != nil {
			return nil, err
		}
		if len(msgs) > 0 && total+int64(len(m.Blob)) > maxBytes {
			break
		}
		m.Seq = uint64(seq)
		m.Time = time.UnixMilli(ms).UTC()
		total += int64(len(m.Blob))
		msgs = append(msgs, m)
	}
	return msgs, rows.Err()
}

// ack deletes the messages of the mailbox up to and including seq through,
// and returns how many it deleted.
func (d *db) ack(ctx context.Context, lineID, recipient string, through uint64) (int64, error) {
	tx, err := d.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	t := clampSeq(through)
	var n, size int64
	if err := tx.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(size), 0) FROM messages
		WHERE line = ? AND recipient = ? AND seq <= ?`, lineID, recipient, t).Scan(&n, &size); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, nil
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM messages WHERE line = ? AND recipient = ? AND seq <= ?`,
		lineID, recipient, t); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE mailboxes SET bytes = bytes - ?, count = count - ? WHERE line = ? AND recipient = ?`,
		size, n, lineID, recipient); err != nil {
		return 0, err
	}
	return n, tx.Commit()
}
