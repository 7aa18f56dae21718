package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/hotline-line/hotline/internal/escalate"
	"github.com/hotline-line/hotline/internal/node"
)

func init() {
	register(command{"escalation", "check|test [--dir DIR]",
		"check the escalation chain (escalation.json), or send a test notice through it", cmdEscalation})
}

func cmdEscalation(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageError{"escalation needs a subcommand: check or test"}
	}
	fs := flags("escalation " + args[0])
	dir := dirFlag(fs)
	switch args[0] {
	case "check", "test":
	default:
		return usageError{fmt.Sprintf("unknown escalation subcommand %q: use check or test", args[0])}
	}
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{"escalation " + args[0] + " takes no arguments"}
	}
	if args[0] == "check" {
		return escalationCheck(*dir, os.Stdout)
	}
	return escalationTest(ctx, *dir, os.Stdout)
}

// loadChain reads the chain of the node in dir, with a hint that says
// where to look when it is wrong.
func loadChain(dir string) (*escalate.Config, error) {
	if _, err := os.Stat(filepath.Join(dir, node.ConfigFile)); err != nil {
		return nil, withHint(errors.New("no hotline node in "+dir), "create one with: hotline init --dir "+dir+" --party NAME ...")
	}
	c, err := escalate.Load(dir)
	if err != nil {
		return nil, withHint(err, "fix the field named above; docs/operations.md (Escalation) describes every field")
	}
	return c, nil
}

// escalationCheck validates the chain, reading every file it names as
// hotline serve would, and prints it.
func escalationCheck(dir string, w io.Writer) error {
	c, err := loadChain(dir)
	if err != nil {
		return err
	}
	c.Describe(w)
	return nil
}

// escalationTest sends a test notice through every channel of every step
// and reports each result.
func escalationTest(ctx context.Context, dir string, w io.Writer) error {
	c, err := loadChain(dir)
	if err != nil {
		return err
	}
	cfg, err := node.LoadConfig(dir)
	if err != nil {
		return err
	}
	results := c.Test(ctx, cfg.Party, time.Now())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	failed, sent := 0, 0
	for _, r := range results {
		status := "ok"
		switch {
		case r.Err != nil:
			failed++
			status = "FAILED: " + r.Err.Error()
		case r.Note != "":
			status = r.Note
		}
		if r.Channel != "console" {
			sent++
		}
		fmt.Fprintf(tw, "%d. %s\t%s\t%s\t%s\n", r.Step+1, r.StepName, r.Channel, r.To, status)
	}
	tw.Flush()
	if failed > 0 {
		return withHint(fmt.Errorf("%d of %d test notices failed", failed, sent), "the node's log names the same errors when a real alert fails; fix the server or the address, then test again")
	}
	if sent == 0 {
		fmt.Fprintln(w, "nothing to send: the chain has no email or webhook")
	}
	return nil
}
