package bench_test

import (
	"context"
	"flag"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/bench"
)

var unacked = flag.Int("unacked", 100_000, "delivered, unacknowledged messages on the loaded line of BenchmarkSendCosignUnacked")

// BenchmarkSendCosignUnacked measures what the messages still waiting for
// an acknowledgement cost each new one: send→cosignature on a line holding
// -unacked messages delivered, cosigned and not acknowledged (every one of
// them tracked by both nodes' escalation engines), against an empty line
// running at the same time. The two are measured interleaved, ten sends on
// one, then ten on the other (b.N sends in all), so that the load of a shared machine falls on
// both alike; what to read is the ratios (loaded / empty), which should
// stay near 1.
//
//	go test -run '^$' -bench SendCosignUnacked -benchtime 400x -timeout 30m ./internal/bench
func BenchmarkSendCosignUnacked(b *testing.B) {
	ctx := context.Background()
	empty, loaded := newEnv(b), newEnv(b)
	start := time.Now()
	if _, err := loaded.Throughput(ctx, *unacked, 32); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d unacknowledged messages sent and cosigned in %v", *unacked, time.Since(start).Round(time.Second))
	envs := []*bench.Env{empty, loaded}
	for _, e := range envs { // warm the connections and caches
		if _, err := e.SendCosign(ctx, 10); err != nil {
			b.Fatal(err)
		}
	}
	const block = 10
	var lat [2][]time.Duration
	for i := 0; b.Loop(); i++ {
		side := i / block % 2
		d, err := envs[side].SendCosign(ctx, 1)
		if err != nil {
			b.Fatal(err)
		}
		lat[side] = append(lat[side], d...)
	}
	b.StopTimer()
	e, l := bench.Summarize(lat[0]), bench.Summarize(lat[1])
	b.ReportMetric(e.P50, "empty-p50-ms")
	b.ReportMetric(l.P50, "unacked-p50-ms")
	b.ReportMetric(l.P50/e.P50, "p50-ratio")
	b.ReportMetric(e.P99, "empty-p99-ms")
	b.ReportMetric(l.P99, "unacked-p99-ms")
	b.ReportMetric(l.P99/e.P99, "p99-ratio")
}
