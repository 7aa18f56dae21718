// Package readmodel answers what people and the escalation engine ask of a
// node's lines, each rule in one place: the receipt ladder of a message at
// every party, its deadlines, and what is still owed.
//
// # Ladders
//
// A message climbs, at each party that receives it, queued → sent →
// delivered → displayed → acknowledged → replied. [Ladders] reads the
// rungs of a whole page of messages in a constant number of queries,
// whatever the number of messages and parties: the marks that refer to
// them, and for our own messages the sends and the cosigned receipts that
// cover them. A later rung proves the earlier ones when their records are
// missing (a receipt still in flight).
//
// # What is owed
//
// A [Tracker] follows, for one line, every message still waiting for an
// acknowledgement or a reply from a party. It reads the line's backlog
// once, a page at a time, and keeps in memory only the next deadline of
// each message; afterwards each [Tracker.Update] reads only what was
// committed since (new entries of each log, the messages their marks
// name, those new receipts and sends cover) and the messages whose
// deadline passed. Acknowledgements and replies are never taken back, so
// nothing that closed can open again. The cost of a look is what changed,
// not how much is pending, and its memory is 24 bytes per message owed.
package readmodel

import (
	"slices"
	"time"

	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
)

// Line is what the read side needs of an installed line. Its signed
// charter never changes (a line's ID is the hash of it), so a Line is read
// once and shared; what amendments change is read through Rules.
type Line struct {
	ID        string
	Title     string
	Me        string // this node's party
	Charter   *charter.Signed
	Installed time.Time // when this node installed the line
	// InForce, if set, returns the charter in force now: the signed one
	// as the amendments every party accepted changed it; InForceAt the
	// one in force at a time.
	InForce   func() *charter.Charter
	InForceAt func(time.Time) *charter.Charter
}

// Rules returns the charter in force: deadlines, schedules and the rest
// are read from it, so they follow amendments without a restart.
func (l *Line) Rules() *charter.Charter {
	if l.InForce != nil {
		return l.InForce()
	}
	return l.Charter.Charter
}

// NewLine describes line c as seen by party me.
func NewLine(c *charter.Signed, me string, installed time.Time) *Line {
	return &Line{ID: c.ID(), Title: c.Title, Me: me, Charter: c, Installed: installed}
}

// rulesAt is the charter in force at t.
func (l *Line) rulesAt(t time.Time) *charter.Charter {
	if l.InForceAt == nil {
		return l.Charter.Charter
	}
	return l.InForceAt(t)
}

// Peers lists the other parties in force now, in the charter's order: a
// party an amendment added is one, a party one removed is not.
func (l *Line) Peers() []string { return others(l.Rules().Slugs(), l.Me) }

// Addressees lists the parties a message author wrote at t is addressed
// to: every party in force then but the author. It is the one rule for
// who owes what: a party that joined later owes nothing for what came
// before it (it cannot read it), and a ladder has no rung for it.
func (l *Line) Addressees(author string, t time.Time) []string {
	return others(l.rulesAt(t).Slugs(), author)
}

// addressed reports whether party is one of Addressees(author, t).
func (l *Line) addressed(author, party string, t time.Time) bool {
	return party != author && l.rulesAt(t).Party(party) != nil
}

// Authors lists every party whose messages the line may hold: those of
// the signed charter, then those amendments in force added.
func (l *Line) Authors() []string {
	out := l.Charter.Slugs()
	for _, p := range l.Rules().Slugs() {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

func others(slugs []string, me string) []string {
	out := make([]string, 0, len(slugs))
	for _, p := range slugs {
		if p != me {
			out = append(out, p)
		}
	}
	return out
}

// Deadlines returns how long a party has, from delivery, to acknowledge
// and to answer a message of precedence p written now.
func (l *Line) Deadlines(p entry.Precedence) (ack, reply time.Duration) {
	d := l.Rules().Deadline(p)
	return time.Duration(d.Ack), time.Duration(d.Reply)
}

// DeadlinesAt is Deadlines for a message written at t (the author's
// signed time): the charter in force then sets them, so an amendment
// changes the deadlines of the messages written after it, the same on
// every node.
func (l *Line) DeadlinesAt(p entry.Precedence, t time.Time) (ack, reply time.Duration) {
	if l.InForceAt == nil {
		return l.Deadlines(p)
	}
	d := l.InForceAt(t).Deadline(p)
	return time.Duration(d.Ack), time.Duration(d.Reply)
}

// ms turns a time in milliseconds, 0 for none, into a time.
func ms(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}
