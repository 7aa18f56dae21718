package direct_test

// The direct route on real loopback sockets with real mutual TLS 1.3:
// pinned keys both ways, hostile frames, strangers at the door.

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/direct"
	"github.com/hotline-line/hotline/internal/identity"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
	"github.com/hotline-line/hotline/internal/peerlimit"
	"github.com/hotline-line/hotline/internal/seal"
	"github.com/hotline-line/hotline/internal/testload"
	"github.com/hotline-line/hotline/internal/wire"
)

// syncBuffer collects a server's error log.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// peersAt is a node's view of its lines, with the listeners' real
// addresses instead of the ones in the charter.
type peersAt struct {
	*node.Node
	addr map[string]string
}

func (p peersAt) PeerRoute(line, peer string) (string, ed25519.PublicKey, error) {
	_, key, err := p.Node.PeerRoute(line, peer)
	return p.addr[peer], key, err
}

type party struct {
	n      *node.Node
	cert   tls.Certificate
	addr   string
	errlog *syncBuffer
	limits *peerlimit.Listener
}

// setup pairs Seoul and Beijing and serves each one's direct route on a
// loopback port. Nothing is started.
func setup(t *testing.T) (string, []*party, map[string]string) {
	t.Helper()
	// Under the race detector a 64 MiB body takes longer to read than the
	// read deadline; the deadlines have their own tests (bounds_test.go).
	return setupWith(t, direct.Limits{ReadTimeout: 5 * time.Minute})
}

// setupWith is setup with the listeners bounded by lim.
func setupWith(t *testing.T, lim direct.Limits) (string, []*party, map[string]string) {
	t.Helper()
	return setupIn(t, nodetest.Dirs(t), lim)
}

// setupIn is setupWith for the parties made in dirs.
func setupIn(t *testing.T, dirs []string, lim direct.Limits) (string, []*party, map[string]string) {
	t.Helper()
	nodes, line := nodetest.Pair(t, dirs, node.Options{})
	addrs := map[string]string{}
	var parties []*party
	for _, n := range nodes {
		cert, err := n.Keys.TLSCertificate()
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := &party{n: n, cert: cert, addr: ln.Addr().String(), errlog: &syncBuffer{}}
		srv, pl := direct.Serve(ln, n, n, cert, lim, log.New(p.errlog, "", 0))
		p.limits = pl
		t.Cleanup(func() { srv.Close() })
		addrs[n.Me()] = p.addr
		parties = append(parties, p)
	}
	return line, parties, addrs
}

// start runs every node's links over the direct route.
func start(t *testing.T, parties []*party, addrs map[string]string) {
	for _, p := range parties {
		c := direct.NewClient(p.cert, peersAt{p.n, addrs})
		t.Cleanup(c.CloseIdle)
		p.n.Start(c)
	}
}

// lineWorks sends a message each way and waits for both receipts.
func lineWorks(t *testing.T, line string, parties []*party) {
	t.Helper()
	ctx := context.Background()
	a, b := parties[0].n, parties[1].n
	ida, err := a.Send(ctx, node.SendRequest{Line: line, Text: "radio check from " + a.Me()})
	if err != nil {
		t.Fatal(err)
	}
	idb, err := b.Send(ctx, node.SendRequest{Line: line, Text: "radio check from " + b.Me()})
	if err != nil {
		t.Fatal(err)
	}
	size := func(n *node.Node) uint64 {
		st, err := n.Status(line)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range st.Parties {
			if p.Party == n.Me() {
				return p.LogSize
			}
		}
		return 0
	}
	nodetest.Wait(t, 30*time.Second, "messages delivered and cosigned over TLS", func() bool {
		ra, _ := a.Receipt(line, b.Me())
		rb, _ := b.Receipt(line, a.Me())
		_, ea := b.Message(line, ida)
		_, eb := a.Message(line, idb)
		return ra == size(a) && rb == size(b) && ea == nil && eb == nil
	})
}

func TestExchangeOverTLS(t *testing.T) {
	line, parties, addrs := setup(t)
	start(t, parties, addrs)
	lineWorks(t, line, parties)
	lineWorks(t, line, parties)
	st, err := parties[0].n.Status(line)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range st.Parties {
		if p.Party == parties[1].n.Me() {
			if len(p.Routes) != 1 || p.Routes[0].Route != "direct" || p.Routes[0].LastSuccess.IsZero() {
				t.Fatalf("route health does not show the direct route working: %+v", p.Routes)
			}
		}
	}
}

