// Command hotline-faultsoak puts a real hotline line through random
// network and process faults for a while, then heals everything and
// reports what was sent, delivered and suppressed, and how late:
//
//	go run ./cmd/hotline-faultsoak -duration 30m
//
// With -bench it measures instead how fast the routes carry a FLASH (all
// up, and each one dead) and how soon the direct route is used again after
// an outage, and prints the results as the "Routes" section of
// docs/benchmarks.md:
//
//	go run ./cmd/hotline-faultsoak -bench
//
// It runs from inside the hotline module: it builds cmd/hotline first
// (or uses -hotline). The logic is in internal/faults.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hotline-line/hotline/internal/faults"
	"github.com/hotline-line/hotline/internal/hotlinebin"
)

func main() {
	duration := flag.Duration("duration", 30*time.Minute, "how long to inject faults")
	seed := flag.Uint64("seed", 0, "seed of the fault schedule and the traffic (default: from the clock)")
	gap := flag.Duration("send-gap", 250*time.Millisecond, "mean time between two sends of one party")
	bench := flag.Bool("bench", false, "run the route benchmark instead of the soak")
	samples := flag.Int("samples", 50, "benchmark: FLASH latencies per condition")
	bin := flag.String("hotline", "", "the hotline binary to run (default: build cmd/hotline)")
	keep := flag.Bool("keep", false, "keep the working directory (data directories and logs)")
	verbose := flag.Bool("v", false, "log every fault, start and kill")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *duration, *seed, *gap, *bench, *samples, *bin, *keep, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "hotline-faultsoak:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, duration time.Duration, seed uint64, gap time.Duration, bench bool, samples int, bin string, keep, verbose bool) error {
	root, err := os.MkdirTemp("", "hotline-faultsoak-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Fprintln(os.Stderr, "working directory:", root)
	} else {
		defer os.RemoveAll(root)
	}
	if bin == "" {
		if bin, err = hotlinebin.Build(ctx, root, false); err != nil {
			return err
		}
	}
	logf := func(format string, args ...any) {
		if verbose {
			fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05.000")}, args...)...)
		}
	}
	if bench {
		res, err := faults.Bench(ctx, faults.BenchOptions{Bin: bin, Root: root, Samples: samples, Logf: logf})
		if err != nil {
			return err
		}
		res.WriteMarkdown(os.Stdout)
		return nil
	}
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	fmt.Fprintf(os.Stderr, "soak for %v with seed %d\n", duration, seed)
	rep, err := faults.Soak(ctx, faults.SoakOptions{Bin: bin, Root: root, Duration: duration, Seed: seed, SendGap: gap, Logf: logf})
	if err != nil {
		return err
	}
	rep.Write(os.Stdout)
	if rep.Violations != nil {
		return fmt.Errorf("invariants failed (seed %d)", seed)
	}
	return nil
}
