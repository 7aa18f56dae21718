package node_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/memroute"
	"github.com/hotline-line/hotline/internal/node"
)

// elsewhere is a route that serves no line (as the relay route serves no
// line whose charter names no relay).
type elsewhere struct{ cable }

func (elsewhere) Serves(string) bool { return false }

// A route that does not serve a line is never tried on it: it shows in no
// route health and in no link test. The relay route on a line without a
// relay used to fail every link test and show as failing on the board.
func TestRouteServingOtherLines(t *testing.T) {
	var calls atomic.Int64
	nodes, line := pairWith(t, func(net *memroute.Net, n *node.Node) []node.Route {
		return []node.Route{net.Route(n.Me()), &elsewhere{cable{name: "relay", inner: net.Route(n.Me()), dark: new(atomic.Bool), calls: &calls}}}
	})
	a := nodes[0]
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := a.Send(ctx, node.SendRequest{Line: line, Precedence: entry.Flash, Text: "on every route"}); err != nil {
		t.Fatal(err)
	}
	waitReceipt(t, a, line, "beijing", 2, 20*time.Second)
	lt, err := a.RunLinkTests(ctx, line)
	if err != nil {
		t.Fatal(err)
	}
	if len(lt.Results) != 1 || lt.Results[0].Route != "memory" || !lt.Results[0].OK {
		t.Errorf("link test results %+v, want the one route that serves the line", lt.Results)
	}
	st, err := a.Status(line)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range st.Parties {
		for _, r := range p.Routes {
			if r.Route == "relay" {
				t.Errorf("route health lists a route that does not serve the line: %+v", r)
			}
		}
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("the route was tried %d times on a line it does not serve", n)
	}
}
