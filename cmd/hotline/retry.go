package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/hotline-line/hotline/internal/control"
	"github.com/hotline-line/hotline/internal/node"
)

// attempts is how often onLine tries a call whose answer keeps getting
// lost: a node killed once is restarted or opened here; one that dies at
// every call will not be helped by more.
const attempts = 3

// onLine runs call on the node in dir and the line named by lineFlag (the
// node's only line if empty). If the node goes away before answering
// (control.ErrTransport: it may or may not have done what was asked),
// onLine reaches it again (its next serve, or opened here once its lock is
// free, waiting its turn) and repeats call; call must therefore be
// idempotent. again says on standard error what the repeat does.
//
// If it still fails and trying later could help (an answer was lost, or
// the node stayed held by another process), the error carries retry as
// its hint: how to run the command again safely.
func onLine(ctx context.Context, dir, lineFlag, again, retry string, call func(api control.API, line string) error) error {
	var lost error
	for attempt := range attempts {
		if attempt > 0 {
			fmt.Fprintf(os.Stderr, "hotline: the node went away before answering; %s\n", again)
		}
		err := callOnce(ctx, dir, lineFlag, call)
		if errors.Is(err, control.ErrTransport) {
			lost = err
			continue
		}
		if err != nil && lost != nil {
			err = fmt.Errorf("%w (after an attempt whose answer was lost: %w)", err, lost)
		}
		return retryHint(err, retry)
	}
	return retryHint(lost, retry)
}

func callOnce(ctx context.Context, dir, lineFlag string, call func(api control.API, line string) error) error {
	api, line, done, err := openLine(ctx, dir, lineFlag)
	if err != nil {
		return err
	}
	defer done()
	return call(api, line)
}

// retryHint gives err the hint retry if running the command again could
// succeed, after any hint it already has (which says what to do first).
func retryHint(err error, retry string) error {
	if !errors.Is(err, control.ErrTransport) && !errors.Is(err, node.ErrLocked) {
		return err
	}
	var h hinted
	if errors.As(err, &h) {
		retry = h.hint + "; then " + retry
	}
	return withHint(err, retry)
}
