// Package store keeps a node's state in one SQLite file (modernc.org/sqlite,
// pure Go): the lines and their charters, every log entry a node holds,
// checkpoints, cosignatures (delivery receipts), and evidence of refused
// input.
//
// The database runs in WAL mode with synchronous=FULL, so a committed
// transaction is on disk (fsync) before Commit returns. The node relies on
// that: it releases a cosignature or reports a message as queued only after
// the transaction that holds it has committed.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Store is an open node database. One connection writes; several read.
type Store struct {
	w *sql.DB // exactly one connection: SQLite has one writer at a time
	r *sql.DB

	// Prepared statements of the hot paths, by database and text: SQLite
	// parses a statement in about as much time as it takes to run a small
	// insert, and the writer runs the same few statements all day.
	mu       sync.Mutex
	prepared map[*sql.DB]map[string]*sql.Stmt

	reads atomic.Int64 // statements run by queryContext and queryRowContext
	// writes counts the statements run by the hot paths of the writer
	// (Tx.exec), and BEGIN and COMMIT of each write transaction; commits
	// counts the transactions committed, each one fsync.
	writes, commits atomic.Int64
}

// Open opens (creating if needed) the database at path and brings its
// schema up to date.
func Open(path string) (*Store, error) {
	// The database holds plaintext: OpenSQLite makes it owner-only.
	w, r, err := OpenSQLite(path, migrations, 4)
	if err != nil {
		return nil, Classify(err)
	}
	s := &Store{w: w, r: r}
	// Best effort, like the file modes: a read-only or full disk still
	// opens, and the conversion is tried again next time.
	_ = s.vacuumOnce()
	_ = s.vacuumMostlyFree()
	for _, q := range writerStmts {
		if _, err := s.stmt(w, q); err != nil {
			s.Close()
			return nil, Classify(err)
		}
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	var errs []error
	s.mu.Lock()
	for _, m := range s.prepared {
		for _, st := range m {
			errs = append(errs, st.Close())
		}
	}
	s.prepared = nil
	s.mu.Unlock()
	return errors.Join(append(errs, s.r.Close(), s.w.Close())...)
}

// The statements the writer runs in every group commit, prepared when the
// store opens. (They cannot be prepared later: the writer's one connection
// is then held by the transaction that needs them.) The reads among them
// run for each entry committed: unprepared, SQLite parsed them every time.
var writerStmts = []string{stmtSavepoint, stmtRelease, stmtRollbackTo, stmtInsertEnvelope, stmtInsertEntry, stmtInsertCosig, stmtInsertSent,
	stmtEntryTime, stmtHasMark}

const (
	stmtSavepoint  = `SAVEPOINT op`
	stmtRelease    = `RELEASE op`
	stmtRollbackTo = `ROLLBACK TO op`
)

// stmt returns q prepared on db, preparing it on first use. It must not be
// called for the writer's database inside a transaction.
func (s *Store) stmt(db *sql.DB, q string) (*sql.Stmt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.prepared[db][q]; st != nil {
		return st, nil
	}
	st, err := db.Prepare(q)
	if err != nil {
		return nil, err
	}
	if s.prepared == nil {
		s.prepared = map[*sql.DB]map[string]*sql.Stmt{}
	}
	if s.prepared[db] == nil {
		s.prepared[db] = map[string]*sql.Stmt{}
	}
	s.prepared[db][q] = st
	return st, nil
}

// query runs a prepared read.
func (s *Store) query(q string, args ...any) (*sql.Rows, error) {
	return s.queryContext(context.Background(), q, args...)
}

// queryContext runs a prepared read that stops when ctx ends: SQLite is
// interrupted mid-statement, so a long read does not hold up a node that
// is stopping.
func (s *Store) queryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := s.stmt(s.r, q)
	if err != nil {
		return nil, err
	}
	s.reads.Add(1)
	return st.QueryContext(ctx, args...)
}

// queryRowContext is queryContext for one row.
func (s *Store) queryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := s.stmt(s.r, q)
	if err != nil {
		// A statement that does not prepare fails the same way unprepared,
		// and the error then comes out of Scan.
		return s.r.QueryRowContext(ctx, q, args...)
	}
	s.reads.Add(1)
	return st.QueryRowContext(ctx, args...)
}

