package relay

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hotline-line/hotline/internal/peerlimit"
)

// Default limits.
const (
	DefaultMaxBlob  = 16 << 20  // bytes in one blob
	DefaultMaxBytes = 256 << 20 // bytes stored per mailbox
	DefaultMaxCount = 100_000   // messages stored per mailbox
	DefaultMaxReply = 16 << 20  // bytes of blobs in one fetch reply
	MaxWait         = 30 * time.Second
)

// maxPutsPerKey bounds the puts one client key has in flight; each may
// hold a blob of MaxBlob in memory.
const maxPutsPerKey = 4

// maxReplyMessages bounds the messages in one fetch reply, so that the JSON
// of many tiny blobs stays well under the client's MaxReplySize.
const maxReplyMessages = 4096

// Limits are the relay's size caps. A zero field takes its default;
// MaxBlob and MaxReply are capped at their defaults, so that any reply fits
// a client's MaxReplySize.
type Limits struct {
	MaxBlob  int64 // largest blob a put may carry (413 above)
	MaxBytes int64 // total bytes stored per (line, recipient) (507 above)
	MaxCount int64 // messages stored per (line, recipient) (507 above)
	MaxReply int64 // bytes of blobs in one fetch reply (at least one message is always sent)
}

func (l Limits) withDefaults() Limits {
	def := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxBlob, DefaultMaxBlob)
	def(&l.MaxBytes, DefaultMaxBytes)
	def(&l.MaxCount, DefaultMaxCount)
	def(&l.MaxReply, DefaultMaxReply)
	// A reply must fit the client's bound even when it is a single blob.
	l.MaxBlob = min(l.MaxBlob, DefaultMaxBlob)
	l.MaxReply = min(l.MaxReply, DefaultMaxReply)
	return l
}

// Server is a running relay.
type Server struct {
	dir    string
	log    *slog.Logger
	limits Limits
	key    ed25519.PublicKey
	db     *db
	hub    hub
	http   *http.Server
	addr   net.Addr

	lines    atomic.Pointer[lineSet]
	reloadMu sync.Mutex
	stamp    time.Time // modification time of the lines directory at the last load

	puts      *peerlimit.Requests // puts in flight per client key
	quit      chan struct{}       // closed by Close: long polls return at once
	closeOnce sync.Once
	closeErr  error

	onWait atomic.Pointer[func(line, recipient string)] // test hook: a fetch starts waiting
}

// Start opens the relay in dir with the default limits and starts serving
// on the address of its configuration. Close stops it.
func Start(dir string, log *slog.Logger) (*Server, error) {
	return StartWith(dir, log, Limits{})
}

// StartWith is Start with the given limits.
func StartWith(dir string, log *slog.Logger, lim Limits) (*Server, error) {
	cfg, err := LoadConfig(dir)
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	keys, err := LoadKeys(dir)
	if err != nil {
		return nil, err
	}
	cert, err := keys.TLSCertificate()
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, log: log, limits: lim.withDefaults(), key: keys.TLSPublicKey(), quit: make(chan struct{})}
	if err := s.reload(); err != nil {
		return nil, err
	}
	if s.db, err = openDB(filepath.Join(dir, DBFile)); err != nil {
		return nil, fmt.Errorf("open %s: %w", DBFile, err)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		s.db.close()
		return nil, fmt.Errorf("relay: listen on %s: %w", cfg.Listen, err)
	}
	s.addr = ln.Addr()
	// Each client key holds at most a few connections (peerlimit), and a
	// few puts at once: what a party can make the relay hold is bounded.
	tlsConf := s.tlsConfig(cert)
	errlog := slog.NewLogLogger(log.Handler(), slog.LevelDebug)
	pl := peerlimit.Listen(ln, tlsConf, peerlimit.Config{ErrorLog: errlog})
	s.puts = peerlimit.NewRequests(maxPutsPerKey)
	s.http = &http.Server{
		Handler:           s.handler(),
		TLSConfig:         tlsConf,
		ConnState:         pl.ConnState,
		HTTP2:             &http.HTTP2Config{MaxConcurrentStreams: 32},
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // a 16 MiB body on a slow link, not forever
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          errlog,
	}
	go s.http.Serve(pl)
	log.Info("relay serving", "addr", s.addr.String(), "key", KeyText(s.key),
		"fingerprint", Fingerprint(s.key), "lines", len(s.lines.Load().lines))
	return s, nil
}

