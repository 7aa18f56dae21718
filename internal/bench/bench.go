// Package bench measures a hotline line end to end: two real nodes on
// loopback, each served as in production (mutual-TLS 1.3 direct route,
// SQLite in WAL mode with synchronous=FULL, so every commit is fsynced),
// against the floor measured on the same machine in the same run. It backs
// "hotline bench" and the Go benchmarks beside it.
//
// What is measured:
//
//   - the floor: one fsync on each side plus a bare HTTP/2 mutual-TLS 1.3
//     round trip of a small body, on loopback, with the direct route's
//     client and key pinning;
//   - send→cosignature latency: single sends one at a time, from the
//     Send call to the moment the sender holds the receiver's cosignature
//     covering the message (a delivery receipt);
//   - sporadic messages: the same, each after a second of silence, as on
//     a real line, beside the floor after the same silence;
//   - FLASH to alarm: a FLASH sent at A until B's escalation engine holds
//     the alarm about it open;
//   - sustained throughput: many concurrent senders, until every message
//     is cosigned;
//   - catch-up: a backlog written while the receiver is down, from the
//     receiver's restart until the sender holds a receipt for all of it;
//   - fan-out: one sender and N-1 receivers on a line of their own, until
//     the sender holds every receiver's cosignature;
//   - idle memory: a real "hotline serve" process over the log that is left.
package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"time"
)

// Phases of a run, in the order they run.
const (
	PhaseFloor      = "floor"
	PhaseLatency    = "latency"
	PhaseSporadic   = "sporadic"
	PhaseFlash      = "flash"
	PhaseThroughput = "throughput"
	PhaseCatchup    = "catchup"
	PhaseFanOut     = "fanout"
	PhaseRSS        = "rss"
)

// AllPhases lists every phase.
var AllPhases = []string{PhaseFloor, PhaseLatency, PhaseSporadic, PhaseFlash, PhaseThroughput, PhaseCatchup, PhaseFanOut, PhaseRSS}

// Targets from the product specification.
const (
	TargetLatencyRatio = 2.0                   // send→cosignature p50 within 2× the floor p50
	TargetLatencyP99   = 10 * time.Millisecond // send→cosignature p99
	TargetThroughput   = 5000.0                // messages per second, all cosigned
	TargetCatchup      = 10 * time.Second      // per 100,000 entries of backlog
	TargetCatchupSize  = 100_000
	TargetRSS          = 50 << 20        // bytes, idle node
	TargetStop         = 2 * time.Second // SIGTERM to exit, whatever serve is doing
)

// Config is what to run.
type Config struct {
	Samples    int      // latency samples, for the floor and for send→cosignature
	Messages   int      // messages in the sustained-throughput phase
	Senders    int      // concurrent senders (throughput and writing the backlog)
	Backlog    int      // entries written while the receiver is down
	Parties    int      // parties of the fan-out line: one sender, the others receive
	Crisis     int      // samples of the sporadic, FLASH-to-alarm and fan-out phases
	Phases     []string // nil: all
	Dir        string   // where the data directories go (a new directory is made inside)
	Keep       bool     // keep the data directories
	Binary     string   // the hotline binary, for the idle-memory phase; "" skips it
	CPUProfile string   // if set, one CPU profile per measured phase: CPUProfile-PHASE.pprof
	Progress   io.Writer
	Log        *slog.Logger
}

