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
	importDir := fs.String("import-dir", "", "watch this directory for parcels to import (air-gapped transfer)")
	skew := fs.Duration("clock-skew", 0, "run the node's clock off by this much (for testing)")
	if err := parse(fs, args); err != nil {
		return err
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		return usageError{err.Error()}
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: lv}))
	var opts []serve.Option
	if *importDir != "" {
		opts = append(opts, serve.ImportDir(*importDir))
	}
	if *skew != 0 {
		opts = append(opts, serve.ClockSkew(*skew))
	}
	s, err := serve.Start(*dir, log, opts...)
	if err != nil {
		return err
	}
	<-ctx.Done()
	log.Info("stopping")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.Close(sctx)
}
