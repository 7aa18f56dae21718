package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/bench"
	"github.com/hotline-line/hotline/internal/hotlinebin"
)

// The benchmarks run real nodes: mutual TLS on loopback, SQLite with fsync
// in the test's temporary directory. Run them with a fixed count, e.g.
//
//	go test -run '^$' -bench . -benchtime=100x ./internal/bench
//
// Each reports its own metrics beside ns/op (which is per message, per
// entry or per sample).

func newEnv(b *testing.B) *bench.Env {
	b.Helper()
	env, err := bench.NewEnv(context.Background(), b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		env.Close(ctx)
	})
	return env
}

func reportDist(b *testing.B, d bench.Dist) {
	b.ReportMetric(d.P50, "p50-ms")
	b.ReportMetric(d.P99, "p99-ms")
}

// reportWork reports what both nodes did per message since before: SQL
// statements, commits (each one fsync) and CPU time.
func reportWork(b *testing.B, env *bench.Env, before bench.Work) {
	stmts, commits, cpu := before.PerItem(env.Work(), b.N)
	b.ReportMetric(stmts, "stmts/msg")
	b.ReportMetric(commits, "fsyncs/msg")
	b.ReportMetric(cpu, "cpu-µs/msg")
}

// BenchmarkFloor measures fsync + mutual-TLS 1.3 round trip + fsync, the
// floor send→cosignature is compared with.
func BenchmarkFloor(b *testing.B) { floorBench(b, bench.Floor) }

// BenchmarkSporadicFloor is the floor with bench.Silence before each
// sample (so b.N seconds at least): what a sporadic message's fsyncs and
// round trip cost on this machine before any work of the node's.
func BenchmarkSporadicFloor(b *testing.B) { floorBench(b, bench.SporadicFloor) }

func floorBench(b *testing.B, floor func(context.Context, [2]string, int) (*bench.FloorSamples, error)) {
	env := newEnv(b)
	b.ResetTimer()
	s, err := floor(context.Background(), env.Dirs, b.N)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	reportDist(b, bench.Summarize(s.Total))
}

// BenchmarkSendCosign sends one message at a time and waits for the
// receiver's cosignature on each.
func BenchmarkSendCosign(b *testing.B) { latencyBench(b, (*bench.Env).SendCosign) }

// BenchmarkSporadic sends one message after each bench.Silence of a quiet
// line (so b.N seconds at least) and waits for the receiver's cosignature
// on each: what a message on a real line meets. Its work per message
// includes the second of silence.
func BenchmarkSporadic(b *testing.B) { latencyBench(b, (*bench.Env).Sporadic) }

// BenchmarkFlashAlarm sends one FLASH after each bench.Silence and waits
// until the receiver's escalation engine holds its alarm open. Its work
// per message includes the acknowledgement and the second of silence.
func BenchmarkFlashAlarm(b *testing.B) { latencyBench(b, (*bench.Env).FlashAlarm) }

// latencyBench warms the line with a few messages, then reports the
// latencies of b.N samples of measure and the work done for them.
func latencyBench(b *testing.B, measure func(*bench.Env, context.Context, int) ([]time.Duration, error)) {
	env := newEnv(b)
	ctx := context.Background()
	if _, err := env.SendCosign(ctx, 5); err != nil { // warm the connection and caches
		b.Fatal(err)
	}
	before := env.Work()
	b.ResetTimer()
	lat, err := measure(env, ctx, b.N)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	reportDist(b, bench.Summarize(lat))
	reportWork(b, env, before)
}

// BenchmarkThroughput sends b.N messages from 32 concurrent senders and
// waits until all are cosigned.
func BenchmarkThroughput(b *testing.B) {
	env := newEnv(b)
	before := env.Work()
	b.ResetTimer()
	d, err := env.Throughput(context.Background(), b.N, 32)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/d.Seconds(), "msgs/s")
	reportWork(b, env, before)
}

// BenchmarkCatchup writes b.N messages while the receiver is down and
// times the receiver's catch-up after it restarts.
func BenchmarkCatchup(b *testing.B) {
	env := newEnv(b)
	ctx := context.Background()
	b.StopTimer()
	if _, err := env.PrepareBacklog(ctx, b.N, 32); err != nil {
		b.Fatal(err)
	}
	b.StartTimer()
	d, _, err := env.CatchUp(ctx)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/d.Seconds(), "entries/s")
}

