package node_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
	"github.com/hotline-line/hotline/internal/seal"
)

// TestEpochsOnTheLine: seoul seals to beijing in epochs of three messages
// (the charter's key_epoch). Beijing opens them online; after a restart,
// which forgets the epoch secrets, from a catch-up in bulk whose entries
// name an epoch carried by an entry it stored before the restart and one
// carried earlier in the same segment; and seoul, restarted, opens a new
// epoch at once. Only the entry that opens an epoch carries the 1120-byte
// encapsulation.
func TestEpochsOnTheLine(t *testing.T) {
	dirs := nodetest.Dirs(t)
	nodes, line := nodetest.PairWith(t, dirs, node.Options{}, func(c *charter.Charter) {
		c.KeyEpoch = &charter.KeyEpoch{Messages: 3}
	})
	seoul, beijing := nodes[0], nodes[1]
	net := nodetest.Connect(seoul, beijing)
	ctx := context.Background()
	var ids []string
	send := func(n *node.Node) {
		t.Helper()
		id, err := n.Send(ctx, node.SendRequest{Line: line, Precedence: entry.Routine, Text: fmt.Sprintf("message %d", len(ids)+1)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	holds := func(n *node.Node, id string) func() bool {
		return func() bool { m, err := n.Message(line, id); return err == nil && m.Text != "" }
	}
	restart := func(n *node.Node, i int) *node.Node {
		t.Helper()
		if err := n.Close(); err != nil {
			t.Fatal(err)
		}
		n, err := node.Open(dirs[i], node.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.Close() })
		return n
	}
	send(seoul)
	nodetest.Wait(t, 20*time.Second, "beijing to hold message 1", holds(beijing, ids[0]))

	net.Cut(seoul.Me(), beijing.Me())
	net.Cut(beijing.Me(), seoul.Me())
	beijing = restart(beijing, 1)
	for range 4 {
		send(seoul)
	}
	net.Add(beijing)
	net.Mend(seoul.Me(), beijing.Me())
	net.Mend(beijing.Me(), seoul.Me())
	beijing.Start(net.Route(beijing.Me()))
	for i, id := range ids {
		nodetest.Wait(t, 20*time.Second, fmt.Sprintf("beijing to hold message %d after its restart", i+1), holds(beijing, id))
	}

	seoul = restart(seoul, 0)
	net.Add(seoul)
	seoul.Start(net.Route(seoul.Me()))
	send(seoul)
	nodetest.Wait(t, 20*time.Second, "beijing to hold the message sent after seoul's restart", holds(beijing, ids[5]))

	// Seoul's log, as sealed: epochs open at messages 1, 4 and 6 (after
	// the restart, though its epoch had sealed two).
	opens := map[int]bool{0: true, 3: true, 5: true}
	var epoch uint64
	for i, id := range ids {
		_, index, _ := entry.ParseID(id)
		e, err := seoul.Store.Entry(line, "seoul", index)
		if err != nil {
			t.Fatal(err)
		}
		env, err := seal.Parse(e.Envelope)
		if err != nil || env.Epochs == nil || len(env.Epochs) != 1 {
			t.Fatalf("message %d: envelope %.80s, %v", i+1, e.Envelope, err)
		}
		sh := env.Epochs["beijing"]
		if opens[i] {
			epoch = index
		}
		if sh.Epoch != epoch || (sh.Enc != nil) != opens[i] {
			t.Errorf("message %d (entry %d): epoch %d with %d bytes of encapsulation; want epoch %d", i+1, index, sh.Epoch, len(sh.Enc), epoch)
		}
		if !opens[i] && len(e.Envelope) > 200 {
			t.Errorf("message %d: an envelope of %d bytes within an epoch", i+1, len(e.Envelope))
		}
	}
}

// TestEnvelopeVersionsMeet: a node that seals version 1 and one that seals
// version 2 read each other.
func TestEnvelopeVersionsMeet(t *testing.T) {
	nodes, line := nodetest.PairEach(t, nodetest.Dirs(t), []node.Options{{Envelope: 1}, {}}, nil)
	nodetest.Connect(nodes...)
	ctx := context.Background()
	for i, n := range nodes {
		id, err := n.Send(ctx, node.SendRequest{Line: line, Precedence: entry.Flash, Text: "from " + n.Me()})
		if err != nil {
			t.Fatal(err)
		}
		other := nodes[1-i]
		nodetest.Wait(t, 20*time.Second, other.Me()+" to read "+n.Me(), func() bool {
			m, err := other.Message(line, id)
			return err == nil && m.Text == "from "+n.Me()
		})
		_, index, _ := entry.ParseID(id)
		e, _ := n.Store.Entry(line, n.Me(), index)
		env, err := seal.Parse(e.Envelope)
		if err != nil || (env.Sealed != nil) != (i == 0) || (env.Epochs != nil) != (i == 1) {
			t.Fatalf("%s sealed %.60s, %v", n.Me(), e.Envelope, err)
		}
	}
}
