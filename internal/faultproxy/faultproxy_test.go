package faultproxy

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"
)

// echo starts a TCP echo server and counts its connections.
func echo(t *testing.T) (addr string, conns *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conns = new(atomic.Int64)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String(), conns
}

func newProxy(t *testing.T, target string) *Proxy {
	t.Helper()
	p, err := New(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// roundTrip writes msg and reads it back within d.
func roundTrip(c net.Conn, msg []byte, d time.Duration) error {
	c.SetDeadline(time.Now().Add(d))
	defer c.SetDeadline(time.Time{})
	if _, err := c.Write(msg); err != nil {
		return err
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		return err
	}
	if !bytes.Equal(got, msg) {
		return errors.New("echo differs")
	}
	return nil
}

func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }

func TestPass(t *testing.T) {
	target, _ := echo(t)
	p := newProxy(t, target)
	c := dial(t, p.Addr())
	big := bytes.Repeat([]byte("hotline "), 64<<10) // many chunks
	if err := roundTrip(c, big, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	// The counters are bumped after each write returns: poll them.
	want := int64(len(big))
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		s := p.Stats()
		if s.BytesIn == want && s.BytesOut == want && s.Accepted == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v; want %d bytes each way over 1 connection", s, want)
		}
	}
}

func TestHalfClose(t *testing.T) {
	target, _ := echo(t)
	p := newProxy(t, target)
	c := dial(t, p.Addr())
	c.Write([]byte("last words"))
	c.(*net.TCPConn).CloseWrite()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "last words" {
		t.Fatalf("read %q, %v; want the echo, then EOF", got, err)
	}
}

