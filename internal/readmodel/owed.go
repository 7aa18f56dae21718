package readmodel

import (
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/store"
)

// Owed is a message still waiting, or that just stopped waiting, for a
// party's acknowledgement or reply, with its ladder there. Between us and
// a peer: the peer's messages that we (Party = us) owe, and ours that the
// peer owes.
type Owed struct {
	ID         string // the message
	Author     string
	Party      string // who owes
	Precedence entry.Precedence
	ReplyTo    string // the message this one answers; a reply is owed no reply
	Rungs             // at Party; Rungs.Party is Party
	// DeliverBy is when the receipt of our urgent message is due: its
	// acknowledgement deadline counted from queueing. Zero otherwise.
	DeliverBy time.Time
}

// Key names o among everything a line owes.
func (o *Owed) Key() string { return o.ID + " " + o.Party }

// AckOwed reports whether Party still owes an acknowledgement.
func (o *Owed) AckOwed() bool { return o.Acknowledged.IsZero() }

// ReplyOwed reports whether Party still owes a reply: a message that is
// itself a reply asks for none.
func (o *Owed) ReplyOwed() bool { return o.Replied.IsZero() && o.ReplyTo == "" }

// Closed reports whether nothing more is owed: nothing can reopen it.
func (o *Owed) Closed() bool { return !o.AckOwed() && !o.ReplyOwed() }

// deadlines lists the times at which what o owes changes by itself, with
// no new record: the deadlines still ahead of it.
func (o *Owed) deadlines() []time.Time {
	var out []time.Time
	if !o.DeliverBy.IsZero() && o.Delivered.IsZero() {
		out = append(out, o.DeliverBy)
	}
	if o.Delivered.IsZero() {
		return out
	}
	if o.AckOwed() {
		out = append(out, o.AckBy)
	}
	if o.ReplyOwed() {
		out = append(out, o.ReplyBy)
	}
	return out
}

// nextDeadline returns the earliest of o's deadlines after now.
func (o *Owed) nextDeadline(now time.Time) (time.Time, bool) {
	var next time.Time
	for _, at := range o.deadlines() {
		if at.After(now) && (next.IsZero() || at.Before(next)) {
			next = at
		}
	}
	return next, !next.IsZero()
}

// owed builds the Owed of the message p describes at party.
func (l *Line) owed(p *store.Pending, party string) Owed {
	o := Owed{ID: entry.ID(p.Author, p.Index), Author: p.Author, Party: party, Precedence: p.Precedence,
		ReplyTo: p.ReplyTo, Rungs: l.rungs(p, party)}
	if p.Author == l.Me && p.Precedence.Urgent() {
		ack, _ := l.DeadlinesAt(p.Precedence, ms(p.Time))
		o.DeliverBy = o.Queued.Add(ack)
	}
	return o
}
