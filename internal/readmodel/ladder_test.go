package readmodel_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
)

// TestPageQueries: a page of the inbox or the outbox, ladders included,
// costs the same few queries whatever the number of parties and of
// messages on it. (The ladders used to cost three queries per party per
// message.)
func TestPageQueries(t *testing.T) {
	type cost struct{ inbox, outbox int64 }
	measure := func(parties, messages int) cost {
		nodes, line := party(t, parties)
		nodetest.Connect(nodes...)
		ctx := context.Background()
		for i := range messages {
			from := nodes[i%len(nodes)]
			if _, err := from.Send(ctx, node.SendRequest{Line: line, Precedence: entry.Routine, Text: "m"}); err != nil {
				t.Fatal(err)
			}
		}
		me := nodes[0]
		want := messages - (messages+len(nodes)-1)/len(nodes)
		var in []node.Message
		nodetest.Wait(t, 30*time.Second, "the messages at "+me.Me(), func() bool {
			var err error
			in, err = me.Messages(line, false, 100)
			return err == nil && len(in) == want
		})
		if _, err := me.Ack(ctx, line, in[0].ID, "Kim"); err != nil {
			t.Fatal(err)
		}
		// The links keep reading the same database in the background: the
		// fewest reads over a few tries is what the page itself costs.
		c := cost{inbox: 1 << 30, outbox: 1 << 30}
		var out []node.Message
		for range 5 {
			var err error
			before := me.Store.Reads()
			if in, err = me.Messages(line, false, 100); err != nil {
				t.Fatal(err)
			}
			c.inbox = min(c.inbox, me.Store.Reads()-before)
			before = me.Store.Reads()
			if out, err = me.Messages(line, true, 100); err != nil {
				t.Fatal(err)
			}
			c.outbox = min(c.outbox, me.Store.Reads()-before)
		}
		// The ladders are there: one rung per receiving party, and the
		// acknowledgement written above on the first inbox message.
		if len(out) == 0 || len(out[0].Ladder) != parties-1 || len(in[0].Ladder) != parties-1 {
			t.Fatalf("%d parties: ladders of %d and %d rungs", parties, len(out[0].Ladder), len(in[0].Ladder))
		}
		acked := false
		for _, r := range in[0].Ladder {
			acked = acked || r.Party == me.Me() && r.State == "acknowledged"
		}
		if !acked {
			t.Errorf("%d parties: the acknowledged message shows %+v", parties, in[0].Ladder)
		}
		t.Logf("%d parties, %d messages: inbox page %d queries, outbox page %d", parties, messages, c.inbox, c.outbox)
		return c
	}
	small, large := measure(2, 6), measure(5, 40)
	if small != large {
		t.Errorf("a page costs %+v queries with 2 parties and 6 messages, %+v with 5 and 40", small, large)
	}
	if large.inbox > 2 || large.outbox > 4 {
		t.Errorf("a page costs %+v queries: want at most 2 for the inbox, 4 for the outbox", large)
	}
}

// party starts n parties on one line and returns their nodes.
func party(t testing.TB, n int) ([]*node.Node, string) {
	t.Helper()
	dir := t.TempDir()
	var dirs []string
	for i := range n {
		p := nodetest.Default[i%len(nodetest.Default)]
		p.Slug = fmt.Sprintf("%s%d", p.Slug, i)
		dirs = append(dirs, nodetest.Create(t, dir, p))
	}
	return nodetest.Pair(t, dirs, node.Options{})
}
