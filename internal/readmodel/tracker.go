package readmodel

import (
	"container/heap"
	"context"
	"maps"
	"slices"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/store"
)

// Tracker keeps what is owed on one line up to date (see the package
// comment). It is not safe for concurrent use.
//
// It keeps no copy of a message: the database has every fact of it, and
// a message owed changes only when something is committed about it or
// when one of its deadlines passes. So the tracker keeps, per message
// owed, its next deadline (24 bytes), and reads a message again when a
// record names it (a mark that refers to it, a receipt or a send that
// covers it) or its deadline comes up. Its memory is a few megabytes for
// a hundred thousand messages owed; it held a record of 133 bytes for
// each, and a node over a long line kept 220 MB resident.
type Tracker struct {
	st *store.Store
	l  *Line

	started  bool
	next     map[string]uint64 // by log: the first entry not read yet
	receipts map[string]uint64 // by peer: the size of our log its receipts cover
	sentRow  int64             // the last send record read

	names names
	due   dueHeap
	// again holds the messages to read again, and ranges the stretches
	// of a log whose messages are new or newly delivered: kept across an
	// Update that fails half-way.
	again  map[msgKey]bool
	ranges []span
	last   time.Time // now at the last Update
}

// span is entries from to to (inclusive) of author's log, as owed by party.
type span struct {
	author, party name
	from, to      uint64
}

// page bounds the messages read in one query, so that reading a long
// backlog holds a page of it at a time.
const page = 2048

// NewTracker follows what is owed on line l, whose records are in st.
func NewTracker(st *store.Store, l *Line) *Tracker {
	t := &Tracker{st: st, l: l, names: newNames(), again: map[msgKey]bool{}}
	for _, p := range l.Charter.Slugs() {
		t.names.id(p)
	}
	return t
}

// Update reads what was committed since the last call (the whole backlog
// on the first) and returns the Owed of every message whose facts changed,
// that closed (Closed reports it), or whose deadline passed since the
// last call, as of now. A message absent from the answer is as the
// previous answers said; one may come back with nothing new. Going back
// in time (a clock set back) returns every message.
func (t *Tracker) Update(ctx context.Context, now time.Time) ([]Owed, error) {
	var out []Owed
	err := t.Each(ctx, now, func(o *Owed) { out = append(out, *o) })
	return out, err
}

// Each is Update calling fn with each Owed rather than returning them
// all: reading a line's backlog then holds one page of it at a time. The
// Owed is fn's only for the call.
func (t *Tracker) Each(ctx context.Context, now time.Time, fn func(*Owed)) error {
	if t.started && now.Before(t.last) {
		t.started, t.due, t.again, t.ranges = false, nil, map[msgKey]bool{}, nil
	}
	t.last = now
	if !t.started {
		return t.start(ctx, now, fn)
	}
	if err := t.catchUp(ctx); err != nil {
		return err
	}
	for t.due.Len() > 0 && t.due[0].at <= now.UnixNano() {
		t.again[heap.Pop(&t.due).(due).key()] = true
	}
	t.ranges = mergeSpans(t.ranges)
	for len(t.ranges) > 0 {
		s := t.ranges[0]
		if err := t.readSpan(ctx, s, now, fn); err != nil {
			return err
		}
		t.ranges = t.ranges[1:]
	}
	if err := t.readAgain(ctx, now, fn); err != nil {
		return err
	}
	clear(t.again)
	t.ranges = nil
	return nil
}

// Next returns the earliest deadline still ahead of the messages owed,
// zero if none: until then, and until something is committed, Update has
// nothing new to say. (A deadline a message no longer has comes up too,
// and Update then finds nothing new.)
func (t *Tracker) Next() time.Time {
	if t.due.Len() == 0 {
		return time.Time{}
	}
	return time.Unix(0, t.due[0].at).UTC()
}