// Addr is the address the relay listens on.
func (s *Server) Addr() net.Addr { return s.addr }

// Key is the relay's TLS public key, the one clients pin.
func (s *Server) Key() ed25519.PublicKey { return s.key }

// Close stops serving: waiting fetches return at once, requests in flight
// finish (or ctx expires), and the database is closed. Every put that was
// answered is on disk.
func (s *Server) Close(ctx context.Context) error {
	s.closeOnce.Do(func() {
		close(s.quit)
		err := s.http.Shutdown(ctx)
		if err != nil {
			s.http.Close() // ctx expired: cut what is left
		}
		s.closeErr = errors.Join(err, s.db.close())
	})
	return s.closeErr
}

// reload reads the lines directory if it changed since the last load. It is
// called at start and when an unknown key connects, so a line added with
// AddLine to a running relay takes effect at its parties' next connection.
func (s *Server) reload() error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	st, err := os.Stat(filepath.Join(s.dir, LinesDir))
	var stamp time.Time
	switch {
	case err == nil:
		stamp = st.ModTime()
	case !errors.Is(err, os.ErrNotExist):
		return err
	}
	if s.lines.Load() != nil && stamp.Equal(s.stamp) {
		return nil
	}
	ls, err := loadLines(s.dir)
	if err != nil {
		return err
	}
	s.lines.Store(ls)
	s.stamp = stamp
	return nil
}

// knownKey reports whether k is a party's key on any line, reloading the
// lines once if it is not.
func (s *Server) knownKey(k ed25519.PublicKey) bool {
	if s.lines.Load().keys[string(k)] {
		return true
	}
	if err := s.reload(); err != nil {
		s.log.Warn("relay: reload lines", "err", err)
	}
	return s.lines.Load().keys[string(k)]
}

func (s *Server) tlsConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAnyClientCert,
		NextProtos:   []string{"h2", "http/1.1"},
		VerifyPeerCertificate: pinned("client", func(k ed25519.PublicKey) bool {
			return s.knownKey(k)
		}),
	}
}

// pinned accepts a certificate chain only for its leaf's Ed25519 key.
func pinned(who string, want func(ed25519.PublicKey) bool) func([][]byte, [][]*x509.Certificate) error {
	return func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 {
			return fmt.Errorf("relay: %s sent no certificate", who)
		}
		cert, err := x509.ParseCertificate(raw[0])
		if err != nil {
			return fmt.Errorf("relay: %s certificate: %w", who, err)
		}
		key, ok := cert.PublicKey.(ed25519.PublicKey)
		if !ok || !want(key) {
			return fmt.Errorf("relay: %s key is not pinned", who)
		}
		return nil
	}
}

// MailboxPath is the path of a mailbox.
func MailboxPath(line, recipient string) string {
	return "/v1/lines/" + line + "/mailbox/" + recipient
}

const mailboxPattern = "/v1/lines/{line}/mailbox/{recipient}"

func (s *Server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("PUT "+mailboxPattern, s.handlePut)
	mux.HandleFunc("GET "+mailboxPattern, s.handleFetch)
	mux.HandleFunc("DELETE "+mailboxPattern, s.handleAck)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	return mux
}

