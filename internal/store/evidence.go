package store

import (
	"crypto/sha256"
	"database/sql"
	"errors"
	"strconv"
)

// Evidence is input a node refused, kept to prove what the other side did.
//
// It is kept per offending party (line and peer) and kind of refusal, in
// up to three slots: the first of its kind and the most serious since
// (the highest rank) are kept for good; the latest is replaced by the next
// refusal of its kind. A refusal identical to one kept (same reason, same
// bytes) is counted on that row, not stored again. So a peer that sends
// bad input in a loop adds counts, not rows, and cannot push a fork proof
// out with a flood of lesser refusals.
type Evidence struct {
	ID       int64
	Line     string
	Peer     string
	Kind     string // the refusal's kind, e.g. "fork", "bad_time"
	Slot     string // SlotFirst, SlotWorst or SlotLast
	Rank     int    // how serious: a row gives way only to a more serious one
	Time     int64  // first seen, ms
	LastSeen int64  // the latest identical refusal, ms
	Count    int64  // identical refusals, this one included
	Reason   string
	Size     int64  // bytes of the refused input
	Data     []byte // the input, up to MaxEvidenceData; empty when dropped to keep the party's budget
}

// Slots of a kind of evidence.
const (
	SlotFirst = "first" // the first refusal of its kind: kept for good
	SlotWorst = "worst" // the most serious since the first: kept for good
	SlotLast  = "last"  // the latest: replaced by the next one
)

// Bounds of evidence. A party's evidence holds at most three rows per kind
// of refusal, each with at most MaxEvidenceData bytes of the input, and at
// most MaxEvidencePartyBytes in all: what does not fit drops its bytes
// (the row keeps reason, size and count), latest rows and less serious
// rows first. The most serious evidence therefore always has room.
const (
	MaxEvidenceData       = 1 << 20
	MaxEvidencePartyBytes = 8 << 20
	maxReason             = 2048
)

// keptForGood is the rank of rows kept before refusals were ranked: they
// give way to nothing.
const keptForGood = 1 << 30

// migrateEvidence moves the evidence of earlier versions (at most the last
// 1,000 refusals, newest last) into per-party, per-kind slots: per party,
// the first and the latest fork refusal and the first and the latest of
// the rest. Refusals were not classified then; a fork's reason starts with
// "fork:" (node.ErrFork). Counts carry over.
var migrateEvidence = `
	CREATE TABLE evidence_kept (
		id INTEGER PRIMARY KEY,
		line TEXT NOT NULL,
		peer TEXT NOT NULL,
		kind TEXT NOT NULL,
		slot TEXT NOT NULL,
		rank INTEGER NOT NULL,
		time INTEGER NOT NULL,       -- first seen, ms
		last_seen INTEGER NOT NULL,  -- latest identical refusal, ms
		count INTEGER NOT NULL,      -- identical refusals
		reason TEXT NOT NULL,
		hash BLOB NOT NULL,          -- SHA-256 of reason and input: finds identical refusals
		size INTEGER NOT NULL,       -- bytes of the input
		data BLOB NOT NULL,          -- the input, at most MaxEvidenceData; empty if dropped
		UNIQUE (line, peer, kind, slot)
	);
	CREATE TABLE evidence_counts (
		line TEXT NOT NULL,
		peer TEXT NOT NULL,
		kind TEXT NOT NULL,
		count INTEGER NOT NULL,
		first_seen INTEGER NOT NULL,
		last_seen INTEGER NOT NULL,
		last_reason TEXT NOT NULL,
		PRIMARY KEY (line, peer, kind)
	) WITHOUT ROWID;
	CREATE TEMP VIEW old_evidence AS
		SELECT *, CASE WHEN reason LIKE 'fork:%' THEN 'fork' ELSE 'earlier' END AS kind FROM evidence;
	CREATE TEMP VIEW old_ends AS
		SELECT line, peer, kind, MIN(id) AS lo, MAX(id) AS hi, COUNT(*) AS n, MIN(time) AS t0, MAX(time) AS t1
		FROM old_evidence GROUP BY line, peer, kind;
	INSERT INTO evidence_kept (line, peer, kind, slot, rank, time, last_seen, count, reason, hash, size, data)
		SELECT o.line, o.peer, o.kind, CASE WHEN o.id = e.lo THEN 'first' ELSE 'worst' END, ` + strconv.Itoa(keptForGood) + `,
			o.time, o.time, 1, o.reason, X'', length(o.data), o.data
		FROM old_evidence o JOIN old_ends e ON o.id IN (e.lo, e.hi);
	INSERT INTO evidence_counts (line, peer, kind, count, first_seen, last_seen, last_reason)
		SELECT line, peer, kind, n, t0, t1, (SELECT reason FROM evidence WHERE id = hi) FROM old_ends;
	DROP VIEW old_ends;
	DROP VIEW old_evidence;
	DROP TABLE evidence;
	ALTER TABLE evidence_kept RENAME TO evidence;`

