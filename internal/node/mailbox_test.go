package node

import (
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
)

// TestLeafUrgent: the quick look at a leaf's text agrees with
// Precedence.Urgent for every precedence, and a mark is never urgent.
func TestLeafUrgent(t *testing.T) {
	for _, p := range append([]entry.Precedence{""}, entry.Precedences...) {
		l := entry.Leaf{Line: "5d0c1f0e9b2a4c8d7e6f5a4b3c2d1e0f", Author: "seoul", Index: 7, Kind: entry.KindMessage,
			Time: time.UnixMilli(1795704000123), Precedence: p, Body: make([]byte, 32)}
		if p == "" {
			l.Kind = entry.KindAck
		}
		if got := leafUrgent(l.Marshal()); got != p.Urgent() {
			t.Errorf("%q: urgent %v, want %v", p, got, p.Urgent())
		}
	}
}
