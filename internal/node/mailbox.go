package node

import (
	"bytes"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/wire"
)

// A mailbox route (a relay) takes a bundle and answers nothing: the
// peer's reply comes back later through our own mailbox. Such a route says
// so with a Mailbox method.
type mailbox interface{ Mailbox() bool }

func isMailbox(r Route) bool {
	m, ok := r.(mailbox)
	return ok && m.Mailbox()
}

// repost is how long a mailbox route waits for a receipt before it posts
// the same entries again: a relay may lose what it was given.
const repost = 30 * time.Second

// worthPosting reports whether b carries anything a mailbox has not had
// recently: new entries, a newer cosignature, or an old post gone stale.
func (l *link) worthPosting(route string, b *wire.Bundle) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.posted[route]
	if p == nil || l.clock().Sub(p.at) > repost {
		return true
	}
	end := uint64(0)
	for _, s := range b.Segments {
		end = max(end, s.Start+uint64(len(s.Entries)))
	}
	return end > p.end || !bytes.Equal(firstCosig(b), p.cosig)
}

type posting struct {
	at    time.Time
	end   uint64
	cosig []byte
}

func (l *link) notePosted(route string, b *wire.Bundle) {
	end := uint64(0)
	for _, s := range b.Segments {
		end = max(end, s.Start+uint64(len(s.Entries)))
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.posted == nil {
		l.posted = map[string]*posting{}
	}
	l.posted[route] = &posting{at: l.clock(), end: end, cosig: firstCosig(b)}
}

func firstCosig(b *wire.Bundle) []byte {
	if len(b.Cosigs) == 0 {
		return nil
	}
	return b.Cosigs[0]
}

// leafUrgent reports whether a leaf is of FLASH or IMMEDIATE precedence.
// The leaf is parsed, not searched: a body or ref can never pass for a
// precedence line, and the rule is entry.Precedence.Urgent's alone.
func leafUrgent(leaf []byte) bool {
	l, err := entry.Parse(leaf)
	return err == nil && l.Precedence.Urgent()
}
