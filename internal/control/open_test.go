package control

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/node"
)

// heldNode creates a party and opens its node in this process, which then
// holds it until the test closes it or ends.
func heldNode(t *testing.T) (dir string, holder *node.Node) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "seoul")
	if err := node.Init(dir, node.Config{Party: "seoul", Name: "Seoul", Langs: []string{"ko"}, Listen: "127.0.0.1:1"}); err != nil {
		t.Fatal(err)
	}
	holder, err := node.Open(dir, node.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { holder.Close() })
	return dir, holder
}

// TestOpenGivesUpNamingTheHolder: a node held past the wait is reported
// with the process that holds it, and the wait was announced once.
func TestOpenGivesUpNamingTheHolder(t *testing.T) {
	dir, _ := heldNode(t)
	var notices []error
	_, _, err := Open(t.Context(), dir, 1500*time.Millisecond, func(err error) { notices = append(notices, err) })
	if !errors.Is(err, node.ErrLocked) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", os.Getpid())) {
		t.Fatalf("open of a held node: %v, want ErrLocked naming pid %d", err, os.Getpid())
	}
	if len(notices) != 1 || !errors.Is(notices[0], node.ErrLocked) {
		t.Fatalf("wait announced %d times: %v", len(notices), notices)
	}
}

// TestOpenWaitsItsTurn: a node let go of during the wait is opened.
func TestOpenWaitsItsTurn(t *testing.T) {
	dir, holder := heldNode(t)
	waiting := make(chan struct{})
	opened := make(chan error, 1)
	go func() {
		api, done, err := Open(t.Context(), dir, time.Minute, func(error) { close(waiting) })
		if err == nil {
			if _, ok := api.(Local); !ok {
				err = fmt.Errorf("opened %T, want the node opened here", api)
			}
			done()
		}
		opened <- err
	}()
	<-waiting
	holder.Close()
	if err := <-opened; err != nil {
		t.Fatalf("open after the holder let go: %v", err)
	}
}

// TestOpenStopsWaitingWhenCancelled: an interrupted wait ends at once.
func TestOpenStopsWaitingWhenCancelled(t *testing.T) {
	dir, _ := heldNode(t)
	ctx, cancel := context.WithCancel(t.Context())
	_, _, err := Open(ctx, dir, time.Minute, func(error) { cancel() })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: %v", err)
	}
}
