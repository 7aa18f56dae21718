// Package direct is the direct route: HTTPS over mutual TLS 1.3 between two
// nodes, each side pinning the other's key from the line's charter. There is
// no certificate authority; a certificate's names and dates are ignored and
// only its public key counts. Either side may dial.
//
// One request carries one bundle: POST /v1/exchange, and the reply is the
// peer's bundle. See docs/protocol.md.
package direct

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/peerlimit"
	"github.com/hotline-line/hotline/internal/wire"
)

// Path is the one endpoint of the direct route.
const Path = "/v1/exchange"

// Peers tells the route where a peer listens and which key it must show,
// and which party a key belongs to.
type Peers interface {
	PeerRoute(line, peer string) (addr string, tlsKey ed25519.PublicKey, err error)
	PartyForTLSKey(key ed25519.PublicKey) (string, bool)
}

// Rotating is a Peers whose parties' TLS keys change by key rotation
// (protocol §32). The route asks it, when it implements it, which
// certificate to present and which keys a peer may present.
type Rotating interface {
	// ClientCertificate is the certificate to present when dialing peer.
	ClientCertificate(peer string) (*tls.Certificate, error)
	// ServerCertificate is the certificate the listener presents.
	ServerCertificate() (*tls.Certificate, error)
	// PeerTLSKeys are every key peer may present now; the key PeerRoute
	// pins counts only if it is among them.
	PeerTLSKeys(peer string) []ed25519.PublicKey
}

func pinned(want func(ed25519.PublicKey) bool) func([][]byte, [][]*x509.Certificate) error {
	return func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 {
			return errors.New("direct: peer sent no certificate")
		}
		cert, err := x509.ParseCertificate(raw[0])
		if err != nil {
			return fmt.Errorf("direct: peer certificate: %w", err)
		}
		key, ok := cert.PublicKey.(ed25519.PublicKey)
		if !ok || !want(key) {
			return errors.New("direct: peer key is not pinned by any line")
		}
		return nil
	}
}

// ServerTLS is the listener's TLS configuration: TLS 1.3 only, a client
// certificate required, and accepted only if its key is a party's. If
// peers is Rotating, it chooses the certificate at each handshake and cert
// is not used.
func ServerTLS(cert tls.Certificate, peers Peers) *tls.Config {
	certs := []tls.Certificate{cert}
	var current func(*tls.ClientHelloInfo) (*tls.Certificate, error)
	if r, ok := peers.(Rotating); ok {
		// tls asks GetCertificate only when Certificates is empty (peers
		// dial an address, not a name).
		certs, current = nil, func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return r.ServerCertificate() }
	}
	return &tls.Config{
		GetCertificate: current,
		MinVersion:     tls.VersionTLS13,
		Certificates:   certs,
		ClientAuth:     tls.RequireAnyClientCert,
		NextProtos:     []string{"h2", "http/1.1"},
		VerifyPeerCertificate: pinned(func(k ed25519.PublicKey) bool {
			_, ok := peers.PartyForTLSKey(k)
			return ok
		}),
	}
}

// Handler serves the direct route for node n. Each party has at most
// MaxRequestsPerParty requests in flight; the body is checked while it is
// read (wire.Decode), so a bundle over a limit is refused at that part.
func Handler(n *node.Node, peers Peers) http.Handler {
	inFlight := peerlimit.NewRequests(MaxRequestsPerParty)
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+Path, func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
			http.Error(w, "client certificate required", http.StatusUnauthorized)
			return
		}
		key, _ := r.TLS.PeerCertificates[0].PublicKey.(ed25519.PublicKey)
		from, ok := peers.PartyForTLSKey(key)
		if !ok {
			http.Error(w, "unknown party", http.StatusForbidden)
			return
		}
		done, ok := inFlight.Begin(from)
		if !ok {
			w.Header().Set("Retry-After", "1")
			http.Error(w, fmt.Sprintf("%d bundles of %s are being taken in already", MaxRequestsPerParty, from), http.StatusServiceUnavailable)
			return
		}
		defer done()
		tooLarge := func() {
			http.Error(w, fmt.Sprintf("bundle larger than %d bytes", wire.MaxBundleSize), http.StatusRequestEntityTooLarge)
		}
		if r.ContentLength > wire.MaxBundleSize {
			tooLarge() // unread
			return
		}
		b, err := wire.Decode(http.MaxBytesReader(w, r.Body, wire.MaxBundleSize))
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			tooLarge()
			return
		case err != nil:
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		reply, err := n.HandleBundle(r.Context(), from, b)
		status := http.StatusOK
		switch {
		case err == nil:
		case errors.Is(err, node.ErrNoLine):
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		case errors.Is(err, node.ErrNotAParty):
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		case reply == nil || errors.Is(err, node.ErrUnavailable):
			w.Header().Set("Retry-After", "1")
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		default:
			status = http.StatusUnprocessableEntity // refused; the reply says where we stand
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		reply.Encode(w)
	})
	return mux
}

