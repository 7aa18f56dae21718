package store

import (
	"database/sql"
	"errors"
	"os"
	"path/filepath"
)

// OpenSQLite opens the SQLite file at path the way every hotline database
// is opened: WAL, synchronous=FULL (a committed write is on disk when the
// call returns), foreign keys, a busy timeout; one writer connection whose
// transactions take the write lock at once, and, if readers > 0, a pool of
// that many read-only connections (r is nil otherwise). It creates the
// directory (0700), brings the schema up to date with migrations, and
// makes the files readable by their owner only, whatever the umask.
func OpenSQLite(path string, migrations []string, readers int) (w, r *sql.DB, err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, nil, err
	}
	// busy_timeout comes first: the pragmas after it run on every new
	// connection, and one that meets a lock must wait for it, not fail at
	// once with SQLITE_BUSY.
	dsn := "file:" + URIPath(path) + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)" +
		"&_pragma=foreign_keys(ON)"
	// Only the one writer connection sets what shapes the file; readers
	// never need to. auto_vacuum takes effect only in a file that has no
	// tables yet: a new file frees pages on request (Store.Reclaim).
	// journal_size_limit truncates the WAL back to 16 MiB each time it
	// starts over, rather than keeping it at the largest size one burst of
	// writes gave it.
	writer := dsn + "&_pragma=auto_vacuum(INCREMENTAL)&_pragma=journal_size_limit(16777216)&_txlock=immediate"
	if w, err = sql.Open("sqlite", writer); err != nil {
		return nil, nil, err
	}
	w.SetMaxOpenConns(1)
	if readers > 0 {
		if r, err = sql.Open("sqlite", dsn+"&_pragma=query_only(ON)"); err != nil {
			w.Close()
			return nil, nil, err
		}
		r.SetMaxOpenConns(readers)
	}
	if err := Migrate(w, migrations); err != nil {
		closeAll(w, r)
		return nil, nil, err
	}
	// Best effort: on a read-only disk the database still opens for reading.
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if st, err := os.Stat(path + suffix); err == nil && st.Mode().Perm()&0o077 != 0 {
			os.Chmod(path+suffix, 0o600)
		}
	}
	return w, r, nil
}

func closeAll(dbs ...*sql.DB) error {
	var errs []error
	for _, db := range dbs {
		if db != nil {
			errs = append(errs, db.Close())
		}
	}
	return errors.Join(errs...)
}
