package faults

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hotline-line/hotline/internal/cluster"
	"github.com/hotline-line/hotline/internal/control"
	"github.com/hotline-line/hotline/internal/faultproxy"
)

// SoakOptions configure Soak.
type SoakOptions struct {
	Bin, Root string
	Duration  time.Duration // how long faults are injected
	Seed      uint64        // of the fault schedule and the traffic
	SendGap   time.Duration // mean time between two sends of one party (default 250ms)
	Logf      func(format string, args ...any)
}

// The kinds of fault a soak injects: every fault of the suite but the
// full disk.
var soakFaults = []string{
	"direct-blackhole", "direct-refuse", "direct-lossy",
	"relay-blackhole", "relay-refuse", "all-blackhole",
	"peer-kill", "relay-kill", "clock-skew",
}

// SoakReport is what a soak measured.
type SoakReport struct {
	Seed         uint64
	Ran          time.Duration    // faults were injected this long
	Sent         map[string]int   // accepted messages (send printed an ID), by author
	SendFailures int              // sends that printed no ID (the node was being killed)
	Delivered    int              // accepted messages found exactly once, in order, in the peer's inbox
	Faults       map[string]int   // faults injected, by kind
	Delays       []time.Duration  // send to receipt, for every accepted message
	Worst        Delay            // the longest of them
	WorstByPrec  map[string]Delay // the longest by precedence
	Settle       time.Duration    // from the final heal until both sides agreed
	Relay        RelayCounts      // what the relay carried
	Proxies      map[string]faultproxy.Stats
	Violations   error // the invariants that failed, if any
}

// Delay is the delivery delay of one message.
type Delay struct {
	ID, Precedence string
	Took           time.Duration
	During         string // the fault being injected when it was sent ("" for none)
}

// RelayCounts are counted from the relay's debug log. Parcels handed out
// again are the duplicates the relay route makes (a node killed or a
// connection cut between fetch and acknowledgement); the node must take
// them as old news.
type RelayCounts struct {
	Puts      int // parcels left in a mailbox
	Fetched   int // parcels handed out to their recipient
	Refetched int // parcels handed out again after an earlier fetch
}

