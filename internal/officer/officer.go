// Package officer keeps a node's officer accounts, their console sessions
// and a record of what each officer did in the console.
//
// # Accounts
//
// An officer has a name (the one written in acknowledgements), a [Role] and
// a password hashed with argon2id ([HashPassword]) under a per-officer salt.
// Accounts live in their own SQLite file, officers.db in the node's data
// directory, apart from the node's log database: they are local to this
// party, never carried on the line, and `hotline officer add` can change
// them while the node runs.
//
// # Sessions
//
// A console login creates a session ([Store.NewSession]): a random token
// the browser holds in an HttpOnly cookie, and a CSRF token the page sends
// back in a header. The store keeps only their SHA-256 hashes, so a copy of
// the database does not let anyone act as an officer. A session ends at
// logout, after [Config.Idle] without use, after [Config.Absolute] in any
// case (one watch), and when its officer is removed or given a new
// password or role.
//
// # Acts
//
// [Store.Record] writes what an officer did (login, acknowledge, send,
// draft, release, reject) with the time, so acts done in the console are
// attributable afterwards.
//
// # Drafts
//
// Where the charter puts a precedence under two-person release, a message
// composed in the console waits here as a [Draft] until a second officer
// releases or rejects it; see drafts.go.
package officer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hotline-line/hotline/internal/inert"
	"github.com/hotline-line/hotline/internal/store"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// File is the name of the officers database in a node's data directory.
const File = "officers.db"

// Role is what an officer may do in the console.
type Role string

// The roles. A watch officer reads and acknowledges; a drafter reads and
// composes; a releaser reads and releases or rejects other officers'
// drafts; an administrator does everything (but, like anyone, may not
// release a draft of its own).
const (
	Watch    Role = "watch"
	Drafter  Role = "drafter"
	Releaser Role = "releaser"
	Admin    Role = "admin"
)

// Roles lists every role.
var Roles = []Role{Watch, Drafter, Releaser, Admin}

// ParseRole accepts a role name.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == strings.ToLower(s) {
			return r, nil
		}
	}
	return "", fmt.Errorf("unknown role %q: use watch, drafter, releaser or admin", s)
}

// Officer is an account.
type Officer struct {
	Name    string    `json:"name"`
	Role    Role      `json:"role"`
	Lang    string    `json:"lang,omitempty"` // the console's language; '' is the party's default
	Created time.Time `json:"created"`
}

// Errors callers branch on.
var (
	// ErrExists means an officer of that name exists: pick another name or
	// remove the old account first.
	ErrExists = errors.New("an officer of that name exists")
	// ErrNoOfficer means there is no officer of that name.
	ErrNoOfficer = errors.New("no such officer")
	// ErrBadLogin means the name or the password is wrong. It does not say
	// which.
	ErrBadLogin = errors.New("wrong name or password")
)

// CheckName says what is wrong with an officer's name, or nil. The name is
// written into acknowledgements, so it follows their limit (100 bytes) and
// must be plainly visible.
func CheckName(name string) error {
	switch {
	case name == "" || len(name) > 100:
		return errors.New("officer name must be 1 to 100 bytes")
	case !utf8.ValidString(name):
		return errors.New("officer name is not valid UTF-8")
	case strings.TrimSpace(name) != name:
		return errors.New("officer name starts or ends with a space")
	case inert.Text(name) != name:
		return fmt.Errorf("officer name %q holds invisible or control characters", inert.Text(name))
	}
	return nil
}

// Config tunes a store. The zero value is usable.
type Config struct {
	Params   Params           // argon2id cost; DefaultParams if zero
	Idle     time.Duration    // a session unused this long ends; 1 hour if zero
	Absolute time.Duration    // a session ends this long after login; 12 hours if zero
	Now      func() time.Time // the clock; time.Now if nil
}

// Store is an open officers database.
type Store struct {
	db  *sql.DB
	cfg Config

	dummyMu sync.Mutex
	dummy   string // a hash to verify against when the name is unknown
}

