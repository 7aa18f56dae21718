package node

import (
	"errors"
	"testing"
	"time"
)

// The rule on an entry's time, as a table: the future is judged against
// the receiver's clock, the past against what the entry must follow.
func TestJudgeTime(t *testing.T) {
	now := time.Date(2026, 11, 26, 8, 42, 0, 0, time.UTC)
	tol := 10 * time.Minute
	prev := now.Add(-time.Hour)
	ours := now.Add(-time.Minute) // our message that the entry answers
	b := timeBounds{now: now, tolerance: tol, previous: prev, after: ours, afterWhat: "our entry seoul-7"}
	for _, c := range []struct {
		name string
		t    time.Time
		ok   bool
	}{
		{"now", now, true},
		{"ahead within the tolerance", now.Add(tol), true},
		{"ahead beyond the tolerance", now.Add(tol + time.Millisecond), false},
		{"2036", time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{"1900", time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{"at the previous entry", prev, false}, // also before ours less the tolerance
		{"before the previous entry", prev.Add(-time.Millisecond), false},
		{"before ours within the tolerance", ours.Add(-tol), true},
		{"before ours beyond the tolerance: acknowledged 06:43 for 08:41", time.Date(2026, 11, 26, 6, 43, 0, 0, time.UTC), false},
	} {
		err := judgeTime(c.t, b)
		if c.ok != (err == nil) || err != nil && !errors.Is(err, ErrBadTime) {
			t.Errorf("%s (%s): %v", c.name, c.t, err)
		}
	}
	// Old news: long before the receiver's clock, after what it follows.
	old := timeBounds{now: now, tolerance: tol, previous: now.Add(-72 * time.Hour), after: now.Add(-80 * time.Hour)}
	if err := judgeTime(now.Add(-48*time.Hour), old); err != nil {
		t.Errorf("an entry two days old, carried late: %v", err)
	}
}

// The estimate of a peer's clock is the largest recent measurement: a
// cosignature made on an earlier exchange reads as a clock behind.
func TestClockEstimate(t *testing.T) {
	var c clockSamples
	if _, ok := c.estimate(); ok {
		t.Fatal("an estimate with no measurement")
	}
	at := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	for i, off := range []time.Duration{2 * time.Hour, 2*time.Hour - 40*time.Second, 2*time.Hour + time.Second} {
		c.add(ClockOffset{Offset: off, Uncertainty: time.Second, Measured: at.Add(time.Duration(i) * time.Minute)})
	}
	o, _ := c.estimate()
	if o.Offset != 2*time.Hour+time.Second || !o.Measured.Equal(at.Add(2*time.Minute)) {
		t.Fatalf("estimate %+v", o)
	}
	for i := range 8 {
		c.add(ClockOffset{Offset: -time.Duration(i) * time.Second, Measured: at.Add(time.Hour)})
	}
	if o, _ := c.estimate(); o.Offset != 0 {
		t.Fatalf("old measurements still count: %+v", o)
	}
	// A refusal's bound holds until entries pass again; then a clock was
	// set, and the measurements from before go with it.
	c.add(ClockOffset{Offset: 2 * time.Hour, Bound: true, Skewed: true})
	c.add(ClockOffset{Offset: time.Second})
	if o, _ := c.estimate(); !o.Bound || o.Offset != 2*time.Hour {
		t.Fatalf("a bound gave way to a measurement: %+v", o)
	}
	c.passed(false) // ours passed at the peer: says nothing of its clock ahead
	if o, _ := c.estimate(); !o.Bound {
		t.Fatalf("the bound went when our entries passed: %+v", o)
	}
	c.passed(true)
	if o, ok := c.estimate(); ok {
		t.Fatalf("estimate after the peer's entries passed: %+v", o)
	}
	c.add(ClockOffset{Offset: time.Second})
	c.passed(true) // no bound: nothing to drop
	if _, ok := c.estimate(); !ok {
		t.Fatal("a measurement was dropped with no bound")
	}
	c.add(ClockOffset{Offset: -10 * time.Minute, Bound: true, Skewed: true})
	c.passed(true)
	if o, _ := c.estimate(); !o.Bound {
		t.Fatalf("a bound behind went when the peer's entries passed: %+v", o)
	}
	c.passed(false)
	if _, ok := c.estimate(); ok {
		t.Fatal("a bound behind stayed when our entries passed")
	}
}

// A measurement on a cosignature: the peer's clock is its time less the
// exchange's midpoint, within half the round trip and the half second that
// whole-second cosignatures lose.
func TestMeasure(t *testing.T) {
	end := time.Date(2026, 11, 26, 8, 42, 0, 400_000_000, time.UTC)
	tol := 10 * time.Minute
	for _, c := range []struct {
		name     string
		cosigned time.Time
		rtt      time.Duration
		offset   time.Duration
		skewed   bool
	}{
		{"same clock", end.Add(-200 * time.Millisecond).Truncate(time.Second), 200 * time.Millisecond, 200 * time.Millisecond, false},
		{"two hours behind", end.Add(-2 * time.Hour).Truncate(time.Second), 0, -2*time.Hour + 100*time.Millisecond, true},
		{"two hours ahead", end.Add(2 * time.Hour).Truncate(time.Second), 0, 2*time.Hour + 100*time.Millisecond, true},
		{"eleven minutes behind, on a round trip of five", end.Add(-11 * time.Minute).Truncate(time.Second), 5 * time.Minute, -11*time.Minute + 100*time.Millisecond + 150*time.Second, false},
	} {
		o := measure(c.cosigned, end, c.rtt, tol)
		if o.Offset != c.offset || o.Skewed != c.skewed || o.Uncertainty != c.rtt/2+500*time.Millisecond {
			t.Errorf("%s: %+v, want offset %v, skewed %v", c.name, o, c.offset, c.skewed)
		}
	}
}