// caller identifies the party making request r on its line: the party of
// that line whose TLS key the client showed. It writes the error reply and
// returns ok false if there is none.
func (s *Server) caller(w http.ResponseWriter, r *http.Request) (l *line, me string, ok bool) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		http.Error(w, "client certificate required", http.StatusUnauthorized)
		return nil, "", false
	}
	key, _ := r.TLS.PeerCertificates[0].PublicKey.(ed25519.PublicKey)
	id := r.PathValue("line")
	l, me, ok = s.lines.Load().party(id, key)
	switch {
	case l == nil:
		http.Error(w, fmt.Sprintf("unknown line %q: the relay does not carry it", id), http.StatusNotFound)
		return nil, "", false
	case !ok:
		s.log.Warn("relay: refused a key that is not a party of the line", "line", id, "path", r.URL.Path)
		http.Error(w, "your key is not a party of line "+id, http.StatusForbidden)
		return nil, "", false
	}
	return l, me, true
}

func (s *Server) handlePut(w http.ResponseWriter, r *http.Request) {
	l, me, ok := s.caller(w, r)
	if !ok {
		return
	}
	to := r.PathValue("recipient")
	switch {
	case !l.parties[to]:
		http.Error(w, fmt.Sprintf("recipient %q is not a party of line %s", to, l.id), http.StatusForbidden)
		return
	case to == me:
		http.Error(w, "a party cannot write to its own mailbox", http.StatusForbidden)
		return
	}
	tooLarge := func() {
		s.log.Warn("relay: blob too large", "line", l.id, "sender", me, "recipient", to, "length", r.ContentLength)
		http.Error(w, fmt.Sprintf("blob too large: the relay takes at most %d bytes", s.limits.MaxBlob), http.StatusRequestEntityTooLarge)
	}
	if r.ContentLength > s.limits.MaxBlob {
		tooLarge()
		return
	}
	done, ok := s.puts.Begin(string(r.TLS.PeerCertificates[0].PublicKey.(ed25519.PublicKey)))
	if !ok {
		w.Header().Set("Retry-After", "1")
		http.Error(w, fmt.Sprintf("%d puts of yours are in progress already", maxPutsPerKey), http.StatusServiceUnavailable)
		return
	}
	defer done()
	blob, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.limits.MaxBlob))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		tooLarge()
		return
	case err != nil:
		http.Error(w, "reading the blob: "+err.Error(), http.StatusBadRequest)
		return
	case len(blob) == 0:
		http.Error(w, "empty blob", http.StatusBadRequest)
		return
	}
	seq, err := s.db.put(r.Context(), l.id, to, me, time.Now(), blob, s.limits)
	var qe *quotaError
	switch {
	case errors.As(err, &qe):
		s.log.Warn("relay: mailbox full", "line", l.id, "sender", me, "recipient", to, "size", len(blob), "err", qe.msg)
		http.Error(w, qe.msg, http.StatusInsufficientStorage)
		return
	case err != nil:
		s.log.Error("relay: put", "line", l.id, "sender", me, "recipient", to, "err", err)
		http.Error(w, "the relay could not store the blob", http.StatusServiceUnavailable)
		return
	}
	s.hub.notify(l.id, to)
	s.log.Debug("relay: put", "line", l.id, "sender", me, "recipient", to, "seq", seq, "size", len(blob))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(w, "{\"seq\":%d}\n", seq)
}

// ownMailbox checks that the caller is the mailbox's recipient.
func (s *Server) ownMailbox(w http.ResponseWriter, r *http.Request) (l *line, me string, ok bool) {
	l, me, ok = s.caller(w, r)
	if !ok {
		return nil, "", false
	}
	if to := r.PathValue("recipient"); to != me {
		s.log.Warn("relay: refused access to another party's mailbox", "line", l.id, "caller", me, "mailbox", to)
		http.Error(w, fmt.Sprintf("only %s may read or delete its mailbox; you are %s", to, me), http.StatusForbidden)
		return nil, "", false
	}
	return l, me, true
}

func seqParam(r *http.Request, name string, required bool) (uint64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		if required {
			return 0, fmt.Errorf("parameter %s is required", name)
		}
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parameter %s: want a sequence number, not %q", name, v)
	}
	return n, nil
}

