package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/hotline-line/hotline/internal/faults"
)

// untilStop is ctx, cancelled also when stop is closed: the fault soak
// and the route benchmark end at the first Ctrl-C.
func untilStop(ctx context.Context, stop <-chan struct{}) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// runFaults runs the fault soak: see internal/faults.
func runFaults(ctx context.Context, c config, stop <-chan struct{}) error {
	ctx, cancel := untilStop(ctx, stop)
	defer cancel()
	if c.seed == 0 {
		c.seed = uint64(time.Now().UnixNano())
	}
	c.logf("soak: faults for %v with seed %d", c.duration, c.seed)
	rep, err := faults.Soak(ctx, faults.SoakOptions{Bin: c.bin, Root: c.dir, Duration: c.duration, Seed: c.seed, SendGap: c.sendGap, Logf: c.verbosef})
	if err != nil {
		return err
	}
	rep.Write(os.Stdout)
	if rep.Violations != nil {
		return fmt.Errorf("invariants failed (seed %d)", c.seed)
	}
	fmt.Println("PASS")
	return nil
}

// runRoutes runs the route benchmark and prints it as Markdown.
func runRoutes(ctx context.Context, c config, stop <-chan struct{}) error {
	ctx, cancel := untilStop(ctx, stop)
	defer cancel()
	res, err := faults.Bench(ctx, faults.BenchOptions{Bin: c.bin, Root: c.dir, Samples: c.samples, Logf: c.verbosef})
	if err != nil {
		return err
	}
	res.WriteMarkdown(os.Stdout)
	return nil
}
