package duty

import (
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/escalate"
	"github.com/hotline-line/hotline/internal/store"
)

// messageAlerts finds, between us and each peer, the messages still owed
// an acknowledgement or a reply, and keeps those whose condition is open
// at now.
func (s *Source) messageAlerts(l *lineInfo, now time.Time) ([]escalate.Alert, error) {
	var out []escalate.Alert
	for _, peer := range l.peers {
		in, err := s.pending(l, peer, l.me)
		if err != nil {
			return nil, err
		}
		for _, p := range in {
			out = append(out, owed(l, p, now)...)
		}
		ours, err := s.pending(l, l.me, peer)
		if err != nil {
			return nil, err
		}
		for _, p := range ours {
			out = append(out, overdue(l, peer, p, now)...)
		}
	}
	return out, nil
}

// pending reads the messages of author's log that party still owes
// something: those that did last time, and those written since.
func (s *Source) pending(l *lineInfo, author, party string) ([]store.Pending, error) {
	key := l.id + "\x00" + author + "\x00" + party
	rows, scan, err := s.n.Store.PendingMarks(l.id, author, party, s.scans[key])
	if err != nil {
		return nil, err
	}
	s.scans[key] = scan
	return rows, nil
}

func (l *lineInfo) deadlines(p entry.Precedence) (ack, reply time.Duration) {
	d := l.charter.Deadline(p)
	return time.Duration(d.Ack), time.Duration(d.Reply)
}

// owed turns a peer's message that we have not acknowledged or answered
// into the alerts open at now: owed_ack from arrival for FLASH and
// IMMEDIATE, from the acknowledgement deadline for the others; owed_reply
// from the reply deadline. The party of these alerts is us: we must act.
func owed(l *lineInfo, p store.Pending, now time.Time) []escalate.Alert {
	id := entry.ID(p.Author, p.Index)
	arrived := ms(p.Received)
	ackIn, replyIn := l.deadlines(p.Precedence)
	facts := escalate.Facts{Delivered: arrived, DeliveryProof: "received by this node", Displayed: ms(p.Displayed),
		Acknowledged: ms(p.Acked), AckedBy: p.AckedBy, Replied: ms(p.Replied), Reply: p.Reply}
	base := escalate.Alert{Owed: true, Line: l.id, LineTitle: l.title, Party: l.me, Message: id,
		Precedence: p.Precedence, Facts: facts}
	var out []escalate.Alert
	if p.Acked == 0 {
		due := arrived.Add(ackIn)
		urgent := p.Precedence.Urgent()
		if urgent || !now.Before(due) {
			a := base
			a.ID, a.Kind, a.Deadline, a.Opened = string(escalate.OwedAck)+":"+l.id+":"+id, escalate.OwedAck, due, due
			if urgent {
				a.Opened = arrived
			}
			word := "due "
			if !now.Before(due) {
				word = "deadline "
			}
			a.Summary = "We owe " + p.Author + " an acknowledgement of " + id + " — " + word + newClock(now).deadline(due)
			c := newClock(now)
			a.Detail = inboundRungs(c, facts, false) + "; ack deadline " + c.deadline(due)
			out = append(out, a)
		}
	}
	if due := arrived.Add(replyIn); p.Replied == 0 && p.ReplyTo == "" && !now.Before(due) {
		a := base
		a.ID, a.Kind, a.Deadline, a.Opened = string(escalate.OwedReply)+":"+l.id+":"+id, escalate.OwedReply, due, due
		a.Summary = "We owe " + p.Author + " a reply to " + id + " — reply deadline " + newClock(now).deadline(due)
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
func overdue(l *lineInfo, peer string, p store.Pending, now time.Time) []escalate.Alert {
	id := entry.ID(p.Author, p.Index)
	ackIn, replyIn := l.deadlines(p.Precedence)
	f := escalate.Facts{Queued: ms(p.Received), Sent: ms(p.Sent), Displayed: ms(p.Displayed),
		Acknowledged: ms(p.Acked), AckedBy: p.AckedBy, Replied: ms(p.Replied), Reply: p.Reply}
	// The receipt proves delivery; until it arrives a later rung proves it
	// too, as on the ladder the console shows.
	switch {
	case p.Receipt != 0:
		f.Delivered, f.DeliveryProof = time.Unix(p.Receipt, 0).UTC(), "cosigned receipt"
	case !f.Displayed.IsZero():
		f.Delivered, f.DeliveryProof = f.Displayed, "displayed mark"
	case !f.Acknowledged.IsZero():
		f.Delivered, f.DeliveryProof = f.Acknowledged, "acknowledgement"
	case !f.Replied.IsZero():
		f.Delivered, f.DeliveryProof = f.Replied, "reply"
	}
	if f.Sent.IsZero() {
		f.Sent = f.Delivered
	}
	base := escalate.Alert{Line: l.id, LineTitle: l.title, Party: peer, Message: id, Precedence: p.Precedence, Facts: f}
	if f.Delivered.IsZero() {
		due := f.Queued.Add(ackIn)
		if !p.Precedence.Urgent() || now.Before(due) {
			return nil
		}
		a := base
		a.ID, a.Kind, a.Deadline, a.Opened = string(escalate.Undelivered)+":"+l.id+":"+id+":"+peer, escalate.Undelivered, due, due
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
	if due := f.Delivered.Add(ackIn); p.Acked == 0 && !now.Before(due) {
		a := base
		a.ID, a.Kind, a.Deadline, a.Opened = string(escalate.PeerAckOverdue)+":"+l.id+":"+id+":"+peer, escalate.PeerAckOverdue, due, due
		a.Summary = peer + " has not acknowledged " + id + " — deadline " + newClock(now).deadline(due)
		c := newClock(now)
		a.Detail = outboundRungs(c, f, false) + "; ack deadline " + c.deadline(due)
		out = append(out, a)
	}
	if due := f.Delivered.Add(replyIn); p.Replied == 0 && p.ReplyTo == "" && !now.Before(due) {
		a := base
		a.ID, a.Kind, a.Deadline, a.Opened = string(escalate.PeerReplyOverdue)+":"+l.id+":"+id+":"+peer, escalate.PeerReplyOverdue, due, due
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
