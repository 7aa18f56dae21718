package faults

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hotline-line/hotline/internal/bench"
	"github.com/hotline-line/hotline/internal/cluster"
	"github.com/hotline-line/hotline/internal/control"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/faultproxy"
	"github.com/hotline-line/hotline/internal/node"
)

// BenchOptions configure Bench.
type BenchOptions struct {
	Bin, Root string
	Samples   int             // FLASH latencies per condition (default 50)
	Outages   []time.Duration // direct-route outages to time the resumption after (default 5s, 15s, 30s)
	Logf      func(format string, args ...any)
}

// BenchResult is what Bench measured.
type BenchResult struct {
	Machine string
	// FLASH latency, send to the sender holding the peer's cosignature,
	// by condition: "all routes up", "direct blackholed" (so over the
	// relay), "relay blackholed".
	Latency []Condition
	// FirstAfterCut is the latency of the first FLASH sent right after the
	// direct route was blackholed, while its connections still look alive.
	FirstAfterCut []time.Duration
	// Resume is, for each outage of the direct route, the time from the
	// end of the blackhole to the first exchange that succeeded on it.
	Resume []Resumption
	Took   time.Duration
}

// Condition is the FLASH latency under one state of the routes.
type Condition struct {
	Name    string
	Samples []time.Duration
}

// Resumption is one measured return of the direct route.
type Resumption struct {
	Outage, Took time.Duration
}

