package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/hotline-line/hotline/internal/serve"
)

func init() {
	register(command{"serve", "[--dir DIR]", "run the node: direct route, delivery, control socket", cmdServe})
}

func cmdServe(ctx context.Context, args []string) error {
	fs := flags("serve")
	dir := dirFlag(fs)
	level := fs.String("log-level", "info", "debug, info, warn or error")
	if err := parse(fs, args); err != nil {
		return err
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		return usageError{err.Error()}
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: lv}))
	s, err := serve.Start(*dir, log)
	if err != nil {
		return err
	}
	<-ctx.Done()
	log.Info("stopping")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.Close(sctx)
}
