package control

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/hotline-line/hotline/internal/node"
)

// DefaultWait is how long a command waits for a node that another process
// holds before it gives up.
const DefaultWait = 30 * time.Second

// noticeAfter is how long a wait lasts before the user is told of it.
const noticeAfter = time.Second

// Open reaches the node in dir: over its socket when hotline serve runs,
// or by opening it in this process when not. done releases it.
//
// While another process holds the node without answering on its socket
// (another command that opened it, or a serve still starting), Open
// queues: it tries the socket and the lock in turn, backing off, for up to
// wait, and then returns that process's node.ErrLocked, which names it.
// Commands on one node thus run one after the other instead of failing.
// If waiting is set it is called once, with that error, when the wait has
// lasted a second, so the user learns what they wait for.
func Open(ctx context.Context, dir string, wait time.Duration, waiting func(error)) (api API, done func(), err error) {
	start := time.Now()
	pause := 2 * time.Millisecond
	noticed := false
	for {
		if c, err := Dial(dir); err == nil {
			return c, func() {}, nil
		}
		n, err := node.Open(dir, node.Options{})
		if err == nil {
			return Local{N: n}, func() { n.Close() }, nil
		}
		if !errors.Is(err, node.ErrLocked) {
			return nil, nil, err
		}
		waited := time.Since(start)
		if waited >= wait {
			return nil, nil, fmt.Errorf("waited %v for the node: %w", wait, err)
		}
		if waiting != nil && !noticed && waited >= noticeAfter {
			noticed = true
			waiting(err)
		}
		// Polling, not a blocking flock: the holder may be a serve that
		// is starting, whose socket must be noticed as soon as it
		// answers. The jitter keeps queued commands from retrying in step.
		t := time.NewTimer(min(pause/2+rand.N(pause), wait-waited))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, nil, fmt.Errorf("waiting for the node: %w", ctx.Err())
		case <-t.C:
		}
		pause = min(2*pause, 100*time.Millisecond)
	}
}
