package twoperson

import "sync"

// changes tells waiters that something changed, as node.Changed does for
// the node's state: C returns a channel that the next Notify closes.
type changes struct {
	mu sync.Mutex
	ch chan struct{}
}

// C returns a channel closed at the next Notify.
func (c *changes) C() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ch == nil {
		c.ch = make(chan struct{})
	}
	return c.ch
}

// Notify wakes every waiter.
func (c *changes) Notify() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ch != nil {
		close(c.ch)
		c.ch = nil
	}
}