// Soak runs a line through random faults for o.Duration while both sides
// send messages of random precedence, then heals everything, waits for
// the line to settle, and checks the invariants.
func Soak(ctx context.Context, o SoakOptions) (*SoakReport, error) {
	if o.SendGap <= 0 {
		o.SendGap = 250 * time.Millisecond
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	c, err := NewCluster(ctx, cluster.Options{Bin: o.Bin, Root: o.Root, RelayDebug: true, Logf: o.Logf})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := c.Start(ctx); err != nil {
		return nil, err
	}
	s := &soak{c: c, o: o, rng: rand.New(rand.NewPCG(o.Seed, o.Seed^0x5eed)),
		rep: &SoakReport{Seed: o.Seed, Sent: map[string]int{}, Faults: map[string]int{}, WorstByPrec: map[string]Delay{}}}
	for _, p := range c.Parties {
		s.gates = append(s.gates, &sync.RWMutex{})
		s.tracked = append(s.tracked, &tracked{p: p})
	}
	return s.run(ctx)
}

type soak struct {
	c     *Cluster
	o     SoakOptions
	rng   *rand.Rand // the fault schedule's; senders have their own
	rep   *SoakReport
	gates []*sync.RWMutex // held to send; held exclusively while a party is down

	mu      sync.Mutex
	fault   string // the fault now injected
	during  map[string]string
	tracked []*tracked
}

// tracked follows the receipts of one party's messages.
type tracked struct {
	p    *Party
	next int // index in p.Sent() of the first message not yet delivered
	api  *control.Client
}

func (s *soak) run(ctx context.Context) (*SoakReport, error) {
	start := time.Now()
	end := start.Add(s.o.Duration)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.during = map[string]string{}
	var wg sync.WaitGroup
	var failMu sync.Mutex
	for i, p := range s.c.Parties {
		rng := rand.New(rand.NewPCG(s.o.Seed+uint64(i)+1, 7))
		wg.Go(func() {
			n := s.send(ctx, p, s.gates[i], rng, end)
			failMu.Lock()
			s.rep.SendFailures += n
			failMu.Unlock()
		})
	}
	trackCtx, stopTracking := context.WithCancel(ctx)
	defer stopTracking()
	trackDone := make(chan struct{})
	go func() {
		defer close(trackDone)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for trackCtx.Err() == nil {
			s.track(trackCtx)
			select {
			case <-trackCtx.Done():
			case <-tick.C:
			}
		}
	}()
	injErr := s.inject(ctx, end)
	wg.Wait()
	s.rep.Ran = time.Since(start)
	// Heal everything and let the line settle.
	s.c.Heal()
	var errs []error
	if injErr != nil {
		errs = append(errs, fmt.Errorf("injecting faults: %w", injErr))
	}
	for _, p := range s.c.Parties {
		if !p.Alive() {
			errs = append(errs, fmt.Errorf("%s is not running after the soak (crashed?)\n%s", p.Slug, cluster.TailFile(p.Log(), 30)))
			p.SetSkew(0)
			if err := p.Start(ctx); err != nil {
				return nil, err
			}
		}
	}
	if !s.c.Relay.Alive() {
		errs = append(errs, errors.New("the relay is not running after the soak (crashed?)"))
		if err := s.c.Relay.Start(ctx); err != nil {
			return nil, err
		}
	}
	settled, err := s.c.Check(ctx, 5*time.Minute)
	errs = append(errs, err)
	if settled != nil {
		s.rep.Settle = settled.Took
	}
	stopTracking()
	<-trackDone
	s.track(ctx) // the last receipts
	for _, p := range s.c.Parties {
		s.rep.Sent[p.Slug] = len(p.Sent())
	}
	if err == nil {
		for _, n := range settled.Delivered {
			s.rep.Delivered += n
		}
	}
	for i, t := range s.tracked {
		if t.next < len(t.p.Sent()) {
			errs = append(errs, fmt.Errorf("%s: %d messages never seen delivered by the tracker", s.c.Parties[i].Slug, len(t.p.Sent())-t.next))
		}
	}
	s.rep.Relay, err = countRelay(s.c.Relay.Log())
	errs = append(errs, err)
	s.rep.Proxies = map[string]faultproxy.Stats{"relay": s.c.Relay.Proxy.Stats()}
	for _, p := range s.c.Parties {
		s.rep.Proxies["direct to "+p.Slug] = p.Proxy.Stats()
	}
	s.rep.Violations = errors.Join(errs...)
	return s.rep, nil
}

// send sends messages of random precedence from p until end, at random
// gaps, and returns how many sends printed no ID.
func (s *soak) send(ctx context.Context, p *Party, gate *sync.RWMutex, rng *rand.Rand, end time.Time) int {
	failures := 0
	for i := 0; time.Now().Before(end); i++ {
		gap := time.Duration(rng.ExpFloat64() * float64(s.o.SendGap))
		if !sleepCtx(ctx, min(gap, time.Until(end))) {
			return failures
		}
		prec := pick(rng, []string{"FLASH", "IMMEDIATE", "PRIORITY", "ROUTINE"}, []int{10, 15, 25, 50})
		gate.RLock()
		s.mu.Lock()
		fault := s.fault
		s.mu.Unlock()
		sent, err := p.Send(ctx, prec, fmt.Sprintf("soak %s %d %s", p.Slug, i, prec))
		gate.RUnlock()
		if err != nil {
			failures++
			if failures <= 5 {
				s.o.Logf("%s: send failed: %v", p.Slug, err)
			}
			continue
		}
		s.mu.Lock()
		s.during[sent.ID] = fault
		s.mu.Unlock()
	}
	return failures
}

// track notes the messages each party now holds a receipt for.
func (s *soak) track(ctx context.Context) {
	for _, t := range s.tracked {
		if !t.p.Alive() {
			continue
		}
		if t.api == nil {
			api, err := t.p.api()
			if err != nil {
				continue
			}
			t.api = api
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		st, err := t.api.Status(cctx, s.c.Line)
		cancel()
		if err != nil {
			t.api = nil
			continue
		}
		now := time.Now()
		_, peer := t.p.Mine(st)
		sent := t.p.Sent()
		for ; t.next < len(sent) && peer != nil && peer.Receipt > sent[t.next].Index; t.next++ {
			m := sent[t.next]
			s.mu.Lock()
			d := Delay{ID: m.ID, Precedence: m.Precedence, Took: now.Sub(m.At), During: s.during[m.ID]}
			s.mu.Unlock()
			s.rep.Delays = append(s.rep.Delays, d.Took)
			if d.Took > s.rep.Worst.Took {
				s.rep.Worst = d
			}
			if d.Took > s.rep.WorstByPrec[d.Precedence].Took {
				s.rep.WorstByPrec[d.Precedence] = d
			}
		}
	}
}

// inject runs the fault schedule until end: one fault at a time, held for
// a few seconds, healed, then a quiet gap.
func (s *soak) inject(ctx context.Context, end time.Time) error {
	for time.Now().Before(end) {
		kind := soakFaults[s.rng.IntN(len(soakFaults))]
		hold := min(2*time.Second+time.Duration(s.rng.Int64N(int64(18*time.Second))), max(time.Until(end), time.Second))
		s.mu.Lock()
		s.fault = kind
		s.mu.Unlock()
		s.rep.Faults[kind]++
		s.o.Logf("fault %s for %v", kind, hold.Round(time.Millisecond))
		if err := s.apply(ctx, kind, hold); err != nil {
			return err
		}
		s.mu.Lock()
		s.fault = ""
		s.mu.Unlock()
		if !sleepCtx(ctx, time.Second+time.Duration(s.rng.Int64N(int64(4*time.Second)))) {
			return ctx.Err()
		}
	}
	return nil
}

// apply injects one fault for hold, then heals it.
func (s *soak) apply(ctx context.Context, kind string, hold time.Duration) error {
	c := s.c
	switch kind {
	case "direct-blackhole":
		c.SetDirect(faultproxy.Blackhole)
	case "direct-refuse":
		c.SetDirect(faultproxy.Refuse)
	case "direct-lossy":
		for _, p := range c.Parties {
			p.Proxy.SetLoss(0.3)
			p.Proxy.SetDelay(500 * time.Millisecond)
		}
	case "relay-blackhole":
		c.SetRelay(faultproxy.Blackhole)
	case "relay-refuse":
		c.SetRelay(faultproxy.Refuse)
	case "all-blackhole":
		c.SetDirect(faultproxy.Blackhole)
		c.SetRelay(faultproxy.Blackhole)
	case "peer-kill":
		i := s.rng.IntN(2)
		down := min(hold, 100*time.Millisecond+time.Duration(s.rng.Int64N(int64(3*time.Second))))
		return s.restart(ctx, i, down, c.Parties[i].Skew())
	case "relay-kill":
		c.Relay.Kill()
		down := min(hold, 100*time.Millisecond+time.Duration(s.rng.Int64N(int64(5*time.Second))))
		sleepCtx(ctx, down)
		return c.Relay.Start(ctx)
	case "clock-skew":
		i := s.rng.IntN(2)
		skew := 10 * time.Minute
		if s.rng.IntN(2) == 0 {
			skew = -skew
		}
		if err := s.restart(ctx, i, 0, skew); err != nil {
			return err
		}
		sleepCtx(ctx, hold)
		return s.restart(ctx, i, 0, 0)
	default:
		return fmt.Errorf("unknown fault %q", kind)
	}
	sleepCtx(ctx, hold)
	c.Heal()
	return nil
}

// restart SIGKILLs party i, keeps it down for down, and starts it again
// with the given clock skew. Its sender waits meanwhile: a send to a
// stopped node would open its database itself.
func (s *soak) restart(ctx context.Context, i int, down, skew time.Duration) error {
	p := s.c.Parties[i]
	s.gates[i].Lock()
	defer s.gates[i].Unlock()
	p.Kill()
	sleepCtx(ctx, down)
	p.SetSkew(skew)
	return p.Start(ctx)
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func pick(rng *rand.Rand, items []string, weights []int) string {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := rng.IntN(total)
	for i, w := range weights {
		if n < w {
			return items[i]
		}
		n -= w
	}
	return items[len(items)-1]
}

// countRelay counts puts and fetches in the relay's debug log.
func countRelay(path string) (RelayCounts, error) {
	f, err := os.Open(path)
	if err != nil {
		return RelayCounts{}, err
	}
	defer f.Close()
	var rc RelayCounts
	handed := map[string]uint64{} // recipient -> highest sequence number handed out
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var l struct {
			Msg       string `json:"msg"`
			Recipient string `json:"recipient"`
			Messages  int    `json:"messages"`
			First     uint64 `json:"first"`
			Last      uint64 `json:"last"`
		}
		if json.Unmarshal(sc.Bytes(), &l) != nil {
			continue
		}
		switch l.Msg {
		case "relay: put":
			rc.Puts++
		case "relay: fetch":
			rc.Fetched += l.Messages
			// A mailbox is a contiguous run of sequence numbers (an
			// acknowledgement deletes a prefix), so the part of this
			// fetch at or below what was handed out before is a repeat.
			if prev := handed[l.Recipient]; l.First <= prev {
				rc.Refetched += int(min(l.Last, prev) - l.First + 1)
			}
			handed[l.Recipient] = max(handed[l.Recipient], l.Last)
		}
	}
	return rc, sc.Err()
}

// Write prints the report for people.
func (r *SoakReport) Write(w io.Writer) {
	total := 0
	var parts []string
	for _, k := range slices.Sorted(mapKeys(r.Sent)) {
		total += r.Sent[k]
		parts = append(parts, fmt.Sprintf("%s %d", k, r.Sent[k]))
	}
	fmt.Fprintf(w, "soak: faults injected for %v (seed %d)\n", r.Ran.Round(time.Second), r.Seed)
	fmt.Fprintf(w, "messages sent:       %d (%s); %d sends printed no ID (killed node) and do not count\n",
		total, strings.Join(parts, ", "), r.SendFailures)
	fmt.Fprintf(w, "delivered:           %d, each exactly once and in author order in the peer's inbox, with the sender's receipt; transcripts verify\n", r.Delivered)
	fmt.Fprintf(w, "duplicates suppressed: %d relay parcels handed out again (of %d fetched, %d put) were taken as old news;\n"+
		"                     people saw 0 duplicates (every inbox checked). Copies of an entry that arrive on both routes\n"+
		"                     (urgent fan-out, hedged failover, reposts) are dropped inside the node without a count.\n",
		r.Relay.Refetched, r.Relay.Fetched, r.Relay.Puts)
	var fs []string
	n := 0
	for _, k := range slices.Sorted(mapKeys(r.Faults)) {
		fs = append(fs, fmt.Sprintf("%s %d", k, r.Faults[k]))
		n += r.Faults[k]
	}
	fmt.Fprintf(w, "faults injected:     %d: %s\n", n, strings.Join(fs, ", "))
	during := func(d Delay) string {
		if d.During == "" {
			return "sent between faults"
		}
		return "sent during " + d.During
	}
	fmt.Fprintf(w, "worst delivery delay (send to receipt): %v (%s %s, %s)\n", r.Worst.Took.Round(time.Millisecond), r.Worst.ID, r.Worst.Precedence, during(r.Worst))
	for _, p := range []string{"FLASH", "IMMEDIATE", "PRIORITY", "ROUTINE"} {
		if d, ok := r.WorstByPrec[p]; ok {
			fmt.Fprintf(w, "  worst %-9s %v (%s, %s)\n", p, d.Took.Round(time.Millisecond), d.ID, during(d))
		}
	}
	if len(r.Delays) > 0 {
		p50, p99, _ := quantiles(r.Delays)
		fmt.Fprintf(w, "delivery delay p50 %v, p99 %v (receipts polled every 100 ms)\n", p50.Round(time.Millisecond), p99.Round(time.Millisecond))
	}
	fmt.Fprintf(w, "settled %v after the final heal\n", r.Settle.Round(time.Millisecond))
	if r.Violations != nil {
		fmt.Fprintf(w, "INVARIANTS FAILED:\n%v\n", r.Violations)
	} else {
		fmt.Fprintln(w, "invariants: all hold")
	}
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