// Defaults fills the zero fields of c.
func (c *Config) Defaults() {
	if c.Samples <= 0 {
		c.Samples = 1000
	}
	if c.Messages <= 0 {
		c.Messages = 20_000
	}
	if c.Senders <= 0 {
		c.Senders = 32
	}
	if c.Backlog <= 0 {
		c.Backlog = TargetCatchupSize
	}
	if c.Parties <= 0 {
		c.Parties = 4
	}
	if c.Crisis <= 0 {
		// Each sporadic sample costs a second of silence.
		c.Crisis = 20
	}
	if c.Phases == nil {
		c.Phases = AllPhases
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
}

// Dist summarizes latency samples, in milliseconds.
type Dist struct {
	Samples int     `json:"samples"`
	P50     float64 `json:"p50_ms"`
	P99     float64 `json:"p99_ms"`
	Max     float64 `json:"max_ms"`
}

// Summarize computes nearest-rank percentiles.
func Summarize(ds []time.Duration) Dist {
	if len(ds) == 0 {
		return Dist{}
	}
	s := slices.Sorted(slices.Values(ds))
	q := func(p float64) float64 {
		i := int(p*float64(len(s))+0.999999) - 1
		return ms(s[max(0, min(i, len(s)-1))])
	}
	return Dist{Samples: len(s), P50: q(0.50), P99: q(0.99), Max: ms(s[len(s)-1])}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Result is the outcome of a run. Phases that did not run are nil.
type Result struct {
	Machine  Machine    `json:"machine"`
	Floor    *FloorDist `json:"floor,omitempty"`
	Latency  *Latency   `json:"send_cosign,omitempty"`
	Sporadic *Dist      `json:"sporadic,omitempty"`
	// SporadicFloor is the floor after each second of silence: what the
	// machine charges the first exchange after a quiet second.
	SporadicFloor *Dist       `json:"sporadic_floor,omitempty"`
	Flash         *Dist       `json:"flash_alarm,omitempty"`
	Throughput    *Throughput `json:"throughput,omitempty"`
	Catchup       *Catchup    `json:"catchup,omitempty"`
	FanOut        *FanOutDist `json:"fan_out,omitempty"`
	Memory        *IdleMemory `json:"idle_memory,omitempty"`
	Checks        []Check     `json:"checks"`
}

// FloorDist summarizes the floor.
type FloorDist struct {
	Total Dist `json:"total"` // fsync A + round trip + fsync B
	RTT   Dist `json:"rtt"`   // the mutual-TLS round trip alone
	Fsync Dist `json:"fsync"` // one fsync
	CPU   CPU  `json:"cpu"`
}

// Latency is the send→cosignature phase.
type Latency struct {
	Dist
	CPU CPU `json:"cpu"`
}

// Throughput is the sustained-throughput phase.
type Throughput struct {
	Messages  int     `json:"messages"`
	Senders   int     `json:"senders"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"msgs_per_s"`
	CPU       CPU     `json:"cpu"`
}

// Catchup is the catch-up phase.
type Catchup struct {
	Backlog      int     `json:"backlog"`
	LogSize      uint64  `json:"log_size"`
	WriteSeconds float64 `json:"write_seconds"` // writing the backlog (not part of the catch-up)
	Seconds      float64 `json:"seconds"`
	PerSecond    float64 `json:"entries_per_s"`
	CPU          CPU     `json:"cpu"`
}

// IdleMemory is the idle-memory phase.
type IdleMemory struct {
	LogSize uint64  `json:"log_size"`
	RSSMB   float64 `json:"rss_mb"`
	PeakMB  float64 `json:"peak_mb"`
	StopMS  float64 `json:"stop_ms"` // from SIGTERM to the process's exit
}

// Check is one target of the specification and whether the run met it.
type Check struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Target string `json:"target"`
	Ratio  string `json:"vs_floor,omitempty"`
	Met    bool   `json:"met"`
	NA     bool   `json:"not_judged,omitempty"` // the floor did not run, so the ratio is unknown
	// MeasureOnly marks a measure the specification sets no target for.
	MeasureOnly bool `json:"measure_only,omitempty"`
}

// Run runs the configured phases on a fresh pair of nodes.
func Run(ctx context.Context, c Config) (*Result, error) {
	c.Defaults()
	root, err := os.MkdirTemp(c.Dir, "hotline-bench-")
	if err != nil {
		return nil, err
	}
	if !c.Keep {
		defer os.RemoveAll(root)
	}
	r := &Result{Machine: Describe(root)}
	has := func(p string) bool { return slices.Contains(c.Phases, p) }
	say := func(f string, a ...any) { fmt.Fprintf(c.Progress, "bench: "+f+"\n", a...) }

	say("pairing two nodes in %s", root)
	env, err := NewEnv(ctx, root, c.Log)
	if err != nil {
		return nil, fmt.Errorf("set up the line: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		env.Close(cctx)
	}()
	profile := func(phase string) (stop func(), err error) {
		if c.CPUProfile == "" {
			return func() {}, nil
		}
		f, err := os.Create(c.CPUProfile + "-" + phase + ".pprof")
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, err
		}
		return func() { pprof.StopCPUProfile(); f.Close() }, nil
	}

	if has(PhaseFloor) {
		say("floor: %d samples of fsync + mutual-TLS 1.3 round trip + fsync", c.Samples)
		stop, err := profile(PhaseFloor)
		if err != nil {
			return nil, err
		}
		m := markCPU()
		s, err := Floor(ctx, env.Dirs, c.Samples)
		stop()
		if err != nil {
			return nil, err
		}
		r.Floor = &FloorDist{Total: Summarize(s.Total), RTT: Summarize(s.RTT), Fsync: Summarize(s.Fsync), CPU: m.since(c.Samples)}
	}
	if has(PhaseLatency) {
		say("send→cosignature: %d single sends, one at a time", c.Samples)
		stop, err := profile(PhaseLatency)
		if err != nil {
			return nil, err
		}
		m := markCPU()
		lat, err := env.SendCosign(ctx, c.Samples)
		stop()
		if err != nil {
			return nil, err
		}
		r.Latency = &Latency{Dist: Summarize(lat), CPU: m.since(c.Samples)}
	}
	crisis := func(run func(context.Context, int) ([]time.Duration, error)) (*Dist, error) {
		lat, err := run(ctx, c.Crisis)
		if err != nil {
			return nil, err
		}
		d := Summarize(lat)
		return &d, nil
	}
	if has(PhaseSporadic) {
		say("sporadic: %d single sends, each after %v of silence", c.Crisis, Silence)
		if r.Sporadic, err = crisis(env.Sporadic); err != nil {
			return nil, err
		}
		say("floor after silence: %d samples, each after %v of silence", c.Crisis, Silence)
		s, err := SporadicFloor(ctx, env.Dirs, c.Crisis)
		if err != nil {
			return nil, err
		}
		d := Summarize(s.Total)
		r.SporadicFloor = &d
	}
	if has(PhaseFlash) {
		say("FLASH to alarm: %d FLASHes from %s, each until %s's engine raises the alarm", c.Crisis, Parties[0].Slug, env.peer())
		if r.Flash, err = crisis(env.FlashAlarm); err != nil {
			return nil, err
		}
	}
	if has(PhaseThroughput) {
		say("throughput: %d messages from %d concurrent senders", c.Messages, c.Senders)
		stop, err := profile(PhaseThroughput)
		if err != nil {
			return nil, err
		}
		m := markCPU()
		d, err := env.Throughput(ctx, c.Messages, c.Senders)
		stop()
		if err != nil {
			return nil, err
		}
		r.Throughput = &Throughput{Messages: c.Messages, Senders: c.Senders, Seconds: d.Seconds(),
			PerSecond: float64(c.Messages) / d.Seconds(), CPU: m.since(c.Messages)}
	}
	if has(PhaseCatchup) {
		say("catch-up: writing a backlog of %d messages while %s is down", c.Backlog, env.peer())
		w, err := env.PrepareBacklog(ctx, c.Backlog, c.Senders)
		if err != nil {
			return nil, err
		}
		say("catch-up: backlog written in %.1f s; restarting %s", w.Seconds(), env.peer())
		stop, err := profile(PhaseCatchup)
		if err != nil {
			return nil, err
		}
		m := markCPU()
		d, size, err := env.CatchUp(ctx)
		stop()
		if err != nil {
			return nil, err
		}
		r.Catchup = &Catchup{Backlog: c.Backlog, LogSize: size, WriteSeconds: w.Seconds(), Seconds: d.Seconds(),
			PerSecond: float64(c.Backlog) / d.Seconds(), CPU: m.since(c.Backlog)}
	}
	if has(PhaseFanOut) {
		say("fan-out: %d single sends to %d receivers", c.Crisis, c.Parties-1)
		lat, err := FanOut(ctx, filepath.Join(root, "fan-out"), c.Parties, c.Crisis, c.Log)
		if err != nil {
			return nil, fmt.Errorf("fan-out: %w", err)
		}
		r.FanOut = &FanOutDist{Parties: c.Parties, Dist: Summarize(lat)}
	}
	if has(PhaseRSS) && c.Binary != "" {
		size, err := env.logSize()
		if err != nil {
			return nil, err
		}
		say("idle memory: hotline serve over a log of %d entries", size)
		if err := env.StopA(ctx); err != nil {
			return nil, err
		}
		m, err := IdleRSS(ctx, c.Binary, env.Dirs[0])
		if err != nil {
			return nil, err
		}
		r.Memory = &IdleMemory{LogSize: size, RSSMB: mb(m.RSS), PeakMB: mb(m.Peak), StopMS: ms(m.Stop)}
	}
	r.Checks = r.check()
	return r, nil
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }

// otherLoad is the most cores other processes kept busy during any phase.
func (r *Result) otherLoad() float64 {
	var m float64
	if r.Floor != nil {
		m = max(m, r.Floor.CPU.OtherCores)
	}
	if r.Latency != nil {
		m = max(m, r.Latency.CPU.OtherCores)
	}
	if r.Throughput != nil {
		m = max(m, r.Throughput.CPU.OtherCores)
	}
	if r.Catchup != nil {
		m = max(m, r.Catchup.CPU.OtherCores)
	}
	return m
}

func (r *Result) check() []Check {
	var cs []Check
	if l := r.Latency; l != nil {
		cs = append(cs, r.latencyChecks("send→cosignature", l.Dist)...)
	}
	cs = append(cs, r.crisisChecks()...)
	if t := r.Throughput; t != nil {
		cs = append(cs, Check{Name: "sustained throughput", Value: fmt.Sprintf("%.0f msgs/s", t.PerSecond),
			Target: fmt.Sprintf("≥ %.0f msgs/s", TargetThroughput), Met: t.PerSecond >= TargetThroughput})
	}
	if c := r.Catchup; c != nil {
		limit := TargetCatchup * time.Duration(c.Backlog) / TargetCatchupSize
		tgt := fmt.Sprintf("≤ %.0f s", limit.Seconds())
		if c.Backlog != TargetCatchupSize {
			tgt = fmt.Sprintf("≤ %.1f s (10 s per 100k)", limit.Seconds())
		}
		cs = append(cs, Check{Name: fmt.Sprintf("catch-up of %d entries", c.Backlog), Value: fmt.Sprintf("%.2f s", c.Seconds),
			Target: tgt, Met: c.Seconds <= limit.Seconds()})
	}
	if m := r.Memory; m != nil {
		cs = append(cs, Check{Name: "idle RSS", Value: fmt.Sprintf("%.1f MB", m.RSSMB),
			Target: fmt.Sprintf("≤ %d MB", TargetRSS>>20), Met: m.RSSMB <= mb(TargetRSS)})
		cs = append(cs, Check{Name: "SIGTERM to exit", Value: fmt.Sprintf("%.0f ms", m.StopMS),
			Target: fmt.Sprintf("≤ %.0f s", TargetStop.Seconds()), Met: m.StopMS <= ms(TargetStop)})
	}
	return cs
}

// latencyChecks judges send→cosignature samples against the latency
// targets: p50 within TargetLatencyRatio of the floor, p99 within
// TargetLatencyP99.
func (r *Result) latencyChecks(name string, l Dist) []Check {
	c := Check{Name: name + " p50", Value: fmt.Sprintf("%.2f ms", l.P50),
		Target: fmt.Sprintf("≤ %.0f× floor", TargetLatencyRatio)}
	if r.Floor != nil {
		ratio := l.P50 / r.Floor.Total.P50
		c.Ratio = fmt.Sprintf("%.2f×", ratio)
		c.Met = ratio <= TargetLatencyRatio
		c.Target = fmt.Sprintf("≤ %.2f ms (%.0f× floor)", TargetLatencyRatio*r.Floor.Total.P50, TargetLatencyRatio)
	} else {
		c.NA = true
	}
	p99 := Check{Name: name + " p99", Value: fmt.Sprintf("%.2f ms", l.P99),
		Target: fmt.Sprintf("≤ %.0f ms", ms(TargetLatencyP99)), Met: l.P99 <= ms(TargetLatencyP99)}
	p99.Ratio = r.vsFloor(l.P99, true)
	return []Check{c, p99}
}

// vsFloor is v as a multiple of the floor's p50 (or p99), "" without a
// floor.
func (r *Result) vsFloor(v float64, p99 bool) string {
	if r.Floor == nil {
		return ""
	}
	f := r.Floor.Total.P50
	if p99 {
		f = r.Floor.Total.P99
	}
	return fmt.Sprintf("%.2f×", v/f)
}

// Met reports whether every check that ran was met.
func (r *Result) Met() bool {
	for _, c := range r.Checks {
		if !c.Met && !c.NA && !c.MeasureOnly {
			return false
		}
	}
	return true
}

// Print writes the result as a table.
func (r *Result) Print(w io.Writer) {
	m := r.Machine
	fmt.Fprintf(w, "machine     %s, %d cores (GOMAXPROCS %d), %s %s, kernel %s\n", m.CPU, m.Cores, m.GOMAXPROCS, m.Go, m.OS, m.Kernel)
	fmt.Fprintf(w, "data        %s on %s\n\n", m.Dir, m.Filesystem)
	row := func(a, b, c, d, e string) {
		fmt.Fprintln(w, strings.TrimRight(fmt.Sprintf("%-34s %14s  %-24s %9s  %s", a, b, c, d, e), " "))
	}
	row("measure", "value", "target", "vs floor", "met")
	row("-------", "-----", "------", "--------", "---")
	if f := r.Floor; f != nil {
		row("floor p50 (fsync+mTLS RTT+fsync)", fmt.Sprintf("%.2f ms", f.Total.P50), "", "1.00×", "")
		row("floor p99", fmt.Sprintf("%.2f ms", f.Total.P99), "", "", "")
		row("  mTLS 1.3 HTTP/2 round trip p50", fmt.Sprintf("%.2f ms", f.RTT.P50), "", "", "")
		row("  mTLS 1.3 HTTP/2 round trip p99", fmt.Sprintf("%.2f ms", f.RTT.P99), "", "", "")
		row("  fsync p50", fmt.Sprintf("%.2f ms", f.Fsync.P50), "", "", "")
		row("  fsync p99", fmt.Sprintf("%.2f ms", f.Fsync.P99), "", "", "")
	}
	for _, c := range r.Checks {
		met := "NO"
		if c.Met {
			met = "yes"
		}
		if c.NA {
			met = "n/a (no floor)"
		}
		if c.MeasureOnly {
			met = ""
		}
		row(c.Name, c.Value, c.Target, c.Ratio, met)
	}
	cpuRow := func(phase, per string, c CPU) {
		fmt.Fprintf(w, "  %-12s %8.2f s %12.0f µs/%-8s %9.2f\n", phase, c.Seconds, c.PerItemUs, per, c.OtherCores)
	}
	fmt.Fprintf(w, "\nCPU time of this process (both nodes) per phase, and the cores other processes kept busy meanwhile:\n")
	fmt.Fprintf(w, "  %-12s %10s %23s %9s\n", "phase", "cpu", "cpu per item", "others")
	if f := r.Floor; f != nil {
		cpuRow("floor", "sample", f.CPU)
	}
	if l := r.Latency; l != nil {
		cpuRow("latency", "message", l.CPU)
	}
	if t := r.Throughput; t != nil {
		cpuRow("throughput", "message", t.CPU)
	}
	if c := r.Catchup; c != nil {
		cpuRow("catch-up", "entry", c.CPU)
	}
	if busy := r.otherLoad(); busy > 0.25 {
		fmt.Fprintf(w, "\nwarning: other processes kept up to %.1f of %d cores busy during the run; the numbers above understate this machine\n", busy, r.Machine.Cores)
	}
	if t := r.Throughput; t != nil {
		fmt.Fprintf(w, "\nthroughput: %d messages from %d senders, all cosigned in %.2f s\n", t.Messages, t.Senders, t.Seconds)
	}
	if c := r.Catchup; c != nil {
		fmt.Fprintf(w, "catch-up: %d entries (%.0f entries/s) after the receiver restarts; log size %d; writing the backlog took %.1f s\n",
			c.Backlog, c.PerSecond, c.LogSize, c.WriteSeconds)
	}
	if m := r.Memory; m != nil {
		fmt.Fprintf(w, "idle memory: hotline serve over a log of %d entries: VmRSS %.1f MB, peak (VmHWM) %.1f MB; exited %.0f ms after SIGTERM\n",
			m.LogSize, m.RSSMB, m.PeakMB, m.StopMS)
	}
}
