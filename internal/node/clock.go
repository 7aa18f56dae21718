package node

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/store"
	"github.com/hotline-line/hotline/internal/wire"
)

// ErrBadTime means an entry is dated where it cannot be: ahead of the
// receiver's clock by more than the charter's clock tolerance, before the
// author's previous entry, before the line began, or before an entry of
// ours that it answers or had seen. The entry is signed, so the refusal
// is evidence; a segment refused for an entry dated ahead goes through
// once the clocks agree, the others never do.
var ErrBadTime = errors.New("entry time is not possible")

// timeBounds is what an entry's time is judged against.
type timeBounds struct {
	now       time.Time     // the receiver's clock
	tolerance time.Duration // the charter's clock tolerance
	previous  time.Time     // the author's previous entry; zero for entry 0
	// after is the latest moment, by the receiver's clock, that the entry
	// must follow (less the tolerance), and what it is.
	after     time.Time
	afterWhat string
}

// judgeTime applies the rule on an entry's time t. Only the future is
// judged against the receiver's clock as such: an entry dated long ago
// may be old news carried late (a relay, a parcel, a cable cut for a
// day), so the past is judged against what the entry must follow.
func judgeTime(t time.Time, b timeBounds) error {
	if ahead, too := b.ahead(t); too {
		return fmt.Errorf("%w: dated %s, %v %s (tolerance %v)", ErrBadTime, stamp(t), ahead.Round(time.Millisecond), aheadOfOurClock, b.tolerance)
	}
	if !b.previous.IsZero() && t.Before(b.previous) {
		return fmt.Errorf("%w: dated %s, before the author's previous entry (%s)", ErrBadTime, stamp(t), stamp(b.previous))
	}
	if !b.after.IsZero() && t.Before(b.after.Add(-b.tolerance)) {
		return fmt.Errorf("%w: dated %s, %v before %s (%s; tolerance %v)", ErrBadTime, stamp(t), b.after.Sub(t).Round(time.Millisecond), b.afterWhat, stamp(b.after), b.tolerance)
	}
	return nil
}

// ahead is how far t lies ahead of the receiver's clock, and whether that
// is beyond the tolerance.
func (b timeBounds) ahead(t time.Time) (time.Duration, bool) {
	d := t.Sub(b.now)
	return d, d > b.tolerance
}

// aheadOfOurClock marks a refusal for a time in the future: the author
// reads it as a bound on the receiver's clock (measureClock).
const aheadOfOurClock = "ahead of our clock"

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000 UTC") }

// judgeTimes judges the time of each new entry of a segment (from index
// cur on) inside the writer's transaction. A time that breaks the rule is
// a Refusal; any other error is the store's.
func (n *Node) judgeTimes(tx *store.Tx, v *verified, cur uint64) error {
	ls, author := v.ls, v.lg.author
	b := timeBounds{now: n.now(), tolerance: ls.charter.Tolerance()}
	if cur > 0 {
		ms, ok, err := tx.EntryTime(ls.id, author, cur-1)
		if err != nil {
			return err
		}
		if ok {
			b.previous = time.UnixMilli(ms)
		}
	}
	for i := cur - v.start; i < uint64(len(v.entries)); i++ {
		e := &v.entries[i]
		b.after, b.afterWhat = ls.charter.Created, "the line's creation"
		if err := n.mustFollow(tx, ls, e, &b); err != nil {
			return err
		}
		t := time.UnixMilli(e.Time)
		if ahead, too := b.ahead(t); too {
			n.noteAhead(ls.id, author, ahead, b.tolerance)
		}
		if err := judgeTime(t, b); err != nil {
			return refuse(fmt.Errorf("%s: %w", entry.ID(author, e.Index), err))
		}
		b.previous = t
	}
	n.noteTimesPassed(ls.id, author)
	return nil
}

// mustFollow raises b.after to the latest entry of ours that e answers
// (a mark or a reply) or names as seen (its refs): its author cannot
// have written e before our entry existed.
func (n *Node) mustFollow(tx *store.Tx, ls *lineState, e *store.Entry, b *timeBounds) error {
	var ours []uint64
	if a, i, err := entry.ParseID(e.Ref); err == nil && a == ls.me {
		ours = append(ours, i)
	}
	if l, err := entry.Parse(e.Leaf); err == nil {
		for _, r := range l.Refs {
			if r.Party == ls.me && r.Size > 0 {
				ours = append(ours, r.Size-1)
			}
		}
	}
	for _, i := range ours {
		ms, ok, err := tx.EntryTime(ls.id, ls.me, i)
		if err != nil {
			return err
		}
		if t := time.UnixMilli(ms); ok && t.After(b.after) {
			b.after, b.afterWhat = t, "our entry "+entry.ID(ls.me, i)
		}
	}
	return nil
}

