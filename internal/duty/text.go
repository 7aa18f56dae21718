package duty

import "time"

// clock writes the times of one sentence as people write them: the first
// carries "UTC" and the following ones do not ("delivered 03:12 UTC,
// displayed 03:13"). A time on another day than now carries its date.
type clock struct {
	now  time.Time
	used bool
}

func newClock(now time.Time) *clock { return &clock{now: now} }

func (c *clock) at(t time.Time) string {
	t = t.UTC()
	s := t.Format("15:04")
	if y, m, d := t.Date(); y != c.now.UTC().Year() {
		s = t.Format("2006-01-02 15:04")
	} else if _, nm, nd := c.now.UTC().Date(); m != nm || d != nd {
		s = t.Format("Jan 2 15:04")
	}
	if !c.used {
		c.used = true
		s += " UTC"
	}
	return s
}

// deadline writes a deadline and whether it passed: "03:22 UTC passed".
func (c *clock) deadline(t time.Time) string {
	s := c.at(t)
	if !c.now.Before(t) {
		s += " passed"
	}
	return s
}

// utc writes one time on its own, always with "UTC".
func utc(now, t time.Time) string { return newClock(now).at(t) }
