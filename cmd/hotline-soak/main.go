// Command hotline-soak runs a Seoul–Beijing line on this machine with real
// hotline processes for a given time and then checks that nothing
// accepted was lost or doubled. It has three modes.
//
// The kill soak (the default) SIGKILLs and restarts the serve processes at
// random moments while both parties send without pause:
//
//	go run ./cmd/hotline-soak -duration 30m
//
// Every -verify-every cycles it pauses the senders, waits for the line to
// converge and checks every message so far; at the end it stops both
// serves cleanly, restarts them and checks again. It prints a summary
// (messages sent and delivered, duplicates, kills, worst delivery delay).
// The checks read every message through "hotline inbox --json", whose
// cost grows with the size of the log; -rate keeps a long run's logs to a
// size the checks can keep up with. See internal/soak.
//
// The fault soak adds a relay, puts every route behind a fault proxy and
// injects random network and process faults, then heals everything and
// reports what was sent, delivered and suppressed, and how late:
//
//	go run ./cmd/hotline-soak -faults -duration 30m
//
// The route benchmark measures how fast the routes carry a FLASH (all up,
// and each one dead) and how soon the direct route is used again after an
// outage, and prints the results as the "Routes" section of
// docs/benchmarks.md:
//
//	go run ./cmd/hotline-soak -routes
//
// The fault soak and the route benchmark are in internal/faults. Every
// mode builds cmd/hotline first (run it from inside the module), or uses
// -hotline, and runs the processes with internal/cluster. It exits 1 if
// any invariant was violated. Ctrl-C ends the kill soak early but still
// checks (a second Ctrl-C aborts); it aborts the other modes.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/hotline-line/hotline/internal/hotlinebin"
	"github.com/hotline-line/hotline/internal/soak"
)

// config is what every mode shares.
type config struct {
	duration time.Duration
	dir      string
	keep     bool
	bin      string
	race     bool
	seed     uint64
	verbose  bool

	kill    soak.Options  // the kill soak's
	sendGap time.Duration // the fault soak's
	samples int           // the route benchmark's
}

func main() {
	var c config
	flag.DurationVar(&c.duration, "duration", 30*time.Minute, "how long to run kill cycles or inject faults")
	flag.StringVar(&c.dir, "dir", "", "where to put everything (default: a new temporary directory, removed unless the run fails or -keep)")
	flag.BoolVar(&c.keep, "keep", false, "keep the directory")
	flag.StringVar(&c.bin, "hotline", "", "a hotline binary to use (default: build cmd/hotline)")
	flag.BoolVar(&c.race, "race", false, "build hotline with the race detector")
	flag.Uint64Var(&c.seed, "seed", 0, "seed of the kill or fault schedule (0: random)")
	flag.BoolVar(&c.verbose, "v", false, "log every start, kill, fault and cycle")
	faultMode := flag.Bool("faults", false, "run the fault soak instead of the kill soak")
	routes := flag.Bool("routes", false, "run the route benchmark instead of a soak")
	flag.DurationVar(&c.sendGap, "send-gap", 250*time.Millisecond, "fault soak: mean time between two sends of one party")
	flag.IntVar(&c.samples, "samples", 50, "route benchmark: FLASH latencies per condition")
	k := &c.kill
	flag.IntVar(&k.Workers, "workers", 3, "kill soak: concurrent hotline send loops per party")
	flag.Float64Var(&k.Rate, "rate", 5, "kill soak: accepted sends per second per party at most (0: no limit)")
	flag.IntVar(&k.VerifyEvery, "verify-every", 25, "kill soak: pause, converge and check every N kill cycles (0: only at the end)")
	flag.IntVar(&k.BothEvery, "both-every", 5, "kill soak: every N-th cycle kills both serves at once (0: never)")
	flag.IntVar(&k.LongDownEvery, "long-down-every", 9, "kill soak: every N-th cycle keeps the victim down for a long backlog (0: never)")
	flag.Parse()
	if flag.NArg() > 0 || *faultMode && *routes {
		fmt.Fprintln(os.Stderr, "usage: hotline-soak [-faults | -routes] [flags]")
		flag.PrintDefaults()
		os.Exit(2)
	}
	run := runKills
	if *faultMode {
		run = runFaults
	} else if *routes {
		run = runRoutes
	}
	os.Exit(c.main(run))
}

// main prepares the directory and the binary, runs one mode and reports.
func (c config) main(run func(ctx context.Context, c config, stop <-chan struct{}) error) int {
	// Whatever happens, the run ends: every wait inside has its own
	// deadline, and this one bounds the whole.
	ctx, cancel := context.WithTimeout(context.Background(), c.duration+20*time.Minute)
	defer cancel()
	stop := interrupts(cancel)
	if c.dir == "" {
		d, err := os.MkdirTemp("", "hotline-soak-")
		if err != nil {
			c.logf("soak: %v", err)
			return 1
		}
		c.dir = d
	} else if err := os.MkdirAll(c.dir, 0o700); err != nil {
		c.logf("soak: %v", err)
		return 1
	}
	failed := true
	defer func() {
		if c.keep || failed {
			c.logf("soak: data directories and logs kept in %s", c.dir)
		} else {
			os.RemoveAll(c.dir)
		}
	}()
	if c.bin == "" {
		c.logf("soak: building hotline (race: %v)", c.race)
		b, err := hotlinebin.Build(ctx, c.dir, c.race)
		if err != nil {
			c.logf("soak: %v", err)
			return 1
		}
		c.bin = b
	}
	if err := run(ctx, c, stop); err != nil {
		fmt.Println("FAIL:", err)
		return 1
	}
	failed = false
	return 0
}

func (c config) logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

// verbosef is logf with -v, and nothing without.
func (c config) verbosef(format string, args ...any) {
	if c.verbose {
		c.logf(format, args...)
	}
}
