// Package soak is the kill soak: on a [cluster.Cluster] of two real
// hotline processes it SIGKILLs and restarts the serve processes at random
// points of a continuous stream of "hotline send" from both sides
// ([Chaos]), and checks with its ledger that every accepted send arrived
// exactly once, in its author's order, and was cosigned.
//
// The end-to-end tests in internal/e2e and the soak command
// (go run ./cmd/hotline-soak) are built on it.
package soak

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hotline-line/hotline/internal/cluster"
)

// Options shape a run of Chaos.
type Options struct {
	Cycles   int           // kill cycles to run; 0: until Duration
	Duration time.Duration // stop starting cycles after this long; 0: until Cycles
	Workers  int           // concurrent "hotline send" loops per party (default 3)
	// A kill comes after 0..MaxBefore more accepted sends (default 30), and
	// the victim stays down for 0..MaxDown more (default 15). Kill moments
	// are counted in messages, not in wall time, so they land at random
	// points of the send stream on a fast machine and on a slow one.
	MaxBefore, MaxDown int
	// Every LongDownEvery-th cycle (0: never) the victim stays down for up
	// to ten times MaxDown accepted sends, so that it comes back to a
	// backlog that takes several exchanges to catch up, and may be killed
	// again in the middle of catching up.
	LongDownEvery int
	BothEvery     int             // every BothEvery-th cycle kills both serves at once (0: never)
	VerifyEvery   int             // pause the senders and check everything every VerifyEvery cycles (0: only at the end)
	CheckOutbox   bool            // also check each sender's outbox and ladder at the end (costly on big logs)
	Converge      time.Duration   // how long the line may take to converge (default 120s)
	Progress      time.Duration   // how long to wait for the senders to make progress (default 60s)
	Rate          float64         // accepted sends per second per party at most (0: as fast as they go)
	Seed          uint64          // 0: random
	Stop          <-chan struct{} // when closed, no new cycle starts (like Duration elapsing)
	Logf          func(format string, args ...any)
}

// Report is what a run of Chaos saw.
type Report struct {
	Seed        uint64
	Cycles      int
	Kills       int
	Accepted    [2]int // sends that printed an ID, by author
	Failed      int    // sends that failed (node restarting, lock held, killed mid-send)
	FailReasons map[string]int
	Delivered   [2]int // accepted sends found on the other party, by author
	Received    [2]int // distinct messages each party received
	Duplicates  int
	Unknown     int
	MaxDelay    time.Duration // worst time from writing a message to its arrival at the peer, downtime included
	MaxDelayID  string
	Checks      int // convergence checkpoints passed
	Elapsed     time.Duration
	Violations  Violations
}

func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d, %v, %d kill cycles, %d kills, %d checkpoints\n", r.Seed, r.Elapsed.Round(time.Millisecond), r.Cycles, r.Kills, r.Checks)
	for i := range 2 {
		fmt.Fprintf(&b, "%-8s sent (accepted) %6d, delivered to %s %6d; received %6d\n",
			cluster.Parties[i].Slug, r.Accepted[i], cluster.Parties[1-i].Slug, r.Delivered[i], r.Received[1-i])
	}
	fmt.Fprintf(&b, "failed sends (retried) %d", r.Failed)
	reasons := make([]string, 0, len(r.FailReasons))
	for k := range r.FailReasons {
		reasons = append(reasons, k)
	}
	sort.Slice(reasons, func(i, j int) bool { return r.FailReasons[reasons[i]] > r.FailReasons[reasons[j]] })
	for i, k := range reasons {
		if i == 5 {
			break
		}
		fmt.Fprintf(&b, "\n    %5d × %s", r.FailReasons[k], k)
	}
	fmt.Fprintf(&b, "\nduplicates seen %d, unknown messages %d, violations %d\n", r.Duplicates, r.Unknown, r.Violations.Len())
	fmt.Fprintf(&b, "worst delivery delay %v (%s; written to received, including any time a serve was down)", r.MaxDelay.Round(time.Millisecond), r.MaxDelayID)
	return b.String()
}

// gate lets senders run, or holds them while the line is checked.
type gate struct {
	mu      sync.RWMutex
	stopped bool
}

