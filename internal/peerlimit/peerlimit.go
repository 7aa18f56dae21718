// Package peerlimit bounds what the other end of a listener can hold: the
// connections open in all, the TLS handshakes in progress, the
// authenticated connections of each client key, and the requests each
// party has in flight.
//
// A party that holds a line's keys is still the attacker of every other
// party's node. Without these bounds it could open connections until the
// process runs out of descriptors; then the control socket stops
// answering and the node cannot dial its honest peers. With them, what it
// holds is a fixed number of descriptors and requests, far below the
// process's limit (see [Budget]), and the connection it opens last always
// wins over the one it opened first, so a party whose old connections
// died is never locked out.
//
// A [Listener] does the TLS handshake itself, under a deadline, before it
// hands a connection to the http.Server; its ConnState method must be the
// server's, so that closed connections free their slots.
package peerlimit

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"log"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"
)

// Config bounds a listener. A zero field takes its default.
type Config struct {
	MaxConns         int           // connections open at once, handshakes included
	MaxHandshakes    int           // TLS handshakes in progress at once
	MaxPerKey        int           // authenticated connections per client key: a new one closes the oldest
	HandshakeTimeout time.Duration // a handshake not done by then is cut
	ErrorLog         *log.Logger   // failed handshakes are logged here, as http.Server does; nil: not logged
}

// Defaults.
const (
	DefaultMaxHandshakes    = 64
	DefaultMaxPerKey        = 16
	DefaultHandshakeTimeout = 5 * time.Second
)

func (c Config) withDefaults() Config {
	if c.MaxConns <= 0 {
		c.MaxConns = Budget(4)
	}
	if c.MaxHandshakes <= 0 {
		c.MaxHandshakes = DefaultMaxHandshakes
	}
	if c.MaxPerKey <= 0 {
		c.MaxPerKey = DefaultMaxPerKey
	}
	if c.HandshakeTimeout <= 0 {
		c.HandshakeTimeout = DefaultHandshakeTimeout
	}
	return c
}

// Budget is the number of inbound connections one listener may hold: a
// share (1/share) of the process's descriptor limit, read now, and at
// most 1024. The rest stays for the database, the control socket and the
// node's own dials.
func Budget(share int) int {
	var lim syscall.Rlimit
	n := uint64(1024)
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil {
		n = min(n, lim.Cur/uint64(share))
	}
	return max(int(n), 8)
}

// Listener is a net.Listener that enforces a Config. With a TLS
// configuration it returns only *tls.Conn whose handshake is done.
type Listener struct {
	inner net.Listener
	tls   *tls.Config
	cfg   Config

	ready chan net.Conn
	done  chan struct{}
	once  sync.Once

	mu         sync.Mutex
	open       int                   // connections counted, handshakes included
	handshakes int                   // of which handshaking
	conns      map[net.Conn]string   // accepted connections, by client key ("" without TLS)
	byKey      map[string][]net.Conn // authenticated connections of a key, oldest first
	refused    int                   // connections closed at once, for tests and logs
	evicted    int                   // connections closed for a newer one of the same key
}

// Listen wraps ln. With tlsConf it does each handshake (tlsConf must
// require a client certificate for MaxPerKey to apply); without, it
// bounds only the count.
func Listen(ln net.Listener, tlsConf *tls.Config, cfg Config) *Listener {
	l := &Listener{
		inner: ln, tls: tlsConf, cfg: cfg.withDefaults(),
		ready: make(chan net.Conn), done: make(chan struct{}),
		conns: map[net.Conn]string{}, byKey: map[string][]net.Conn{},
	}
	go l.acceptLoop()
	return l
}

func (l *Listener) acceptLoop() {
	for {
		c, err := l.inner.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			// EMFILE and the like: wait a little instead of spinning.
			if !errors.Is(err, net.ErrClosed) {
				select {
				case <-time.After(50 * time.Millisecond):
					continue
				case <-l.done:
				}
			}
			l.Close()
			return
		}
		if !l.admit() {
			c.Close()
			continue
		}
		if l.tls == nil {
			l.hand(c, "")
			continue
		}
		go l.handshake(c)
	}
}

// admit counts a new connection, or says it must be closed at once.
func (l *Listener) admit() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open >= l.cfg.MaxConns || (l.tls != nil && l.handshakes >= l.cfg.MaxHandshakes) {
		l.refused++
		return false
	}
	l.open++
	if l.tls != nil {
		l.handshakes++
	}
	return true
}

func (l *Listener) handshake(raw net.Conn) {
	tc := tls.Server(raw, l.tls)
	ctx, cancel := context.WithTimeout(context.Background(), l.cfg.HandshakeTimeout)
	err := tc.HandshakeContext(ctx)
	cancel()
	key := ""
	if err == nil {
		if certs := tc.ConnectionState().PeerCertificates; len(certs) > 0 {
			if k, ok := certs[0].PublicKey.(ed25519.PublicKey); ok {
				key = string(k)
			}
		}
	}
	l.mu.Lock()
	l.handshakes--
	l.mu.Unlock()
	if err != nil {
		if l.cfg.ErrorLog != nil {
			l.cfg.ErrorLog.Printf("http: TLS handshake error from %s: %v", raw.RemoteAddr(), err)
		}
		tc.Close()
		l.release(nil)
		return
	}
	l.hand(tc, key)
}

// hand gives an admitted connection to Accept, first closing the oldest
// connection of the same key if the key has too many.
func (l *Listener) hand(c net.Conn, key string) {
	l.mu.Lock()
	l.conns[c] = key
	var oldest net.Conn
	if key != "" {
		l.byKey[key] = append(l.byKey[key], c)
		if len(l.byKey[key]) > l.cfg.MaxPerKey {
			oldest = l.byKey[key][0]
			l.evicted++
		}
	}
	l.mu.Unlock()
	if oldest != nil {
		oldest.Close()
		l.release(oldest)
	}
	select {
	case l.ready <- c:
	case <-l.done:
		c.Close()
		l.release(c)
	}
}

// release frees the slot of c (nil: a connection that was never handed
// on). It is safe to call more than once for the same connection.
func (l *Listener) release(c net.Conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c != nil {
		key, ok := l.conns[c]
		if !ok {
			return
		}
		delete(l.conns, c)
		if key != "" {
			list := l.byKey[key]
			for i, x := range list {
				if x == c {
					list = append(list[:i:i], list[i+1:]...)
					break
				}
			}
			if len(list) == 0 {
				delete(l.byKey, key)
			} else {
				l.byKey[key] = list
			}
		}
	}
	l.open--
}

// ConnState must be the http.Server's ConnState: a closed connection
// frees its slot.
func (l *Listener) ConnState(c net.Conn, s http.ConnState) {
	if s == http.StateClosed || s == http.StateHijacked {
		l.release(c)
	}
}

// Accept returns the next admitted connection.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ready:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops accepting.
func (l *Listener) Close() error {
	var err error
	l.once.Do(func() {
		close(l.done)
		err = l.inner.Close()
	})
	return err
}

// Addr is the listening address.
func (l *Listener) Addr() net.Addr { return l.inner.Addr() }

// Stats is what a listener holds now.
type Stats struct {
	Open, Handshakes, Keys int // connections counted, handshakes among them, client keys with connections
	Refused, Evicted       int // connections closed at once, and closed for a newer one, since the start
}

// Stats says what the listener holds now.
func (l *Listener) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return Stats{Open: l.open, Handshakes: l.handshakes, Keys: len(l.byKey), Refused: l.refused, Evicted: l.evicted}
}
