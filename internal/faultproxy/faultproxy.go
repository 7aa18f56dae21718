// Package faultproxy is an in-process TCP proxy that injects network
// faults between two real processes, for tests on machines where netem and
// iptables are not available. A proxy listens on 127.0.0.1 and forwards
// every connection to one target; its mode can be switched at any time:
//
//   - [Pass]: bytes flow, after the configured delay.
//   - [Blackhole]: nothing gets through and nothing is refused, as when a
//     cable is cut or a firewall drops packets. New connections are
//     accepted (the target is never dialed) and everything they send is
//     read and thrown away; existing connections freeze the same way.
//   - [Refuse]: new connections are reset as soon as they are accepted and
//     existing ones are reset on both sides, as when the far end is down
//     and its host answers with RST.
//
// # How faithful it is
//
// A proxy sees a byte stream, not packets, so it can only emulate what
// faults look like to the endpoints' TCP stacks:
//
//   - A blackhole freezes a connection for the rest of its life: a
//     connection that was open (or opened) during a blackhole never carries
//     another byte, even after the mode returns to Pass, and its closing is
//     not passed on either. Real TCP would resume a connection after a short
//     cut by retransmitting; the frozen connection is the case of a flow
//     whose state a middlebox lost (a NAT or firewall failover) or whose
//     retransmissions gave up, and it is the harder one: the endpoints must
//     notice dead connections by their own timeouts and dial again.
//     Connections made after the blackhole ends work normally.
//   - Loss ([Proxy.SetLoss]) cannot drop single packets of a TCP stream
//     without corrupting it. It is emulated by what loss does to TCP: a
//     new connection is, with probability p, blackholed for its lifetime
//     (its handshake or first exchanges were lost for good), and each chunk
//     of a working connection is, with probability p, held back by one
//     retransmission timeout (200 ms, doubling while the loss repeats), as a
//     retransmitted segment is. Bytes are never lost, reordered or altered.
//   - Delay ([Proxy.SetDelay]) holds each chunk read from one side for the
//     delay before writing it to the other; chunks in flight do not hold
//     each other up, so a delay adds latency without cutting throughput.
package faultproxy

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Mode is what a proxy does with traffic.
type Mode int32

// The modes of a proxy.
const (
	Pass      Mode = iota // forward, after the delay
	Blackhole             // accept, forward nothing, refuse nothing
	Refuse                // reset new and existing connections
)

func (m Mode) String() string {
	switch m {
	case Pass:
		return "pass"
	case Blackhole:
		return "blackhole"
	case Refuse:
		return "refuse"
	}
	return fmt.Sprintf("Mode(%d)", int32(m))
}

// rto is the retransmission timeout added to a chunk "lost" under
// SetLoss: Linux's minimum RTO.
const rto = 200 * time.Millisecond

// dialTimeout bounds the dial to the target.
const dialTimeout = 5 * time.Second

// Stats counts what a proxy did.
type Stats struct {
	Accepted   int64 // connections accepted
	Refused    int64 // connections reset (Refuse mode, or the target refused the dial)
	Frozen     int64 // connections blackholed for life (Blackhole mode or loss)
	BytesIn    int64 // bytes forwarded from clients to the target
	BytesOut   int64 // bytes forwarded from the target to clients
	Dropped    int64 // bytes read and thrown away
	Retransmit int64 // chunks held back by a retransmission timeout (loss)
}

