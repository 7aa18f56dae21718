package serve

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// TestCloseEscalationBounded: an engine whose Run does not return holds up
// closing for escalationStopWait, not for ever.
func TestCloseEscalationBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &Server{alertsDone: make(chan struct{})}
		start := time.Now()
		err := s.closeEscalation()
		if err == nil || !strings.Contains(err.Error(), "did not stop") {
			t.Fatalf("closing past a stuck engine: %v", err)
		}
		if waited := time.Since(start); waited != escalationStopWait {
			t.Errorf("waited %v, want %v", waited, escalationStopWait)
		}
	})
}
