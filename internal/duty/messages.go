package duty

import (
	"context"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/hotline-line/hotline/internal/escalate"
	"github.com/hotline-line/hotline/internal/readmodel"
)

// messageAlerts finds, between us and each peer, the messages still owed
// an acknowledgement or a reply, and keeps those whose condition is open
// at now. It asks the line's tracker what changed since the last
// evaluation and which deadlines passed; the messages with an open alert
// are written again each time (their text says how long ago), the others
// wait for the tracker to bring them back.
func (s *Source) messageAlerts(ctx context.Context, l *lineInfo, now time.Time) ([]escalate.Alert, error) {
	// Only the messages with an alert open are kept: on the first look the
	// tracker passes on every message owed, a hundred thousand on a long
	// line, and the others come back when a deadline of theirs passes.
	seen := 0
	err := l.tracker.Each(ctx, now, func(o *readmodel.Owed) {
		seen++
		if o.Closed() || len(messageAlert(l, o, now)) == 0 {
			delete(l.open, o.Key())
		} else {
			l.open[o.Key()] = *o
		}
	})
	if err != nil {
		return nil, err
	}
	// Reading a long backlog left garbage of every message owed (their
	// rungs and IDs, the rows of each page), which the runtime hands back
	// to the system only slowly, and a node is mostly idle: hand it back
	// now, as node.Open does after reading the logs.
	if seen >= 10_000 {
		debug.FreeOSMemory()
	}
	var out []escalate.Alert
	for k, o := range l.open {
		a := messageAlert(l, &o, now)
		if len(a) == 0 {
			delete(l.open, k)
		}
		out = append(out, a...)
	}
	slices.SortFunc(out, func(a, b escalate.Alert) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// messageAlert returns the alerts open at now about a message owed: ours
// (owed by a peer) or a peer's (owed by us).
func messageAlert(l *lineInfo, o *readmodel.Owed, now time.Time) []escalate.Alert {
	if o.Party == l.Me {
		return owed(l, o, now)
	}
	return overdue(l, o, now)
}

// owed turns a peer's message that we have not acknowledged or answered
// into the alerts open at now: owed_ack from arrival for FLASH and
// IMMEDIATE, from the acknowledgement deadline for the others; owed_reply
// from the reply deadline. The party of these alerts is us: we must act.
func owed(l *lineInfo, o *readmodel.Owed, now time.Time) []escalate.Alert {
	id, arrived := o.ID, o.Delivered
	facts := escalate.Facts{Delivered: arrived, DeliveryProof: o.DeliveryProof, Displayed: o.Displayed,
		Acknowledged: o.Acknowledged, AckedBy: o.AckedBy, Replied: o.Replied, Reply: o.Reply}
	base := escalate.Alert{Owed: true, Line: l.ID, LineTitle: l.Title, Party: l.Me, Message: id,
		Precedence: o.Precedence, Facts: facts}
	var out []escalate.Alert
	if o.AckOwed() {
		due := o.AckBy
		urgent := o.Precedence.Urgent()
		if urgent || !now.Before(due) {
			a := base
			a.ID, a.Kind, a.Deadline, a.Opened = string(escalate.OwedAck)+":"+l.ID+":"+id, escalate.OwedAck, due, due
			if urgent {
				a.Opened = arrived
			}
			word := "due "
			if !now.Before(due) {
				word = "deadline "
			}
			a.Summary = "We owe " + o.Author + " an acknowledgement of " + id + " — " + word + newClock(now).deadline(due)
			c := newClock(now)
			a.Detail = inboundRungs(c, facts, false) + "; ack deadline " + c.deadline(due)
			out = append(out, a)
		}
	}
	if due := o.ReplyBy; o.ReplyOwed() && !now.Before(due) {
		a := base
		a.ID, a.Kind, a.Deadline, a.Opened = string(escalate.OwedReply)+":"+l.ID+":"+id, escalate.OwedReply, due, due
		a.Summary = "We owe " + o.Author + " a reply to " + id + " — reply deadline " + newClock(now).deadline(due)
		c := newClock(now)
		a.Detail = inboundRungs(c, facts, true) + "; reply deadline " + c.deadline(due)
		out = append(out, a)
	}
	return out
}

// inboundRungs states what we did with a peer's message so far.
func inboundRungs(t *clock, f escalate.Facts, replyOwed bool) string {
	s := "arrived " + t.at(f.Delivered)
	if !f.Displayed.IsZero() {
		s += ", displayed " + t.at(f.Displayed)
	} else {
		s += ", not displayed"
	}
	if f.Acknowledged.IsZero() {
		s += ", not acknowledged"
	} else {
		s += ", acknowledged " + t.at(f.Acknowledged) + byOfficer(f.AckedBy)
	}
	if replyOwed {
		s += ", no reply"
	}
	return s
}

// overdue turns our message that peer has not acknowledged or answered
// into the alerts open at now: undelivered for an urgent message with no
// proof of delivery within its acknowledgement deadline from queueing;
// peer_ack_overdue and peer_reply_overdue once the deadlines, counted from
// delivery, pass.
func overdue(l *lineInfo, o *readmodel.Owed, now time.Time) []escalate.Alert {
	id, peer := o.ID, o.Party
	f := escalate.Facts{Queued: o.Queued, Sent: o.Sent, Delivered: o.Delivered, DeliveryProof: o.DeliveryProof,
		Displayed: o.Displayed, Acknowledged: o.Acknowledged, AckedBy: o.AckedBy, Replied: o.Replied, Reply: o.Reply}
	base := escalate.Alert{Line: l.ID, LineTitle: l.Title, Party: peer, Message: id, Precedence: o.Precedence, Facts: f}
	if f.Delivered.IsZero() {
		due := o.DeliverBy
		if due.IsZero() || now.Before(due) {
			return nil
		}
		a := base
		a.ID, a.Kind, a.Deadline, a.Opened = string(escalate.Undelivered)+":"+l.ID+":"+id+":"+peer, escalate.Undelivered, due, due
		t := newClock(now)
		a.Summary = id + " not delivered to " + peer + " — queued " + t.at(f.Queued) + ", no receipt by " + t.at(due)
		d := newClock(now)
		a.Detail = "queued " + d.at(f.Queued)
		if f.Sent.IsZero() {
			a.Detail += ", not sent: no route has reached " + peer
		} else {
			a.Detail += ", sent " + d.at(f.Sent) + ", no delivery receipt"
		}
		a.Detail += "; deadline " + d.deadline(due)
		return []escalate.Alert{a}
	}
	var out []escalate.Alert
	if due := o.AckBy; o.AckOwed() && !now.Before(due) {
		a := base
		a.ID, a.Kind, a.Deadline, a.Opened = string(escalate.PeerAckOverdue)+":"+l.ID+":"+id+":"+peer, escalate.PeerAckOverdue, due, due
		a.Summary = peer + " has not acknowledged " + id + " — deadline " + newClock(now).deadline(due)
		c := newClock(now)
		a.Detail = outboundRungs(c, f, false) + "; ack deadline " + c.deadline(due)
		out = append(out, a)
	}
	if due := o.ReplyBy; o.ReplyOwed() && !now.Before(due) {
		a := base
		a.ID, a.Kind, a.Deadline, a.Opened = string(escalate.PeerReplyOverdue)+":"+l.ID+":"+id+":"+peer, escalate.PeerReplyOverdue, due, due
		a.Summary = peer + " has not replied to " + id + " — reply deadline " + newClock(now).deadline(due)
		c := newClock(now)
		a.Detail = outboundRungs(c, f, true) + "; reply deadline " + c.deadline(due)
		out = append(out, a)
	}
	return out
}

// outboundRungs states what is proven of our message at a peer:
// "delivered 03:12 UTC (cosigned receipt), displayed 03:13, not
// acknowledged".
func outboundRungs(t *clock, f escalate.Facts, replyOwed bool) string {
	s := "delivered " + t.at(f.Delivered) + " (" + f.DeliveryProof + ")"
	if !f.Displayed.IsZero() {
		s += ", displayed " + t.at(f.Displayed)
	}
	if f.Acknowledged.IsZero() {
		s += ", not acknowledged"
	} else {
		s += ", acknowledged " + t.at(f.Acknowledged) + byOfficer(f.AckedBy)
	}
	if replyOwed {
		s += ", no reply"
	}
	return s
}

func byOfficer(name string) string {
	if name == "" {
		return ""
	}
	return " by " + name
}
