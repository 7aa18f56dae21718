package main

import (
	"context"
	"fmt"
	"os"
)

func init() {
	register(command{"linktest", "[--line L]", "test every route to every peer now; the results become an entry both sides see", cmdLinkTest})
}

func cmdLinkTest(ctx context.Context, args []string) error {
	fs := flags("linktest")
	dir := dirFlag(fs)
	line := fs.String("line", "", "the line, by name or ID (default: the node's only line)")
	if err := parse(fs, args); err != nil {
		return err
	}
	api, l, done, err := openLine(ctx, *dir, *line)
	if err != nil {
		return err
	}
	defer done()
	t, err := api.LinkTest(ctx, l)
	if err != nil {
		return err
	}
	failed := 0
	for _, r := range t.Results {
		if r.OK {
			fmt.Printf("%-10s %-7s ok   %d ms\n", r.Peer, r.Route, r.RTTms)
		} else {
			failed++
			fmt.Printf("%-10s %-7s FAILED %s\n", r.Peer, r.Route, r.Error)
		}
	}
	if len(t.Results) == 0 {
		fmt.Fprintln(os.Stderr, "no route was tested: is hotline serve running?")
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d routes failed", failed, len(t.Results))
	}
	return nil
}
