package faults

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/cluster"
	"github.com/hotline-line/hotline/internal/faultproxy"
	"github.com/hotline-line/hotline/internal/node"
)

// Bounds. Generous: the suite runs beside the race detector on two cores.
const (
	flashBound   = 10 * time.Second // a FLASH's cosignature back, with one route dead
	deliverBound = 60 * time.Second // anything else, once a route works
	settleBound  = 90 * time.Second // both sides agree after every fault is healed
)

// warmUp exchanges one message each way, so the routes hold open
// connections when a fault strikes: those must be noticed dead, not just
// new ones refused.
func warmUp(t *testing.T, c *Cluster) {
	t.Helper()
	for _, p := range c.Parties {
		delivered(t, p, send(t, p, "ROUTINE", "warm-up from "+p.Slug), deliverBound)
	}
}

// waitRoute waits until p's route to its peer satisfies cond.
func waitRoute(t *testing.T, p *Party, route string, d time.Duration, what string, cond func(node.RouteHealth) bool) node.RouteHealth {
	t.Helper()
	var h node.RouteHealth
	err := cluster.Poll(t.Context(), d, fmt.Sprintf("%s's %s route: %s", p.Slug, route, what), func() (bool, error) {
		var err error
		h, err = p.Route(t.Context(), route)
		return err == nil && cond(h), nil
	})
	if err != nil {
		t.Fatalf("%v (last: %+v)", err, h)
	}
	return h
}

// (a) The direct route is blackholed: FLASH and ROUTINE still get through
// on the relay, and the direct route is used again once it is back.
func TestDirectBlackholed(t *testing.T) {
	c := newCluster(t, cluster.Options{})
	warmUp(t, c)
	a, b := c.Parties[0], c.Parties[1]
	c.SetDirect(faultproxy.Blackhole)
	for i := range 3 {
		f := send(t, a, "FLASH", fmt.Sprintf("flash %d with the cable cut", i))
		took := delivered(t, a, f, flashBound)
		t.Logf("FLASH %s: cosignature back over the relay %v after send", f.ID, took.Round(time.Millisecond))
	}
	// A FLASH right behind a ROUTINE that is stuck on the dead route.
	send(t, b, "ROUTINE", "routine from beijing with the cable cut")
	r := send(t, a, "ROUTINE", "routine with the cable cut")
	f := send(t, a, "FLASH", "flash right behind a routine")
	t.Logf("FLASH %s right behind ROUTINE %s: cosignature back %v after send", f.ID, r.ID, delivered(t, a, f, flashBound).Round(time.Millisecond))
	t.Logf("ROUTINE %s delivered %v after send", r.ID, delivered(t, a, r, deliverBound).Round(time.Millisecond))
	r2 := send(t, b, "IMMEDIATE", "immediate reply with the cable cut")
	t.Logf("IMMEDIATE %s delivered %v after send", r2.ID, delivered(t, b, r2, flashBound).Round(time.Millisecond))

	c.Heal()
	healed := time.Now()
	back, err := c.DirectBack(t.Context(), healed, deliverBound)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("direct route: first exchange over it %v after the heal", back.Round(time.Millisecond))
	check(t, c, settleBound)
}

// (b) The relay is cut: the direct route carries everything, and the relay
// route works again once it is back.
func TestRelayDown(t *testing.T) {
	c := newCluster(t, cluster.Options{})
	warmUp(t, c)
	a, b := c.Parties[0], c.Parties[1]
	c.SetRelay(faultproxy.Blackhole)
	f := send(t, a, "FLASH", "flash with the relay cut")
	t.Logf("FLASH %s: cosignature back over the direct route %v after send", f.ID, delivered(t, a, f, flashBound).Round(time.Millisecond))
	r := send(t, b, "ROUTINE", "routine with the relay cut")
	t.Logf("ROUTINE %s delivered %v after send", r.ID, delivered(t, b, r, deliverBound).Round(time.Millisecond))
	// Kill the relay process too while it is cut off: it comes back as a
	// new process behind the same address.
	c.Relay.Kill()
	f2 := send(t, b, "FLASH", "flash with the relay dead")
	delivered(t, b, f2, flashBound)
	if err := c.Relay.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	c.Heal()
	// The relay route must work again: cut the direct route and use it.
	c.SetDirect(faultproxy.Blackhole)
	for _, p := range c.Parties {
		s := send(t, p, "ROUTINE", "routine over the relay that came back, from "+p.Slug)
		t.Logf("ROUTINE %s over the relay that came back: delivered %v after send", s.ID, delivered(t, p, s, deliverBound).Round(time.Millisecond))
	}
	c.Heal()
	check(t, c, settleBound)
}

