package officer

import (
	"errors"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/testclock"
)

// TestBucket: the burst goes at once, then one token per 1/rate seconds;
// a queue longer than maxWait is refused without taking anything.
func TestBucket(t *testing.T) {
	c := testclock.New(time.Unix(1e9, 0))
	var slept time.Duration
	b := newBucket(8, 8)
	b.now = c.Now
	b.sleep = func(d time.Duration) { slept += d }
	for i := range 8 {
		if d, ok := b.reserve(1); !ok || d != 0 {
			t.Fatalf("token %d of the burst: wait %v, %v", i, d, ok)
		}
	}
	if d, ok := b.reserve(1); !ok || d != time.Second/8 {
		t.Fatalf("first beyond the burst: wait %v, %v; want 125ms", d, ok)
	}
	// Queue until the wait would pass maxWait.
	n := 1
	for {
		d, ok := b.reserve(1)
		if !ok {
			break
		}
		if d > maxWait {
			t.Fatalf("queued for %v", d)
		}
		n++
	}
	if want := int(maxWait / (time.Second / 8)); n != want {
		t.Errorf("%d queued, want %d", n, want)
	}
	if err := b.take(1); !errors.Is(err, ErrBusy) {
		t.Fatalf("take with a full queue: %v, want ErrBusy", err)
	}
	c.Advance(time.Minute)
	if err := b.take(1); err != nil || slept != 0 {
		t.Fatalf("after a quiet minute: %v, slept %v", err, slept)
	}
	// Cheap parameters cost a sliver of a token.
	if c := (Params{Time: 1, Memory: 64, Threads: 1}).cost(); c > 0.001 {
		t.Errorf("cost of test parameters %v", c)
	}
	if c := DefaultParams.cost(); c != 1 {
		t.Errorf("cost of DefaultParams %v, want 1", c)
	}
}