// Proxy is a fault-injecting TCP proxy to one target.
type Proxy struct {
	target string
	ln     net.Listener

	mode  atomic.Int32
	delay atomic.Int64    // nanoseconds
	loss  atomic.Uint64   // math.Float64bits of the probability
	stats [7]atomic.Int64 // in the order of Stats' fields

	mu     sync.Mutex
	conns  map[*conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// New starts a proxy to target (host:port) on 127.0.0.1 at a free port,
// in Pass mode with no delay and no loss.
func New(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: listen: %w", err)
	}
	p := &Proxy{target: target, ln: ln, conns: map[*conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the address clients dial instead of the target.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Target is the address the proxy forwards to.
func (p *Proxy) Target() string { return p.target }

// Mode returns the current mode.
func (p *Proxy) Mode() Mode { return Mode(p.mode.Load()) }

// SetMode switches the proxy's mode. Blackhole freezes every open
// connection for the rest of its life; Refuse resets them.
func (p *Proxy) SetMode(m Mode) {
	p.mode.Store(int32(m))
	if m == Pass {
		return
	}
	p.mu.Lock()
	cs := make([]*conn, 0, len(p.conns))
	for c := range p.conns {
		cs = append(cs, c)
	}
	p.mu.Unlock()
	for _, c := range cs {
		if m == Blackhole {
			c.freeze()
		} else {
			c.reset()
		}
	}
}

// SetDelay delays every chunk forwarded from now on by d, in both
// directions.
func (p *Proxy) SetDelay(d time.Duration) { p.delay.Store(int64(max(d, 0))) }

// SetLoss emulates a packet loss probability prob (0 to 1) on the TCP
// streams, as the package documentation describes: new connections are
// blackholed for life with probability prob, and chunks are held back by a
// retransmission timeout with probability prob.
func (p *Proxy) SetLoss(prob float64) {
	prob = min(max(prob, 0), 1)
	p.loss.Store(math.Float64bits(prob))
}

func (p *Proxy) lossProb() float64 { return math.Float64frombits(p.loss.Load()) }

// Stats returns the counters so far.
func (p *Proxy) Stats() Stats {
	return Stats{
		Accepted: p.stats[0].Load(), Refused: p.stats[1].Load(), Frozen: p.stats[2].Load(),
		BytesIn: p.stats[3].Load(), BytesOut: p.stats[4].Load(), Dropped: p.stats[5].Load(),
		Retransmit: p.stats[6].Load(),
	}
}

const (
	statAccepted = iota
	statRefused
	statFrozen
	statIn
	statOut
	statDropped
	statRetransmit
)

// Close stops the proxy: the listener and every connection are closed.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	cs := make([]*conn, 0, len(p.conns))
	for c := range p.conns {
		cs = append(cs, c)
	}
	p.mu.Unlock()
	err := p.ln.Close()
	for _, c := range cs {
		c.close()
	}
	p.wg.Wait()
	return err
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		cc, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond) // out of descriptors: do not spin
			continue
		}
		p.stats[statAccepted].Add(1)
		c := &conn{p: p, client: cc, done: make(chan struct{})}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			cc.Close()
			return
		}
		p.conns[c] = struct{}{}
		p.wg.Add(1)
		p.mu.Unlock()
		go func() {
			defer p.wg.Done()
			c.serve()
			p.mu.Lock()
			delete(p.conns, c)
			p.mu.Unlock()
		}()
	}
}

// conn is one proxied connection.
type conn struct {
	p      *Proxy
	client net.Conn

	mu       sync.Mutex
	upstream net.Conn
	frozen   bool
	done     chan struct{} // closed when the connection is torn down
	doneOnce sync.Once
}

func (c *conn) isFrozen() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.frozen
}

// freeze blackholes the connection for the rest of its life.
func (c *conn) freeze() {
	c.mu.Lock()
	already := c.frozen
	c.frozen = true
	c.mu.Unlock()
	if !already {
		c.p.stats[statFrozen].Add(1)
	}
}

// reset tears the connection down with RST on both sides.
func (c *conn) reset() {
	c.mu.Lock()
	up := c.upstream
	c.mu.Unlock()
	for _, nc := range []net.Conn{c.client, up} {
		if tc, ok := nc.(*net.TCPConn); ok {
			tc.SetLinger(0)
		}
	}
	c.close()
}