// InsertEvidence keeps a refusal: it counts it, and stores it in the slot
// of its kind it belongs to, within the party's budget. It returns how
// many bytes of earlier evidence it let go (see Reclaim).
func (t *Tx) InsertEvidence(e *Evidence) (freed int64, err error) {
	reason := e.Reason
	if len(reason) > maxReason {
		reason = reason[:maxReason]
	}
	h := sha256.New()
	h.Write([]byte(reason))
	h.Write([]byte{0})
	h.Write(e.Data)
	hash := h.Sum(nil)
	size := int64(len(e.Data))
	data := e.Data[:min(len(e.Data), MaxEvidenceData)]

	_, err = t.tx.Exec(`INSERT INTO evidence_counts (line, peer, kind, count, first_seen, last_seen, last_reason) VALUES (?,?,?,1,?,?,?)
		ON CONFLICT (line, peer, kind) DO UPDATE SET count = count + 1, last_seen = excluded.last_seen, last_reason = excluded.last_reason`,
		e.Line, e.Peer, e.Kind, e.Time, e.Time, reason)
	if err != nil {
		return 0, err
	}
	res, err := t.tx.Exec(`UPDATE evidence SET count = count + 1, last_seen = ? WHERE line = ? AND peer = ? AND kind = ? AND hash = ?`,
		e.Time, e.Line, e.Peer, e.Kind, hash)
	if err != nil {
		return 0, err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return 0, nil // identical to one kept: counted
	}

	// The slot: the first of its kind; else the most serious so far if it
	// outranks the kept ones; else the latest.
	var kept int
	var top sql.NullInt64
	err = t.tx.QueryRow(`SELECT COUNT(*), MAX(rank) FROM evidence WHERE line = ? AND peer = ? AND kind = ? AND slot IN ('first', 'worst')`,
		e.Line, e.Peer, e.Kind).Scan(&kept, &top)
	if err != nil {
		return 0, err
	}
	slot := SlotLast
	switch {
	case kept == 0:
		slot = SlotFirst
	case int64(e.Rank) > top.Int64:
		slot = SlotWorst
	}
	var old int64
	err = t.tx.QueryRow(`DELETE FROM evidence WHERE line = ? AND peer = ? AND kind = ? AND slot = ? RETURNING length(data)`,
		e.Line, e.Peer, e.Kind, slot).Scan(&old)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	freed += old

	dropped, err := t.makeRoom(e.Line, e.Peer, e.Rank, slot != SlotLast, int64(len(data)))
	if err != nil {
		return 0, err
	}
	freed += dropped.freed
	if !dropped.fits {
		data = nil
	}
	_, err = t.tx.Exec(`INSERT INTO evidence (line, peer, kind, slot, rank, time, last_seen, count, reason, hash, size, data)
		VALUES (?,?,?,?,?,?,?,1,?,?,?,?)`, e.Line, e.Peer, e.Kind, slot, e.Rank, e.Time, e.Time, reason, hash, size, nonNil(data))
	return freed, err
}

type room struct {
	fits  bool
	freed int64
}

// makeRoom drops the bytes of the party's evidence until need more bytes
// fit its budget: latest rows first and then, for a row kept for good,
// rows less serious than rank, least serious first. Rows are kept
// (reason, size, count); only their bytes go.
func (t *Tx) makeRoom(line, peer string, rank int, forGood bool, need int64) (room, error) {
	var used int64
	if err := t.tx.QueryRow(`SELECT COALESCE(SUM(length(data)), 0) FROM evidence WHERE line = ? AND peer = ?`, line, peer).Scan(&used); err != nil {
		return room{}, err
	}
	r := room{fits: used+need <= MaxEvidencePartyBytes}
	if r.fits {
		return r, nil
	}
	rows, err := t.tx.Query(`SELECT id, length(data) FROM evidence WHERE line = ? AND peer = ? AND length(data) > 0 AND (slot = 'last' OR ? AND rank < ?)
		ORDER BY slot = 'last' DESC, rank, id DESC`, line, peer, forGood, rank)
	if err != nil {
		return room{}, err
	}
	var drop []int64
	for rows.Next() && used+need > MaxEvidencePartyBytes {
		var id, n int64
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return room{}, err
		}
		drop, used, r.freed = append(drop, id), used-n, r.freed+n
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return room{}, err
	}
	for _, id := range drop {
		if _, err := t.tx.Exec(`UPDATE evidence SET data = X'' WHERE id = ?`, id); err != nil {
			return room{}, err
		}
	}
	r.fits = used+need <= MaxEvidencePartyBytes
	return r, nil
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

