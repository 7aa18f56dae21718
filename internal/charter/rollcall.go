package charter

import "time"

// The roll-call schedule is arithmetic on whole milliseconds, the precision
// of entry times and of a roll-call body's slot, so every party computes
// the same slot boundaries from the charter alone.

// RollCallSlot returns the start of the roll-call slot that holds t: the
// latest Created + k*Every (k may be negative) that is not after t. It
// returns the zero time when the charter asks for no roll-call.
func (c *Charter) RollCallSlot(t time.Time) time.Time {
	if c.RollCall == nil || c.RollCall.Every <= 0 {
		return time.Time{}
	}
	base := c.Created.UnixMilli()
	every := max(time.Duration(c.RollCall.Every).Milliseconds(), 1)
	d := t.UnixMilli() - base
	k := d / every
	if d%every < 0 {
		k-- // floor, not truncation, before the charter's creation
	}
	return time.UnixMilli(base + k*every).UTC()
}

// RollCallDeadline returns when the roll-call of the slot that starts at
// slot closes for a party that opened the line at opened: Answer after the
// slot's start or, for the slot in which the party opened the line, after
// the opening, so that a new line asks at once and still gives the full
// time to answer. It returns the zero time when the charter asks for no
// roll-call.
func (c *Charter) RollCallDeadline(slot, opened time.Time) time.Time {
	if c.RollCall == nil {
		return time.Time{}
	}
	from := slot
	if opened.After(from) {
		from = opened
	}
	return from.Add(time.Duration(c.RollCall.Answer)).UTC()
}