func (c *conn) close() {
	c.doneOnce.Do(func() { close(c.done) })
	c.mu.Lock()
	up := c.upstream
	c.mu.Unlock()
	c.client.Close()
	if up != nil {
		up.Close()
	}
}

func (c *conn) serve() {
	p := c.p
	switch p.Mode() {
	case Refuse:
		p.stats[statRefused].Add(1)
		c.reset()
		return
	case Blackhole:
		c.freeze()
	default:
		if q := p.lossProb(); q > 0 && rand.Float64() < q {
			c.freeze()
		}
	}
	if c.isFrozen() {
		// Never dial: the SYN would have been lost. Swallow what the client
		// sends until it gives up.
		c.discard(c.client)
		c.close()
		return
	}
	up, err := net.DialTimeout("tcp", p.target, dialTimeout)
	if err != nil {
		p.stats[statRefused].Add(1)
		c.reset() // the target is down: the client sees a reset, as it would
		return
	}
	c.mu.Lock()
	c.upstream = up
	c.mu.Unlock()
	select {
	case <-c.done: // closed or reset while dialing
		c.close()
		return
	default:
	}
	if p.Mode() == Refuse {
		p.stats[statRefused].Add(1)
		c.reset()
		return
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); c.pipe(c.client, up, statIn) }()
	go func() { defer wg.Done(); c.pipe(up, c.client, statOut) }()
	wg.Wait()
	c.close()
}

// discard reads and drops everything from src until it fails.
func (c *conn) discard(src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		c.p.stats[statDropped].Add(int64(n))
		if err != nil {
			return
		}
	}
}

type chunk struct {
	b   []byte
	due time.Time
}

// pipe copies src to dst, chunk by chunk, each after the proxy's delay
// (plus a retransmission timeout now and then under loss), in order.
func (c *conn) pipe(src, dst net.Conn, stat int) {
	q := make(chan chunk, 64)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.write(dst, q, stat)
	}()
	var last time.Time
	var rerr error
	for {
		buf := make([]byte, 32<<10)
		n, err := src.Read(buf)
		if n > 0 {
			if c.isFrozen() {
				c.p.stats[statDropped].Add(int64(n))
			} else {
				due := time.Now().Add(time.Duration(c.p.delay.Load()))
				if prob := c.p.lossProb(); prob > 0 {
					for d := rto; rand.Float64() < prob && d < 30*time.Second; d *= 2 {
						due = due.Add(d)
						c.p.stats[statRetransmit].Add(1)
					}
				}
				if due.Before(last) {
					due = last // a stream is never reordered
				}
				last = due
				select {
				case q <- chunk{buf[:n], due}:
				case <-c.done:
				}
			}
		}
		if err != nil {
			rerr = err
			break
		}
	}
	close(q)
	wg.Wait()
	switch {
	case c.isFrozen():
		// A frozen connection passes nothing on, not even its end: the
		// other side must find out by itself. The other direction goes on
		// swallowing what that side sends until it closes.
		return
	case !errors.Is(rerr, io.EOF):
		c.reset() // a reset (or our own close) is passed on as a reset
		return
	}
	// Pass the end on as a half-close, so a request's end is not mistaken
	// for a reset; the other direction ends by itself.
	if tc, ok := dst.(*net.TCPConn); ok {
		tc.CloseWrite()
	} else {
		dst.Close()
	}
}

// write delivers the chunks of q to dst when they are due.
func (c *conn) write(dst net.Conn, q <-chan chunk, stat int) {
	var timer *time.Timer
	for ch := range q {
		if wait := time.Until(ch.due); wait > 0 {
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			select {
			case <-timer.C:
			case <-c.done:
				return
			}
		}
		if c.isFrozen() {
			c.p.stats[statDropped].Add(int64(len(ch.b)))
			continue // in flight when the cable was cut: lost
		}
		if _, err := dst.Write(ch.b); err != nil {
			c.close()
			return
		}
		c.p.stats[stat].Add(int64(len(ch.b)))
	}
}
