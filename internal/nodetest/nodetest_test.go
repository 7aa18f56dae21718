package nodetest_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// Wait returns at the change it waits for, not at its next re-check: in
// a synctest bubble, where a commit takes no time, exactly when the
// message was sent.
func TestWaitWakesOnChange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nodes, line := nodetest.Pair(t, nodetest.Dirs(t), node.Options{})
		n := nodes[0]
		sent := func() int {
			ms, err := n.Messages(line, true, 10)
			if err != nil {
				t.Fatal(err)
			}
			return len(ms)
		}
		before := sent()
		start := time.Now()
		go func() {
			<-time.After(time.Second)
			if _, err := n.Send(context.Background(), node.SendRequest{Line: line, Text: "now"}); err != nil {
				t.Error(err)
			}
		}()
		nodetest.Wait(t, 10*time.Second, "the message", func() bool { return sent() > before })
		if took := time.Since(start); took != time.Second {
			t.Fatalf("Wait returned %v after the send", took-time.Second)
		}
	})
}
