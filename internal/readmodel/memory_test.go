package readmodel_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/readmodel"
)

// maxBytesPerOwed is what the tracker may keep in memory for each message
// owed something. It kept 341 bytes when it held each message whole with
// string keys; its fixed-size records take about 135 (a little more in a
// small tracker, whose maps are less full).
const maxBytesPerOwed = 200

// TestTrackerMemory: the tracker keeps a small fixed-size record for each
// message owed, not the message with its facts and keys as strings.
func TestTrackerMemory(t *testing.T) {
	n := 50_000
	if raceOn {
		n = 1_000
	}
	b := newBacklog(t, n)
	ctx := context.Background()
	before := heapInUse()
	tr := readmodel.NewTracker(b.st, b.l)
	now := time.UnixMilli(b.at).Add(time.Minute)
	if _, err := tr.Update(ctx, now); err != nil {
		t.Fatal(err)
	}
	held := heapInUse() - before
	runtime.KeepAlive(tr)
	per := held / uint64(tr.Len())
	t.Logf("%d messages owed: the tracker holds %d bytes, %d per message", tr.Len(), held, per)
	if tr.Len() != 2*n {
		t.Fatalf("%d owed, want %d", tr.Len(), 2*n)
	}
	if per > maxBytesPerOwed {
		t.Errorf("%d bytes per owed message, want at most %d", per, maxBytesPerOwed)
	}
}

// heapInUse is the bytes of live objects after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