// Reads counts the prepared reads run since Open: what a view costs in
// statements, for the tests and benchmarks that keep it constant.
func (s *Store) Reads() int64 { return s.reads.Load() }

// Writes counts the statements of write transactions run since Open: the
// writer's prepared statements, and BEGIN and COMMIT of each transaction.
func (s *Store) Writes() int64 { return s.writes.Load() }

// Commits counts the write transactions committed since Open: each is one
// fsync of the write-ahead log.
func (s *Store) Commits() int64 { return s.commits.Load() }

var migrations = []string{
	`CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
	CREATE TABLE lines (
		id TEXT PRIMARY KEY,
		charter BLOB NOT NULL,
		state TEXT NOT NULL DEFAULT 'open',
		installed INTEGER NOT NULL
	);
	CREATE TABLE entries (
		line TEXT NOT NULL,
		author TEXT NOT NULL,
		idx INTEGER NOT NULL,
		leaf BLOB NOT NULL,
		envelope BLOB NOT NULL,
		kind TEXT NOT NULL,
		time INTEGER NOT NULL,       -- author's clock, ms
		precedence TEXT NOT NULL DEFAULT '',
		salt BLOB,                   -- set when this node can read the body
		body BLOB,
		body_error TEXT NOT NULL DEFAULT '',
		ref TEXT NOT NULL DEFAULT '',      -- reply_to of a message; message of a mark
		officer TEXT NOT NULL DEFAULT '',
		received INTEGER NOT NULL,   -- this node's clock, ms
		PRIMARY KEY (line, author, idx)
	) WITHOUT ROWID;
	CREATE INDEX entries_ref ON entries (line, ref) WHERE ref != '';
	CREATE INDEX entries_kind ON entries (line, kind, received);
	CREATE TABLE cosigs (
		line TEXT NOT NULL,
		author TEXT NOT NULL,
		cosigner TEXT NOT NULL,
		size INTEGER NOT NULL,
		time INTEGER NOT NULL,       -- cosigner's timestamp, s
		note BLOB NOT NULL,          -- checkpoint with the author's signature and the cosignature
		PRIMARY KEY (line, author, cosigner, size)
	) WITHOUT ROWID;
	CREATE TABLE sent (
		line TEXT NOT NULL,
		peer TEXT NOT NULL,
		lo INTEGER NOT NULL,
		hi INTEGER NOT NULL,
		time INTEGER NOT NULL,
		route TEXT NOT NULL
	);
	CREATE INDEX sent_range ON sent (line, peer, hi);
	CREATE TABLE evidence (
		id INTEGER PRIMARY KEY,
		line TEXT NOT NULL,
		peer TEXT NOT NULL,
		time INTEGER NOT NULL,
		reason TEXT NOT NULL,
		data BLOB NOT NULL
	);`,
	// Roll-call answers, per party by the author's clock: the views read
	// a party's latest answer and its first answer since a slot began.
	// Partial, so that no other entry pays for it.
	`CREATE INDEX entries_rollcall ON entries (line, author, time) WHERE kind = 'rollcall';`,
	// Idempotency keys of sends: a client that retries after losing the
	// reply (a crash between commit and answer) gets the first message's
	// ID back instead of writing the message twice.
	`CREATE TABLE send_keys (line TEXT NOT NULL, key TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (line, key)) WITHOUT ROWID;`,
	// Evidence kept per offending party and kind of refusal (evidence.go).
	migrateEvidence,
	// Envelopes in a table of their own (envelopes.go).
	migrateEnvelopes,
}

// Migrate brings the schema of db up to date: migrations[i] takes
// user_version i to i+1, each in its own transaction. Every SQLite file of
// hotline (the node's, the relay's, the officers') goes through it.
func Migrate(db *sql.DB, migrations []string) error {
	var v int
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if v > len(migrations) {
		return fmt.Errorf("database schema version %d is newer than this hotline (%d): upgrade hotline", v, len(migrations))
	}
	for ; v < len(migrations); v++ {
		tx, err := db.Begin()
		if err != nil {
			return err
		}
		if _, err := tx.Exec(migrations[v]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", v+1, err)
		}
		if _, err := tx.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, v+1)); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %d: %w", v+1, err)
		}
	}
	return nil
}

