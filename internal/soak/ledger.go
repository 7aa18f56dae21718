package soak

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hotline-line/hotline/internal/cluster"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
)

// Attempt is one run of "hotline send". Its text is unique: a retry of the
// same sequence number is a new attempt with a new text, so that a message
// that arrives twice is always a duplicate, never a legitimate resend.
type Attempt struct {
	Author     int // index into cluster.Cluster.Parties
	Worker     int
	Seq        int
	Try        int
	Text       string
	Start, End time.Time
	ID         string // set if and only if the send was accepted
	Index      uint64
	Err        string
}

// Text is the message text of an attempt. It carries the author, the
// worker, the sequence number within the worker and the try, in the
// party's own language.
func Text(author, worker, seq, try int) string {
	word := [2]string{"긴급 통지", "紧急通知"}[author]
	return fmt.Sprintf("%s %s w%d s%06d t%d", word, cluster.Parties[author].Slug, worker, seq, try)
}

// Ledger records every send attempt and which were accepted.
type Ledger struct {
	mu       sync.Mutex
	byText   map[string]*Attempt
	accepted [2][]*Attempt
	failed   int
	changed  chan struct{}
}

// NewLedger returns an empty ledger.
func NewLedger() *Ledger {
	return &Ledger{byText: map[string]*Attempt{}, changed: make(chan struct{})}
}

// Begin records the start of an attempt.
func (l *Ledger) Begin(author, worker, seq, try int) *Attempt {
	a := &Attempt{Author: author, Worker: worker, Seq: seq, Try: try, Text: Text(author, worker, seq, try), Start: time.Now()}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.byText[a.Text] != nil {
		panic("soak: attempt text reused: " + a.Text)
	}
	l.byText[a.Text] = a
	return a
}

// End records the outcome of an attempt.
func (l *Ledger) End(a *Attempt, id string, err error) {
	end := time.Now()
	var index uint64
	if err == nil {
		var author string
		var perr error
		author, index, perr = entry.ParseID(id)
		if perr == nil && author != cluster.Parties[a.Author].Slug {
			perr = fmt.Errorf("message ID %s names author %s", id, author)
		}
		if perr != nil {
			err = perr
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	a.End = end
	if err != nil {
		a.Err = err.Error()
		l.failed++
		return
	}
	a.ID, a.Index = id, index
	l.accepted[a.Author] = append(l.accepted[a.Author], a)
	close(l.changed)
	l.changed = make(chan struct{})
}

// Accepted returns how many sends have been accepted so far, and a channel
// closed at the next acceptance.
func (l *Ledger) Accepted() (int, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.accepted[0]) + len(l.accepted[1]), l.changed
}

// WaitAccepted waits until at least n sends have been accepted in all.
func (l *Ledger) WaitAccepted(ctx context.Context, n int, timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		got, changed := l.Accepted()
		if got >= n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return fmt.Errorf("only %d sends accepted after %v, waiting for %d", got, timeout, n)
		}
	}
}

// Counts returns the number of accepted sends by each author and of failed
// attempts.
func (l *Ledger) Counts() (accepted [2]int, failed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return [2]int{len(l.accepted[0]), len(l.accepted[1])}, l.failed
}

// AcceptedBy returns a copy of the accepted attempts of author, in the
// order they were accepted.
func (l *Ledger) AcceptedBy(author int) []Attempt {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Attempt, len(l.accepted[author]))
	for i, a := range l.accepted[author] {
		out[i] = *a
	}
	return out
}

// Lookup returns the attempt whose text is text, if any.
func (l *Ledger) Lookup(text string) (Attempt, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a, ok := l.byText[text]
	if !ok {
		return Attempt{}, false
	}
	return *a, true
}

// Violations collects what a check found wrong.
type Violations struct{ list []string }

func (v *Violations) Addf(format string, args ...any) {
	if len(v.list) < 1000 {
		v.list = append(v.list, fmt.Sprintf(format, args...))
	}
}

// Err returns nil if nothing was found, or an error listing the first
// findings.
func (v *Violations) Err() error {
	if len(v.list) == 0 {
		return nil
	}
	shown := v.list
	if len(shown) > 30 {
		shown = shown[:30]
	}
	return fmt.Errorf("%d violations:\n  %s", len(v.list), strings.Join(shown, "\n  "))
}

// Len is the number of findings.
func (v *Violations) Len() int { return len(v.list) }