// stampTime is the time to write on our next entry (index), which
// answers entry ref (a mark or a reply; "" for none): the clock's, unless
// that is a time the peers must refuse. It is raised to our previous
// entry's time (the clock went back: a correction), and to within the
// tolerance of the latest peer entry we hold, which the entry names as
// seen (our clock is behind theirs). The line goes on; the skew alert
// tells the operators.
func (n *Node) stampTime(tx *store.Tx, ls *lineState, index uint64, ref string) time.Time {
	t := n.now().UTC()
	raise := func(author string, i uint64, less time.Duration) {
		if ms, ok, err := tx.EntryTime(ls.id, author, i); err == nil && ok {
			if f := time.UnixMilli(ms).Add(-less).UTC(); f.After(t) {
				t = f
			}
		}
	}
	if index > 0 {
		raise(ls.me, index-1, 0)
	}
	tol := ls.charter.Tolerance()
	for _, p := range ls.peers() {
		if size := ls.log(p).committed.Load(); size > 0 {
			raise(p, size-1, tol)
		}
	}
	if a, i, err := entry.ParseID(ref); err == nil && a != ls.me && ls.log(a) != nil {
		raise(a, i, tol)
	}
	return t
}

// ClockOffset is a peer's clock against ours.
type ClockOffset struct {
	Offset      time.Duration `json:"offset"`      // the peer's clock minus ours
	Uncertainty time.Duration `json:"uncertainty"` // a measurement lies within Offset ± Uncertainty
	// Bound means Offset is a bound, not a measurement: the peer's clock
	// is at least this far ahead (Offset > 0) or behind (Offset < 0). It
	// comes from an entry dated ahead of the receiver's clock.
	Bound     bool          `json:"bound,omitempty"`
	Measured  time.Time     `json:"measured"`  // when, by our clock
	Tolerance time.Duration `json:"tolerance"` // the charter's
	// Skewed means the clocks differ by more than the tolerance, whatever
	// the uncertainty: one of them is wrong, the times each side writes
	// mislead the other, and the entries of the one ahead are refused.
	Skewed bool `json:"skewed"`
}

// clockSamples keeps the latest measurements of a peer's clock, and the
// bound that refusals set while they go on.
//
// A measurement is NTP's: the peer's cosignature on entries we sent in an
// exchange is dated by its clock while the exchange ran, so the offset is
// its time less the exchange's midpoint, within half the round trip (and
// half a second: cosignatures are dated in whole seconds). A cosignature
// made earlier (the entries arrived on an exchange whose reply was lost)
// reads as a clock behind; the estimate is therefore the largest of the
// recent measurements.
//
// When the clocks are too far apart for the entries of the one ahead to
// pass, refusals give a bound instead, which is the estimate until
// entries pass again. Then a clock was set: the measurements from before
// are dropped with the bound.
type clockSamples struct {
	bound  *ClockOffset
	recent [8]ClockOffset
	n      int
}

func (c *clockSamples) add(s ClockOffset) {
	if s.Bound {
		c.bound = &s
		return
	}
	c.recent[c.n%len(c.recent)] = s
	c.n++
}

// passed notes that entries passed the time rule: the peer's at our node
// (fromPeer), or ours at the peer's. A bound set by refusals in that
// direction no longer holds: a clock was set.
func (c *clockSamples) passed(fromPeer bool) {
	// The peer's entries were refused for a clock ahead of ours (Offset >
	// 0); ours at the peer, for a clock behind (Offset < 0).
	if c.bound != nil && (c.bound.Offset > 0) == fromPeer {
		*c = clockSamples{}
	}
}

// estimate returns the estimate and whether there is one.
func (c *clockSamples) estimate() (ClockOffset, bool) {
	if c.bound != nil {
		return *c.bound, true
	}
	if c.n == 0 {
		return ClockOffset{}, false
	}
	best := c.recent[0]
	var measured time.Time
	for _, s := range c.recent[:min(c.n, len(c.recent))] {
		if s.Offset > best.Offset {
			best = s
		}
		if s.Measured.After(measured) {
			measured = s.Measured
		}
	}
	best.Measured = measured
	return best, true
}

