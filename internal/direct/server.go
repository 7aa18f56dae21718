package direct

import (
	"crypto/tls"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/peerlimit"
)

// Bounds of the listening side. The other end of a connection is a party
// of some line, and may be hostile: what it can hold is bounded by these,
// whatever it sends (docs/protocol.md §11.4).
const (
	// ReadHeaderTimeout bounds the headers of a request.
	ReadHeaderTimeout = 10 * time.Second
	// ReadTimeout bounds a whole request, body included. A dialer gives up
	// on an exchange after 5 s + 5 ms per entry (15 s for a full segment),
	// so a body still arriving after this is of no use to anyone.
	ReadTimeout = 30 * time.Second
	// WriteTimeout bounds a request and its reply.
	WriteTimeout = time.Minute
	// IdleTimeout closes a connection that carries no request.
	IdleTimeout = 2 * time.Minute
	// MaxRequestsPerParty is how many bundles of one party are read and
	// taken in at once; more are answered 503 at once, unread. A node's
	// link sends one bundle at a time, a link test another.
	MaxRequestsPerParty = 2
	// MaxStreams is how many HTTP/2 requests one connection may carry at once.
	MaxStreams = 8
)

// Limits are the listener's bounds. A zero field takes its default.
type Limits struct {
	Conns       peerlimit.Config // connections and handshakes (package peerlimit's defaults)
	ReadTimeout time.Duration    // ReadTimeout, shorter in tests
}

// Serve serves the direct route for n on ln until the returned server is
// closed, within lim. The returned listener reports what connections hold.
func Serve(ln net.Listener, n *node.Node, peers Peers, cert tls.Certificate, lim Limits, errlog *log.Logger) (*http.Server, *peerlimit.Listener) {
	tlsConf := ServerTLS(cert, peers)
	if lim.Conns.ErrorLog == nil {
		lim.Conns.ErrorLog = errlog
	}
	if lim.ReadTimeout <= 0 {
		lim.ReadTimeout = ReadTimeout
	}
	pl := peerlimit.Listen(ln, tlsConf, lim.Conns)
	srv := &http.Server{
		Handler:           Handler(n, peers),
		TLSConfig:         tlsConf,
		ReadHeaderTimeout: min(ReadHeaderTimeout, lim.ReadTimeout),
		ReadTimeout:       lim.ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    16 << 10,
		HTTP2:             &http.HTTP2Config{MaxConcurrentStreams: MaxStreams},
		ConnState:         pl.ConnState,
		ErrorLog:          errlog,
	}
	go srv.Serve(pl)
	return srv, pl
}
