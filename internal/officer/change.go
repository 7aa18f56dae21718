package officer

import (
	"context"
	"fmt"
)

// SetPassword gives officer name a new password and ends every session of
// the officer: whoever held the old password is out. It returns how many
// sessions it ended.
func (s *Store) SetPassword(ctx context.Context, name, password string) (int, error) {
	return s.setPassword(ctx, name, password, nil)
}

// ChangePassword is an officer changing its own password in the console:
// the current password must be right (ErrBadLogin if not), and every other
// session of the officer ends, while ss, the one making the change, stays.
func (s *Store) ChangePassword(ctx context.Context, ss *Session, current, password string) error {
	if err := CheckPassword(password); err != nil {
		return err
	}
	if _, err := s.Authenticate(ctx, ss.Officer, current); err != nil {
		return err
	}
	_, err := s.setPassword(ctx, ss.Officer, password, ss.token)
	return err
}

// setPassword writes the new hash and ends the officer's sessions but
// keep (if any), in one transaction.
func (s *Store) setPassword(ctx context.Context, name, password string, keep []byte) (int, error) {
	if err := CheckPassword(password); err != nil {
		return 0, err
	}
	hash, err := HashPassword(password, s.cfg.Params)
	if err != nil {
		return 0, err
	}
	return s.changeAccount(ctx, name, keep, `UPDATE officers SET hash = ? WHERE name = ?`, hash, name)
}

// SetRole gives officer name a new role and ends every session of the
// officer, so that no open console goes on under the old role. It returns
// how many sessions it ended.
func (s *Store) SetRole(ctx context.Context, name string, role Role) (int, error) {
	if _, err := ParseRole(string(role)); err != nil {
		return 0, err
	}
	return s.changeAccount(ctx, name, nil, `UPDATE officers SET role = ? WHERE name = ?`, string(role), name)
}

// changeAccount runs an update of one officer's row and ends the officer's
// sessions (all, or all but keep) in one transaction: there is no moment
// when the new password or role holds and an old session is still live.
func (s *Store) changeAccount(ctx context.Context, name string, keep []byte, update string, args ...any) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, update, args...)
	if err != nil {
		return 0, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return 0, fmt.Errorf("%w: %s", ErrNoOfficer, name)
	}
	// A nil keep matches no session (token_hash != NULL is never true in
	// SQL), so it is spelled out.
	if keep == nil {
		res, err = tx.ExecContext(ctx, `DELETE FROM sessions WHERE officer = ?`, name)
	} else {
		res, err = tx.ExecContext(ctx, `DELETE FROM sessions WHERE officer = ? AND token_hash != ?`, name, keep)
	}
	if err != nil {
		return 0, err
	}
	ended, _ := res.RowsAffected()
	return int(ended), tx.Commit()
}
