package node

import (
	"sync"

	"github.com/hotline-line/hotline/internal/wire"
)

// recentEntries is how many of a party's latest entries it keeps in memory
// (about 2 KB each), enough for the segments of steady traffic: a push of
// one new message, or the few written while the last exchange was under
// way. A catch-up reads the database.
const recentEntries = 256

// recent holds the latest entries of this party's own log as written, so
// that a segment of new entries is built without reading them back from
// the database. A slot may hold an entry of a transaction that failed; the
// next entry written at that index replaces it, and only indices below the
// committed size are ever asked for, so what is served is what is on disk.
type recent struct {
	mu    sync.Mutex
	slots [recentEntries]recentEntry
}

type recentEntry struct {
	index uint64
	entry wire.Entry
	set   bool
}

// put keeps the entry written at index.
func (r *recent) put(index uint64, leaf, envelope []byte) {
	r.mu.Lock()
	r.slots[index%recentEntries] = recentEntry{index: index, entry: wire.Entry{Leaf: leaf, Envelope: envelope}, set: true}
	r.mu.Unlock()
}

// get returns entries [from, to) if all of them are held, else nil.
func (r *recent) get(from, to uint64) []wire.Entry {
	if to-from > recentEntries {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]wire.Entry, 0, to-from)
	for i := from; i < to; i++ {
		s := &r.slots[i%recentEntries]
		if !s.set || s.index != i {
			return nil
		}
		out = append(out, s.entry)
	}
	return out
}
