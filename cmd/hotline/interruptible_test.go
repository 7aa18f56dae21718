package main

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestInterruptibleOpen: a stop while the node opens returns at once, and
// what the open returns late is closed; an open that ends first is
// returned as it is.
func TestInterruptibleOpen(t *testing.T) {
	release, closed := make(chan struct{}), make(chan string, 1)
	ctx, cancel := context.WithCancel(context.Background())
	returned := make(chan error, 1)
	go func() {
		_, err := interruptible(ctx, func() (string, error) {
			<-release // an open that takes as long as it takes
			return "node", nil
		}, func(v string) { closed <- v })
		returned <- err
	}()
	cancel()
	select {
	case err := <-returned:
		if !errors.Is(err, errStoppedOpening) {
			t.Fatalf("interrupted open returned %v, want errStoppedOpening", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("interruptible waited for the open to end")
	}
	close(release)
	if got := <-closed; got != "node" {
		t.Fatalf("abandoned %q", got)
	}

	v, err := interruptible(context.Background(), func() (string, error) { return "node", nil }, func(string) { t.Error("abandoned an open that ended first") })
	if v != "node" || err != nil {
		t.Fatalf("open that ended first: %q, %v", v, err)
	}
	want := errors.New("locked")
	if _, err := interruptible(context.Background(), func() (string, error) { return "", want }, func(string) {}); err != want {
		t.Fatalf("open's error %v, want %v", err, want)
	}
}