// measure is the offset that a cosignature dated cosigned (whole seconds)
// shows, when the exchange that brought it back ended at end and took
// rtt, both by our clock.
func measure(cosigned, end time.Time, rtt, tolerance time.Duration) ClockOffset {
	half := rtt / 2
	o := ClockOffset{
		Offset:      cosigned.Add(500 * time.Millisecond).Sub(end.Add(-half)),
		Uncertainty: half + 500*time.Millisecond,
		Measured:    end,
		Tolerance:   tolerance,
	}
	o.Skewed = o.Offset.Abs()-o.Uncertainty > tolerance
	return o
}

// measureClock learns about the peer's clock from an exchange that began
// at start (the link's clock) and carried sent:
//
//   - a reply with the peer's cosignature on the entries sent is a
//     measurement. Cosignatures are dated by the system clock, not by a
//     clock the node was given, so it is timed by the system clock;
//   - a refusal because our entry is dated ahead of the peer's clock is a
//     bound: the peer's clock is behind ours by more than the tolerance.
func (l *link) measureClock(sent, reply *wire.Bundle, err error, start time.Time) {
	ls := l.ls
	tol := ls.charter.Tolerance()
	var s ClockOffset
	var re *RefusedError
	switch {
	case errors.As(err, &re):
		if !strings.Contains(re.Msg, ErrBadTime.Error()) || !strings.Contains(re.Msg, aheadOfOurClock) {
			return
		}
		s = ClockOffset{Offset: -tol, Bound: true, Measured: l.clock(), Tolerance: tol, Skewed: true}
	case err == nil && reply != nil && len(sent.Segments) > 0:
		last := sent.Segments[len(sent.Segments)-1]
		size := last.Start + uint64(len(last.Entries))
		if reply.Have[ls.me] >= size {
			l.mu.Lock()
			l.peerClock.passed(false) // our entries went through
			l.mu.Unlock()
		}
		found := false
		for _, note := range reply.Cosigs {
			c, err := ls.keys.Receipt(note, ls.me, l.peer)
			if err != nil || c.Size != size {
				continue
			}
			if at, ok := c.CosignedBy(l.peer); ok {
				s, found = measure(at, time.Now(), l.clock().Sub(start), tol), true
				s.Measured = l.clock()
				break
			}
		}
		if !found {
			return
		}
	default:
		return
	}
	l.mu.Lock()
	l.peerClock.add(s)
	l.mu.Unlock()
}

// noteAhead records that author dated an entry ahead of our clock by
// ahead: its clock is at least that far ahead of ours.
func (n *Node) noteAhead(line, author string, ahead, tolerance time.Duration) {
	l := n.linkFor(line, author)
	if l == nil {
		return
	}
	l.mu.Lock()
	l.peerClock.add(ClockOffset{Offset: ahead, Bound: true, Measured: n.now(), Tolerance: tolerance, Skewed: true})
	l.mu.Unlock()
}

// noteTimesPassed records that author's new entries passed the time rule:
// a bound its earlier refusals set no longer holds.
func (n *Node) noteTimesPassed(line, author string) {
	if l := n.linkFor(line, author); l != nil {
		l.mu.Lock()
		l.peerClock.passed(true)
		l.mu.Unlock()
	}
}

// ClockOffsets returns the estimated clock offset of every peer on line
// that this node has measured.
func (n *Node) ClockOffsets(line string) (map[string]ClockOffset, error) {
	ls, err := n.line(line)
	if err != nil {
		return nil, err
	}
	out := map[string]ClockOffset{}
	for _, p := range ls.peers() {
		if o, ok := n.clockOffset(ls.id, p); ok {
			out[p] = o
		}
	}
	return out, nil
}

func (n *Node) clockOffset(line, peer string) (ClockOffset, bool) {
	l := n.linkFor(line, peer)
	if l == nil {
		return ClockOffset{}, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.peerClock.estimate()
}

// String writes an offset as people read it: "2h0m3s ahead of ours
// ±0.6s", or for a bound "at least 10m0s behind ours".
func (o ClockOffset) String() string {
	way := "ahead of ours"
	if o.Offset < 0 {
		way = "behind ours"
	}
	if o.Bound {
		return "at least " + o.Offset.Abs().Round(time.Second).String() + " " + way
	}
	return o.Offset.Abs().Round(100*time.Millisecond).String() + " " + way + " ±" + o.Uncertainty.Round(100*time.Millisecond).String()
}
