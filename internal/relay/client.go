package relay

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/hotline-line/hotline/internal/identity"
)

// MaxReplySize bounds a fetch reply a client reads: the relay's largest
// reply (DefaultMaxReply of blobs, in base64) with room to spare.
const MaxReplySize = 32 << 20

// Message is one blob in a mailbox.
type Message struct {
	Seq    uint64    `json:"seq"`    // its place in the mailbox, increasing
	Sender string    `json:"sender"` // the party that put it, as the relay saw it
	Time   time.Time `json:"time"`   // the relay's clock when it was put
	Blob   []byte    `json:"blob"`   // exactly the bytes that were put
}

// Errors a relay answers with. A *StatusError matches the one of its status.
var (
	ErrQuota       = errors.New("relay mailbox is full") // 507
	ErrTooLarge    = errors.New("blob too large")        // 413
	ErrForbidden   = errors.New("forbidden")             // 403
	ErrUnknownLine = errors.New("unknown line")          // 404
)

// StatusError is an error reply from the relay: its HTTP status and message.
type StatusError struct {
	Status int
	Msg    string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("relay: %d %s: %s", e.Status, http.StatusText(e.Status), e.Msg)
}

// Is lets callers test for ErrQuota, ErrTooLarge, ErrForbidden and
// ErrUnknownLine with errors.Is.
func (e *StatusError) Is(target error) bool {
	switch target {
	case ErrQuota:
		return e.Status == http.StatusInsufficientStorage
	case ErrTooLarge:
		return e.Status == http.StatusRequestEntityTooLarge
	case ErrForbidden:
		return e.Status == http.StatusForbidden
	case ErrUnknownLine:
		return e.Status == http.StatusNotFound
	}
	return false
}

// Client talks to one relay, pinning its key.
type Client struct {
	addr  string
	newHC func() *http.Client

	mu sync.Mutex
	hc *http.Client // replaced after a request that got no answer
}

// NewClient returns a client that dials the relay at addr (host:port) with
// cert, and accepts the relay only if it shows relayKey. As on the direct
// route there is no CA: names and dates in certificates are ignored.
func NewClient(cert tls.Certificate, addr string, relayKey ed25519.PublicKey) *Client {
	key := append(ed25519.PublicKey(nil), relayKey...)
	tc := &tls.Config{
		MinVersion:         tls.VersionTLS13,
		Certificates:       []tls.Certificate{cert},
		InsecureSkipVerify: true, // no CA: the pinned key is checked below
		VerifyPeerCertificate: pinned("relay", func(k ed25519.PublicKey) bool {
			return k.Equal(key)
		}),
	}
	newTransport := func() *http.Transport {
		return &http.Transport{
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
	}
	c := &Client{addr: addr, newHC: func() *http.Client { return &http.Client{Transport: newTransport()} }}
	c.hc = c.newHC()
	return c
}

func (c *Client) current() *http.Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hc
}

// redial makes the next request dial afresh, if hc is still the client in
// use: a request that got no answer may sit on a connection that is dead
// without knowing it (a cut cable drops packets, it does not reset them).
func (c *Client) redial(hc *http.Client) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hc == hc {
		c.hc = c.newHC()
		hc.CloseIdleConnections()
	}
}

// CloseIdle closes idle connections, so a restarted relay is dialed afresh.
func (c *Client) CloseIdle() { c.current().CloseIdleConnections() }

func (c *Client) do(ctx context.Context, method, line, mailbox string, query url.Values, body []byte) (*http.Response, error) {
	u := "https://" + c.addr + MailboxPath(url.PathEscape(line), url.PathEscape(mailbox))
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	hc := c.current()
	resp, err := hc.Do(req)
	if err != nil {
		c.redial(hc)
		return nil, fmt.Errorf("relay at %s: %w", c.addr, err)
	}
	return resp, nil
}

// statusError reads the relay's message from an error reply.
func statusError(resp *http.Response) error {
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return &StatusError{Status: resp.StatusCode, Msg: string(bytes.TrimSpace(msg))}
}

