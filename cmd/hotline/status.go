package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/hotline-line/hotline/internal/inert"
	"github.com/hotline-line/hotline/internal/node"
)

func init() {
	register(command{"status", "[--json] [--line L]", "show the line: parties, logs, receipts, routes, roll-call", cmdStatus})
}

func cmdStatus(ctx context.Context, args []string) error {
	fs := flags("status")
	dir := dirFlag(fs)
	line := fs.String("line", "", "the line, by name or ID (default: the node's only line)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	api, l, done, err := openLine(ctx, *dir, *line)
	if err != nil {
		return err
	}
	defer done()
	st, err := api.Status(ctx, l)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(os.Stdout).Encode(st)
	}
	fmt.Printf("line %s %q: %s (this node: %s)\n", st.ID, inert.Text(st.Title), st.State, st.Me)
	printLineState(os.Stdout, st.Name, st.Notice, st.Refused)
	if st.CharterVersion > 1 || st.AmendmentsWaiting > 0 {
		fmt.Printf("  charter version %d; %d amendment(s) waiting for answers (hotline line amendments)\n", st.CharterVersion, st.AmendmentsWaiting)
	}
	defer printLinkTests(st)
	rollCalls := map[string]node.RollCallView{}
	for _, v := range st.RollCalls {
		rollCalls[v.Party] = v
	}
	for _, p := range st.Parties {
		fmt.Printf("  %-10s %s, log %d entries", p.Party, inert.Text(p.Name), p.LogSize)
		if p.Party != st.Me {
			fmt.Printf(", holds %d of ours (%d pending)", p.Receipt, p.Pending)
		}
		fmt.Println()
		if p.Clock != nil {
			fmt.Printf("    %s\n", clockText(*p.Clock))
		}
		if v, ok := rollCalls[p.Party]; ok {
			fmt.Printf("    %s\n", rollCallText(v, time.Now()))
		}
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

func printLinkTests(st *node.LineStatus) {
	for _, v := range st.LinkTests {
		if v.At.IsZero() {
			fmt.Printf("  link tests by %s: none yet", v.By)
		} else {
			fmt.Printf("  link tests by %s at %s UTC:", v.By, v.At.Format(time.DateTime))
			for _, r := range v.Results {
				state := fmt.Sprintf("ok %dms", r.RTTms)
				if !r.OK {
					state = "FAILED"
				}
				fmt.Printf(" %s>%s %s %s;", v.By, r.Peer, r.Route, state)
			}
		}
		if v.Overdue {
			fmt.Print(" OVERDUE")
		}
		fmt.Println()
	}
	if len(st.Keys) > 0 {
		keyHistoryText(os.Stdout, st.Keys)
	}
	if st.Evidence > 0 {
		fmt.Printf("  %d refusals of input kept as evidence: hotline evidence\n", st.Evidence)
		for _, c := range st.EvidenceCounts {
			fmt.Printf("    %s\n", evidenceCountText(c))
		}
	}
}

// clockText says how a peer's clock stands against ours.
func clockText(o node.ClockOffset) string {
	s := fmt.Sprintf("clock %s (%s UTC)", o, o.Measured.UTC().Format(time.DateTime))
	if o.Skewed {
		s += fmt.Sprintf(" SKEWED beyond the charter's %v: times written on either side mislead the other", o.Tolerance)
	}
	return s
}
