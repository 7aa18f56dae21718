// Command hotline runs and drives a hotline node: a direct, signed,
// end-to-end encrypted line between organizations.
//
// Exit codes: 0 success; 1 failure (the message says why); 2 usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

type command struct {
	name, usage, summary string
	run                  func(ctx context.Context, args []string) error
}

var commands []command

func register(c command) { commands = append(commands, c) }

// usageError makes hotline exit with status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// hinted carries a hint for the operator beside the error.
type hinted struct {
	err  error
	hint string
}

func (h hinted) Error() string { return h.err.Error() }
func (h hinted) Unwrap() error { return h.err }

func withHint(err error, hint string) error {
	if err == nil {
		return nil
	}
	return hinted{err, hint}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stderr))
}

func run(ctx context.Context, args []string, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || isHelp(args[0]) {
		printUsage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, args, err := commandOf(args)
	if err != nil {
		fmt.Fprintf(stderr, "hotline: error: %v\n", err)
		printUsage(stderr)
		return 2
	}
	help := len(args) > 0 && isHelp(args[0])
	if help {
		fmt.Fprintf(stderr, "usage: hotline %s %s\n\n%s\n\n", c.name, c.usage, c.summary)
	}
	err = c.run(ctx, args)
	var u usageError
	if err == nil || errors.Is(err, flag.ErrHelp) || help && errors.As(err, &u) {
		// A command with subcommands refuses "-h" as one: its usage,
		// printed above, is the answer.
		return 0
	}
	fmt.Fprintf(stderr, "hotline: error: %v\n", err)
	var h hinted
	if errors.As(err, &h) {
		fmt.Fprintf(stderr, "hotline: hint: %s\n", h.hint)
	}
	if errors.As(err, &u) {
		fmt.Fprintf(stderr, "hotline: usage: hotline %s %s\n", c.name, c.usage)
		return 2
	}
	return 1
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: hotline <command> [flags]\n\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'hotline <command> -h' for a command's flags.")
}

// flags returns a flag set whose errors come back as usage errors, which
// run prints once; -h prints the set's flags.
func flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(os.Stderr, "flags of hotline %s:\n", fs.Name())
			fs.SetOutput(os.Stderr)
			fs.PrintDefaults()
			return err
		}
		return usageError{err.Error()}
	}
	return nil
}

// defaultDir is the data directory of a command given neither --dir nor
// HOTLINE_DIR.
const defaultDir = "hotline-data"

// dirFlag adds the --dir flag every node command takes.
func dirFlag(fs *flag.FlagSet) *string {
	def := os.Getenv("HOTLINE_DIR")
	if def == "" {
		def = defaultDir
	}
	return fs.String("dir", def, "the node's data directory (env HOTLINE_DIR)")
}

func joinArgs(fs *flag.FlagSet) string { return strings.Join(fs.Args(), " ") }
