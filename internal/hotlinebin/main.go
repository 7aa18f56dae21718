package hotlinebin

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/testload"
)

// BinEnv names a hotline binary already built for this run: Main uses it
// instead of building one. A test that runs its own test binary again
// passes its binary on this way.
const BinEnv = "HOTLINE_TEST_BIN"

// keepDir is the system's temporary directory as it was before Main
// pointed TMPDIR into the run's directory.
var keepDir = os.TempDir()

// KeepDir is where files that must outlive the test run go (the logs of
// a failed test): the system's temporary directory, not the run's.
func KeepDir() string { return keepDir }

// Main is the TestMain of a package whose tests run hotline processes.
// It makes a directory for the run (see NewRunDir) and points TMPDIR at
// it, so that the tests' temporary directories, the binary and whatever
// the hotline processes write all go there; it builds the binary once
// into it (with the race detector if race), sets *bin to its path, runs
// the tests and removes the directory. A run that times out or is killed
// cannot remove it: the next run does. name prefixes its messages. Use
// it as os.Exit(hotlinebin.Main(m, "e2e", race, &hotlineBin)).
func Main(m *testing.M, name string, race bool, bin *string) int {
	flag.Parse()
	dir, release, err := NewRunDir(filepath.Join(keepDir, RunsDir))
	if err != nil {
		fmt.Fprintln(os.Stderr, name+": a directory for this run:", err)
		return 1
	}
	defer release()
	if *bin = os.Getenv(BinEnv); *bin == "" {
		ctx, cancel := context.WithTimeout(context.Background(), testload.Scale(5*time.Minute))
		defer cancel()
		start := time.Now()
		if *bin, err = Build(ctx, dir, race); err != nil {
			fmt.Fprintln(os.Stderr, name+":", err)
			return 1
		}
		if testing.Verbose() {
			fmt.Fprintf(os.Stderr, "%s: built %s in %v\n", name, *bin, time.Since(start).Round(time.Millisecond))
		}
	}
	if err := os.Setenv("TMPDIR", dir); err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		return 1
	}
	return m.Run()
}

// Parallel lets n parallel tests of the package run at once, unless the
// command line set -test.parallel: go test's default, GOMAXPROCS, suits
// tests that keep the CPU busy, while a test that waits for hotline
// processes (a route to fail, a serve to restart) mostly sleeps. Call it
// from TestMain, before Main.
func Parallel(n int) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		if err := flag.Set("test.parallel", strconv.Itoa(n)); err != nil {
			panic("hotlinebin: " + err.Error())
		}
	}
}