// Chaos runs the kill/restart loop on c: Workers senders per party send
// without pause through "hotline send" (to the running serve, or offline
// into the data directory when the serve is down), while the serve
// processes are SIGKILLed in turn at random moments and restarted. Sends
// that fail are retried as new attempts. At each checkpoint, and at the
// end after a clean restart of both serves, it waits for the line to
// converge and checks that every accepted send arrived exactly once, in
// order, and is cosigned. Both serves must be up when it is called; both
// are up when it returns without error.
//
// The error is non-nil if the harness could not go on (a serve would not
// start, the senders made no progress, the line did not converge) or if
// any invariant was violated; the report is always returned.
func Chaos(ctx context.Context, c *cluster.Cluster, opts Options) (*Report, error) {
	if opts.Workers <= 0 {
		opts.Workers = 3
	}
	if opts.MaxBefore <= 0 {
		opts.MaxBefore = 30
	}
	if opts.MaxDown < 0 {
		opts.MaxDown = 0
	} else if opts.MaxDown == 0 {
		opts.MaxDown = 15
	}
	if opts.Converge <= 0 {
		opts.Converge = 120 * time.Second
	}
	if opts.Progress <= 0 {
		opts.Progress = 60 * time.Second
	}
	if opts.Seed == 0 {
		opts.Seed = rand.Uint64()
	}
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	rng := rand.New(rand.NewPCG(opts.Seed, opts.Seed>>1|1))
	rep := &Report{Seed: opts.Seed, FailReasons: map[string]int{}}
	start := time.Now()
	ledger := NewLedger()
	recv := [2]*Receiver{NewReceiver(0, 1), NewReceiver(1, 0)}

	sendCtx, stopSends := context.WithCancel(ctx)
	defer stopSends()
	var g gate
	var wg sync.WaitGroup
	var failMu sync.Mutex
	for p := range 2 {
		pace := newPacer(opts.Rate)
		for w := range opts.Workers {
			wg.Go(func() {
				sender(sendCtx, c.Parties[p], p, w, ledger, &g, pace, func(err error) {
					failMu.Lock()
					rep.FailReasons[reason(err)]++
					failMu.Unlock()
				})
			})
		}
	}
	stop := func() {
		g.mu.Lock()
		g.stopped = true
		g.mu.Unlock()
		stopSends()
		wg.Wait()
	}
	finish := func(err error) (*Report, error) {
		stop()
		acc, failed := ledger.Counts()
		rep.Accepted, rep.Failed = acc, failed
		rep.Elapsed = time.Since(start)
		rep.Kills = c.Parties[0].Kills() + c.Parties[1].Kills()
		for _, r := range recv {
			rep.Received[r.To] = r.Count()
			rep.Duplicates += r.Duplicates
			rep.Unknown += r.Unknown
			if r.MaxDelay > rep.MaxDelay {
				rep.MaxDelay, rep.MaxDelayID = r.MaxDelay, r.MaxDelayID
			}
		}
		if err == nil {
			for _, p := range c.LogProblems() {
				rep.Violations.Addf("%s", p)
			}
			err = rep.Violations.Err()
		}
		return rep, err
	}
	checkpoint := func(final bool) error {
		sz, err := c.WaitConverged(ctx, opts.Converge)
		if err != nil {
			return err
		}
		total := sz.Log[0] + sz.Log[1]
		for _, r := range recv {
			if err := r.Read(ctx, c, sz.Log[r.Author], total, ledger, &rep.Violations); err != nil {
				return err
			}
			rep.Delivered[r.Author] = r.CheckDelivered(ledger, sz.Log[r.Author], &rep.Violations)
			if final && opts.CheckOutbox {
				out, err := c.Parties[r.Author].Outbox(ctx, int(total)+8)
				if err != nil {
					return err
				}
				r.CheckOutbox(out, ledger, &rep.Violations)
			}
		}
		rep.Checks++
		logf("checkpoint %d: %s; %d violations so far", rep.Checks, sz, rep.Violations.Len())
		return nil
	}

	for cycle := 0; ; cycle++ {
		if opts.Cycles > 0 && cycle >= opts.Cycles || opts.Duration > 0 && time.Since(start) >= opts.Duration || closed(opts.Stop) {
			break
		}
		if err := ctx.Err(); err != nil {
			return finish(err)
		}
		victims := []*cluster.Party{c.Parties[cycle%2]}
		if opts.BothEvery > 0 && (cycle+1)%opts.BothEvery == 0 {
			victims = c.Parties[:]
		}
		before, down := rng.IntN(opts.MaxBefore+1), rng.IntN(opts.MaxDown+1)
		if opts.LongDownEvery > 0 && (cycle+1)%opts.LongDownEvery == 0 {
			down = 5*opts.MaxDown + rng.IntN(5*opts.MaxDown+1)
		}
		got, _ := ledger.Accepted()
		if err := ledger.WaitAccepted(ctx, got+before, opts.Progress); err != nil {
			return finish(fmt.Errorf("cycle %d, before the kill: %w", cycle, err))
		}
		for _, v := range victims {
			if err := v.Kill(); err != nil {
				return finish(fmt.Errorf("cycle %d: %w", cycle, err))
			}
		}
		killed := time.Now()
		got, _ = ledger.Accepted()
		if err := ledger.WaitAccepted(ctx, got+down, opts.Progress); err != nil {
			return finish(fmt.Errorf("cycle %d, %s down: %w", cycle, names(victims), err))
		}
		for _, v := range victims {
			if err := v.Start(ctx); err != nil {
				return finish(fmt.Errorf("cycle %d: %w", cycle, err))
			}
		}
		rep.Cycles++
		acc, failed := ledger.Counts()
		logf("cycle %d: killed %s after +%d accepted, restarted after +%d (down %v); accepted %d+%d, failed %d",
			cycle, names(victims), before, down, time.Since(killed).Round(time.Millisecond), acc[0], acc[1], failed)
		if opts.VerifyEvery > 0 && (cycle+1)%opts.VerifyEvery == 0 {
			g.mu.Lock()
			err := checkpoint(false)
			g.mu.Unlock()
			if err != nil {
				return finish(err)
			}
		}
	}
	stop()
	// Restart everything cleanly: a graceful stop must not hang, and a
	// fresh start must pick up every queued entry and receipt.
	for _, n := range c.Parties {
		if err := n.Stop(); err != nil {
			return finish(err)
		}
	}
	for _, n := range c.Parties {
		if err := n.Start(ctx); err != nil {
			return finish(err)
		}
	}
	return finish(checkpoint(true))
}

