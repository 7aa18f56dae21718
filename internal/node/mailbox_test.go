package node

import (
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
)

// TestLeafUrgent checks that urgency is read from the parsed leaf, with
// entry.Precedence.Urgent, and that text which merely contains a
// precedence line is not urgent.
func TestLeafUrgent(t *testing.T) {
	leaf := func(p entry.Precedence) []byte {
		return (&entry.Leaf{Line: strings.Repeat("ab", 16), Author: "seoul", Index: 1, Kind: entry.KindMessage,
			Time: time.UnixMilli(1), Precedence: p, Body: make([]byte, 32)}).Marshal()
	}
	for _, p := range entry.Precedences {
		if got := leafUrgent(leaf(p)); got != p.Urgent() {
			t.Errorf("%s: urgent %v, want %v", p, got, p.Urgent())
		}
	}
	if leafUrgent([]byte("not a leaf\nprecedence FLASH\n")) {
		t.Error("a text that is not a leaf is urgent")
	}
}
