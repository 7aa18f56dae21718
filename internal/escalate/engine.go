package escalate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hotline-line/hotline/internal/broadcast"
)

// Options tune an engine. The zero value is usable.
type Options struct {
	Now    func() time.Time // the clock; time.Now if nil
	Logger *slog.Logger
	// StateDir holds escalation.db; "" keeps the state in memory only.
	StateDir string
	// Party is this node's party, named in every notice.
	Party string
	// Every is how often Run evaluates the source without being woken;
	// 5 seconds if zero.
	Every time.Duration
	// Next, if set, returns when the source's alerts next change by
	// themselves, with nothing new on the node (the earliest deadline it
	// follows), or zero: Run evaluates then as well, so that an alert
	// opens on its deadline rather than at the tick after it.
	Next func() time.Time
}

// Engine follows the source's alerts and walks each along the chain.
type Engine struct {
	cfg    *Config
	source Source
	opts   Options
	log    *slog.Logger
	now    func() time.Time
	db     *sql.DB

	// ctx bounds the deliveries: Close ends those still under way.
	ctx    context.Context
	cancel context.CancelFunc
	sends  sync.WaitGroup

	mu       sync.Mutex
	saveMu   sync.Mutex // held from under mu until the states taken there are on disk (unlockSave)
	alerts   map[string]*AlertState
	seq      int64          // the last Delivery.ID given
	inflight map[int64]bool // deliveries being attempted now

	wake    chan struct{}
	changed broadcast.Signal
}

// New starts an engine on cfg with the alerts of source, restoring the
// state kept in opts.StateDir. Run drives it; Tick evaluates once.
func New(cfg *Config, source Source, opts Options) (*Engine, error) {
	if cfg == nil || len(cfg.Steps) == 0 {
		return nil, errors.New("escalation: a chain needs at least one step")
	}
	e := &Engine{cfg: cfg, source: source, opts: opts, log: opts.Logger, now: opts.Now,
		alerts: map[string]*AlertState{}, inflight: map[int64]bool{},
		wake: make(chan struct{}, 1)}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.opts.Every <= 0 {
		e.opts.Every = 5 * time.Second
	}
	if opts.StateDir != "" {
		db, err := openState(opts.StateDir)
		if err != nil {
			return nil, err
		}
		states, err := loadStates(db)
		if err != nil {
			db.Close()
			return nil, err
		}
		e.db, e.alerts = db, states
		for _, st := range states {
			e.restore(st)
			for _, d := range st.Sent {
				e.seq = max(e.seq, d.ID)
			}
		}
	}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	return e, nil
}

// restore fits a saved state to the chain as configured now: the file may
// have changed while the node was down.
func (e *Engine) restore(st *AlertState) {
	steps := e.cfg.Steps
	if st.Step >= len(steps) {
		st.Step = len(steps) - 1
	}
	st.StepName = steps[st.Step].Name
	if st.Closed.IsZero() {
		st.NextStepAt = e.nextStepAt(st)
	}
}

// Close stops the deliveries under way and closes the state database. Run
// must have returned.
func (e *Engine) Close() error {
	e.cancel()
	e.sends.Wait()
	if e.db != nil {
		return e.db.Close()
	}
	return nil
}

// Run evaluates the source every opts.Every, at the source's next
// deadline (opts.Next), and when woken (Wake), until ctx ends.
func (e *Engine) Run(ctx context.Context) error {
	// A deadline the source still names after evaluating (one already
	// past) is looked at again no sooner than this, not in a busy loop.
	const minGap = 250 * time.Millisecond
	tick := time.NewTicker(e.opts.Every)
	defer tick.Stop()
	deadline := time.NewTimer(time.Hour) // the source's next deadline
	defer deadline.Stop()
	for {
		began := time.Now()
		if err := e.Tick(ctx); err != nil && ctx.Err() == nil {
			e.log.Error("escalation: evaluating alerts", "err", err)
		}
		last := time.Now()
		// Stopped and reset each time: no stale deadline fires after it.
		deadline.Stop()
		var due <-chan time.Time
		if e.opts.Next != nil {
			if next := e.opts.Next(); !next.IsZero() {
				deadline.Reset(max(next.Sub(e.now()), minGap))
				due = deadline.C
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-due:
		case <-e.wake:
			if d := time.Until(woken(began, last)); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-ctx.Done():
					t.Stop()
					return nil
				case <-t.C:
				}
			}
		}
	}
}

