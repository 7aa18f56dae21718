// Command hotline-soak runs a Seoul–Beijing line on this machine with real
// hotline processes for a given time, SIGKILLing and restarting the serve
// processes at random moments while both parties send without pause, and
// then checks that nothing accepted was lost or doubled:
//
//	go run ./cmd/hotline-soak -duration 30m
//
// It builds cmd/hotline (run it from inside the module), pairs two parties
// with the same commands a user runs, and drives everything through the
// hotline command line; see internal/soak. Every -verify-every cycles it
// pauses the senders, waits for the line to converge and checks every
// message so far; at the end it stops both serves cleanly, restarts them
// and checks again. It prints a summary (messages sent and delivered,
// duplicates, kills, worst delivery delay) and exits 1 if any invariant was
// violated. Ctrl-C ends the run early but still checks; a second Ctrl-C
// aborts.
//
// The checks read every message through "hotline inbox --json", whose
// cost grows with the size of the log; -rate keeps a long run's logs to a
// size the checks can keep up with.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/hotline-line/hotline/internal/hotlinebin"
	"github.com/hotline-line/hotline/internal/soak"
)

func main() {
	duration := flag.Duration("duration", 30*time.Minute, "how long to run kill cycles")
	dir := flag.String("dir", "", "where to put both parties (default: a new temporary directory, removed unless the run fails or -keep)")
	keep := flag.Bool("keep", false, "keep the directory")
	bin := flag.String("hotline", "", "a hotline binary to use (default: build cmd/hotline)")
	race := flag.Bool("race", false, "build hotline with the race detector")
	workers := flag.Int("workers", 3, "concurrent hotline send loops per party")
	rate := flag.Float64("rate", 5, "accepted sends per second per party at most (0: no limit)")
	verifyEvery := flag.Int("verify-every", 25, "pause, converge and check every N kill cycles (0: only at the end)")
	bothEvery := flag.Int("both-every", 5, "every N-th cycle kills both serves at once (0: never)")
	longEvery := flag.Int("long-down-every", 9, "every N-th cycle keeps the victim down for a long backlog (0: never)")
	seed := flag.Uint64("seed", 0, "seed of the kill schedule (0: random)")
	verbose := flag.Bool("v", false, "log every start, kill and cycle")
	flag.Parse()
	os.Exit(run(*duration, *dir, *keep, *bin, *race, soak.Options{
		Duration:      *duration,
		Workers:       *workers,
		Rate:          *rate,
		VerifyEvery:   *verifyEvery,
		BothEvery:     *bothEvery,
		LongDownEvery: *longEvery,
		Seed:          *seed,
	}, *verbose))
}

func run(duration time.Duration, dir string, keep bool, bin string, race bool, opts soak.Options, verbose bool) int {
	// Whatever happens, the run ends: every wait inside has its own
	// deadline, and this one bounds the whole.
	ctx, cancel := context.WithTimeout(context.Background(), duration+20*time.Minute)
	defer cancel()
	stop := make(chan struct{})
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt)
	go func() {
		<-sig
		fmt.Fprintln(os.Stderr, "soak: stopping after this cycle (Ctrl-C again to abort)")
		close(stop)
		<-sig
		cancel()
	}()
	opts.Stop = stop

	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "%s  %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
	}
	if verbose {
		opts.Logf = logf
	} else {
		opts.Logf = func(format string, args ...any) {
			if len(format) >= 10 && format[:10] == "checkpoint" {
				logf(format, args...)
			}
		}
	}
	if dir == "" {
		d, err := os.MkdirTemp("", "hotline-soak-")
		if err != nil {
			logf("soak: %v", err)
			return 1
		}
		dir = d
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		logf("soak: %v", err)
		return 1
	}
	failed := true
	defer func() {
		if keep || failed {
			logf("soak: data directories and serve logs kept in %s", dir)
		} else {
			os.RemoveAll(dir)
		}
	}()
	if bin == "" {
		logf("soak: building hotline (race: %v)", race)
		b, err := hotlinebin.Build(ctx, dir, race)
		if err != nil {
			logf("soak: %v", err)
			return 1
		}
		bin = b
	}
	c, err := soak.NewCluster(ctx, bin, dir)
	if err != nil {
		logf("soak: pairing: %v", err)
		return 1
	}
	defer c.Close()
	if verbose {
		c.Logf = logf
	}
	for _, n := range c.Nodes {
		if err := n.Start(ctx); err != nil {
			logf("soak: %v", err)
			return 1
		}
	}
	logf("soak: line %s between %s and %s for %v", c.Line, c.Nodes[0].Slug, c.Nodes[1].Slug, duration)
	rep, err := soak.Chaos(ctx, c, opts)
	fmt.Println(rep)
	if err != nil {
		fmt.Println("FAIL:", err)
		if !verbose {
			fmt.Fprintln(os.Stderr, c.Tails(40))
		}
		return 1
	}
	fmt.Println("PASS")
	failed = false
	return 0
}
