package node_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"

	_ "modernc.org/sqlite"
)

// A receipt counts before it is on the sender's disk (it rides on a later
// commit). A sender that dies before storing it gets it back from the
// receiver, which repeats its latest cosignature on the next exchange.
func TestReceiptLostInACrashComesBack(t *testing.T) {
	nodes, line := nodetest.Pair(t, nodetest.Dirs(t), node.Options{})
	net := nodetest.Connect(nodes...)
	seoul, beijing := nodes[0], nodes[1]
	ctx := context.Background()
	for i := range 3 {
		if _, err := seoul.Send(ctx, node.SendRequest{Line: line, Text: fmt.Sprintf("m%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	const size = 4 // the charter and three messages
	nodetest.Wait(t, 20*time.Second, "delivered", func() bool {
		r, _ := seoul.Receipt(line, beijing.Me())
		return r == size
	})

	// Seoul dies before its receipts reach the disk: the rows are taken
	// out of its database, as if the commit that carried them never ran.
	net.Cut(seoul.Me(), beijing.Me())
	net.Cut(beijing.Me(), seoul.Me())
	dir, me := seoul.Dir, seoul.Me()
	if err := seoul.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, node.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM cosigs WHERE author = ? AND cosigner = ?`, me, beijing.Me()); err != nil {
		t.Fatal(err)
	}
	db.Close()

	seoul, err = node.Open(dir, node.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { seoul.Close() })
	if r, _ := seoul.Receipt(line, beijing.Me()); r != 0 {
		t.Fatalf("receipt after the crash = %d, want 0 (the rows were removed)", r)
	}
	net.Add(seoul)
	net.Mend(seoul.Me(), beijing.Me())
	net.Mend(beijing.Me(), seoul.Me())
	seoul.Start(net.Route(seoul.Me()))
	nodetest.Wait(t, 20*time.Second, "the receipt back, and on disk", func() bool {
		r, _ := seoul.Receipt(line, beijing.Me())
		cs, err := seoul.Store.Cosigs(line, seoul.Me())
		return r == size && err == nil && len(cs) > 0 && cs[len(cs)-1].Size == size
	})
}
