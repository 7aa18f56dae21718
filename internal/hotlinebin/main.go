package hotlinebin

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"
	"time"
)

// Main is the TestMain of a package whose tests run hotline processes: it
// builds the binary once into a temporary directory (with the race
// detector if race), sets *bin to its path, runs the tests and removes the
// directory. name prefixes its messages. Use it as
// os.Exit(hotlinebin.Main(m, "e2e", race, &hotlineBin)).
func Main(m *testing.M, name string, race bool, bin *string) int {
	flag.Parse()
	dir, err := os.MkdirTemp("", "hotline-"+name+"-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	if *bin, err = Build(ctx, dir, race); err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		return 1
	}
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "%s: built %s in %v\n", name, *bin, time.Since(start).Round(time.Millisecond))
	}
	return m.Run()
}
