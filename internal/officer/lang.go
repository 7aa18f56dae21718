package officer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// langSchema adds the officer's console language: a language tag, or ”
// for the party's default (the first of its languages).
const langSchema = `ALTER TABLE officers ADD COLUMN lang TEXT NOT NULL DEFAULT '';`

// CheckLang says what is wrong with an officer's language tag, or nil.
// It checks only the shape (letters, digits and hyphens, at most 35 bytes,
// as BCP 47 allows); which languages the console speaks is the console's
// business. The empty tag means the party's default.
func CheckLang(lang string) error {
	if len(lang) > 35 {
		return errors.New("a language tag is at most 35 bytes")
	}
	for _, c := range lang {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return fmt.Errorf("language tag %q: use letters, digits and hyphens, such as en, ko or zh", lang)
		}
	}
	return nil
}

// SetLang sets the language officer name reads the console in (” for the
// party's default). Sessions go on: the language is read with each one.
func (s *Store) SetLang(ctx context.Context, name, lang string) error {
	if err := CheckLang(lang); err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE officers SET lang = ? WHERE name = ?`, lang, name)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: %s", ErrNoOfficer, name)
	}
	return nil
}

// Lang returns the language officer name reads the console in; ” is the
// party's default.
func (s *Store) Lang(ctx context.Context, name string) (string, error) {
	var lang string
	err := s.db.QueryRowContext(ctx, `SELECT lang FROM officers WHERE name = ?`, name).Scan(&lang)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("%w: %s", ErrNoOfficer, name)
	}
	return lang, err
}
