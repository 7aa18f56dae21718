package node_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/memroute"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
)

func twoNodes(t *testing.T) (*memroute.Net, []*node.Node, string) {
	nodes, line := nodetest.Pair(t, nodetest.Dirs(t), node.Options{})
	return nodetest.Connect(nodes...), nodes, line
}

func TestExchangeInMemory(t *testing.T) {
	_, nodes, line := twoNodes(t)
	a, b := nodes[0], nodes[1]
	ctx := context.Background()
	const count = 200
	for i := range count {
		if _, err := a.Send(ctx, node.SendRequest{Line: line, Precedence: entry.Flash, Text: fmt.Sprintf("a%d", i)}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Send(ctx, node.SendRequest{Line: line, Text: fmt.Sprintf("b%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	nodetest.Wait(t, 20*time.Second, "receipts", func() bool {
		ra, _ := a.Receipt(line, "beijing")
		rb, _ := b.Receipt(line, "seoul")
		return ra == count+1 && rb == count+1
	})
	in, err := b.Messages(line, false, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(in) != count {
		t.Fatalf("beijing inbox has %d messages, want %d", len(in), count)
	}
	for i, m := range in {
		if want := fmt.Sprintf("a%d", count-1-i); m.Text != want {
			t.Fatalf("inbox[%d] = %q, want %q", i, m.Text, want)
		}
	}
	id := in[0].ID
	if err := b.MarkDisplayed(ctx, line, id); err != nil {
		t.Fatal(err)
	}
	if ok, err := b.Ack(ctx, line, id, "Officer Wang"); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if ok, err := b.Ack(ctx, line, id, "Officer Wang"); err != nil || ok {
		t.Fatalf("second ack wrote again: %v %v", ok, err)
	}
	nodetest.Wait(t, 20*time.Second, "ack on seoul", func() bool {
		m, err := a.Message(line, id)
		return err == nil && m.Ladder[0].State == "acknowledged" && m.Ladder[0].AckedBy == "Officer Wang"
	})
	m, _ := a.Message(line, id)
	r := m.Ladder[0]
	if r.Delivered.IsZero() || r.Sent.IsZero() || r.Displayed.IsZero() || r.AckBy.IsZero() {
		t.Fatalf("ladder incomplete: %+v", r)
	}
}
