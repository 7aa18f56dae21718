package console

import (
	"errors"
	"sync"
	"time"

	"github.com/hotline-line/hotline/internal/officer"
)

// Login limits.
//
// A name may fail userFree times; the failure that reaches the limit locks
// the name for lockBase, and each further failure doubles the lock up to
// lockMax. An attempt is counted before its password is checked, so
// concurrent guesses cannot run more checks than the name has left.
//
// A client address is locked only for guessing across many names (more
// than ipNames of them): behind a shared address (an office's NAT, a
// proxy, loopback) one officer's typos, or an attacker aiming at one name,
// never lock the rest of the watch out. While locked, an attempt is
// refused without checking the password, so guessing costs the guesser
// time and the node no argon2 work. A success clears the name; failures
// are forgotten after quiet. An administrator lifts a lock at once with
// `hotline officer unlock`, which the limiter learns through unlockedAt.
const (
	userFree   = 5
	ipNames    = 10
	lockBase   = 5 * time.Second
	lockMax    = 15 * time.Minute
	quiet      = time.Hour
	maxTracked = 1 << 16
)

// failures is the record of one name or one address.
type failures struct {
	count    int                 // failed attempts (names: of this name; addresses: distinct names)
	inflight int                 // attempts being checked now
	names    map[string]struct{} // addresses only: the names that failed, up to ipNames+1
	last     time.Time           // of the latest failure
	since    time.Time           // when the current lock began
	until    time.Time           // locked until
	asked    time.Time           // when unlockedAt was last asked about this lock
}

// limiter counts failed logins per name and per client address.
type limiter struct {
	mu   sync.Mutex
	now  func() time.Time
	ip   map[string]*failures
	user map[string]*failures

	// unlockedAt says when an administrator last lifted the lock on key
	// ("name:N" or "address:A"); zero if never. It is asked only about a
	// locked key, at most once a second, so a flood of refused guesses
	// costs the database almost nothing.
	unlockedAt func(key string) time.Time
}

func newLimiter(now func() time.Time, unlockedAt func(string) time.Time) *limiter {
	if unlockedAt == nil {
		unlockedAt = func(string) time.Time { return time.Time{} }
	}
	return &limiter{now: now, ip: map[string]*failures{}, user: map[string]*failures{}, unlockedAt: unlockedAt}
}

// attempt is one login being checked, from begin to end.
type attempt struct {
	l          *limiter
	addr, name string
}

// begin reserves a check of a password for name from addr. It returns the
// attempt, or how long the caller must wait when the name or the address
// is locked, or when the checks already running would use up what is left.
func (l *limiter) begin(addr, name string) (*attempt, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	u, a := l.entry(l.user, name, now), l.entry(l.ip, addr, now)
	locked := func(f *failures, key string) time.Duration {
		if !f.until.After(now) {
			return 0
		}
		if now.Sub(f.asked) >= time.Second {
			f.asked = now
			if at := l.unlockedAt(key); !at.IsZero() && !at.Before(f.since) {
				f.count, f.until, f.names = 0, time.Time{}, nil
				return 0
			}
		}
		return f.until.Sub(now)
	}
	w := max(locked(u, "name:"+name), locked(a, "address:"+addr))
	if w == 0 && (u.inflight >= left(u.count, userFree) || a.inflight >= left(a.count, ipNames+1)) {
		// Every check left before the lock is already running: whatever
		// they find, this one would come after it.
		w = lockBase
	}
	if w > 0 {
		return nil, w
	}
	u.inflight++
	a.inflight++
	return &attempt{l: l, addr: addr, name: name}, 0
}

// left is how many checks may run at once for a record with count
// failures against a limit: those left before the lock, or one once a
// lock has run out (its failure locks again).
func left(count, limit int) int { return max(limit-count, 1) }

// outcome is what a password check found.
type outcome int

const (
	succeeded outcome = iota
	failed
	undecided // the check itself failed (a database error): nothing is learnt
)

// outcomeOf maps a password check's error to its outcome.
func outcomeOf(err error) outcome {
	switch {
	case err == nil:
		return succeeded
	case errors.Is(err, officer.ErrBadLogin):
		return failed
	}
	return undecided
}

// end settles an attempt: a failure counts and may lock, a success clears
// the name.
func (at *attempt) end(o outcome) {
	l := at.l
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	u, a := l.entry(l.user, at.name, now), l.entry(l.ip, at.addr, now)
	u.inflight = max(u.inflight-1, 0)
	a.inflight = max(a.inflight-1, 0)
	switch o {
	case succeeded:
		u.count, u.until = 0, time.Time{}
		return
	case undecided:
		return
	}
	u.count++
	u.last = now
	if over := u.count - userFree; over >= 0 {
		lock(u, over, now)
	}
	if a.names == nil {
		a.names = map[string]struct{}{}
	}
	a.last = now
	if _, seen := a.names[at.name]; !seen && len(a.names) <= ipNames {
		a.names[at.name] = struct{}{}
		a.count = len(a.names)
	} else if !seen {
		a.count++ // one more name beyond those remembered
	}
	if over := a.count - ipNames - 1; over >= 0 {
		lock(a, over, now)
	}
}

// lock locks f for lockBase doubled over times, at most lockMax.
func lock(f *failures, over int, now time.Time) {
	d := lockMax
	if over < 16 {
		d = min(lockBase<<over, lockMax)
	}
	f.since, f.until = now, now.Add(d)
}

// entry returns the record of key, making it if needed; a run of failures
// that ended more than quiet ago is forgotten.
func (l *limiter) entry(m map[string]*failures, key string, now time.Time) *failures {
	f := m[key]
	if f != nil && f.inflight == 0 && now.Sub(f.last) > quiet && !f.until.After(now) {
		f = nil
	}
	if f == nil {
		if len(m) >= maxTracked {
			sweep(m, now)
		}
		f = &failures{}
		m[key] = f
	}
	return f
}

// sweep makes room in a full table: it drops what is neither locked nor
// recent, and if that is not enough, unlocked entries, then any idle one.
func sweep(m map[string]*failures, now time.Time) {
	for k, f := range m {
		if f.inflight == 0 && !f.until.After(now) && now.Sub(f.last) > quiet {
			delete(m, k)
		}
	}
	for k, f := range m {
		if len(m) < maxTracked*3/4 {
			return
		}
		if f.inflight == 0 && !f.until.After(now) {
			delete(m, k)
		}
	}
	for k, f := range m {
		if len(m) < maxTracked*3/4 {
			return
		}
		if f.inflight == 0 {
			delete(m, k)
		}
	}
}
