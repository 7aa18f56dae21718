package readmodel_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/heapmeter"
	"github.com/hotline-line/hotline/internal/readmodel"
)

// maxBytesPerOwed is what the tracker may keep in memory for each message
// owed something. It kept 341 bytes when it held each message whole with
// string keys, 133 with a fixed-size record of each; it keeps the next
// deadline of each, 24 bytes in a heap that grows by doubling.
const maxBytesPerOwed = 48

// TestTrackerMemory: the tracker keeps the next deadline of each message
// owed, not the message: an idle node over a line with a hundred thousand
// messages waiting for an acknowledgement holds a few megabytes for them.
// Reading the backlog holds one page of it at a time.
func TestTrackerMemory(t *testing.T) {
	n := 50_000
	if raceOn {
		n = 1_000
	}
	b := newBacklog(t, n)
	ctx := context.Background()
	before := heapmeter.Live()
	tr := readmodel.NewTracker(b.st, b.l)
	now := time.UnixMilli(b.at).Add(time.Minute)
	var peak uint64
	owed := 0
	err := tr.Each(ctx, now, func(o *readmodel.Owed) {
		if owed++; owed%(n/4) == 0 {
			peak = max(peak, heapmeter.Live()-before)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	held := heapmeter.Live() - before
	runtime.KeepAlive(tr)
	per := held / uint64(owed)
	t.Logf("%d messages owed: the tracker holds %d bytes, %d per message; %d bytes while reading them", owed, held, per, peak)
	if owed != 2*n {
		t.Fatalf("%d owed, want %d", owed, 2*n)
	}
	if per > maxBytesPerOwed {
		t.Errorf("%d bytes per owed message, want at most %d", per, maxBytesPerOwed)
	}
	if peak > uint64(owed)*maxBytesPerOwed+4<<20 {
		t.Errorf("reading the backlog held %d bytes: more than its deadlines and a page", peak)
	}
}
