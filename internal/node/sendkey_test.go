package node_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
)

// A send retried with its idempotency key writes the message once: again
// after the node was closed and opened (the client lost the reply to a
// crash), and when the retries race each other.
func TestSendKeyWritesOnce(t *testing.T) {
	dirs := nodetest.Dirs(t)
	nodes, line := nodetest.Pair(t, dirs, node.Options{})
	a := nodes[0]
	ctx := context.Background()
	req := node.SendRequest{Line: line, Precedence: entry.Flash, Text: "once", Key: "ops-2026-11-26-001"}
	size := func(n *node.Node) uint64 {
		st, err := n.Status(line)
		if err != nil {
			t.Fatal(err)
		}
		return st.Parties[0].LogSize
	}

	first, err := a.Send(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	before := size(a)
	again, err := a.Send(ctx, req)
	if err != nil || again != first {
		t.Fatalf("retry: %q, %v; want %q", again, err, first)
	}
	if size(a) != before {
		t.Fatalf("the retry wrote: log %d, was %d", size(a), before)
	}

	// The key outlives the process.
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	a, err = node.Open(dirs[0], node.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if again, err := a.Send(ctx, req); err != nil || again != first {
		t.Fatalf("retry after reopening: %q, %v; want %q", again, err, first)
	}

	// Racing retries of a new key: one message.
	req.Key = "ops-2026-11-26-002"
	ids := make([]string, 8)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			id, err := a.Send(ctx, req)
			if err != nil {
				t.Error(err)
			}
			ids[i] = id
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("racing sends with one key gave %q", ids)
		}
	}
	if size(a) != before+1 {
		t.Fatalf("racing sends wrote %d messages", size(a)-before)
	}

	// Without a key, every send is a message; a key too long is refused.
	req.Key = ""
	x, _ := a.Send(ctx, req)
	y, _ := a.Send(ctx, req)
	if x == y || x == "" {
		t.Fatalf("keyless sends: %q, %q", x, y)
	}
	req.Key = strings.Repeat("k", node.MaxKey+1)
	if _, err := a.Send(ctx, req); err == nil {
		t.Fatal("an oversized key was taken")
	}
}
