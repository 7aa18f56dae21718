package heapmeter

import (
	"runtime"
	"testing"
)

// TestLiveCountsWhatIsHeld: 8 MiB held shows in Live, and is gone from it
// once let go.
func TestLiveCountsWhatIsHeld(t *testing.T) {
	before := Live()
	b := make([]byte, 8<<20)
	held := Live()
	runtime.KeepAlive(b)
	// Less a mebibyte: what was live before may have been let go since.
	if held < before+7<<20 {
		t.Fatalf("holding 8 MiB: live heap %d, before %d", held, before)
	}
	b = nil
	if after := Live(); after >= held-4<<20 {
		t.Fatalf("after letting 8 MiB go: live heap %d, while held %d", after, held)
	}
}
