package node_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/hotline-line/hotline/internal/node"
)

// TestPickLine: --line takes a name or an ID. A name two lines carry (a
// peer's amendment may rename a line to a name another line of this node
// already has) picks neither: a FLASH must never go to the wrong line.
func TestPickLine(t *testing.T) {
	lines := []node.LineName{{ID: "aa11", Name: "ministers"}, {ID: "bb22", Name: "navy"}, {ID: "cc33", Name: "navy"}, {ID: "dd44"}}
	for _, c := range []struct {
		flag, want, err string
	}{
		{"ministers", "aa11", ""},
		{"aa11", "aa11", ""},
		{"cc33", "cc33", ""},
		{"dd44", "dd44", ""},
		{"navy", "", "2 lines are named navy"},
		{"air", "", "neither the name nor the ID"},
		{"", "", "this node has 4 lines"},
	} {
		got, err := node.PickLine(lines, c.flag)
		if got != c.want || (c.err == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), c.err) {
			t.Errorf("PickLine(%q) = %q, %v; want %q, %q", c.flag, got, err, c.want, c.err)
		}
	}
	if _, err := node.PickLine(lines, "navy"); !errors.Is(err, node.ErrAmbiguousLine) {
		t.Errorf("an ambiguous name: %v, want ErrAmbiguousLine", err)
	}
}
