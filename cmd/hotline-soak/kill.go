package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"

	"github.com/hotline-line/hotline/internal/cluster"
	"github.com/hotline-line/hotline/internal/soak"
)

// interrupts closes the returned channel at the first Ctrl-C and calls
// abort at the second.
func interrupts(abort func()) <-chan struct{} {
	stop := make(chan struct{})
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt)
	go func() {
		<-sig
		fmt.Fprintln(os.Stderr, "soak: stopping (Ctrl-C again to abort)")
		close(stop)
		<-sig
		abort()
	}()
	return stop
}

// runKills runs the kill soak: see internal/soak.
func runKills(ctx context.Context, c config, stop <-chan struct{}) error {
	opts := c.kill
	opts.Duration, opts.Seed, opts.Stop = c.duration, c.seed, stop
	opts.Logf = c.verbosef
	if !c.verbose {
		opts.Logf = func(format string, args ...any) {
			if strings.HasPrefix(format, "checkpoint") {
				c.logf(format, args...)
			}
		}
	}
	cl, err := cluster.New(ctx, cluster.Options{Bin: c.bin, Root: c.dir, Logf: c.verbosef})
	if err != nil {
		return fmt.Errorf("pairing: %w", err)
	}
	defer cl.Close()
	if err := cl.Start(ctx); err != nil {
		return err
	}
	a, b := cl.Parties[0], cl.Parties[1]
	c.logf("soak: line %s between %s and %s for %v", cl.Line, a.Slug, b.Slug, c.duration)
	rep, err := soak.Chaos(ctx, cl, opts)
	fmt.Println(rep)
	if err != nil {
		if !c.verbose {
			fmt.Fprintln(os.Stderr, cl.Tails(40))
		}
		return err
	}
	fmt.Println("PASS")
	return nil
}
