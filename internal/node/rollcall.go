package node

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/store"
)

// Roll-call ("person present"): where the charter has a roll-call rule,
// each party's officer on duty confirms, once a slot, that a person is on
// watch. The answer is a rollcall entry in the party's own log, so it is
// signed, delivered and cosigned like a message, and every party judges
// every other party's presence from the same entries.
//
// What counts is an entry's time (the author's clock, as signed). A slot is
// answered when the party has a rollcall entry dated within it, and
// answered in time when its first entry dated at or after the slot's start
// is no later than the slot's deadline (charter.RollCallDeadline; for the
// slot in which the party opened the line, that can fall in the next
// slot, and one answer then serves both). An entry dated in a later slot
// answers nothing yet, so one written with a clock far ahead cannot stand
// for the slots between. The slot named in the body records which
// roll-call the author meant to answer; the views go by the signed time,
// which is what a verifier of a transcript can check too.

// ErrNoRollCall means the line's charter asks for no roll-call.
var ErrNoRollCall = errors.New("this line's charter has no roll-call")

// RollCallView is one party's roll-call as this node sees it at the time
// of the call.
type RollCallView struct {
	Party string `json:"party"`
	// Last is the party's latest answer, by its own clock; answers dated
	// after the slot under way are not counted until their slot comes.
	Last    time.Time `json:"last,omitzero"`
	Officer string    `json:"officer,omitempty"` // who gave the latest answer
	// Slot is the start of the slot under way and AnswerBy its deadline.
	Slot     time.Time `json:"slot"`
	AnswerBy time.Time `json:"answer_by"`
	// Pending: the slot under way is unanswered and its deadline has not
	// passed. Someone has to answer now.
	Pending bool `json:"pending"`
	// Missed: the latest slot whose deadline has passed (the one under way
	// once its deadline is past, else the one before) was not answered in
	// time; MissedSlot is its start. It stays set until a later slot's
	// deadline passes with an answer in time: a late answer shows in Last
	// but does not undo the miss.
	Missed     bool      `json:"missed"`
	MissedSlot time.Time `json:"missed_slot,omitzero"`
	// AnsweredLate is the first answer after the missed slot began (past
	// its deadline, or it would not be missed); zero while the miss has
	// no answer.
	AnsweredLate time.Time `json:"answered_late,omitzero"`
	// MissOpen: missed, and no person has answered since. This is what
	// asks someone to answer now; a late answer closes it at once.
	MissOpen bool `json:"miss_open"`
}

// AnswerRollCall records that officer is on watch for this party: a
// rollcall entry for the slot under way. If the slot is already answered it
// writes nothing. It returns this party's view after the answer.
func (n *Node) AnswerRollCall(ctx context.Context, line, officer string) (*RollCallView, error) {
	ls, err := n.line(line)
	if err != nil {
		return nil, err
	}
	c := ls.rules()
	if c.RollCall == nil {
		return nil, ErrNoRollCall
	}
	if err := n.admit(ls, entry.KindRollCall, "", false); err != nil {
		return nil, err
	}
	slot := c.RollCallSlot(n.now())
	next := nextSlot(c, slot)
	rc := entry.RollCall{Officer: officer, Slot: slot.UnixMilli()}
	if err := rc.Validate(); err != nil {
		return nil, err
	}
	body, _ := json.Marshal(rc)
	d, err := n.sealDraft(ls, entry.KindRollCall, body)
	if err != nil {
		return nil, err
	}
	d.officer = officer
	err = n.submit(ctx, &op{apply: func(tx *store.Tx) error {
		// Checked in the writer, so that two answers racing for one slot
		// write one entry.
		if done, err := tx.HasRollCallBetween(ls.id, ls.me, slot.UnixMilli(), next.UnixMilli()); err != nil || done {
			return err
		}
		_, err := n.writeEntry(tx, ls, d)
		return err
	}})
	if err != nil {
		return nil, err
	}
	v, err := n.rollCall(ls, ls.me, n.now())
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// RollCalls returns the roll-call of every party of line, in charter
// order, or nil when the charter asks for no roll-call. It costs a few
// indexed reads per party, so a console can poll it.
func (n *Node) RollCalls(line string) ([]RollCallView, error) {
	ls, err := n.line(line)
	if err != nil {
		return nil, err
	}
	if ls.rules().RollCall == nil {
		return nil, nil
	}
	if closed, err := n.closed(ls); err != nil || closed {
		return nil, err
	}
	now := n.now()
	var out []RollCallView
	for _, p := range ls.charter.Slugs() {
		v, err := n.rollCall(ls, p, now)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// rollCall computes party's view at now.
func (n *Node) rollCall(ls *lineState, party string, now time.Time) (RollCallView, error) {
	c := ls.rules()
	opened, err := n.opened(ls, party)
	if err != nil {
		return RollCallView{}, err
	}
	cur := c.RollCallSlot(now)
	v := RollCallView{Party: party, Slot: cur, AnswerBy: c.RollCallDeadline(cur, opened)}
	next := nextSlot(c, cur).UnixMilli()
	last, err := n.Store.LatestRollCallBefore(ls.id, party, next)
	if err != nil {
		return v, err
	}
	if last != nil {
		v.Last, v.Officer = ms(last.Time), last.Officer
	}
	answered := last != nil && last.Time >= cur.UnixMilli()
	v.Pending = !answered && !now.After(v.AnswerBy)

	// The latest slot whose deadline has passed. Only the slot in which
	// the party opened the line can close after the next one starts, so
	// this looks back at most two slots; slots before the opening are not
	// asked.
	first := c.RollCallSlot(opened)
	for s := cur; !s.Before(first); s = c.RollCallSlot(s.Add(-time.Millisecond)) {
		deadline := c.RollCallDeadline(s, opened)
		if !now.After(deadline) {
			continue
		}
		e, err := n.Store.FirstRollCallSince(ls.id, party, s.UnixMilli())
		if err != nil {
			return v, err
		}
		if e == nil || e.Time > deadline.UnixMilli() {
			v.Missed, v.MissedSlot = true, s
			// An answer dated after the slot under way answers nothing yet.
			if e != nil && e.Time < next {
				v.AnsweredLate = ms(e.Time)
			}
			v.MissOpen = v.AnsweredLate.IsZero()
		}
		break
	}
	return v, nil
}

// nextSlot returns the start of the slot after the one that starts at slot.
func nextSlot(c *charter.Charter, slot time.Time) time.Time {
	// Every is at least a minute; a sub-millisecond remainder is dropped
	// by RollCallSlot, as everywhere in the schedule.
	return c.RollCallSlot(slot.Add(time.Duration(c.RollCall.Every)))
}

// opened is when party opened the line: the time of its charter entry
// (index 0 of its log) if this node holds it, else this node's own
// installation, so that a peer that has not shown up is asked from the
// moment the line is open here.
func (n *Node) opened(ls *lineState, party string) (time.Time, error) {
	t, ok, err := n.Store.EntryTime(ls.id, party, 0)
	if err != nil || !ok {
		return ls.installed, err
	}
	return ms(t), nil
}