// rawClient posts arbitrary bytes to a node's direct route as party p.
func rawClient(t *testing.T, p *party, serverKey ed25519.PublicKey, h2 bool) *http.Client {
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{
			MinVersion:         tls.VersionTLS13,
			Certificates:       []tls.Certificate{p.cert},
			InsecureSkipVerify: true, // the key is pinned below
			VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
				c, err := x509.ParseCertificate(raw[0])
				if err != nil {
					return err
				}
				if k, ok := c.PublicKey.(ed25519.PublicKey); !ok || !k.Equal(serverKey) {
					return errors.New("server key not pinned")
				}
				return nil
			},
		},
		ForceAttemptHTTP2: h2,
	}
	t.Cleanup(tr.CloseIdleConnections)
	// A minute for an answer on an idle machine: an oversized body is
	// sent in full before its refusal comes back, which takes far longer
	// on a loaded one.
	return &http.Client{Transport: tr, Timeout: testload.Scale(time.Minute)}
}

func post(t *testing.T, c *http.Client, addr string, body io.Reader) (int, string, error) {
	t.Helper()
	resp, err := c.Post("https://"+addr+direct.Path, "application/json", body)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if !resp.ProtoAtLeast(1, 0) {
		t.Fatalf("no protocol: %s", resp.Proto)
	}
	return resp.StatusCode, strings.TrimSpace(string(msg)), nil
}

type neverEnding byte

func (b neverEnding) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

// TestHostileFrames posts broken frames over real mutual TLS: each is
// refused with a 4xx status that names the problem, and the line goes on.
func TestHostileFrames(t *testing.T) {
	line, parties, addrs := setup(t)
	seoul, beijing := parties[0], parties[1]
	valid := (&wire.Bundle{V: wire.Version, Line: line, From: seoul.n.Me()}).Marshal()
	// Every part within its limits, the whole larger than a bundle may be.
	oversized := func() io.Reader {
		parts := []io.Reader{strings.NewReader(`{"v":1,"line":"` + line + `","from":"seoul","segments":[{"author":"seoul","checkpoint":"AA==","start":0,"entries":[`)}
		for i := range 7 {
			if i > 0 {
				parts = append(parts, strings.NewReader(","))
			}
			parts = append(parts, strings.NewReader(`{"leaf":"AA==","envelope":"`),
				io.LimitReader(neverEnding('A'), int64(base64.StdEncoding.EncodedLen(seal.MaxEnvelopeSize-2))), strings.NewReader(`"}`))
		}
		return io.MultiReader(append(parts, strings.NewReader(`]}]}`))...)
	}
	// The same with its length known: refused before it is read.
	oversizedBytes, err := io.ReadAll(oversized())
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		body   func() io.Reader
		status []int
		want   string
	}{
		{"garbage", func() io.Reader { return strings.NewReader("\x16\x03\x01 not a bundle \x00\xff") }, []int{400}, "malformed bundle: invalid character"},
		{"empty", func() io.Reader { return strings.NewReader("") }, []int{400}, "unexpected EOF"},
		{"truncated", func() io.Reader { return bytes.NewReader(valid[:len(valid)/2]) }, []int{400}, "unexpected EOF"},
		{"trailing", func() io.Reader { return strings.NewReader(strings.TrimSpace(string(valid)) + "]") }, []int{400}, "malformed bundle: trailing data"},
		{"wrong version", func() io.Reader { return strings.NewReader(strings.Replace(string(valid), `"v":1`, `"v":9`, 1)) }, []int{400}, "version 9"},
		{"unknown line", func() io.Reader {
			return bytes.NewReader((&wire.Bundle{V: wire.Version, Line: strings.Repeat("0", 32), From: "seoul"}).Marshal())
		}, []int{404}, "no such line"},
		{"posing as the server's party", func() io.Reader {
			return bytes.NewReader((&wire.Bundle{V: wire.Version, Line: line, From: beijing.n.Me()}).Marshal())
		}, []int{403}, "sender is not a party of this line"},
		{"segment of the server's own log", func() io.Reader {
			b := &wire.Bundle{V: wire.Version, Line: line, From: "seoul", Segments: []wire.Segment{{
				Author: beijing.n.Me(), Checkpoint: []byte("x"), Entries: []wire.Entry{{Leaf: []byte("x"), Envelope: []byte("x")}}}}}
			return bytes.NewReader(b.Marshal())
		}, []int{422}, "entry does not belong at its place"},
		{"oversized, length known", func() io.Reader { return bytes.NewReader(oversizedBytes) }, []int{413}, "larger than"},
	}
	if !raceOn {
		// Its length unknown: refused when the limit is reached.
		cases = append(cases, struct {
			name   string
			body   func() io.Reader
			status []int
			want   string
		}{"oversized, streamed", oversized, []int{413}, "larger than"})
	}
	for _, proto := range []struct {
		name string
		h2   bool
	}{{"HTTP/2", true}, {"HTTP/1.1", false}} {
		c := rawClient(t, seoul, beijing.n.Keys.TLSPublicKey(), proto.h2)
		for _, tc := range cases {
			t.Run(proto.name+"/"+tc.name, func(t *testing.T) {
				status, msg, err := post(t, c, beijing.addr, tc.body())
				if err != nil {
					t.Fatalf("no answer: %v", err)
				}
				t.Logf("%d %s", status, msg)
				if !slices.Contains(tc.status, status) || !strings.Contains(msg, tc.want) {
					t.Fatalf("got %d %q, want %v mentioning %q", status, msg, tc.status, tc.want)
				}
			})
		}
		// Only POST /v1/exchange is served.
		resp, err := c.Get("https://" + beijing.addr + direct.Path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Fatalf("GET %s: %s", direct.Path, resp.Status)
		}
	}
	if got := heldOf(t, beijing.n, line, seoul.n.Me()); got != 0 {
		t.Fatalf("beijing holds %d entries of seoul after hostile frames", got)
	}
	start(t, parties, addrs)
	lineWorks(t, line, parties)
}

