package readmodel

import (
	"context"
	"slices"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/store"
)

// Rungs is the ladder of one message at one receiving party:
// queued → sent → delivered → displayed → acknowledged → replied.
type Rungs struct {
	Party        string    `json:"party"`
	State        string    `json:"state"`
	Queued       time.Time `json:"queued,omitzero"`
	Sent         time.Time `json:"sent,omitzero"`
	Delivered    time.Time `json:"delivered,omitzero"` // the party's cosignature time
	Displayed    time.Time `json:"displayed,omitzero"`
	Acknowledged time.Time `json:"acknowledged,omitzero"`
	AckedBy      string    `json:"acked_by,omitempty"`
	Replied      time.Time `json:"replied,omitzero"`
	Reply        string    `json:"reply,omitempty"`
	AckBy        time.Time `json:"ack_by,omitzero"`   // deadline, from delivery
	ReplyBy      time.Time `json:"reply_by,omitzero"` // deadline, from delivery
	// DeliveryProof says what proves Delivered: "cosigned receipt",
	// "received by this node", or the later rung that stands in for a
	// receipt still on its way.
	DeliveryProof string `json:"-"`
}

// rungs builds the ladder at party of the message p describes, from the
// facts recorded about it. It is the one place the rungs are derived, for
// the views and for the alerts alike.
func (l *Line) rungs(p *store.Pending, party string) Rungs {
	r := Rungs{Party: party, State: "queued", Queued: ms(p.Received), Sent: ms(p.Sent),
		Displayed: ms(p.Displayed), Acknowledged: ms(p.Acked), AckedBy: p.AckedBy, Replied: ms(p.Replied), Reply: p.Reply}
	switch {
	case p.Author == l.Me && p.Receipt != 0:
		r.Delivered, r.DeliveryProof = time.Unix(p.Receipt, 0).UTC(), "cosigned receipt"
	case party == l.Me:
		r.Sent, r.Delivered, r.DeliveryProof = r.Queued, r.Queued, "received by this node"
	}
	// A later rung proves the earlier ones even if their records are
	// missing (a receipt still in flight, a display not yet written).
	if r.Delivered.IsZero() {
		switch {
		case !r.Displayed.IsZero():
			r.Delivered, r.DeliveryProof = r.Displayed, "displayed mark"
		case !r.Acknowledged.IsZero():
			r.Delivered, r.DeliveryProof = r.Acknowledged, "acknowledgement"
		case !r.Replied.IsZero():
			r.Delivered, r.DeliveryProof = r.Replied, "reply"
		}
	}
	if r.Sent.IsZero() {
		r.Sent = r.Delivered
	}
	if !r.Delivered.IsZero() {
		ack, reply := l.DeadlinesAt(p.Precedence, ms(p.Time))
		r.AckBy, r.ReplyBy = r.Delivered.Add(ack), r.Delivered.Add(reply)
	}
	switch {
	case !r.Replied.IsZero():
		r.State = "replied"
	case !r.Acknowledged.IsZero():
		r.State = "acknowledged"
	case !r.Displayed.IsZero():
		r.State = "displayed"
	case !r.Delivered.IsZero():
		r.State = "delivered"
	case !r.Sent.IsZero():
		r.State = "sent"
	}
	return r
}

// applyMark records on p what party's mark m says of it. The first mark
// of each kind in party's log counts; a party writes one of each, and a
// second can only come from a node that misbehaves.
func applyMark(p *store.Pending, m store.Mark) bool {
	switch m.Kind {
	case entry.KindDisplayed:
		if p.Displayed == 0 {
			p.Displayed = m.Time
			return true
		}
	case entry.KindAck:
		if p.Acked == 0 {
			p.Acked, p.AckedBy = m.Time, m.Officer
			return true
		}
	case entry.KindMessage:
		if p.Replied == 0 {
			p.Replied, p.Reply = m.Time, entry.ID(m.Author, m.Index)
			return true
		}
	}
	return false
}

// firstReceipt returns the time of the smallest cosignature in cs (sorted
// by size) that covers entry index, or 0.
func firstReceipt(cs []store.Cosig, index uint64) int64 {
	for _, c := range cs {
		if c.Size > index {
			return c.Time
		}
	}
	return 0
}

// firstSent returns the earliest send in ss that carried entry index, or 0.
func firstSent(ss []store.Sent, index uint64) int64 {
	var t int64
	for _, s := range ss {
		if s.Lo <= index && index <= s.Hi && (t == 0 || s.Time < t) {
			t = s.Time
		}
	}
	return t
}

// Ladders returns the ladder of each message in msgs (entries of line l)
// at every party that receives it, in at most three queries whatever the
// number of messages and parties: the marks that refer to them, and for
// our own messages the sends and receipts that cover them.
func Ladders(ctx context.Context, st *store.Store, l *Line, msgs []store.Entry) ([][]Rungs, error) {
	if len(msgs) == 0 {
		return nil, nil
	}
	ids := make([]string, len(msgs))
	var lo, hi uint64
	ours := false
	var to []string // every party one of our messages was addressed to
	for i, e := range msgs {
		ids[i] = entry.ID(e.Author, e.Index)
		if e.Author == l.Me {
			if !ours || e.Index < lo {
				lo = e.Index
			}
			hi, ours = max(hi, e.Index), true
			for _, p := range l.Addressees(e.Author, ms(e.Time)) {
				if !slices.Contains(to, p) {
					to = append(to, p)
				}
			}
		}
	}
	marks, err := st.MarksOf(ctx, l.ID, ids)
	if err != nil {
		return nil, err
	}
	byRef := map[string][]store.Mark{}
	for _, m := range marks {
		byRef[m.Ref] = append(byRef[m.Ref], m)
	}
	receipts, sends := map[string][]store.Cosig{}, map[string][]store.Sent{}
	if ours {
		cs, err := st.ReceiptsCovering(ctx, l.ID, l.Me, to, lo, hi)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			receipts[c.Cosigner] = append(receipts[c.Cosigner], c)
		}
		ss, err := st.SentCovering(ctx, l.ID, to, lo, hi)
		if err != nil {
			return nil, err
		}
		for _, s := range ss {
			sends[s.Peer] = append(sends[s.Peer], s)
		}
	}
	out := make([][]Rungs, len(msgs))
	for i, e := range msgs {
		for _, party := range l.Addressees(e.Author, ms(e.Time)) {
			p := store.Pending{Author: e.Author, Index: e.Index, Precedence: e.Precedence, Time: e.Time, Received: e.Received}
			if e.Author == l.Me {
				p.Receipt, p.Sent = firstReceipt(receipts[party], e.Index), firstSent(sends[party], e.Index)
			}
			for _, m := range byRef[ids[i]] {
				if m.Author == party {
					applyMark(&p, m)
				}
			}
			out[i] = append(out[i], l.rungs(&p, party))
		}
	}
	return out, nil
}