// BenchmarkIdleRSS builds the hotline command, serves a node holding
// max(b.N, 1000) messages with it and reports its settled resident memory.
// It takes a few seconds whatever b.N is.
func BenchmarkIdleRSS(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("reads /proc")
	}
	bin, err := hotlinebin.Build(context.Background(), b.TempDir(), false)
	if err != nil {
		b.Skipf("cannot build the hotline command: %v", err)
	}
	env := newEnv(b)
	ctx := context.Background()
	if _, err := env.Throughput(ctx, max(b.N, 1000), 32); err != nil {
		b.Fatal(err)
	}
	if err := env.StopA(ctx); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	m, err := bench.IdleRSS(ctx, bin, env.Dirs[0])
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(m.RSS)/(1<<20), "rss-MB")
}

func TestSummarize(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	d := bench.Summarize(ds)
	if d.Samples != 100 || d.P50 != 50 || d.P99 != 99 || d.Max != 100 {
		t.Fatalf("Summarize = %+v, want 100 samples, p50 50, p99 99, max 100", d)
	}
	if d := bench.Summarize([]time.Duration{3 * time.Millisecond}); d.P50 != 3 || d.P99 != 3 {
		t.Fatalf("one sample: %+v", d)
	}
}

// TestRunSmall runs every phase but the child process at a tiny scale: the
// harness itself must work, whatever the numbers.
func TestRunSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two real nodes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	r, err := bench.Run(ctx, bench.Config{
		Samples: 10, Messages: 100, Senders: 8, Backlog: 150, Parties: 3, Crisis: 2, Dir: t.TempDir(),
		Phases: []string{bench.PhaseFloor, bench.PhaseLatency, bench.PhaseSporadic, bench.PhaseFlash,
			bench.PhaseThroughput, bench.PhaseCatchup, bench.PhaseFanOut},
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Floor == nil || r.Floor.Total.Samples != 10 || r.Floor.Total.P50 <= 0 || r.Floor.Fsync.Samples != 20 {
		t.Errorf("floor: %+v", r.Floor)
	}
	if r.Latency == nil || r.Latency.Samples != 10 || r.Latency.P50 <= 0 {
		t.Errorf("latency: %+v", r.Latency)
	}
	if r.Sporadic == nil || r.Sporadic.Samples != 2 || r.Sporadic.P50 <= 0 {
		t.Errorf("sporadic: %+v", r.Sporadic)
	}
	if r.SporadicFloor == nil || r.SporadicFloor.Samples != 2 || r.SporadicFloor.P50 <= 0 {
		t.Errorf("floor after silence: %+v", r.SporadicFloor)
	}
	if r.Flash == nil || r.Flash.Samples != 2 || r.Flash.P50 <= 0 {
		t.Errorf("FLASH to alarm: %+v", r.Flash)
	}
	if r.FanOut == nil || r.FanOut.Parties != 3 || r.FanOut.Samples != 2 || r.FanOut.P50 <= 0 {
		t.Errorf("fan-out: %+v", r.FanOut)
	}
	if r.Throughput == nil || r.Throughput.Messages != 100 || r.Throughput.PerSecond <= 0 {
		t.Errorf("throughput: %+v", r.Throughput)
	}
	// The log holds the charter, the latency, sporadic, FLASH and
	// throughput messages and the backlog.
	if r.Catchup == nil || r.Catchup.LogSize != 1+10+2+2+100+150 || r.Catchup.Seconds <= 0 {
		t.Errorf("catch-up: %+v", r.Catchup)
	}
	if len(r.Checks) != 12 {
		t.Errorf("checks: %+v", r.Checks)
	}
	var out bytes.Buffer
	r.Print(&out)
	for _, want := range []string{"floor p50", "send→cosignature p99", "sporadic (after 1s silence) p50",
		"floor after 1s silence p50", "sporadic p50 / floor after silence", "FLASH send→alarm p99", "fan-out to 2, all cosigned p50", "sustained throughput", "catch-up of 150 entries"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	if _, err := json.Marshal(r); err != nil {
		t.Fatal(err)
	}
}
