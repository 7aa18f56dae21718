// Package servetest starts real nodes, as `hotline serve` runs them, for
// tests in other packages: each is stopped when its test ends.
package servetest

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/serve"
)

// Start serves the node in dir with opts, logging nowhere, and stops it
// (waiting up to 10 s) when t ends.
func Start(t testing.TB, dir string, opts ...serve.Option) *serve.Server {
	t.Helper()
	s, err := serve.Start(dir, slog.New(slog.NewTextHandler(io.Discard, nil)), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Close(ctx)
	})
	return s
}
