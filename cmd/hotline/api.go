package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hotline-line/hotline/internal/control"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/officer"
	"github.com/hotline-line/hotline/internal/twoperson"
)

// waitEnv overrides how long a command waits for a node another process
// holds (control.DefaultWait).
const waitEnv = "HOTLINE_WAIT"

// openAPI reaches the node in dir: over its socket when hotline serve is
// running, or by opening it in this process when not, waiting its turn
// while another command has it open. done releases it.
func openAPI(ctx context.Context, dir string) (api control.API, done func(), err error) {
	if _, err := node.LoadConfig(dir); errors.Is(err, node.ErrNoParty) {
		return nil, nil, noNode(dir, err)
	}
	wait, err := waitTime()
	if err != nil {
		return nil, nil, err
	}
	api, done, err = control.Open(ctx, dir, wait, func(err error) {
		fmt.Fprintf(os.Stderr, "hotline: waiting for the node: %v\n", err)
	})
	if errors.Is(err, node.ErrStopping) {
		return nil, nil, withHint(err, "hotline serve is stopping and lets go of the node within seconds: run this again then (it opens the node itself), or once serve runs again")
	}
	if errors.Is(err, node.ErrLocked) {
		return nil, nil, withHint(err, "if that process is hotline serve, its control socket "+filepath.Join(dir, node.SocketFile)+" is gone: restart it; otherwise let that process finish, or set "+waitEnv+" to wait longer")
	}
	return api, done, err
}

// waitTime is how long a command waits for a node another process holds.
func waitTime() (time.Duration, error) {
	s := os.Getenv(waitEnv)
	if s == "" {
		return control.DefaultWait, nil
	}
	wait, err := time.ParseDuration(s)
	if err != nil || wait < 0 {
		return 0, fmt.Errorf("%s=%q: want a duration such as 30s", waitEnv, s)
	}
	return wait, nil
}

// noNode explains err, a directory that holds no party: when no --dir
// was given, the missing flag is the problem, not a missing node.
func noNode(dir string, err error) error {
	if !errors.Is(err, node.ErrNoParty) {
		return err
	}
	if dir == defaultDir && os.Getenv("HOTLINE_DIR") == "" {
		return withHint(fmt.Errorf("no --dir given, and ./%s (the default) holds no node", dir),
			"name the node's data directory with --dir DIR (or set HOTLINE_DIR), e.g. --dir seoul")
	}
	return withHint(err, "create one with: hotline init --dir "+dir+" --party NAME ... (an interrupted init is finished by running it again)")
}

// openDesk is openAPI with the node's drafts: opened in this process, it
// opens officers.db too, and settles the releases a crash interrupted.
func openDesk(ctx context.Context, dir string) (api control.API, done func(), err error) {
	if api, done, err = openAPI(ctx, dir); err != nil {
		return nil, nil, err
	}
	local, ok := api.(control.Local)
	if !ok {
		return api, done, nil // hotline serve runs: its desk answers
	}
	off, err := officer.OpenDir(dir, officer.Config{})
	if err != nil {
		done()
		return nil, nil, err
	}
	// Warnings only: a settled release, or a draft that could not be put back.
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	local.Desk = twoperson.Open(ctx, local.N, off, log)
	closeNode := done
	return local, func() { off.Close(); closeNode() }, nil
}

// openLine is openAPI and the line named by flag (or the node's only
// line): what most commands begin with.
func openLine(ctx context.Context, dir, flag string) (api control.API, line string, done func(), err error) {
	if api, done, err = openAPI(ctx, dir); err != nil {
		return nil, "", nil, err
	}
	if line, err = lineOf(ctx, api, flag); err != nil {
		done()
		if isNodeErr(err, node.ErrNoLine) || strings.Contains(err.Error(), "no open line yet") {
			err = withHint(err, "once the charter comes back signed by every party, run: "+self()+" line accept --dir "+dir+" CHARTER (hotline lines lists the lines already open)")
		}
		return nil, "", nil, err
	}
	return api, line, done, nil
}

// lineOf returns the line named by flag (its name or ID), or the node's
// only line.
func lineOf(ctx context.Context, api control.API, flag string) (string, error) {
	return api.ResolveLine(ctx, flag)
}
