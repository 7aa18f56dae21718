package console

import (
	"sync"
	"time"
)

// Login limits. A name may fail userFree times, a client address ipFree
// times (an office behind one address has several officers); each failure
// beyond that locks the name or the address for lockBase, doubling with
// every further failure up to lockMax. While locked, a login is refused
// without checking the password, so guessing costs the guesser time and
// the node no argon2 work. A success clears the name's failures; an
// address's failures are forgotten after quiet.
//
// The lock on a name can be used to keep its officer out (one guess per
// lockMax); lockMax is short for that reason, and an administrator can
// always log in under another name.
const (
	userFree   = 5
	ipFree     = 20
	lockBase   = 5 * time.Second
	lockMax    = 15 * time.Minute
	quiet      = time.Hour
	maxTracked = 1 << 16
)

type failures struct {
	count int
	last  time.Time // of the latest failure
	until time.Time // locked until
}

// limiter counts failed logins per client address and per name.
type limiter struct {
	mu   sync.Mutex
	now  func() time.Time
	ip   map[string]*failures
	user map[string]*failures
}

func newLimiter(now func() time.Time) *limiter {
	return &limiter{now: now, ip: map[string]*failures{}, user: map[string]*failures{}}
}

// wait returns how long a login from addr for name must wait; 0 if it may
// go ahead.
func (l *limiter) wait(addr, name string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var w time.Duration
	for _, f := range []*failures{l.ip[addr], l.user[name]} {
		if f != nil && f.until.After(now) {
			w = max(w, f.until.Sub(now))
		}
	}
	return w
}

// fail counts a failed login.
func (l *limiter) fail(addr, name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.bump(l.ip, addr, ipFree, now)
	l.bump(l.user, name, userFree, now)
}

func (l *limiter) bump(m map[string]*failures, key string, free int, now time.Time) {
	f := m[key]
	if f != nil && now.Sub(f.last) > quiet && !f.until.After(now) {
		f = nil // an old run of failures is forgotten
	}
	if f == nil {
		if len(m) >= maxTracked {
			sweep(m, now)
		}
		f = &failures{}
		m[key] = f
	}
	f.count++
	f.last = now
	if over := f.count - free; over > 0 {
		lock := lockMax
		if over <= 16 {
			lock = min(lockBase<<(over-1), lockMax)
		}
		f.until = now.Add(lock)
	}
}

// succeed clears the failures of name.
func (l *limiter) succeed(_, name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.user, name)
}

// sweep makes room in a full table: it drops what is neither locked nor
// recent, and if that is not enough, unlocked entries, then any.
func sweep(m map[string]*failures, now time.Time) {
	for k, f := range m {
		if !f.until.After(now) && now.Sub(f.last) > quiet {
			delete(m, k)
		}
	}
	for k, f := range m {
		if len(m) < maxTracked*3/4 {
			return
		}
		if !f.until.After(now) {
			delete(m, k)
		}
	}
	for k := range m {
		if len(m) < maxTracked*3/4 {
			return
		}
		delete(m, k)
	}
}
