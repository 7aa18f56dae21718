package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"runtime/pprof"
	"slices"
	"strings"

	"github.com/hotline-line/hotline/internal/bench"
	"github.com/hotline-line/hotline/internal/charter"
)

func init() {
	register(command{"bench", "[-n N] [-messages N] [-senders N] [-backlog N] [-parties N] [-crisis N] [-only PHASES] [-json] [-dir DIR] [-cpuprofile PREFIX]",
		"measure latency, a crisis (sporadic messages, FLASH to alarm, fan-out), throughput, catch-up and memory of nodes on this machine", cmdBench})
}

func cmdBench(ctx context.Context, args []string) error {
	fs := flags("bench")
	n := fs.Int("n", 1000, "samples for the floor and for send→cosignature latency")
	msgs := fs.Int("messages", 20000, "messages in the sustained-throughput phase")
	senders := fs.Int("senders", 32, "concurrent senders")
	backlog := fs.Int("backlog", 100000, "entries written while the receiver is down, for the catch-up phase")
	parties := fs.Int("parties", 4, "parties of the fan-out line: one sender, the others receive")
	crisis := fs.Int("crisis", 20, "samples of the sporadic, FLASH-to-alarm and fan-out phases")
	only := fs.String("only", "", "comma-separated phases to run: "+strings.Join(bench.AllPhases, ","))
	asJSON := fs.Bool("json", false, "print the result as JSON")
	dir := fs.String("dir", "", "where to create the data directories (default: the temporary directory); its filesystem is what is measured")
	keep := fs.Bool("keep", false, "keep the data directories")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of each measured phase to PREFIX-PHASE.pprof")
	memprofile := fs.String("memprofile", "", "write a heap profile at the end to this file")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{"unexpected arguments: " + joinArgs(fs)}
	}
	if *parties < 2 || *parties > charter.MaxParties {
		return usageError{fmt.Sprintf("-parties %d: a line has 2 to %d parties", *parties, charter.MaxParties)}
	}
	cfg := bench.Config{Samples: *n, Messages: *msgs, Senders: *senders, Backlog: *backlog, Parties: *parties, Crisis: *crisis,
		Dir: *dir, Keep: *keep, CPUProfile: *cpuprofile, Progress: os.Stderr,
		Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	if *only != "" {
		for p := range strings.SplitSeq(*only, ",") {
			if !slices.Contains(bench.AllPhases, p) {
				return usageError{fmt.Sprintf("unknown phase %q: use %s", p, strings.Join(bench.AllPhases, ","))}
			}
			cfg.Phases = append(cfg.Phases, p)
		}
	}
	if slices.Contains(cfg.Phases, bench.PhaseRSS) || cfg.Phases == nil {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("idle-memory phase needs this binary: %w", err)
		}
		cfg.Binary = exe
	}
	r, err := bench.Run(ctx, cfg)
	if err != nil {
		return err
	}
	if *memprofile != "" {
		f, err := os.Create(*memprofile)
		if err != nil {
			return err
		}
		err = pprof.WriteHeapProfile(f)
		f.Close()
		if err != nil {
			return err
		}
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	r.Print(os.Stdout)
	return nil
}