func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// pacer spaces the sends of one party's workers to a rate.
type pacer struct {
	mu    sync.Mutex
	every time.Duration
	next  time.Time
}

func newPacer(rate float64) *pacer {
	if rate <= 0 {
		return nil
	}
	return &pacer{every: time.Duration(float64(time.Second) / rate)}
}

// wait blocks until the next send slot.
func (p *pacer) wait(ctx context.Context) error {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	now := time.Now()
	if p.next.Before(now) {
		p.next = now
	}
	at := p.next
	p.next = p.next.Add(p.every)
	p.mu.Unlock()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Until(at)):
		return nil
	}
}

func names(ns []*cluster.Party) string {
	var s []string
	for _, n := range ns {
		s = append(s, n.Slug)
	}
	return strings.Join(s, "+")
}

// sender sends sequence numbers 1, 2, ... as worker w of party p until ctx
// ends, retrying each failed send as a new attempt.
func sender(ctx context.Context, n *cluster.Party, p, w int, l *Ledger, g *gate, pace *pacer, failed func(error)) {
	for seq := 1; ; seq++ {
		if pace.wait(ctx) != nil {
			return
		}
		for try := 1; ; try++ {
			g.mu.RLock()
			if g.stopped {
				g.mu.RUnlock()
				return
			}
			a := l.Begin(p, w, seq, try)
			id, err := n.Send(ctx, "", a.Text)
			l.End(a, id, err)
			g.mu.RUnlock()
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				return
			}
			failed(err)
			// A node whose serve is down is opened by each offline send in
			// turn; a short random pause spreads the contenders out.
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Duration(5+rand.IntN(30)) * time.Millisecond):
			}
		}
	}
}

var (
	errLine = regexp.MustCompile(`hotline: error: ([^\n]*)`)
	noise   = regexp.MustCompile(`/[^ :]*|\d+`)
)

// reason reduces a failed send to a short category for the report.
func reason(err error) string {
	var ce *cluster.CommandError
	if errors.As(err, &ce) {
		if m := errLine.FindStringSubmatch(ce.Stderr); m != nil {
			s := noise.ReplaceAllString(m[1], "…")
			if len(s) > 100 {
				s = s[:100]
			}
			return s
		}
		return ce.Err.Error()
	}
	return err.Error()
}
