package node_test

import (
	"context"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
)

// TestAlarmingOnlyWhatMayOpenAnAlert: everyday traffic (a ROUTINE
// message) never closes Alarming, so it never wakes the escalation engine
// on the path of a message; a FLASH, which the receiver owes an
// acknowledgement from its arrival, does on both sides, and so does that
// acknowledgement.
func TestAlarmingOnlyWhatMayOpenAnAlert(t *testing.T) {
	nodes, line := nodetest.Pair(t, nodetest.Dirs(t), node.Options{})
	nodetest.Connect(nodes...)
	seoul, beijing := nodes[0], nodes[1]
	ctx := context.Background()
	quiet(t, line, seoul, beijing)

	atSeoul, atBeijing := seoul.Alarming(), beijing.Alarming()
	if _, err := seoul.Send(ctx, node.SendRequest{Line: line, Text: "routine traffic"}); err != nil {
		t.Fatal(err)
	}
	quiet(t, line, seoul, beijing)
	for name, ch := range map[string]<-chan struct{}{"seoul": atSeoul, "beijing": atBeijing} {
		select {
		case <-ch:
			t.Fatalf("a ROUTINE message woke %s's alarms", name)
		default:
		}
	}

	id, err := seoul.Send(ctx, node.SendRequest{Line: line, Precedence: entry.Flash, Text: "a crisis"})
	if err != nil {
		t.Fatal(err)
	}
	waitClosed(t, atSeoul, "seoul's alarms on its FLASH")
	waitClosed(t, atBeijing, "beijing's alarms on the FLASH's arrival")
	quiet(t, line, seoul, beijing)

	atSeoul, atBeijing = seoul.Alarming(), beijing.Alarming()
	if _, err := beijing.Ack(ctx, line, id, "Wang Lei"); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, atBeijing, "beijing's alarms on its acknowledgement")
	waitClosed(t, atSeoul, "seoul's alarms on the acknowledgement's arrival")
}

// quiet waits until each node holds the other's cosignature on its whole
// log: nothing is in flight.
func quiet(t *testing.T, line string, a, b *node.Node) {
	t.Helper()
	nodetest.Wait(t, 20*time.Second, "a quiet line", func() bool {
		return cosigned(t, line, a, b) && cosigned(t, line, b, a)
	})
}

func cosigned(t *testing.T, line string, n, peer *node.Node) bool {
	st, err := n.Status(line)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := n.Receipt(line, peer.Me())
	for _, p := range st.Parties {
		if p.Party == st.Me {
			return r == p.LogSize
		}
	}
	return false
}

func waitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(20 * time.Second):
		t.Fatalf("%s: not woken", what)
	}
}