// ErrDiskFull means the database could not grow: the disk (or quota) is full.
var ErrDiskFull = errors.New("disk full: nothing was written; free space and retry")

// ErrReadOnly means the data directory cannot be written.
var ErrReadOnly = errors.New("data directory is read-only: nothing was written")

// Classify maps SQLite's errors for a full or read-only disk to the
// sentinel errors callers branch on.
func Classify(err error) error {
	if err == nil {
		return nil
	}
	// Errors of the operating system, from the files a node writes beside
	// the database (the key, the configuration, the lock).
	switch {
	case errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT):
		return fmt.Errorf("%w (%w)", ErrDiskFull, err)
	case errors.Is(err, syscall.EROFS):
		return fmt.Errorf("%w (%w)", ErrReadOnly, err)
	}
	m := err.Error()
	switch {
	case strings.Contains(m, "SQLITE_FULL") || strings.Contains(m, "database or disk is full"):
		return fmt.Errorf("%w (%v)", ErrDiskFull, err)
	case strings.Contains(m, "SQLITE_READONLY") || strings.Contains(m, "readonly database") ||
		strings.Contains(m, "SQLITE_CANTOPEN") || strings.Contains(m, "unable to open"):
		return fmt.Errorf("%w (%v)", ErrReadOnly, err)
	}
	return err
}

// Tx is a write transaction.
type Tx struct {
	tx    *sql.Tx
	s     *Store
	stmts map[string]*sql.Stmt // the store's prepared statements, bound to tx
}

// stmt returns q bound to the transaction: one of the store's prepared
// writer statements if it is one, else prepared for this transaction only.
func (t *Tx) stmt(q string) (*sql.Stmt, error) {
	if st := t.stmts[q]; st != nil {
		return st, nil
	}
	t.s.mu.Lock()
	ps := t.s.prepared[t.s.w][q]
	t.s.mu.Unlock()
	var st *sql.Stmt
	if ps != nil {
		st = t.tx.Stmt(ps)
	} else {
		var err error
		if st, err = t.tx.Prepare(q); err != nil {
			return nil, err
		}
	}
	if t.stmts == nil {
		t.stmts = map[string]*sql.Stmt{}
	}
	t.stmts[q] = st
	return st, nil
}

// exec runs a prepared statement in the transaction.
func (t *Tx) exec(q string, args ...any) error {
	st, err := t.stmt(q)
	if err != nil {
		return err
	}
	t.s.writes.Add(1)
	_, err = st.Exec(args...)
	return err
}

// Write runs fn in one write transaction and commits it; when Write returns
// nil, everything fn wrote is on disk.
func (s *Store) Write(ctx context.Context, fn func(*Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return Classify(err)
	}
	s.writes.Add(2) // BEGIN, and COMMIT or ROLLBACK
	if err := fn(&Tx{tx: tx, s: s}); err != nil {
		tx.Rollback()
		return Classify(err)
	}
	if err := tx.Commit(); err != nil {
		return Classify(err)
	}
	s.commits.Add(1)
	return nil
}

// Meta returns a value from the meta table, or nil.
func (s *Store) Meta(key string) ([]byte, error) {
	var v []byte
	err := s.r.QueryRow(`SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return v, err
}

// SetMeta stores a value in the meta table.
func (t *Tx) SetMeta(key string, value []byte) error {
	_, err := t.tx.Exec(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

// Savepoint starts a nested unit inside the transaction, so one operation of
// a group commit can be undone without undoing the others.
func (t *Tx) Savepoint() error { return t.exec(stmtSavepoint) }

// Release keeps what was written since Savepoint.
func (t *Tx) Release() error { return t.exec(stmtRelease) }

// RollbackTo undoes what was written since Savepoint.
func (t *Tx) RollbackTo() error {
	if err := t.exec(stmtRollbackTo); err != nil {
		return err
	}
	return t.Release()
}

// URIPath escapes a file name for a "file:" URI: SQLite reads what follows
// a '#' as a fragment and a '?' as parameters, so a directory such as
// /srv/hotline#2 would otherwise open the database /srv/hotline, shared
// with every other such directory. Every SQLite file of hotline is opened
// through it.
func URIPath(path string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
}