// Client is the dialing side of the direct route.
type Client struct {
	cert     tls.Certificate
	peers    Peers
	rotating Rotating // nil: cert and the key PeerRoute pins, always

	mu      sync.Mutex
	clients map[string]*http.Client // by peer, address and pinned key (clientID)
}

// NewClient returns a route that dials peers with cert.
func NewClient(cert tls.Certificate, peers Peers) *Client {
	return &Client{cert: cert, peers: peers, clients: map[string]*http.Client{}}
}

// RotatingPeers are Peers that are Rotating.
type RotatingPeers interface {
	Peers
	Rotating
}

// NewRotatingClient returns a route that dials each peer with the
// certificate peers chooses for it, and admits every key of the peer
// peers names: keys that change by key rotation.
func NewRotatingClient(peers RotatingPeers) *Client {
	return &Client{peers: peers, rotating: peers, clients: map[string]*http.Client{}}
}

// Name implements node.Route.
func (c *Client) Name() string { return "direct" }

func (c *Client) client(peer, addr string, key ed25519.PublicKey) *http.Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := clientID(peer, addr, key)
	if hc, ok := c.clients[id]; ok {
		return hc
	}
	tc := &tls.Config{
		MinVersion:         tls.VersionTLS13,
		Certificates:       []tls.Certificate{c.cert},
		InsecureSkipVerify: true, // no CA: the pinned key is checked below
		VerifyPeerCertificate: pinned(func(k ed25519.PublicKey) bool {
			return k.Equal(key)
		}),
	}
	if r := c.rotating; r != nil {
		// The certificate and the keys admitted are asked for at each
		// handshake: a rotation changes them without a new client.
		tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return r.ClientCertificate(peer)
		}
		// Not the key PeerRoute pins (the card's): a compromise
		// declaration retires it.
		tc.VerifyPeerCertificate = pinned(func(k ed25519.PublicKey) bool {
			return slices.ContainsFunc(r.PeerTLSKeys(peer), func(o ed25519.PublicKey) bool { return k.Equal(o) })
		})
	}
	tr := &http.Transport{
		TLSClientConfig:     tc,
		ForceAttemptHTTP2:   true,
		TLSHandshakeTimeout: 5 * time.Second,
		IdleConnTimeout:     90 * time.Second,
		MaxIdleConnsPerHost: 4,
		// A connection whose packets are silently dropped (a cut cable, a
		// firewall or NAT that lost its state) is never reset: without a
		// health check every later request would be queued on it and time
		// out, long after the route came back. Ping a connection that has
		// been silent for a few seconds, and drop it if the ping goes
		// unanswered, so the next request dials afresh.
		HTTP2: &http.HTTP2Config{SendPingTimeout: healthPing, PingTimeout: healthPing},
	}
	hc := &http.Client{Transport: tr}
	c.clients[id] = hc
	return hc
}

// Exchange implements node.Route.
func (c *Client) Exchange(ctx context.Context, line, peer string, b *wire.Bundle) (*wire.Bundle, error) {
	addr, key, err := c.peers.PeerRoute(line, peer)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "https://"+addr+Path, bytes.NewReader(b.Marshal()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	hc := c.client(peer, addr, key)
	resp, err := hc.Do(req)
	if err != nil {
		// No answer at all. The connection may be dead without knowing it
		// (a cut cable drops packets, it does not reset them): the next
		// exchange dials afresh instead of queueing on it.
		c.forget(clientID(peer, addr, key), hc)
		return nil, fmt.Errorf("direct to %s at %s: %w", peer, addr, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusForbidden {
		// The peer no longer admits the key this connection was opened
		// with (a compromise declaration retired it): dial afresh, with
		// the certificate ClientCertificate gives now.
		defer c.forget(clientID(peer, addr, key), hc)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return wire.DecodeReply(resp.Body)
	case http.StatusUnprocessableEntity:
		reply, err := wire.DecodeReply(resp.Body)
		if err != nil {
			return nil, &node.RefusedError{Msg: err.Error()}
		}
		return nil, &node.RefusedError{Msg: reply.Error}
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	return nil, &node.RefusedError{Msg: fmt.Sprintf("%s: %s", resp.Status, bytes.TrimSpace(msg))}
}

// clientID names the client for peer at addr, pinning key: one for every
// line with that peer.
func clientID(peer, addr string, key ed25519.PublicKey) string {
	return peer + "|" + addr + "|" + string(key)
}

// forget drops hc, the client id names, if it is still the one in use.
func (c *Client) forget(id string, hc *http.Client) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.clients[id] == hc {
		delete(c.clients, id)
		hc.CloseIdleConnections()
	}
}

// CloseIdle closes idle connections, so a restarted peer is dialed afresh.
func (c *Client) CloseIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, hc := range c.clients {
		hc.CloseIdleConnections()
	}
}

// healthPing is how long a connection may be silent before it is pinged,
// and how long the ping may go unanswered before the connection is closed.
const healthPing = 3 * time.Second