// Len returns how many deadlines the tracker waits for: one for each
// message owed with a deadline ahead, and those of messages that changed
// since (they come up and are dropped).
func (t *Tracker) Len() int { return t.due.Len() }

// start reads the line's backlog, a page at a time: where each record
// ends first, so that whatever is committed while the backlog is read is
// read again by the next Update (reading a message twice only says again
// what is so).
func (t *Tracker) start(ctx context.Context, now time.Time, fn func(*Owed)) error {
	ends, err := t.st.LogEnds(ctx, t.l.ID, t.l.Authors())
	if err != nil {
		return err
	}
	receipts, err := t.st.ReceiptSizes(ctx, t.l.ID, t.l.Me, t.l.Peers())
	if err != nil {
		return err
	}
	sentRow, err := t.st.LastSentRow(ctx, t.l.ID)
	if err != nil {
		return err
	}
	// Every peer is asked for its receipts from the start, also one that
	// has sent none yet.
	for _, p := range t.l.Peers() {
		if _, ok := receipts[p]; !ok {
			receipts[p] = 0
		}
	}
	t.due = nil
	for _, a := range t.l.Authors() {
		for _, s := range t.spans(a, 0, ends[a]) {
			if err := t.readSpan(ctx, s, now, fn); err != nil {
				return err
			}
		}
	}
	t.next, t.receipts, t.sentRow, t.started = ends, receipts, sentRow, true
	return nil
}

// spans are entries from to to (exclusive) of author's log, once for each
// party that may owe something for them: every peer for ours, us for a
// peer's.
func (t *Tracker) spans(author string, from, to uint64) []span {
	if to <= from {
		return nil
	}
	parties := t.l.Peers()
	if author != t.l.Me {
		parties = []string{t.l.Me}
	}
	var out []span
	for _, p := range parties {
		if p != author {
			out = append(out, span{author: t.names.id(author), party: t.names.id(p), from: from, to: to - 1})
		}
	}
	return out
}

// catchUp notes what was committed since the last Update: the new
// entries of each log, the messages their marks refer to, the messages of
// ours that new receipts and sends cover.
func (t *Tracker) catchUp(ctx context.Context) error {
	ends, err := t.st.LogEnds(ctx, t.l.ID, t.l.Authors())
	if err != nil {
		return err
	}
	next := maps.Clone(t.next)
	for _, a := range t.l.Authors() {
		from, to := next[a], ends[a]
		if to <= from {
			continue
		}
		t.ranges = append(t.ranges, t.spans(a, from, to)...)
		marks, err := t.st.MarksSince(ctx, t.l.ID, a, from, to)
		if err != nil {
			return err
		}
		for _, m := range marks {
			author, idx, err := entry.ParseID(m.Ref)
			if err != nil {
				continue // refers to no message: owed nothing
			}
			// Ours marked by a peer, or a peer's marked by us: the only
			// messages owed something here.
			if (author == t.l.Me) == (a == t.l.Me) {
				continue
			}
			who, ok := t.names.find(author) // an author the line does not know is owed nothing
			if !ok {
				continue
			}
			t.again[msgKey{author: who, party: t.names.id(a), idx: idx}] = true
		}
		next[a] = to
	}
	cs, err := t.st.ReceiptsAbove(ctx, t.l.ID, t.l.Me, t.receipts)
	if err != nil {
		return err
	}
	receipts := maps.Clone(t.receipts)
	for _, c := range cs {
		// Receipts come in size order: the first to cover a message is
		// its delivery.
		if had := receipts[c.Cosigner]; c.Size > had {
			t.ranges = append(t.ranges, span{author: t.names.id(t.l.Me), party: t.names.id(c.Cosigner), from: had, to: c.Size - 1})
			receipts[c.Cosigner] = c.Size
		}
	}
	ss, err := t.st.SentSince(ctx, t.l.ID, t.sentRow)
	if err != nil {
		return err
	}
	sentRow := t.sentRow
	for _, s := range ss {
		// A send changes what is said of a message not delivered yet; a
		// delivered one was read when its receipt came.
		if lo := max(s.Lo, receipts[s.Peer]); lo <= s.Hi {
			t.ranges = append(t.ranges, span{author: t.names.id(t.l.Me), party: t.names.id(s.Peer), from: lo, to: s.Hi})
		}
		sentRow = max(sentRow, s.Row)
	}
	t.next, t.receipts, t.sentRow = next, receipts, sentRow
	return nil
}