const evidenceCols = `id, line, peer, kind, slot, rank, time, last_seen, count, reason, size, data`

// EvidenceList returns the evidence kept, the most recently seen first.
func (s *Store) EvidenceList(limit int) ([]Evidence, error) {
	rows, err := s.r.Query(`SELECT `+evidenceCols+` FROM evidence ORDER BY last_seen DESC, id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Evidence
	for rows.Next() {
		var e Evidence
		if err := rows.Scan(&e.ID, &e.Line, &e.Peer, &e.Kind, &e.Slot, &e.Rank, &e.Time, &e.LastSeen, &e.Count, &e.Reason, &e.Size, &e.Data); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// EvidenceCount is how often one party's input was refused for one kind
// of reason.
type EvidenceCount struct {
	Line       string `json:"line"`
	Peer       string `json:"peer"`
	Kind       string `json:"kind"`
	Count      int64  `json:"count"`
	FirstSeen  int64  `json:"first_seen"` // ms
	LastSeen   int64  `json:"last_seen"`  // ms
	LastReason string `json:"last_reason"`
}

// EvidenceCounts returns the refusals counted on line (every line if
// line is ""), by party and kind.
func (s *Store) EvidenceCounts(line string) ([]EvidenceCount, error) {
	rows, err := s.r.Query(`SELECT line, peer, kind, count, first_seen, last_seen, last_reason FROM evidence_counts
		WHERE ? = '' OR line = ? ORDER BY line, peer, kind`, line, line)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []EvidenceCount
	for rows.Next() {
		var c EvidenceCount
		if err := rows.Scan(&c.Line, &c.Peer, &c.Kind, &c.Count, &c.FirstSeen, &c.LastSeen, &c.LastReason); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// reclaimAt is how much free space inside the file Reclaim leaves alone:
// the next evidence reuses it.
const reclaimAt = 4 << 20

// Reclaim gives back to the file system the pages that dropped evidence
// freed, once they add up to reclaimAt, and copies the write-ahead log
// into the database as far as no reader holds it back. Without it a flood
// of refusals leaves the file at its largest size for good (the WAL is
// cut back by journal_size_limit, OpenSQLite). It runs on the writer's
// connection, so it waits for the transaction in progress; call it
// between commits.
func (s *Store) Reclaim() error {
	_, free, pageSize, err := s.pages()
	if err != nil {
		return err
	}
	if free*pageSize < reclaimAt {
		return nil
	}
	return s.compact("PASSIVE")
}

// pages returns the pages of the file, how many of them are free, and
// the size of a page.
func (s *Store) pages() (pages, free, size int64, err error) {
	err = s.w.QueryRow(`SELECT (SELECT page_count FROM pragma_page_count), (SELECT freelist_count FROM pragma_freelist_count),
		(SELECT page_size FROM pragma_page_size)`).Scan(&pages, &free, &size)
	return pages, free, size, err
}

// compact frees every free page and checkpoints the WAL in mode: PASSIVE
// never waits for readers, TRUNCATE waits for them and empties the file.
func (s *Store) compact(mode string) error {
	// incremental_vacuum frees one page per step: read it to the end.
	rows, err := s.w.Query(`PRAGMA incremental_vacuum`)
	if err != nil {
		return Classify(err)
	}
	for rows.Next() {
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return Classify(err)
	}
	_, err = s.w.Exec(`PRAGMA wal_checkpoint(` + mode + `)`)
	return Classify(err)
}

// vacuumOnce turns on incremental vacuum in a file made before it was on,
// rewriting the file once: such a file may hold a gigabyte of evidence
// that the bounded slots no longer keep.
func (s *Store) vacuumOnce() error {
	var mode int
	if err := s.w.QueryRow(`PRAGMA auto_vacuum`).Scan(&mode); err != nil {
		return err
	}
	if mode == 2 {
		return nil
	}
	if _, err := s.w.Exec(`PRAGMA auto_vacuum = INCREMENTAL`); err != nil {
		return err
	}
	if _, err := s.w.Exec(`VACUUM`); err != nil {
		return err
	}
	return s.compact("TRUNCATE")
}
