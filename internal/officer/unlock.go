package officer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// unlocksSchema records when an administrator lifted a login lock. The
// console keeps its login limits in memory; this table is how a command
// run beside it (hotline officer unlock) reaches them.
const unlocksSchema = `CREATE TABLE unlocks (
	key TEXT PRIMARY KEY,  -- "name:NAME" or "address:ADDR"
	at INTEGER NOT NULL    -- ms
);`

// UnlockName and UnlockAddress are the keys of the locks on a login name
// and on a client address (an IPv4 address, or an IPv6 /64 as the console
// prints it).
func UnlockName(name string) string    { return "name:" + name }
func UnlockAddress(addr string) string { return "address:" + addr }

// Unlock lifts the login lock on key from now on, and records the act in
// the administrator's name.
func (s *Store) Unlock(ctx context.Context, key, by string) error {
	if key == "" || len(key) > 256 {
		return fmt.Errorf("unlock: bad key %.40q", key)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := s.ms()
	if _, err := tx.ExecContext(ctx, `INSERT INTO unlocks (key, at) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET at = excluded.at`, key, now); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO acts (time, officer, act, detail) VALUES (?, ?, 'unlock', ?)`,
		now, by, key); err != nil {
		return err
	}
	return tx.Commit()
}

// UnlockedAt returns when the lock on key was last lifted; zero if never.
func (s *Store) UnlockedAt(ctx context.Context, key string) (time.Time, error) {
	var at int64
	err := s.db.QueryRowContext(ctx, `SELECT at FROM unlocks WHERE key = ?`, key).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	return time.UnixMilli(at), nil
}
