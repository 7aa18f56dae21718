package duty_test

import (
	"context"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/duty"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
)

// TestLargeLine measures the alerts of a line of many messages, all but a
// few acknowledged and answered: a source that remembers where the pending
// messages start reads only those on its next evaluation, where the first
// reads the line. HOTLINE_DUTY_MESSAGES sets the size (1,000 by default:
// building the line is what takes the time).
func TestLargeLine(t *testing.T) {
	if testing.Short() || raceOn {
		t.Skip("builds a line of many messages: a measurement, not for -short or the race detector")
	}
	total := 1000
	if v := os.Getenv("HOTLINE_DUTY_MESSAGES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 10 {
			t.Fatalf("HOTLINE_DUTY_MESSAGES=%q: want a number of at least 10", v)
		}
		total = n
	}
	const open = 3
	// Links off: each entry would cost an exchange and a receipt of its
	// own. Parcels carry the logs in bulk, as files would.
	p := newOfflinePair(t)
	ctx := context.Background()
	start := time.Now()
	ids := parallel(t, total, func(i int) (string, error) {
		return p.a.Send(ctx, node.SendRequest{Line: p.line, Precedence: entry.Routine, Text: "secret text"})
	})
	p.carry(p.a, p.b)
	parallel(t, total-open, func(i int) (string, error) {
		_, err := p.b.Ack(ctx, p.line, ids[i], "Wang Lei")
		return "", err
	})
	replies := parallel(t, total-open, func(i int) (string, error) {
		return p.b.Send(ctx, node.SendRequest{Line: p.line, Precedence: entry.Routine, Text: "secret text", ReplyTo: ids[i]})
	})
	p.carry(p.b, p.a)
	parallel(t, len(replies), func(i int) (string, error) {
		_, err := p.a.Ack(ctx, p.line, replies[i], "Kim")
		return "", err
	})
	t.Logf("built a line of %d messages each way in %v", total, time.Since(start))

	at := time.Now().Add(48 * time.Hour)
	src := duty.New(p.a)
	start = time.Now()
	first := alertsOf(t, src, at)
	cold := time.Since(start)
	start = time.Now()
	again := alertsOf(t, src, at)
	warm := time.Since(start)
	t.Logf("seoul's alerts over %d messages: %v on the first evaluation, %v on the next", total, cold, warm)
	if k1, k2 := kinds(first), kinds(again); len(k1) != 2*open || len(k2) != 2*open {
		t.Fatalf("%q then %q, want %d alerts (acknowledgement and reply of %d messages)", k1, k2, 2*open, open)
	}
}

// parallel runs fn for 0..n-1 from a few goroutines, as many officers
// would, so that the node's writer commits them in groups.
func parallel(t *testing.T, n int, fn func(i int) (string, error)) []string {
	t.Helper()
	out := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	const workers = 32
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				id, err := fn(i)
				if err != nil {
					select {
					case errs <- err:
					default:
					}
					return
				}
				out[i] = id
			}
		})
	}
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	return out
}
