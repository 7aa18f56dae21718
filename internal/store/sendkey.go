package store

import (
	"database/sql"
	"errors"
)

// SendKey returns the message ID written under an idempotency key of line,
// seeing the transaction's own writes.
func (t *Tx) SendKey(line, key string) (id string, ok bool, err error) {
	err = t.tx.QueryRow(`SELECT id FROM send_keys WHERE line = ? AND key = ?`, line, key).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return id, err == nil, err
}

// InsertSendKey records that key wrote message id on line, in the same
// transaction as the message.
func (t *Tx) InsertSendKey(line, key, id string) error {
	return t.exec(`INSERT INTO send_keys (line, key, id) VALUES (?, ?, ?)`, line, key, id)
}