func heldOf(t *testing.T, n *node.Node, line, author string) uint64 {
	t.Helper()
	st, err := n.Status(line)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range st.Parties {
		if p.Party == author {
			return p.LogSize
		}
	}
	return 0
}

// TestUnpinnedClientCertificate: a client whose key no line pins is turned
// away in the TLS handshake; nothing reaches the node.
func TestUnpinnedClientCertificate(t *testing.T) {
	line, parties, addrs := setup(t)
	seoul, beijing := parties[0], parties[1]
	stranger, err := identity.Derive(seoul.n.Me(), identity.NewSeed()) // same name, another key
	if err != nil {
		t.Fatal(err)
	}
	cert, err := stranger.TLSCertificate()
	if err != nil {
		t.Fatal(err)
	}
	c := direct.NewClient(cert, peersAt{seoul.n, addrs})
	defer c.CloseIdle()
	b := &wire.Bundle{V: wire.Version, Line: line, From: seoul.n.Me()}
	_, err = c.Exchange(context.Background(), line, beijing.n.Me(), b)
	var refused *node.RefusedError
	if err == nil || errors.As(err, &refused) {
		t.Fatalf("stranger's exchange: %v, want a TLS failure", err)
	}
	t.Logf("client sees: %v", err)
	nodetest.Wait(t, 10*time.Second, "server to log the refused handshake", func() bool {
		return strings.Contains(beijing.errlog.String(), "direct: peer key is not pinned by any line")
	})
	t.Logf("server log: %s", strings.TrimSpace(beijing.errlog.String()))

	// No client certificate at all.
	anon := rawClient(t, &party{}, beijing.n.Keys.TLSPublicKey(), true)
	if _, _, err := post(t, anon, beijing.addr, strings.NewReader("{}")); err == nil {
		t.Fatal("a client without a certificate was served")
	} else {
		t.Logf("no certificate: %v", err)
	}

	// TLS 1.2 is refused.
	conn, err := tls.Dial("tcp", beijing.addr, &tls.Config{MaxVersion: tls.VersionTLS12, InsecureSkipVerify: true, Certificates: []tls.Certificate{seoul.cert}})
	if err == nil {
		conn.Close()
		t.Fatal("a TLS 1.2 handshake succeeded")
	}
	t.Logf("TLS 1.2: %v", err)

	if got := heldOf(t, beijing.n, line, seoul.n.Me()); got != 0 {
		t.Fatalf("beijing holds %d entries of seoul", got)
	}
	start(t, parties, addrs)
	lineWorks(t, line, parties)
}

// TestServerKeyPinned: a server that shows another key than the pinned one
// is not talked to, even if it holds the right address.
func TestServerKeyPinned(t *testing.T) {
	line, parties, addrs := setup(t)
	seoul, beijing := parties[0], parties[1]
	// Seoul dials Beijing's address but pins Seoul's own key: the server
	// Beijing runs does not hold it.
	wrong := wrongKeyPeers{peersAt{seoul.n, addrs}, seoul.n.Keys.TLSPublicKey()}
	c := direct.NewClient(seoul.cert, wrong)
	defer c.CloseIdle()
	_, err := c.Exchange(context.Background(), line, beijing.n.Me(), &wire.Bundle{V: wire.Version, Line: line, From: seoul.n.Me()})
	if err == nil || !strings.Contains(err.Error(), "direct: peer key is not pinned by any line") {
		t.Fatalf("exchange with a server showing the wrong key: %v", err)
	}
	t.Logf("client sees: %v", err)
}

type wrongKeyPeers struct {
	peersAt
	key ed25519.PublicKey
}

func (p wrongKeyPeers) PeerRoute(line, peer string) (string, ed25519.PublicKey, error) {
	addr, _, err := p.peersAt.PeerRoute(line, peer)
	return addr, p.key, err
}