// Bench measures with real processes how fast the routes carry a FLASH,
// with every route up and with each one dead, and how soon the direct
// route is used again after an outage.
//
// A FLASH is written through the node's control socket (what "hotline
// send" does, without starting a process) and its latency runs from the
// call to the moment the sender's status shows the peer's receipt covering
// it, polled over the control socket every 2 ms.
func Bench(ctx context.Context, o BenchOptions) (*BenchResult, error) {
	if o.Samples <= 0 {
		o.Samples = 50
	}
	if o.Outages == nil {
		o.Outages = []time.Duration{5 * time.Second, 15 * time.Second, 30 * time.Second}
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	start := time.Now()
	c, err := NewCluster(ctx, cluster.Options{Bin: o.Bin, Root: o.Root, Logf: o.Logf})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := c.Start(ctx); err != nil {
		return nil, err
	}
	b := &routeBench{c: c, o: o, res: &BenchResult{Machine: bench.Describe(o.Root).String()}}
	if err := b.run(ctx); err != nil {
		return nil, fmt.Errorf("%w\n%s", err, c.Tails(30))
	}
	if _, err := c.Check(ctx, 2*time.Minute); err != nil {
		return nil, fmt.Errorf("invariants after the benchmark: %w", err)
	}
	b.res.Took = time.Since(start)
	return b.res, nil
}

type routeBench struct {
	c   *Cluster
	o   BenchOptions
	res *BenchResult
	api *control.Client
	n   int
}

func (b *routeBench) run(ctx context.Context) error {
	c := b.c
	a := c.Parties[0]
	var err error
	if b.api, err = a.api(); err != nil {
		return err
	}
	// Warm up both routes: connections open, the relay's long polls
	// waiting, SQLite caches warm.
	for range 10 {
		if _, err := b.flash(ctx); err != nil {
			return err
		}
	}
	measure := func(name string) error {
		cond := Condition{Name: name}
		for range 3 { // let the link settle into the new state
			if _, err := b.flash(ctx); err != nil {
				return err
			}
		}
		for range b.o.Samples {
			d, err := b.flash(ctx)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			cond.Samples = append(cond.Samples, d)
		}
		b.res.Latency = append(b.res.Latency, cond)
		b.o.Logf("%s: %s", name, summary(cond.Samples))
		return nil
	}
	if err := measure("all routes up"); err != nil {
		return err
	}

	c.SetDirect(faultproxy.Blackhole)
	d, err := b.flash(ctx)
	if err != nil {
		return err
	}
	b.res.FirstAfterCut = append(b.res.FirstAfterCut, d)
	if err := measure("direct blackholed (FLASH over the relay)"); err != nil {
		return err
	}
	c.Heal()
	if _, err := c.DirectBack(ctx, time.Now(), 2*time.Minute); err != nil {
		return err
	}

	c.SetRelay(faultproxy.Blackhole)
	if err := measure("relay blackholed (FLASH over the direct route)"); err != nil {
		return err
	}
	c.Heal()
	if err := b.relayBack(ctx); err != nil {
		return err
	}

	// The direct route's return after outages of several lengths, with a
	// ROUTINE a second meanwhile (the relay carries it).
	for _, outage := range b.o.Outages {
		c.SetDirect(faultproxy.Blackhole)
		cut := time.Now()
		d, err := b.flash(ctx)
		if err != nil {
			return err
		}
		b.res.FirstAfterCut = append(b.res.FirstAfterCut, d)
		for time.Since(cut) < outage {
			if _, err := a.Send(ctx, "ROUTINE", fmt.Sprintf("routine %d during an outage", b.next())); err != nil {
				return err
			}
			sleepCtx(ctx, min(time.Second, outage-time.Since(cut)))
		}
		c.Heal()
		healed := time.Now()
		took, err := c.DirectBack(ctx, healed, 2*time.Minute)
		if err != nil {
			return err
		}
		b.res.Resume = append(b.res.Resume, Resumption{Outage: healed.Sub(cut), Took: took})
		b.o.Logf("direct route back %v after an outage of %v", took.Round(time.Millisecond), healed.Sub(cut).Round(time.Millisecond))
	}
	return nil
}

func (b *routeBench) next() int { b.n++; return b.n }

// relayBack waits until the sender's relay route carried a FLASH again.
func (b *routeBench) relayBack(ctx context.Context) error {
	since := time.Now()
	a := b.c.Parties[0]
	return cluster.Poll(ctx, 2*time.Minute, "the relay route to carry traffic again", func() (bool, error) {
		if _, err := b.flash(ctx); err != nil {
			return false, err
		}
		h, err := a.Route(ctx, "relay")
		return err == nil && h.LastSuccess.After(since) && h.Failures == 0, nil
	})
}

// flash writes a FLASH from the first party and times its receipt.
func (b *routeBench) flash(ctx context.Context) (time.Duration, error) {
	a := b.c.Parties[0]
	text := fmt.Sprintf("bench flash %d", b.next())
	start := time.Now()
	id, err := b.api.Send(ctx, node.SendRequest{Line: b.c.Line, Precedence: entry.Flash, Text: text})
	if err != nil {
		return 0, err
	}
	_, index, err := entry.ParseID(id)
	if err != nil {
		return 0, err
	}
	a.record(Sent{ID: id, Index: index, Text: text, Precedence: string(entry.Flash), At: time.Now()})
	deadline := time.Now().Add(time.Minute)
	for {
		st, err := b.api.Status(ctx, b.c.Line)
		if err != nil {
			return 0, err
		}
		if _, peer := a.Mine(st); peer != nil && peer.Receipt > index {
			return time.Since(start), nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("no receipt for %s after a minute", id)
		}
		sleepCtx(ctx, 2*time.Millisecond)
	}
}

// summary gives p50, p99 and max of samples.
func summary(samples []time.Duration) string {
	if len(samples) == 0 {
		return "no samples"
	}
	p50, p99, top := quantiles(samples)
	return fmt.Sprintf("p50 %v, p99 %v, max %v (n=%d)", p50, p99, top, len(samples))
}

// quantiles are [bench.Summarize]'s nearest-rank p50, p99 and max, as
// durations to 100 µs.
func quantiles(samples []time.Duration) (p50, p99, top time.Duration) {
	d := bench.Summarize(samples)
	dur := func(ms float64) time.Duration {
		return time.Duration(ms * float64(time.Millisecond)).Round(100 * time.Microsecond)
	}
	return dur(d.P50), dur(d.P99), dur(d.Max)
}

// WriteMarkdown prints the results as the "Routes" section of
// docs/benchmarks.md.
func (r *BenchResult) WriteMarkdown(w io.Writer) {
	fmt.Fprintf(w, "## Routes\n\n")
	fmt.Fprintf(w, "`go run ./cmd/hotline-soak -routes` (internal/faults): real `hotline serve` and `hotline relay serve`\n"+
		"processes on loopback, real SQLite and mutual TLS, each route behind an in-process fault proxy\n"+
		"(internal/faultproxy; \"blackholed\" = packets silently dropped, existing connections frozen).\n"+
		"A FLASH is written through the node's control socket (what `hotline send` does, minus starting a\n"+
		"process); its latency runs from that call to the sender's status showing the peer's cosignature\n"+
		"covering it, polled every 2 ms. Run took %v.\n\n", r.Took.Round(time.Second))
	fmt.Fprintf(w, "Machine: %s.\n\n", r.Machine)
	fmt.Fprintf(w, "| FLASH, send to cosignature | p50 | p99 | max | n | p50 vs all up |\n|---|---|---|---|---|---|\n")
	var base time.Duration
	for i, c := range r.Latency {
		p50, p99, top := quantiles(c.Samples)
		if i == 0 {
			base = p50
		}
		ratio := "1.0×"
		if base > 0 {
			ratio = fmt.Sprintf("%.1f×", float64(p50)/float64(base))
		}
		fmt.Fprintf(w, "| %s | %v | %v | %v | %d | %s |\n", c.Name, p50, p99, top, len(c.Samples), ratio)
	}
	var cut []string
	for _, d := range r.FirstAfterCut {
		cut = append(cut, d.Round(time.Millisecond).String())
	}
	fmt.Fprintf(w, "\nFirst FLASH right after the direct route was blackholed (its connections still look alive): %s.\n\n", strings.Join(cut, ", "))
	fmt.Fprintf(w, "| direct route outage | back in use after the heal |\n|---|---|\n")
	for _, x := range r.Resume {
		fmt.Fprintf(w, "| %v | %v |\n", x.Outage.Round(time.Second), x.Took.Round(time.Millisecond))
	}
	fmt.Fprintf(w, "\n\"Back in use\": from un-blackholing to the first exchange that succeeded on the direct route\n"+
		"(its `last_success` in `hotline status --json`), with a ROUTINE a second going over the relay meanwhile.\n")
}
