package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/hotline-line/hotline/internal/control"
	"github.com/hotline-line/hotline/internal/escalate"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/serve"
)

func init() {
	register(command{"serve", "[--dir DIR] [--console ADDR [--console-cert F --console-key F]]",
		"run the node: direct route, delivery, control socket, web console", cmdServe})
}

func cmdServe(ctx context.Context, args []string) error {
	fs := flags("serve")
	dir := dirFlag(fs)
	level := fs.String("log-level", "info", "debug, info, warn or error")
	importDir := fs.String("import-dir", "", "watch this directory for parcels to import (air-gapped transfer)")
	skew := fs.Duration("clock-skew", 0, "run the node's clock off by this much (for testing)")
	consoleAddr := fs.String("console", "", "serve the officers' web console on this address, e.g. 127.0.0.1:7480")
	consoleCert := fs.String("console-cert", "", "serve the console over TLS with this certificate (PEM file)")
	consoleKey := fs.String("console-key", "", "the console certificate's key (PEM file)")
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
	if *consoleAddr != "" {
		opts = append(opts, serve.Console(*consoleAddr))
	}
	if *consoleCert != "" || *consoleKey != "" {
		if *consoleAddr == "" || *consoleCert == "" || *consoleKey == "" {
			return usageError{"--console-cert and --console-key go together, with --console"}
		}
		opts = append(opts, serve.ConsoleTLS(*consoleCert, *consoleKey))
	}
	s, err := startServe(ctx, *dir, log, opts)
	if errors.Is(err, errStoppedOpening) {
		// Told to stop: a clean stop, not a failure.
		log.Info("stopped while opening the node; an interrupted schema upgrade runs again at the next start")
		return nil
	}
	if errors.Is(err, serve.ErrConsoleNotLoopback) {
		return withHint(err, "listen on 127.0.0.1, or give --console-cert and --console-key")
	}
	if fe := (*escalate.FieldError)(nil); errors.As(err, &fe) {
		return withHint(err, "fix "+escalate.File+", then check it with: hotline escalation check --dir "+*dir)
	}
	if err != nil {
		return err
	}
	switch {
	case s.ConsoleURL == "":
	case s.ConsoleOfficers == 0:
		fmt.Fprintf(os.Stderr, "hotline: console at %s (no officer can log in yet: add one with: hotline officer add NAME --role watch)\n", s.ConsoleURL)
	default:
		fmt.Fprintf(os.Stderr, "hotline: console at %s\n", s.ConsoleURL)
	}
	<-ctx.Done()
	log.Info("stopping")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.Close(sctx)
}

// startServe starts serve, waiting its turn while a command has the node
// open, as commands wait for one another: "hotline send" run just before
// "hotline serve" must not make serve exit. A serve already running is
// reported at once.
func startServe(ctx context.Context, dir string, log *slog.Logger, opts []serve.Option) (*serve.Server, error) {
	wait, err := waitTime()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	pause := 5 * time.Millisecond
	noticed := false
	for {
		s, err := interruptible(ctx, func() (*serve.Server, error) { return serve.Start(dir, log, opts...) },
			func(s *serve.Server) { s.Close(context.Background()) })
		if !errors.Is(err, node.ErrLocked) {
			return s, err
		}
		if _, derr := control.Dial(dir); derr == nil || time.Since(start) >= wait {
			return nil, serving(dir, err)
		}
		if !noticed && time.Since(start) >= time.Second {
			noticed = true
			fmt.Fprintf(os.Stderr, "hotline: waiting for the node: %v\n", err)
		}
		// Polling, as control.Open does: the holder may be a serve that
		// is starting, which must be noticed once it answers.
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("waiting for the node: %w", ctx.Err())
		case <-t.C:
		}
		pause = min(2*pause, 100*time.Millisecond)
	}
}

// serving explains a serve that found its node open in another process:
// usually a serve already running, whose flags (such as --console) are
// changed only by restarting it.
func serving(dir string, err error) error {
	if _, derr := control.Dial(dir); derr != nil {
		return withHint(err, "let that process finish, then run hotline serve again")
	}
	return withHint(fmt.Errorf("hotline serve is already running for %s: %w", dir, err),
		"to change its flags (such as adding --console ADDR), stop that serve (Ctrl-C in its terminal, or kill -TERM with its pid) and start it again with all the flags it needs")
}

// errStoppedOpening means serve was told to stop while it opened its node.
var errStoppedOpening = errors.New("stopped while opening the node")

// interruptible runs open and returns what it returns, or errStoppedOpening
// as soon as ctx is done, whatever open is doing: opening a node can take
// long (a schema upgrade of a large database rewrites it) and cannot be
// interrupted, yet serve must stop within seconds of SIGTERM. Leaving open
// behind is safe because the process exits: every step of opening survives
// a crash (a schema migration is one transaction, rolled back and run again
// at the next start), and nothing is accepted before the node is open. If
// the process goes on, abandon closes what open returns late.
func interruptible[T any](ctx context.Context, open func() (T, error), abandon func(T)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := open()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		go func() {
			if r := <-done; r.err == nil {
				abandon(r.v)
			}
		}()
		var zero T
		return zero, errStoppedOpening
	}
}
