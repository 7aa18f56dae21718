package escalate

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/hotline-line/hotline/internal/store"
)

// StateFile keeps the engine's alerts in the node's data directory, so
// that a restart neither pages everyone again from the first step nor
// forgets who silenced what.
const StateFile = "escalation.db"

// AlertState is an open alert and where the chain stands on it.
type AlertState struct {
	Alert    Alert  `json:"alert"`
	Step     int    `json:"step"` // index in the chain's steps, 0 for the first
	StepName string `json:"step_name"`
	Cycle    int    `json:"cycle"` // times the chain started over (repeat)
	// StepAt is when the current step began; NextStepAt when the next
	// begins (zero after the last step without repeat, or once silenced).
	StepAt     time.Time `json:"step_at"`
	NextStepAt time.Time `json:"next_step_at,omitzero"`
	// Console is true while the alarm is raised in the console: from the
	// first step with console: true until the alert closes or is silenced.
	Console    bool      `json:"console"`
	Since      time.Time `json:"since"` // when the engine opened it
	SilencedBy string    `json:"silenced_by,omitempty"`
	SilencedAt time.Time `json:"silenced_at,omitzero"`
	// Closed is set once the condition is over; the state lingers only
	// until the resolved notices are out.
	Closed time.Time `json:"closed,omitzero"`
	// Notified lists the targets ("email:ADDR", "webhook:URL") that took a
	// notice of this alert: they hear when it resolves.
	Notified []string   `json:"notified,omitempty"`
	Sent     []Delivery `json:"sent"` // the latest notices, oldest first
}

// Delivery is one notice to one target, and how sending it went.
type Delivery struct {
	ID       int64     `json:"id"`
	Event    string    `json:"event"` // EventAlert or EventResolved
	Step     int       `json:"step"`
	StepName string    `json:"step_name"`
	Cycle    int       `json:"cycle"`
	Channel  string    `json:"channel"` // "email" or "webhook"
	To       string    `json:"to"`
	Queued   time.Time `json:"queued"`
	Attempts int       `json:"attempts"`
	Last     time.Time `json:"last,omitzero"` // the latest attempt
	// Next is when the next attempt is due; zero once delivered or given up.
	Next   time.Time `json:"next,omitzero"`
	OK     bool      `json:"ok"`
	Error  string    `json:"error,omitempty"` // the latest failure
	GaveUp bool      `json:"gave_up,omitempty"`
}

func (d *Delivery) pending() bool { return !d.OK && !d.GaveUp }

// maxSent bounds the notices kept per alert: a repeating chain must not
// grow its state without end.
const maxSent = 64

func (s *AlertState) clone() AlertState {
	c := *s
	c.Alert.Facts.Routes = slices.Clone(s.Alert.Facts.Routes)
	c.Notified = slices.Clone(s.Notified)
	c.Sent = slices.Clone(s.Sent)
	return c
}

// prune drops the oldest finished notices beyond maxSent.
func (s *AlertState) prune() {
	for len(s.Sent) > maxSent {
		i := slices.IndexFunc(s.Sent, func(d Delivery) bool { return !d.pending() })
		if i < 0 {
			return
		}
		s.Sent = slices.Delete(s.Sent, i, i+1)
	}
}

var stateMigrations = []string{
	`CREATE TABLE alerts (id TEXT PRIMARY KEY, state BLOB NOT NULL) WITHOUT ROWID;`,
}

// openState opens (creating) the engine's database in dir.
func openState(dir string) (*sql.DB, error) {
	// synchronous(FULL): a step taken or a silence recorded is on disk
	// before the next notice goes out, so a crash cannot page twice. It
	// names parties, messages and the people notified: owner only.
	db, _, err := store.OpenSQLite(filepath.Join(dir, StateFile), stateMigrations, 0)
	if err != nil {
		return nil, fmt.Errorf("escalation state: %w", store.Classify(err))
	}
	return db, nil
}

func loadStates(db *sql.DB) (map[string]*AlertState, error) {
	rows, err := db.Query(`SELECT id, state FROM alerts`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]*AlertState{}
	for rows.Next() {
		var id string
		var blob []byte
		if err := rows.Scan(&id, &blob); err != nil {
			return nil, err
		}
		var st AlertState
		if err := json.Unmarshal(blob, &st); err != nil {
			return nil, fmt.Errorf("escalation state of %s: %w", id, err)
		}
		out[id] = &st
	}
	return out, rows.Err()
}

// saveStates writes the changed alerts and deletes the finished ones in
// one transaction.
func saveStates(db *sql.DB, put []AlertState, del []string) error {
	if len(put) == 0 && len(del) == 0 {
		return nil
	}
	tx, err := db.BeginTx(context.Background(), nil)
	if err != nil {
		return store.Classify(err)
	}
	defer tx.Rollback()
	for _, st := range put {
		blob, err := json.Marshal(st)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO alerts (id, state) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state`,
			st.Alert.ID, blob); err != nil {
			return store.Classify(err)
		}
	}
	for _, id := range del {
		if _, err := tx.Exec(`DELETE FROM alerts WHERE id = ?`, id); err != nil {
			return store.Classify(err)
		}
	}
	return store.Classify(tx.Commit())
}
