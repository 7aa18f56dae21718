package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/hotline-line/hotline/internal/inert"
)

func init() {
	register(command{"status", "[--json] [--line L]", "show the line: parties, logs, receipts, routes", cmdStatus})
}

func cmdStatus(ctx context.Context, args []string) error {
	fs := flags("status")
	dir := dirFlag(fs)
	line := fs.String("line", "", "the line (default: the node's only line)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	api, done, err := openAPI(*dir)
	if err != nil {
		return err
	}
	defer done()
	l, err := lineOf(ctx, api, *line)
	if err != nil {
		return err
	}
	st, err := api.Status(ctx, l)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(os.Stdout).Encode(st)
	}
	fmt.Printf("line %s %q: %s (this node: %s)\n", st.ID, inert.Text(st.Title), st.State, st.Me)
	for _, p := range st.Parties {
		fmt.Printf("  %-10s %s, log %d entries", p.Party, inert.Text(p.Name), p.LogSize)
		if p.Party != st.Me {
			fmt.Printf(", holds %d of ours (%d pending)", p.Receipt, p.Pending)
		}
		fmt.Println()
		for _, r := range p.Routes {
			fmt.Printf("    route %-7s", r.Route)
			if !r.LastSuccess.IsZero() {
				fmt.Printf(" last ok %s ago, rtt %v", time.Since(r.LastSuccess).Round(time.Second), r.RTT.Round(time.Microsecond))
			} else {
				fmt.Printf(" never ok")
			}
			if r.Failures > 0 {
				fmt.Printf(", %d failures (%s)", r.Failures, r.LastError)
			}
			fmt.Println()
		}
	}
	return nil
}