// (c) Both routes are down while both sides write; everything is delivered
// once they are back.
func TestAllRoutesDown(t *testing.T) {
	c := newCluster(t, cluster.Options{})
	warmUp(t, c)
	c.SetDirect(faultproxy.Blackhole)
	c.SetRelay(faultproxy.Blackhole)
	var receipts [2]uint64
	for i, p := range c.Parties {
		r, err := p.Receipt(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		receipts[i] = r
		for j, prec := range []string{"FLASH", "ROUTINE", "IMMEDIATE", "PRIORITY", "ROUTINE"} {
			send(t, p, prec, fmt.Sprintf("%s %d from %s with every route down", prec, j, p.Slug))
		}
	}
	// Let both sides find both routes dead and back off.
	for _, p := range c.Parties {
		for _, route := range []string{"direct", "relay"} {
			waitRoute(t, p, route, deliverBound, "failing", func(h node.RouteHealth) bool { return h.Failures >= 2 })
		}
	}
	for i, p := range c.Parties {
		if r, err := p.Receipt(t.Context()); err != nil || r != receipts[i] {
			t.Fatalf("%s: receipt %d (%v) with every route down, was %d", p.Slug, r, err, receipts[i])
		}
	}
	c.Heal()
	check(t, c, settleBound)
}

// (d) The direct route loses 30 % and delays 500 ms (emulated: see
// faultproxy), with the relay cut so that it carries everything.
func TestLossyDirect(t *testing.T) {
	c := newCluster(t, cluster.Options{})
	warmUp(t, c)
	c.SetRelay(faultproxy.Blackhole)
	for _, p := range c.Parties {
		p.Proxy.SetLoss(0.3)
		p.Proxy.SetDelay(500 * time.Millisecond)
	}
	precs := []string{"ROUTINE", "FLASH", "PRIORITY", "IMMEDIATE"}
	var last [2]Sent
	for i := range 8 {
		for j, p := range c.Parties {
			last[j] = send(t, p, precs[i%len(precs)], fmt.Sprintf("lossy %d from %s", i, p.Slug))
		}
	}
	for j, p := range c.Parties {
		t.Logf("%s: all 8 delivered on the lossy route %v after the last send", p.Slug, delivered(t, p, last[j], deliverBound).Round(time.Millisecond))
	}
	for _, p := range c.Parties {
		t.Logf("%s's proxy: %+v", p.Slug, p.Proxy.Stats())
	}
	c.Heal()
	check(t, c, settleBound)
}

// (e) A peer is SIGKILLed and restarted five times while the other side
// sends.
func TestPeerRestarts(t *testing.T) {
	c := newCluster(t, cluster.Options{})
	warmUp(t, c)
	a, b := c.Parties[0], c.Parties[1]
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		precs := []string{"ROUTINE", "FLASH", "ROUTINE", "IMMEDIATE", "PRIORITY"}
		tick := time.NewTicker(40 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-stop:
				done <- nil
				return
			case <-tick.C:
			}
			if _, err := a.Send(t.Context(), precs[i%len(precs)], fmt.Sprintf("message %d while beijing restarts", i)); err != nil {
				done <- err
				return
			}
		}
	}()
	for i := range 5 {
		// Kill it at a random point of the stream.
		n := len(a.Sent()) + 2 + rand.IntN(6)
		if err := cluster.Poll(t.Context(), deliverBound, "seoul sending", func() (bool, error) { return len(a.Sent()) >= n, nil }); err != nil {
			t.Fatal(err)
		}
		b.Kill()
		if err := b.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		send(t, b, []string{"ROUTINE", "FLASH"}[i%2], fmt.Sprintf("beijing back after kill %d", i+1))
	}
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	t.Logf("seoul sent %d messages while beijing was killed 5 times", len(a.Sent()))
	check(t, c, settleBound)
}

