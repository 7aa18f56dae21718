package readmodel

import (
	"container/heap"
	"context"
	"maps"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/store"
)

// Tracker keeps what is owed on one line up to date in memory (see the
// package comment). It is not safe for concurrent use.
type Tracker struct {
	st *store.Store
	l  *Line

	started  bool
	next     map[string]uint64 // by log: the first entry not read yet
	receipts map[string]uint64 // by peer: the largest receipt of our log read
	sentRow  int64             // the last send record read

	names names
	items map[recordKey]*record
	// touched holds the messages changed since the last answer: kept
	// across an Update that fails half-way, whose changes are in memory.
	touched map[*record]bool
	// Our messages still without a receipt from, or a send to, a peer,
	// by index: the only ones a new receipt or send can change.
	noReceipt map[string]map[uint64]*record
	unsent    map[string]map[uint64]*record
	due       dueHeap
	last      time.Time // now at the last Update
}

// NewTracker follows what is owed on line l, whose records are in st.
func NewTracker(st *store.Store, l *Line) *Tracker {
	t := &Tracker{st: st, l: l, next: map[string]uint64{}, receipts: map[string]uint64{}, names: newNames(),
		items: map[recordKey]*record{}, touched: map[*record]bool{},
		noReceipt: map[string]map[uint64]*record{}, unsent: map[string]map[uint64]*record{}}
	for _, p := range l.Charter.Slugs() {
		t.names.id(p)
	}
	for _, p := range entry.Precedences {
		t.names.id(string(p))
	}
	for _, p := range l.Peers {
		// Every peer is asked for its receipts from the start, also one
		// that has sent none yet.
		t.receipts[p] = 0
		t.noReceipt[p], t.unsent[p] = map[uint64]*record{}, map[uint64]*record{}
	}
	return t
}

// Update reads what was committed since the last call (the whole backlog
// on the first) and returns the Owed of every message whose facts changed,
// that closed (Closed reports it; the tracker then forgets it), or whose
// deadline passed since the last call, as of now. A message absent from
// the answer is as the previous answers said. Going back in time (a clock
// set back) returns every message.
func (t *Tracker) Update(ctx context.Context, now time.Time) ([]Owed, error) {
	touched := t.touched
	var err error
	if !t.started {
		err = t.start(ctx, touched)
	} else {
		err = t.catchUp(ctx, touched)
	}
	if err != nil {
		return nil, err
	}
	for t.due.Len() > 0 && t.due[0].at <= now.UnixNano() {
		if r := heap.Pop(&t.due).(due).r; !r.gone {
			touched[r] = true
		}
	}
	if now.Before(t.last) {
		for _, r := range t.items {
			touched[r] = true
		}
	}
	t.last = now
	t.touched = map[*record]bool{}
	out := make([]Owed, 0, len(touched))
	for r := range touched {
		if r.gone {
			continue // read again since, and touched as such
		}
		p := t.names.pending(r)
		o := t.l.owed(&p, t.names.str(r.party))
		if o.Closed() {
			t.forget(r)
		} else if at, ok := o.nextDeadline(now); ok {
			// Only the next: when it passes the message is touched, and
			// the one after is pushed then.
			heap.Push(&t.due, due{at: at.UnixNano(), r: r})
		}
		out = append(out, o)
	}
	return out, nil
}

// Next returns the earliest deadline still ahead of the messages owed,
// zero if none: until then, and until something is committed, Update has
// nothing new to say.
func (t *Tracker) Next() time.Time {
	for t.due.Len() > 0 && t.due[0].r.gone {
		heap.Pop(&t.due)
	}
	if t.due.Len() == 0 {
		return time.Time{}
	}
	return time.Unix(0, t.due[0].at).UTC()
}

// Len returns how many messages are owed something now.
func (t *Tracker) Len() int { return len(t.items) }

// start reads the line's backlog once: where each record ends first, so
// that whatever is committed while the backlog is read is read again by
// the next Update (every record applies only once: see applyMark).
func (t *Tracker) start(ctx context.Context, touched map[*record]bool) error {
	ends, err := t.st.LogEnds(ctx, t.l.ID, t.l.Charter.Slugs())
	if err != nil {
		return err
	}
	if err := t.readReceipts(ctx, maps.Clone(t.receipts), nil); err != nil {
		return err
	}
	if err := t.readSends(ctx, nil); err != nil {
		return err
	}
	for _, a := range t.l.Charter.Slugs() {
		if err := t.readMessages(ctx, a, 0, ends[a], touched); err != nil {
			return err
		}
	}
	t.next, t.started = ends, true
	return nil
}