// Put stores blob in recipient's mailbox on line and returns its sequence
// number. The relay answers only once the blob is on its disk.
func (c *Client) Put(ctx context.Context, line, recipient string, blob []byte) (uint64, error) {
	if blob == nil {
		blob = []byte{}
	}
	resp, err := c.do(ctx, http.MethodPut, line, recipient, nil, blob)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return 0, statusError(resp)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return 0, fmt.Errorf("relay at %s: reading the reply to a put: %w", c.addr, err)
	}
	seq, err := decodePut(b)
	if err != nil {
		return 0, fmt.Errorf("relay at %s: %w", c.addr, err)
	}
	return seq, nil
}

func decodePut(b []byte) (uint64, error) {
	var r struct {
		Seq *uint64 `json:"seq"`
	}
	if err := json.Unmarshal(b, &r); err != nil || r.Seq == nil || *r.Seq == 0 {
		return 0, errors.New("put reply: want {\"seq\": N} with N > 0")
	}
	return *r.Seq, nil
}

// Fetch returns the messages of mailbox me on line after sequence number
// after, in order. If there are none it waits up to wait (the relay caps it
// at MaxWait) for one to arrive, and returns an empty list if none does.
func (c *Client) Fetch(ctx context.Context, line, me string, after uint64, wait time.Duration) ([]Message, error) {
	q := url.Values{}
	q.Set("after", strconv.FormatUint(after, 10))
	if wait > 0 {
		q.Set("wait", wait.String())
	}
	resp, err := c.do(ctx, http.MethodGet, line, me, q, nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, statusError(resp)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxReplySize+1))
	if err != nil {
		return nil, fmt.Errorf("relay at %s: reading messages: %w", c.addr, err)
	}
	msgs, err := DecodeMessages(b, after)
	if err != nil {
		return nil, fmt.Errorf("relay at %s: %w", c.addr, err)
	}
	return msgs, nil
}

// DecodeMessages decodes a fetch reply to a request for the messages after
// sequence number after. The relay is not trusted, so the reply is checked:
// sequence numbers increase and exceed after, senders are party names and
// blobs are not empty.
func DecodeMessages(b []byte, after uint64) ([]Message, error) {
	if len(b) > MaxReplySize {
		return nil, fmt.Errorf("fetch reply: larger than %d bytes", MaxReplySize)
	}
	var r struct {
		Messages *[]Message `json:"messages"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("fetch reply: %w", err)
	}
	if r.Messages == nil {
		return nil, errors.New("fetch reply: no messages list")
	}
	msgs := *r.Messages
	last := after
	for i := range msgs {
		m := &msgs[i]
		if m.Seq <= last {
			return nil, fmt.Errorf("fetch reply: message %d has sequence number %d, want more than %d", i, m.Seq, last)
		}
		last = m.Seq
		if !identity.ValidSlug(m.Sender) {
			return nil, fmt.Errorf("fetch reply: message %d: sender %q is not a party name", m.Seq, m.Sender)
		}
		if len(m.Blob) == 0 {
			return nil, fmt.Errorf("fetch reply: message %d is empty", m.Seq)
		}
	}
	if len(msgs) == 0 {
		return nil, nil
	}
	return msgs, nil
}

// Ack deletes the messages of mailbox me on line up to and including
// sequence number through. Call it once they are durably processed.
func (c *Client) Ack(ctx context.Context, line, me string, through uint64) error {
	q := url.Values{}
	q.Set("through", strconv.FormatUint(through, 10))
	resp, err := c.do(ctx, http.MethodDelete, line, me, q, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return statusError(resp)
	}
	return nil
}

// healthPing is how long a connection may be silent before it is pinged,
// and how long the ping may go unanswered before the connection is closed.
// A long poll stays open on a healthy connection: the relay answers pings
// while it waits.
const healthPing = 3 * time.Second
