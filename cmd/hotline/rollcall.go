package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/hotline-line/hotline/internal/inert"
	"github.com/hotline-line/hotline/internal/node"
)

func init() {
	register(command{"rollcall", "--officer NAME [--line L]",
		"answer the roll-call under way: a named officer confirms a person is on watch", cmdRollCall})
}

func cmdRollCall(ctx context.Context, args []string) error {
	fs := flags("rollcall")
	dir := dirFlag(fs)
	line := fs.String("line", "", "the line, by name or ID (default: the node's only line)")
	officer := fs.String("officer", "", "the name of the officer on watch")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 || *officer == "" {
		return usageError{"rollcall takes --officer and no arguments"}
	}
	api, l, done, err := openLine(ctx, *dir, *line)
	if err != nil {
		return err
	}
	defer done()
	v, err := api.RollCall(ctx, l, *officer)
	if isNodeErr(err, node.ErrNoRollCall) {
		return withHint(err, "a line asks for roll-calls when its charter says so: hotline line propose --roll-call 4h")
	}
	if err != nil {
		return err
	}
	now := time.Now()
	if v.Officer == *officer {
		fmt.Fprintf(os.Stderr, "roll-call of the slot from %s answered: person present, last %s by %s\n",
			dayTime(v.Slot, now), dayTime(v.Last, now), inert.Text(v.Officer))
	} else {
		fmt.Fprintf(os.Stderr, "the roll-call of the slot from %s was already answered at %s by %s; nothing written\n",
			dayTime(v.Slot, now), dayTime(v.Last, now), inert.Text(v.Officer))
	}
	if v.Missed {
		fmt.Fprintf(os.Stderr, "note: the roll-call of %s was MISSED; it stays on record\n", dayTime(v.MissedSlot, now))
	}
	return nil
}