// CheckOrder checks that the accepted sends of one author got log indexes
// in the order they were made: within a worker (whose sends are
// sequential) ascending sequence numbers have ascending indexes, and
// across workers a send that returned before another started has the
// smaller index. It also checks that no two accepted sends share an ID.
func CheckOrder(acc []Attempt, v *Violations) {
	ids := map[string]string{}
	for _, a := range acc {
		if prev, ok := ids[a.ID]; ok {
			v.Addf("two accepted sends got the same ID %s: %q and %q", a.ID, prev, a.Text)
		}
		ids[a.ID] = a.Text
	}
	byWorker := map[int][]Attempt{}
	for _, a := range acc {
		byWorker[a.Worker] = append(byWorker[a.Worker], a)
	}
	for _, as := range byWorker {
		slices.SortFunc(as, func(x, y Attempt) int { return cmp.Or(cmp.Compare(x.Seq, y.Seq), cmp.Compare(x.Try, y.Try)) })
		for i := 1; i < len(as); i++ {
			if as[i].Index <= as[i-1].Index {
				v.Addf("order: %q got %s, after %q got %s", as[i].Text, as[i].ID, as[i-1].Text, as[i-1].ID)
			}
		}
	}
	// Across workers: walk from the highest index down, keeping the
	// earliest end among higher indexes; a send that started after that
	// end should have had a higher index.
	sorted := slices.Clone(acc)
	slices.SortFunc(sorted, func(x, y Attempt) int { return cmp.Compare(y.Index, x.Index) })
	var earliest *Attempt
	for i := range sorted {
		a := &sorted[i]
		if earliest != nil && earliest.End.Before(a.Start) {
			v.Addf("order: %q (%s) started after %q (%s) returned, but has the smaller index",
				a.Text, a.ID, earliest.Text, earliest.ID)
		}
		if earliest == nil || a.End.Before(earliest.End) {
			earliest = a
		}
	}
}

// Receiver tracks what one party has received from the other, across
// incremental reads of its inbox.
type Receiver struct {
	Author, To int // indexes into cluster.Cluster.Parties
	byID       map[string]string
	byText     map[string]string
	Duplicates int
	Unknown    int // messages that match no attempt
	MaxDelay   time.Duration
	MaxDelayID string
	next       uint64 // indexes below next have been read
}

// NewReceiver tracks messages from author to to.
func NewReceiver(author, to int) *Receiver {
	return &Receiver{Author: author, To: to, byID: map[string]string{}, byText: map[string]string{}, next: 1}
}

// Count is the number of distinct messages received.
func (r *Receiver) Count() int { return len(r.byID) }

// Add takes in inbox messages and records duplicates (the same text under
// two IDs), unknown texts and the worst delay between writing and
// receiving.
func (r *Receiver) Add(msgs []node.Message, l *Ledger, v *Violations) {
	author := cluster.Parties[r.Author].Slug
	for _, m := range msgs {
		if m.Author != author {
			v.Addf("%s's inbox holds %s by %s", cluster.Parties[r.To].Slug, m.ID, m.Author)
			continue
		}
		if m.BodyError != "" {
			v.Addf("%s: unreadable body: %s", m.ID, m.BodyError)
			continue
		}
		if text, ok := r.byID[m.ID]; ok {
			if text != m.Text {
				v.Addf("%s read twice with different texts: %q, %q", m.ID, text, m.Text)
			}
			continue
		}
		if id, ok := r.byText[m.Text]; ok {
			r.Duplicates++
			v.Addf("duplicate: %q arrived as %s and as %s", m.Text, id, m.ID)
		}
		if _, ok := l.Lookup(m.Text); !ok {
			r.Unknown++
			v.Addf("%s: %q matches no send", m.ID, m.Text)
		}
		r.byID[m.ID], r.byText[m.Text] = m.Text, m.ID
		if d := m.Received.Sub(m.Written); d > r.MaxDelay {
			r.MaxDelay, r.MaxDelayID = d, m.ID
		}
	}
}

// Read reads the receiver's inbox for every message of the author's log
// below size not yet read; total is the number of entries on the line
// (both logs). The inbox is newest first, so it asks for as many as are
// new, and asks for more if the answer does not reach back far enough
// ("inbox --limit N" may return fewer than N of the peer's messages when
// the node's own messages are interleaved with them).
func (r *Receiver) Read(ctx context.Context, c *cluster.Cluster, size, total uint64, l *Ledger, v *Violations) error {
	if size <= r.next {
		return nil
	}
	limit := int(size-r.next) + 8
	for {
		msgs, err := c.Parties[r.To].Inbox(ctx, limit)
		if err != nil {
			return err
		}
		lowest := size
		for _, m := range msgs {
			if _, i, err := entry.ParseID(m.ID); err == nil && i < lowest {
				lowest = i
			}
		}
		if lowest <= r.next || uint64(limit) >= total {
			r.Add(msgs, l, v)
			for i := r.next; i < size; i++ {
				if _, ok := r.byID[entry.ID(cluster.Parties[r.Author].Slug, i)]; !ok {
					v.Addf("%s's log holds %d entries but its message %s is not in %s's inbox",
						cluster.Parties[r.Author].Slug, size, entry.ID(cluster.Parties[r.Author].Slug, i), cluster.Parties[r.To].Slug)
				}
			}
			r.next = size
			return nil
		}
		limit *= 2
	}
}

