package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/hotline-line/hotline/internal/control"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/officer"
	"github.com/hotline-line/hotline/internal/twoperson"
)

// openAPI reaches the node in dir: over its socket when hotline serve is
// running, or by opening it in this process when not. done releases it.
func openAPI(dir string) (api control.API, done func(), err error) { return reach(dir, false) }

// openDesk is openAPI with the node's drafts: opened in this process, it
// opens officers.db too, and settles the releases a crash interrupted.
func openDesk(dir string) (api control.API, done func(), err error) { return reach(dir, true) }

func reach(dir string, drafts bool) (api control.API, done func(), err error) {
	if _, err := os.Stat(filepath.Join(dir, node.ConfigFile)); err != nil {
		return nil, nil, withHint(errors.New("no hotline node in "+dir), "create one with: hotline init --dir "+dir+" --party NAME ...")
	}
	if c, err := control.Dial(dir); err == nil {
		return c, func() {}, nil
	}
	n, err := node.Open(dir, node.Options{})
	if errors.Is(err, node.ErrLocked) {
		return nil, nil, withHint(err, "hotline serve is starting or its socket is gone; retry in a moment")
	}
	if err != nil {
		return nil, nil, err
	}
	if !drafts {
		return control.Local{N: n}, func() { n.Close() }, nil
	}
	off, err := officer.OpenDir(dir, officer.Config{})
	if err != nil {
		n.Close()
		return nil, nil, err
	}
	// Warnings only: a settled release, or a draft that could not be put back.
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	desk := twoperson.Open(context.Background(), n, off, log)
	return control.Local{N: n, Desk: desk}, func() { off.Close(); n.Close() }, nil
}

// openLine is openAPI and the line named by flag (or the node's only
// line): what most commands begin with.
func openLine(ctx context.Context, dir, flag string) (api control.API, line string, done func(), err error) {
	if api, done, err = openAPI(dir); err != nil {
		return nil, "", nil, err
	}
	if line, err = lineOf(ctx, api, flag); err != nil {
		done()
		return nil, "", nil, err
	}
	return api, line, done, nil
}

// lineOf returns the line named by flag, or the node's only line.
func lineOf(ctx context.Context, api control.API, flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	return api.DefaultLine(ctx)
}
