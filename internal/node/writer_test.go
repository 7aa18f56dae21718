package node

import (
	"context"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/store"
)

// TestCloseCommitsAccepted: ops already queued for the writer when the
// node closes are committed, not failed: a caller whose send was accepted
// gets its commit.
func TestCloseCommitsAccepted(t *testing.T) {
	dir := t.TempDir()
	if err := Init(dir, Config{Party: "seoul", Name: "Seoul", Langs: []string{"ko"}, Listen: "127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	n, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	noop := func(*store.Tx) error { return nil }
	// Hold the writer inside a commit while the others queue up behind it.
	held, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- n.submit(ctx, &op{apply: func(*store.Tx) error { close(held); <-release; return nil }})
	}()
	<-held
	const queued = 8
	results := make(chan error, queued)
	for range queued {
		go func() { results <- n.submit(ctx, &op{apply: noop}) }()
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(n.ops) < queued {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d ops queued", len(n.ops), queued)
		}
		time.Sleep(time.Millisecond) // polling a channel's length, with a deadline
	}
	closed := make(chan error, 1)
	go func() { closed <- n.Close() }()
	// Close has cancelled the node before the writer goes on.
	<-n.ctx.Done()
	close(release)
	if err := <-first; err != nil {
		t.Fatalf("the op under way: %v", err)
	}
	for range queued {
		if err := <-results; err != nil {
			t.Errorf("an op queued before the close: %v", err)
		}
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
}