// readSpan reads the messages of s still owed something, a page at a
// time, and passes each on.
func (t *Tracker) readSpan(ctx context.Context, s span, now time.Time, fn func(*Owed)) error {
	author, party := t.names.str(s.author), t.names.str(s.party)
	for from := s.from; from <= s.to; from += page {
		to := min(s.to, from+page-1)
		rows, err := t.st.PendingMarks(ctx, t.l.ID, author, party, from, to)
		if err != nil {
			return err
		}
		for i := range rows {
			t.emit(&rows[i], party, now, fn)
		}
		if to == s.to {
			break
		}
	}
	return nil
}

// readAgain reads the messages in t.again, owed or closed since, and
// passes each on. Messages close to each other in a log are read with
// one query.
func (t *Tracker) readAgain(ctx context.Context, now time.Time, fn func(*Owed)) error {
	keys := slices.SortedFunc(maps.Keys(t.again), func(a, b msgKey) int {
		if a.author != b.author {
			return int(a.author) - int(b.author)
		}
		if a.party != b.party {
			return int(a.party) - int(b.party)
		}
		return cmpIdx(a.idx, b.idx)
	})
	const gap = 64 // messages between two asked for that a query reads for nothing, at most
	for i := 0; i < len(keys); {
		first := keys[i]
		j := i + 1
		for j < len(keys) && keys[j].author == first.author && keys[j].party == first.party &&
			keys[j].idx-keys[j-1].idx <= gap && keys[j].idx-first.idx < page {
			j++
		}
		author, party := t.names.str(first.author), t.names.str(first.party)
		rows, err := t.st.MessageMarks(ctx, t.l.ID, author, party, first.idx, keys[j-1].idx)
		if err != nil {
			return err
		}
		for k := range rows {
			if t.again[msgKey{author: first.author, party: first.party, idx: rows[k].Index}] {
				t.emit(&rows[k], party, now, fn)
			}
		}
		i = j
	}
	return nil
}

// mergeSpans sorts spans and joins those of a log and party that overlap
// or touch: a new message and the receipt that delivers it are read once.
func mergeSpans(ss []span) []span {
	slices.SortFunc(ss, func(a, b span) int {
		if a.author != b.author {
			return int(a.author) - int(b.author)
		}
		if a.party != b.party {
			return int(a.party) - int(b.party)
		}
		return cmpIdx(a.from, b.from)
	})
	var out []span
	for _, s := range ss {
		if n := len(out); n > 0 && out[n-1].author == s.author && out[n-1].party == s.party && s.from <= out[n-1].to+1 {
			out[n-1].to = max(out[n-1].to, s.to)
			continue
		}
		out = append(out, s)
	}
	return out
}

func cmpIdx(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// emit passes on the Owed of p at party, and waits for its next deadline
// if it is still owed something.
func (t *Tracker) emit(p *store.Pending, party string, now time.Time, fn func(*Owed)) {
	if !t.l.addressed(p.Author, party, ms(p.Time)) {
		return // the party was not on the line when the message was written
	}
	o := t.l.owed(p, party)
	if !o.Closed() {
		if at, ok := o.nextDeadline(now); ok {
			// Only the next: when it passes the message is read again,
			// and the one after is pushed then.
			heap.Push(&t.due, due{at: at.UnixNano(), idx: p.Index, author: t.names.id(p.Author), party: t.names.id(party)})
		}
	}
	fn(&o)
}