var migrations = []string{
	`CREATE TABLE officers (
		name TEXT PRIMARY KEY,
		role TEXT NOT NULL,
		hash TEXT NOT NULL,
		created INTEGER NOT NULL     -- ms
	);
	CREATE TABLE sessions (
		token_hash BLOB PRIMARY KEY, -- SHA-256 of the cookie's token
		csrf_hash BLOB NOT NULL,     -- SHA-256 of the CSRF token
		officer TEXT NOT NULL REFERENCES officers (name) ON DELETE CASCADE,
		created INTEGER NOT NULL,    -- ms
		seen INTEGER NOT NULL        -- ms
	);
	CREATE TABLE acts (
		id INTEGER PRIMARY KEY,
		time INTEGER NOT NULL,       -- ms
		officer TEXT NOT NULL,
		act TEXT NOT NULL,
		line TEXT NOT NULL DEFAULT '',
		message TEXT NOT NULL DEFAULT '',
		detail TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX acts_message ON acts (line, message) WHERE message != '';`,
	draftsSchema,
	unlocksSchema,
	langSchema,
}

// Open opens (creating if needed) the officers database at path.
func Open(path string, cfg Config) (*Store, error) {
	if cfg.Params == (Params{}) {
		cfg.Params = DefaultParams
	}
	if cfg.Idle == 0 {
		cfg.Idle = time.Hour
	}
	if cfg.Absolute == 0 {
		cfg.Absolute = 12 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	// synchronous(FULL): an account change or a recorded act is on disk
	// when the call returns, as the node's own database does. It holds
	// password hashes: OpenSQLite makes it owner-only, whatever the umask.
	db, _, err := store.OpenSQLite(path, migrations, 0)
	if err != nil {
		return nil, fmt.Errorf("officers database: %w", err)
	}
	return &Store{db: db, cfg: cfg}, nil
}

// OpenDir opens the officers database of the node in dir.
func OpenDir(dir string, cfg Config) (*Store, error) { return Open(filepath.Join(dir, File), cfg) }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

func (s *Store) ms() int64 { return s.cfg.Now().UnixMilli() }

// Add creates an account.
func (s *Store) Add(ctx context.Context, name string, role Role, password string) error {
	if err := CheckName(name); err != nil {
		return err
	}
	if _, err := ParseRole(string(role)); err != nil {
		return err
	}
	if err := CheckPassword(password); err != nil {
		return err
	}
	hash, err := HashPassword(password, s.cfg.Params)
	if err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO officers (name, role, hash, created) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		name, string(role), hash, s.ms())
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: %s", ErrExists, name)
	}
	return nil
}

// Remove deletes an account and ends its sessions at once.
func (s *Store) Remove(ctx context.Context, name string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM officers WHERE name = ?`, name)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: %s", ErrNoOfficer, name)
	}
	return nil
}

// List returns every account, by name.
func (s *Store) List(ctx context.Context) ([]Officer, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, role, lang, created FROM officers ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Officer
	for rows.Next() {
		var o Officer
		var created int64
		if err := rows.Scan(&o.Name, &o.Role, &o.Lang, &created); err != nil {
			return nil, err
		}
		o.Created = time.UnixMilli(created).UTC()
		out = append(out, o)
	}
	return out, rows.Err()
}

// dummyHash returns the hash an unknown name is checked against, making
// it the first time.
func (s *Store) dummyHash() (string, error) {
	s.dummyMu.Lock()
	defer s.dummyMu.Unlock()
	if s.dummy == "" {
		h, err := HashPassword("not a password of anyone", s.cfg.Params)
		if err != nil {
			return "", err
		}
		s.dummy = h
	}
	return s.dummy, nil
}

// Authenticate checks a name and password. It returns ErrBadLogin for an
// unknown name or a wrong password, after the same work in both cases, so
// the time taken does not tell which names exist.
func (s *Store) Authenticate(ctx context.Context, name, password string) (*Officer, error) {
	var o Officer
	var hash string
	var created int64
	err := s.db.QueryRowContext(ctx, `SELECT name, role, lang, hash, created FROM officers WHERE name = ?`, name).
		Scan(&o.Name, &o.Role, &o.Lang, &hash, &created)
	if errors.Is(err, sql.ErrNoRows) {
		// The same work as for a real name, so time does not tell.
		dummy, err := s.dummyHash()
		if err == nil {
			_, err = VerifyPassword(password, dummy)
		}
		if err != nil {
			return nil, err
		}
		return nil, ErrBadLogin
	}
	if err != nil {
		return nil, err
	}
	ok, err := VerifyPassword(password, hash)
	if err != nil {
		return nil, fmt.Errorf("officer %s: %w", name, err)
	}
	if !ok {
		return nil, ErrBadLogin
	}
	o.Created = time.UnixMilli(created).UTC()
	return &o, nil
}
