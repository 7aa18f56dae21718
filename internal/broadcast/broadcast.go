// Package broadcast tells every waiter at once that something happened:
// the node's state changed, an alarm may have opened, a draft waits for
// release. Waiters take a channel, then wait on it; the next Fire closes
// it for all of them.
package broadcast

import "sync"

// Signal is a channel closed at each Fire and replaced for the waiters
// that come after. The zero value is ready; no channel is made until
// someone waits.
type Signal struct {
	mu sync.Mutex
	ch chan struct{}
}

// Wait returns a channel closed at the next Fire. Take it before looking
// at the state it is about, so that a change in between still closes it.
func (s *Signal) Wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

// Fire wakes every waiter.
func (s *Signal) Fire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
}