// (f) The relay is SIGKILLed in the middle of a burst that only it can
// carry, and restarted from the same directory and port.
func TestRelayRestart(t *testing.T) {
	c := newCluster(t, cluster.Options{})
	warmUp(t, c)
	a, b := c.Parties[0], c.Parties[1]
	c.SetDirect(faultproxy.Blackhole)
	done := make(chan error, 1)
	const burst = 40
	go func() {
		tick := time.NewTicker(25 * time.Millisecond)
		defer tick.Stop()
		for i := range burst {
			<-tick.C
			prec := "ROUTINE"
			if i%7 == 3 {
				prec = "FLASH"
			}
			if _, err := a.Send(t.Context(), prec, fmt.Sprintf("burst %d over the relay", i)); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	start := len(a.Sent())
	wait := func(n int) {
		t.Helper()
		if err := cluster.Poll(t.Context(), deliverBound, "seoul sending", func() (bool, error) { return len(a.Sent()) >= start+n, nil }); err != nil {
			t.Fatal(err)
		}
	}
	wait(10)
	c.Relay.Kill()
	wait(20) // more of the burst while the relay is dead
	if err := c.Relay.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	sent := a.Sent()
	t.Logf("burst of %d over the relay: all delivered %v after the last send", burst, delivered(t, a, sent[len(sent)-1], deliverBound).Round(time.Millisecond))
	r := send(t, b, "ROUTINE", "reply over the restarted relay")
	delivered(t, b, r, deliverBound)
	c.Heal()
	check(t, c, settleBound)
}

// (g) The parties' clocks are 20 minutes apart, on a line whose charter
// allows clocks 30 minutes apart. (Under the default 10 minutes such
// entries are refused with evidence: the node's time tests show that.)
func TestClockSkew(t *testing.T) {
	c := newCluster(t, cluster.Options{Skew: [2]time.Duration{10 * time.Minute, -10 * time.Minute},
		Propose: []string{"--clock-tolerance", "30m"}})
	warmUp(t, c)
	a, b := c.Parties[0], c.Parties[1]
	for i, prec := range []string{"FLASH", "ROUTINE", "IMMEDIATE"} {
		delivered(t, a, send(t, a, prec, fmt.Sprintf("%s %d from the fast clock", prec, i)), deliverBound)
		delivered(t, b, send(t, b, prec, fmt.Sprintf("%s %d from the slow clock", prec, i)), deliverBound)
	}
	check(t, c, settleBound)
	// The skew is real: what seoul writes arrives, by beijing's clock,
	// about 20 minutes before it was written.
	inbox, err := b.Messages(t.Context(), false)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range inbox {
		if gap := m.Written.Sub(m.Received); gap < 19*time.Minute || gap > 21*time.Minute {
			t.Errorf("%s written %v, received %v by beijing's clock: want 20 minutes apart", m.ID, m.Written, m.Received)
		}
	}
	// Ladders: deadlines run from delivery.
	outbox, err := a.Messages(t.Context(), true)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range outbox {
		for _, r := range m.Ladder {
			if r.Delivered.IsZero() || !r.AckBy.After(r.Delivered) || !r.ReplyBy.After(r.AckBy) {
				t.Errorf("%s ladder at %s: delivered %v, ack by %v, reply by %v", m.ID, r.Party, r.Delivered, r.AckBy, r.ReplyBy)
			}
		}
	}
}

// (h) The receiver's disk is full: the sender keeps the message queued,
// the receiver answers "unavailable" and blames nobody; once there is room
// everything is delivered, once.
func TestReceiverDiskFull(t *testing.T) {
	c := newCluster(t, cluster.Options{TmpfsSize: 16 << 20})
	warmUp(t, c)
	a, b := c.Parties[0], c.Parties[1]
	filler := filepath.Join(filepath.Dir(b.Dir), "filler")
	if err := fill(filler); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s's disk is full", b.Slug)
	// Big messages, so that the receiver's database cannot grow into
	// room it already has.
	text := strings.Repeat("full disk ", 3000)
	var full []Sent
	for i := range 12 {
		full = append(full, send(t, a, []string{"ROUTINE", "FLASH"}[i%2], fmt.Sprintf("%d %s", i, text)))
	}
	waitRoute(t, a, "direct", deliverBound, "refused with 503", func(h node.RouteHealth) bool {
		return strings.Contains(h.LastError, "503")
	})
	st, err := a.Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	_, peer := a.Mine(st)
	if peer.Pending == 0 {
		t.Fatalf("%s: nothing pending while %s's disk is full", a.Slug, b.Slug)
	}
	t.Logf("%s: %d entries queued while %s's disk is full; direct route: %s", a.Slug, peer.Pending, b.Slug, peerRoute(peer, "direct").LastError)
	if !b.Alive() {
		t.Fatalf("%s died of a full disk:\n%s", b.Slug, cluster.TailFile(b.Log(), 30))
	}
	if bst, err := b.Status(t.Context()); err != nil || bst.Evidence != 0 {
		t.Fatalf("%s's status with a full disk: %v, evidence %v", b.Slug, err, bst)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s's disk has room again", b.Slug)
	t.Logf("all %d delivered %v after the disk was freed", len(full), delivered(t, a, full[len(full)-1], deliverBound).Round(time.Millisecond))
	check(t, c, settleBound)
}

func peerRoute(p *node.PartyStatus, name string) node.RouteHealth {
	for _, r := range p.Routes {
		if r.Route == name {
			return r
		}
	}
	return node.RouteHealth{}
}

// fill writes path until the file system is full.
func fill(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return nil
			}
			return err
		}
	}
}
