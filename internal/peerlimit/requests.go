package peerlimit

import "sync"

// Requests bounds the requests each party has in flight at once. A
// request over the bound is answered at once (503 with Retry-After), never
// queued: a queue would hold its connection and its memory all the same.
type Requests struct {
	max int
	mu  sync.Mutex
	n   map[string]int
}

// NewRequests allows max requests in flight per party.
func NewRequests(max int) *Requests {
	return &Requests{max: max, n: map[string]int{}}
}

// Begin counts a request of party, or returns false if the party already
// has max in flight. Call done when the request ends.
func (r *Requests) Begin(party string) (done func(), ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n[party] >= r.max {
		return nil, false
	}
	r.n[party]++
	var once sync.Once
	return func() {
		once.Do(func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			if r.n[party]--; r.n[party] == 0 {
				delete(r.n, party)
			}
		})
	}, true
}
