package direct_test

// What a party on the other end of the direct route can hold, on real
// sockets with real mutual TLS: a body that never arrives is cut at the
// read deadline, a party's requests and connections are bounded, and
// handshakes that never finish are cut and counted.

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/direct"
	"github.com/hotline-line/hotline/internal/nodetest"
	"github.com/hotline-line/hotline/internal/peerlimit"
)

// dialAs opens an HTTP/1.1 connection to p's listener with the keys of
// the party as.
func dialAs(t *testing.T, as *party, p *party) *tls.Conn {
	t.Helper()
	c, err := tls.Dial("tcp", p.addr, &tls.Config{
		Certificates: []tls.Certificate{as.cert}, InsecureSkipVerify: true,
		MinVersion: tls.VersionTLS13, NextProtos: []string{"http/1.1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// holdRequest sends the headers of a request whose body never comes.
func holdRequest(t *testing.T, c net.Conn) {
	t.Helper()
	if _, err := fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: hotline\r\nContent-Length: 1000000\r\n\r\n{", direct.Path); err != nil {
		t.Fatal(err)
	}
}

// closedWithin waits until the other end closes c, and returns what it
// sent before (a status line, or nothing).
func closedWithin(t *testing.T, c net.Conn, d time.Duration) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(d))
	b, err := io.ReadAll(c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the connection is still open after %v", d)
	}
	line, _, _ := strings.Cut(string(b), "\r\n")
	return line
}

func TestBodyDeadline(t *testing.T) {
	const timeout = time.Second
	_, parties, _ := setupWith(t, direct.Limits{ReadTimeout: timeout})
	seoul, beijing := parties[0], parties[1]
	// The server's read deadline starts once it waits for the request,
	// which may be before dialAs returns here: measure from before the dial.
	begin := time.Now()
	c := dialAs(t, seoul, beijing)
	holdRequest(t, c)
	status := closedWithin(t, c, 20*timeout)
	took := time.Since(begin)
	t.Logf("a body that never came: %q, connection closed after %v", status, took)
	if took < timeout {
		t.Fatalf("cut after %v, before the deadline of %v", took, timeout)
	}
	// Headers that never end are cut too.
	c = dialAs(t, seoul, beijing)
	begin = time.Now()
	fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: hotline\r\n", direct.Path)
	closedWithin(t, c, 20*timeout)
	t.Logf("headers that never ended: closed after %v", time.Since(begin))
}

// TestRequestsPerParty: a party with MaxRequestsPerParty bodies in flight
// gets 503 and Retry-After for the next, unread; once they end it is
// served again.
func TestRequestsPerParty(t *testing.T) {
	_, parties, _ := setupWith(t, direct.Limits{ReadTimeout: 2 * time.Second})
	seoul, beijing := parties[0], parties[1]
	var held []*tls.Conn
	for range direct.MaxRequestsPerParty {
		c := dialAs(t, seoul, beijing)
		holdRequest(t, c)
		held = append(held, c)
	}
	c := rawClient(t, seoul, beijing.n.Keys.TLSPublicKey(), true)
	var status int
	var msg string
	nodetest.Wait(t, 10*time.Second, "the held requests to take the party's share", func() bool {
		resp, err := c.Post("https://"+beijing.addr+direct.Path, "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		status, msg = resp.StatusCode, string(b)
		if status == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == "" {
			t.Fatal("503 without Retry-After")
		}
		return status == http.StatusServiceUnavailable
	})
	t.Logf("over the share: %d %s", status, strings.TrimSpace(msg))
	for _, h := range held {
		closedWithin(t, h, 20*time.Second)
	}
	nodetest.Wait(t, 10*time.Second, "the party to be served again", func() bool {
		resp, err := c.Post("https://"+beijing.addr+direct.Path, "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusBadRequest // {} is not a bundle, but it was read
	})
}

// TestConnectionsPerKey: a party's newest connection closes its oldest
// beyond MaxPerKey, so what it holds stays bounded and it is never locked
// out by its own dead connections.
func TestConnectionsPerKey(t *testing.T) {
	const perKey = 4
	_, parties, _ := setupWith(t, direct.Limits{Conns: peerlimit.Config{MaxPerKey: perKey}})
	seoul, beijing := parties[0], parties[1]
	var conns []*tls.Conn
	for range 3 * perKey {
		c := dialAs(t, seoul, beijing)
		// A request proves the server took the connection in.
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: hotline\r\n\r\n")
		if _, err := bufio.NewReader(c).ReadString('\n'); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns[:2*perKey] {
		closedWithin(t, c, 10*time.Second)
	}
	for _, c := range conns[2*perKey:] {
		c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		if _, err := c.Read(make([]byte, 1)); err == io.EOF {
			t.Fatal("one of the newest connections was closed")
		}
	}
	st := beijing.limits.Stats()
	t.Logf("listener: %+v", st)
	if st.Open != perKey || st.Evicted != 2*perKey {
		t.Fatalf("listener holds %d connections and closed %d, want %d and %d", st.Open, st.Evicted, perKey, 2*perKey)
	}
}

// TestHandshakes: connections that never start the handshake hold a slot
// for HandshakeTimeout at most; beyond MaxHandshakes they are closed at
// once; once they are gone, a party connects again.
func TestHandshakes(t *testing.T) {
	const slots, timeout = 4, 500 * time.Millisecond
	_, parties, _ := setupWith(t, direct.Limits{Conns: peerlimit.Config{MaxHandshakes: slots, HandshakeTimeout: timeout}})
	seoul, beijing := parties[0], parties[1]
	var raw []net.Conn
	for range slots {
		c, err := net.Dial("tcp", beijing.addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		raw = append(raw, c)
	}
	nodetest.Wait(t, 5*time.Second, "the handshakes to be counted", func() bool { return beijing.limits.Stats().Handshakes == slots })
	extra, err := net.Dial("tcp", beijing.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	closedWithin(t, extra, timeout/2)
	if st := beijing.limits.Stats(); st.Refused == 0 {
		t.Fatalf("no connection refused: %+v", st)
	}
	begin := time.Now()
	for _, c := range raw {
		closedWithin(t, c, 10*timeout)
	}
	t.Logf("handshakes never started: cut after %v", time.Since(begin))
	nodetest.Wait(t, 5*time.Second, "the slots to be free", func() bool { return beijing.limits.Stats().Open == 0 })
	c := dialAs(t, seoul, beijing)
	fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: hotline\r\n\r\n")
	if line, err := bufio.NewReader(c).ReadString('\n'); err != nil || !strings.HasPrefix(line, "HTTP/1.1 ") {
		t.Fatalf("after the handshakes: %q %v", line, err)
	}
}
