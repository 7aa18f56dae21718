package seal

import "sync"

// MaxEpochs bounds the epoch secrets a receiver keeps: with one epoch per
// author in use at a time, it covers a line of 64 parties several times
// over, and a secret that falls out is recovered from its carrier's
// envelope in the store (one decapsulation).
const MaxEpochs = 512

// Epochs is a receiver's memory of the epoch secrets it opened, so that an
// epoch costs one decapsulation, not one per message. It is bounded, kept
// in memory only (after a restart each epoch is opened again from the
// envelope of the entry that carries it), and erases what it drops. A nil
// *Epochs keeps nothing. It is safe for concurrent use.
type Epochs struct {
	mu    sync.Mutex
	m     map[epochID][]byte
	order []epochID // oldest first
}

type epochID struct {
	line, author, recipient string
	carrier                 uint64
}

func (c *Epochs) get(id epochID) []byte {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[id]
}

func (c *Epochs) put(id epochID, secret []byte) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[epochID][]byte{}
	}
	if _, ok := c.m[id]; ok {
		return
	}
	for len(c.order) >= MaxEpochs {
		old := c.order[0]
		c.order = c.order[1:]
		clear(c.m[old])
		delete(c.m, old)
	}
	c.m[id] = secret
	c.order = append(c.order, id)
}

// Erase overwrites and forgets every epoch secret held.
func (c *Epochs) Erase() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, secret := range c.m {
		clear(secret)
	}
	c.m, c.order = nil, nil
}

// Len is how many epoch secrets are held.
func (c *Epochs) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
