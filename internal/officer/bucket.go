package officer

import (
	"sync"
	"time"
)

// bucket is a token bucket: rate tokens a second, at most burst saved up.
// take waits for a token, callers queueing in order of arrival, but never
// longer than maxWait: past that the queue is refused, not lengthened.
type bucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
	now    func() time.Time
	sleep  func(time.Duration)
}

// maxWait is the longest take queues before it refuses.
const maxWait = 5 * time.Second

func newBucket(rate, burst int) *bucket {
	return &bucket{rate: float64(rate), burst: float64(burst), tokens: float64(burst), now: time.Now, sleep: time.Sleep}
}

// reserve takes cost tokens, going into debt if too few are left, and
// returns how long the caller must wait before using them; false, taking
// nothing, if that would be longer than maxWait.
func (b *bucket) reserve(cost float64) (time.Duration, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if !b.last.IsZero() {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	b.tokens -= cost
	if b.tokens >= 0 {
		return 0, true
	}
	wait := time.Duration(-b.tokens / b.rate * float64(time.Second))
	if wait > maxWait {
		b.tokens += cost
		return 0, false
	}
	return wait, true
}

// take waits for cost tokens; it returns ErrBusy when the queue is too
// long.
func (b *bucket) take(cost float64) error {
	d, ok := b.reserve(cost)
	if !ok {
		return ErrBusy
	}
	if d > 0 {
		b.sleep(d)
	}
	return nil
}