// catchUp reads what was committed since the last Update.
func (t *Tracker) catchUp(ctx context.Context, touched map[*record]bool) error {
	ends, err := t.st.LogEnds(ctx, t.l.ID, t.l.Charter.Slugs())
	if err != nil {
		return err
	}
	for _, a := range t.l.Charter.Slugs() {
		from, to := t.next[a], ends[a]
		if to <= from {
			continue
		}
		if err := t.readMessages(ctx, a, from, to, touched); err != nil {
			return err
		}
		marks, err := t.st.MarksSince(ctx, t.l.ID, a, from, to)
		if err != nil {
			return err
		}
		for _, m := range marks {
			author, idx, err := entry.ParseID(m.Ref)
			if err != nil {
				continue // refers to no message: owed nothing
			}
			who, ok := t.names.find(author) // an author the line does not know is owed nothing
			r := t.items[recordKey{author: who, party: t.names.id(a), idx: idx}]
			if !ok || r == nil {
				continue
			}
			if p := t.names.pending(r); applyMark(&p, m) {
				t.names.set(r, &p)
				touched[r] = true
			}
		}
		t.next[a] = to
	}
	if err := t.readReceipts(ctx, maps.Clone(t.receipts), touched); err != nil {
		return err
	}
	return t.readSends(ctx, touched)
}

// readMessages adds the messages among entries from to to (exclusive) of
// author's log that are owed something, with what is recorded of them.
func (t *Tracker) readMessages(ctx context.Context, author string, from, to uint64, touched map[*record]bool) error {
	if to == 0 {
		return nil
	}
	parties := t.l.Peers
	if author != t.l.Me {
		parties = []string{t.l.Me}
	}
	for _, party := range parties {
		if party == author {
			continue
		}
		rows, err := t.st.PendingMarks(ctx, t.l.ID, author, party, from, to-1)
		if err != nil {
			return err
		}
		for i := range rows {
			p := &rows[i]
			r := t.names.record(p, party)
			if old := t.items[r.key()]; old != nil {
				t.forget(old) // read again at start: the newer reading holds more
			}
			t.items[r.key()] = r
			if author == t.l.Me {
				if p.Receipt == 0 {
					t.noReceipt[party][r.idx] = r
				}
				if p.Sent == 0 {
					t.unsent[party][r.idx] = r
				}
			}
			touched[r] = true
		}
	}
	return nil
}

// readReceipts applies the peers' receipts of our log above the sizes in
// above. Receipts are read in size order, so the first to cover a message
// is its delivery.
func (t *Tracker) readReceipts(ctx context.Context, above map[string]uint64, touched map[*record]bool) error {
	cs, err := t.st.ReceiptsAbove(ctx, t.l.ID, t.l.Me, above)
	if err != nil {
		return err
	}
	for _, c := range cs {
		for k, r := range t.noReceipt[c.Cosigner] {
			if r.idx < c.Size {
				r.receipt = c.Time
				delete(t.noReceipt[c.Cosigner], k)
				if touched != nil {
					touched[r] = true
				}
			}
		}
		t.receipts[c.Cosigner] = max(t.receipts[c.Cosigner], c.Size)
	}
	return nil
}

// readSends applies the sends recorded since the last one read.
func (t *Tracker) readSends(ctx context.Context, touched map[*record]bool) error {
	ss, err := t.st.SentSince(ctx, t.l.ID, t.sentRow)
	if err != nil {
		return err
	}
	for _, s := range ss {
		for k, r := range t.unsent[s.Peer] {
			if s.Lo <= r.idx && r.idx <= s.Hi {
				r.sent = s.Time
				delete(t.unsent[s.Peer], k)
				if touched != nil {
					touched[r] = true
				}
			}
		}
		t.sentRow = max(t.sentRow, s.Row)
	}
	return nil
}

func (t *Tracker) forget(r *record) {
	r.gone = true
	delete(t.items, r.key())
	party := t.names.str(r.party)
	if m := t.noReceipt[party]; m != nil && m[r.idx] == r {
		delete(m, r.idx)
	}
	if m := t.unsent[party]; m != nil && m[r.idx] == r {
		delete(m, r.idx)
	}
}

// due is the next deadline of one message, in Unix nanoseconds; dueHeap
// keeps the earliest on top. An entry of a message since forgotten or
// changed is left in place and skipped (gone) or looked at once more
// when it comes up: cheaper than finding it.
type due struct {
	at int64
	r  *record
}

type dueHeap []due

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].at < h[j].at }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(due)) }
func (h *dueHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