func (s *Server) handleFetch(w http.ResponseWriter, r *http.Request) {
	l, me, ok := s.ownMailbox(w, r)
	if !ok {
		return
	}
	after, err := seqParam(r, "after", false)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var wait time.Duration
	if v := r.URL.Query().Get("wait"); v != "" {
		if wait, err = time.ParseDuration(v); err != nil || wait < 0 {
			http.Error(w, fmt.Sprintf("parameter wait: want a duration such as 30s, not %q", v), http.StatusBadRequest)
			return
		}
		wait = min(wait, MaxWait)
	}
	var timer <-chan time.Time
	for {
		// Watch before reading, so a put that commits after the read wakes us.
		woken := s.hub.watch(l.id, me)
		msgs, err := s.db.fetch(r.Context(), l.id, me, after, s.limits.MaxReply, maxReplyMessages)
		if err != nil {
			if r.Context().Err() == nil {
				s.log.Error("relay: fetch", "line", l.id, "recipient", me, "err", err)
				http.Error(w, "the relay could not read the mailbox", http.StatusServiceUnavailable)
			}
			return
		}
		if len(msgs) > 0 || wait == 0 {
			s.writeMessages(w, l.id, me, msgs)
			return
		}
		if timer == nil {
			t := time.NewTimer(wait)
			defer t.Stop()
			timer = t.C
		}
		if f := s.onWait.Load(); f != nil {
			(*f)(l.id, me)
		}
		select {
		case <-woken:
		case <-timer:
			s.writeMessages(w, l.id, me, nil)
			return
		case <-s.quit:
			s.writeMessages(w, l.id, me, nil)
			return
		case <-r.Context().Done():
			return
		}
	}
}

// writeMessages streams the reply one message at a time, so a large reply
// is not held twice in memory.
func (s *Server) writeMessages(w http.ResponseWriter, lineID, me string, msgs []Message) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, `{"messages":[`)
	for i := range msgs {
		if i > 0 {
			io.WriteString(w, ",")
		}
		b, err := json.Marshal(&msgs[i])
		if err != nil {
			panic(err) // plain data
		}
		if _, err := w.Write(b); err != nil {
			return
		}
	}
	io.WriteString(w, "]}\n")
	if len(msgs) > 0 {
		s.log.Debug("relay: fetch", "line", lineID, "recipient", me, "messages", len(msgs),
			"first", msgs[0].Seq, "last", msgs[len(msgs)-1].Seq)
	}
}

func (s *Server) handleAck(w http.ResponseWriter, r *http.Request) {
	l, me, ok := s.ownMailbox(w, r)
	if !ok {
		return
	}
	through, err := seqParam(r, "through", true)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	n, err := s.db.ack(r.Context(), l.id, me, through)
	if err != nil {
		s.log.Error("relay: ack", "line", l.id, "recipient", me, "err", err)
		http.Error(w, "the relay could not delete the messages", http.StatusServiceUnavailable)
		return
	}
	s.log.Debug("relay: ack", "line", l.id, "recipient", me, "through", through, "deleted", n)
	w.WriteHeader(http.StatusNoContent)
}

// hub wakes the fetches waiting on a mailbox when a blob is put there. Each
// mailbox with waiters has one channel, closed (and forgotten) by the next
// put; waiters then take a fresh one.
type hub struct {
	mu sync.Mutex
	ch map[[2]string]chan struct{}
}

func (h *hub) watch(lineID, recipient string) <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	k := [2]string{lineID, recipient}
	c, ok := h.ch[k]
	if !ok {
		if h.ch == nil {
			h.ch = map[[2]string]chan struct{}{}
		}
		c = make(chan struct{})
		h.ch[k] = c
	}
	return c
}

func (h *hub) notify(lineID, recipient string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	k := [2]string{lineID, recipient}
	if c, ok := h.ch[k]; ok {
		close(c)
		delete(h.ch, k)
	}
}