// CheckDelivered checks that every accepted send of the author whose index
// is below size arrived with the text that was sent, and that the sends
// were ordered, both as the author numbered them and as the receiver holds
// them. It returns how many accepted sends arrived.
func (r *Receiver) CheckDelivered(l *Ledger, size uint64, v *Violations) int {
	acc := l.AcceptedBy(r.Author)
	CheckOrder(acc, v)
	r.checkReceivedOrder(l, v)
	n := 0
	for _, a := range acc {
		if a.Index >= size {
			v.Addf("accepted %s (%q) is beyond %s's log as its peer holds it (%d)", a.ID, a.Text, cluster.Parties[r.Author].Slug, size)
			continue
		}
		got, ok := r.byID[a.ID]
		switch {
		case !ok:
			v.Addf("lost: accepted %s (%q) is not on %s", a.ID, a.Text, cluster.Parties[r.To].Slug)
		case got != a.Text:
			v.Addf("lost: accepted %s was %q, %s holds %q under that ID", a.ID, a.Text, cluster.Parties[r.To].Slug, got)
		default:
			n++
		}
	}
	return n
}

// CheckOutbox checks the author's own outbox against what the receiver
// holds: the same messages under the same IDs, each accepted send present,
// and every message's ladder at the receiver at least "delivered".
func (r *Receiver) CheckOutbox(out []node.Message, l *Ledger, v *Violations) {
	seen := map[string]bool{}
	for _, m := range out {
		seen[m.ID] = true
		if got, ok := r.byID[m.ID]; !ok || got != m.Text {
			v.Addf("outbox of %s has %s %q; %s holds %q", cluster.Parties[r.Author].Slug, m.ID, m.Text, cluster.Parties[r.To].Slug, got)
		}
		if len(m.Ladder) != 1 || m.Ladder[0].Party != cluster.Parties[r.To].Slug {
			v.Addf("%s: ladder %+v", m.ID, m.Ladder)
			continue
		}
		switch st := m.Ladder[0].State; st {
		case "delivered", "displayed", "acknowledged", "replied":
		default:
			v.Addf("%s: ladder at %s is %q, want at least delivered", m.ID, cluster.Parties[r.To].Slug, st)
		}
	}
	if len(out) != len(r.byID) {
		v.Addf("outbox of %s has %d messages, %s received %d", cluster.Parties[r.Author].Slug, len(out), cluster.Parties[r.To].Slug, len(r.byID))
	}
	for _, a := range l.AcceptedBy(r.Author) {
		if !seen[a.ID] {
			v.Addf("accepted %s (%q) is missing from %s's own outbox", a.ID, a.Text, cluster.Parties[r.Author].Slug)
		}
	}
}

// ErrViolations wraps the findings of a check.
var ErrViolations = errors.New("invariants violated")

// checkReceivedOrder walks the received messages in log order and checks
// that each worker's sequence numbers ascend: what one sender wrote in
// order, the other party holds in that order.
func (r *Receiver) checkReceivedOrder(l *Ledger, v *Violations) {
	type rec struct {
		index uint64
		a     Attempt
	}
	var recs []rec
	for id, text := range r.byID {
		_, i, err := entry.ParseID(id)
		a, ok := l.Lookup(text)
		if err != nil || !ok {
			continue // reported by Add
		}
		recs = append(recs, rec{i, a})
	}
	slices.SortFunc(recs, func(x, y rec) int { return cmp.Compare(x.index, y.index) })
	last := map[int]Attempt{}
	for _, x := range recs {
		if p, ok := last[x.a.Worker]; ok && (x.a.Seq < p.Seq || x.a.Seq == p.Seq && x.a.Try <= p.Try) {
			v.Addf("received order: %s holds %q at index %d after %q", cluster.Parties[r.To].Slug, x.a.Text, x.index, p.Text)
		}
		last[x.a.Worker] = x.a
	}
}