// wakeShare bounds the time the engine spends evaluating when it is woken
// again and again to one part in wakeShare: a wake is served at once on a
// node where evaluating is cheap (an alarm opens when its FLASH arrives,
// not at the next tick), while a flood of urgent entries (a hostile
// peer's, say) cannot keep it evaluating back to back.
const wakeShare = 5

// woken returns when a wake after an evaluation that ran from began to
// last may be served: at once, unless that evaluation took long, then
// (wakeShare-1) times its length after it ended.
func woken(began, last time.Time) time.Time {
	return last.Add((wakeShare - 1) * last.Sub(began))
}

// Wake asks Run to evaluate the source now: something changed on the node
// that may open or close an alert at once (node.Node.Alarming). Other
// changes need no wake: their alerts open at deadlines, which the next
// evaluation learns.
func (e *Engine) Wake() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Changed returns a channel closed at the next change of the alerts or of
// their notices. Callers wait on it, then call Changed again.
func (e *Engine) Changed() <-chan struct{} { return e.changed.Wait() }

func (e *Engine) notify() { e.changed.Fire() }

// Config returns the chain the engine follows.
func (e *Engine) Config() *Config { return e.cfg }

// Active returns the open alerts, most urgent first: FLASH before ROUTINE,
// then the oldest first.
func (e *Engine) Active() []AlertState {
	e.mu.Lock()
	out := make([]AlertState, 0, len(e.alerts))
	for _, st := range e.alerts {
		if st.Closed.IsZero() {
			out = append(out, st.clone())
		}
	}
	e.mu.Unlock()
	slices.SortFunc(out, func(a, b AlertState) int {
		if r := a.Alert.Precedence.Rank() - b.Alert.Precedence.Rank(); r != 0 {
			return r
		}
		if c := a.Alert.Opened.Compare(b.Alert.Opened); c != 0 {
			return c
		}
		return strings.Compare(a.Alert.ID, b.Alert.ID)
	})
	return out
}

// Errors of Silence.
var (
	// ErrNoAlert means no open alert has that ID (it may have closed).
	ErrNoAlert = errors.New("no such open alert")
	// ErrOwed means the alert is about something our own people owe: it
	// closes when they act (acknowledge, reply), and cannot be silenced.
	ErrOwed = errors.New("this alert closes only when our people act on it (acknowledge or reply); it cannot be silenced")
)

// Silence stops the chain for an alert our people cannot resolve by
// acting (a party's missed deadline, an undelivered message, silent link
// tests): no further steps, no more retries, the console alarm off. The
// alert stays listed until its condition closes.
func (e *Engine) Silence(id, officer string) error {
	officer = clean(strings.TrimSpace(officer), 100)
	if officer == "" {
		return errors.New("silence: name the officer who silences the alert")
	}
	e.mu.Lock()
	st := e.alerts[id]
	switch {
	case st == nil || !st.Closed.IsZero():
		e.mu.Unlock()
		return fmt.Errorf("%w: %s", ErrNoAlert, id)
	case st.Alert.Owed:
		e.mu.Unlock()
		return fmt.Errorf("%s: %w", st.Alert.Kind, ErrOwed)
	case st.SilencedBy != "":
		e.mu.Unlock()
		return nil
	}
	now := e.now()
	st.SilencedBy, st.SilencedAt = officer, now
	st.Console, st.NextStepAt = false, time.Time{}
	giveUp(st, EventAlert, "silenced")
	e.unlockSave([]AlertState{st.clone()}, nil, nil)
	e.log.Info("escalation: alert silenced", "id", id, "officer", officer)
	e.notify()
	return nil
}

// unlockSave lets go of e.mu, runs meanwhile (if not nil), and writes
// states taken under e.mu to the database; a failure is logged, and the
// engine goes on from memory, which is what Active shows. saveMu is taken
// before e.mu is let go, so the states reach the disk in the order they
// were taken, while readers of the alerts need not wait for the disk: an
// alarm shows as soon as it opens. What goes out (a mail, a webhook) goes
// only after the save, so that a crash cannot send it twice.
func (e *Engine) unlockSave(put []AlertState, del []string, meanwhile func()) {
	e.saveMu.Lock()
	defer e.saveMu.Unlock()
	e.mu.Unlock()
	if meanwhile != nil {
		meanwhile()
	}
	if e.db == nil {
		return
	}
	if err := saveStates(e.db, put, del); err != nil {
		e.log.Error("escalation: saving state", "err", err)
	}
}