func TestDelay(t *testing.T) {
	target, _ := echo(t)
	p := newProxy(t, target)
	const d = 150 * time.Millisecond
	p.SetDelay(d)
	c := dial(t, p.Addr())
	start := time.Now()
	if err := roundTrip(c, []byte("ping"), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if rtt := time.Since(start); rtt < 2*d {
		t.Fatalf("round trip took %v; want at least %v (the delay both ways)", rtt, 2*d)
	}
	// Several chunks in flight do not add up: the delay is latency, not
	// a throttle.
	start = time.Now()
	for range 5 {
		c.Write([]byte("x"))
		time.Sleep(10 * time.Millisecond) // separate chunks
	}
	got := make([]byte, 5)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 5*2*d {
		t.Fatalf("5 chunks took %v: chunks held each other up", el)
	}
}

func TestBlackholeNewConnection(t *testing.T) {
	target, conns := echo(t)
	p := newProxy(t, target)
	p.SetMode(Blackhole)
	c := dial(t, p.Addr()) // accepted: not refused
	if _, err := c.Write([]byte("hello")); err != nil {
		t.Fatalf("write into a blackhole: %v", err)
	}
	if err := roundTrip(c, []byte("hello?"), 300*time.Millisecond); !isTimeout(err) {
		t.Fatalf("round trip through a blackhole: %v; want a timeout", err)
	}
	if n := conns.Load(); n != 0 {
		t.Fatalf("the target saw %d connections", n)
	}
	// Back to Pass: that connection stays dead, a new one works.
	p.SetMode(Pass)
	if err := roundTrip(c, []byte("still there?"), 300*time.Millisecond); !isTimeout(err) {
		t.Fatalf("a connection from the blackhole came back: %v", err)
	}
	if err := roundTrip(dial(t, p.Addr()), []byte("new"), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if s := p.Stats(); s.Frozen != 1 || s.Dropped == 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestBlackholeFreezesOpenConnections(t *testing.T) {
	target, _ := echo(t)
	p := newProxy(t, target)
	c := dial(t, p.Addr())
	if err := roundTrip(c, []byte("before"), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	p.SetMode(Blackhole)
	if err := roundTrip(c, []byte("during"), 300*time.Millisecond); !isTimeout(err) {
		t.Fatalf("round trip on a frozen connection: %v; want a timeout", err)
	}
	p.SetMode(Pass)
	if err := roundTrip(c, []byte("after"), 300*time.Millisecond); !isTimeout(err) {
		t.Fatalf("frozen connection came back: %v", err)
	}
	if err := roundTrip(dial(t, p.Addr()), []byte("new"), 5*time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestBlackholeHidesClose(t *testing.T) {
	// The target closing a frozen connection is not passed on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	p := newProxy(t, ln.Addr().String())
	c := dial(t, p.Addr())
	c.Write([]byte("x")) // make sure the proxy has dialed
	srv := <-accepted
	buf := make([]byte, 1)
	srv.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(srv, buf); err != nil {
		t.Fatal(err)
	}
	p.SetMode(Blackhole)
	srv.Close()
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := c.Read(buf); !isTimeout(err) {
		t.Fatalf("read after the target closed a frozen connection: %v; want a timeout", err)
	}
}

func TestRefuse(t *testing.T) {
	target, conns := echo(t)
	p := newProxy(t, target)
	open := dial(t, p.Addr())
	if err := roundTrip(open, []byte("before"), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	p.SetMode(Refuse)
	// The open connection is reset.
	open.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := open.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Fatalf("read on a refused connection: %v; want a reset", err)
	}
	// A new one is reset at once.
	expectReset(t, p.Addr())
	before := conns.Load()
	p.SetMode(Pass)
	if err := roundTrip(dial(t, p.Addr()), []byte("back"), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if conns.Load() != before+1 {
		t.Fatalf("target connections %d, want %d", conns.Load(), before+1)
	}
}

func TestTargetDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := newProxy(t, addr)
	expectReset(t, p.Addr())
}

// expectReset dials addr and expects the connection to be reset, at once
// or at the first read.
func expectReset(t *testing.T, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return // reset so fast that the dial saw it
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Fatalf("read on a new connection to %s: %v; want a reset", addr, err)
	}
}

func TestLoss(t *testing.T) {
	target, _ := echo(t)
	p := newProxy(t, target)
	p.SetLoss(1)
	c := dial(t, p.Addr())
	if err := roundTrip(c, []byte("x"), 300*time.Millisecond); !isTimeout(err) {
		t.Fatalf("with loss 1: %v; want a timeout", err)
	}
	// With some loss, some connections die and the others carry every
	// byte in order, some chunks late.
	p.SetLoss(0.3)
	const n = 30
	errs := make(chan error, n)
	for i := range n {
		c := dial(t, p.Addr())
		go func() {
			msg := bytes.Repeat([]byte{byte('a' + i%26)}, 100)
			var err error
			for range 3 {
				if err = roundTrip(c, msg, 3*time.Second); err != nil {
					break
				}
			}
			errs <- err
		}()
	}
	var dead, alive int
	for range n {
		switch err := <-errs; {
		case err == nil:
			alive++
		case isTimeout(err):
			dead++
		default:
			t.Fatal(err)
		}
	}
	s := p.Stats()
	t.Logf("loss 0.3: %d connections dead, %d alive; %+v", dead, alive, s)
	if dead == 0 || alive == 0 || s.Retransmit == 0 || s.Frozen < 2 {
		t.Fatalf("loss 0.3 over %d connections: %d dead, %d alive, %d retransmissions", n, dead, alive, s.Retransmit)
	}
}

func TestClose(t *testing.T) {
	target, _ := echo(t)
	p := newProxy(t, target)
	c := dial(t, p.Addr())
	if err := roundTrip(c, []byte("x"), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	frozen := dial(t, p.Addr())
	p.SetMode(Blackhole)
	done := make(chan struct{})
	go func() { p.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hangs")
	}
	for _, c := range []net.Conn{c, frozen} {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err == nil || isTimeout(err) {
			t.Fatalf("read after Close: %v", err)
		}
	}
	if _, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
		t.Fatal("the proxy still accepts after Close")
	}
}
