package relay_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/card"
	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/identity"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/relay"
)

// party is a real node identity, made the way hotline init makes one.
type party struct {
	slug string
	dir  string
	keys *identity.Keys
	card *card.Card
	cert tls.Certificate
}

func newParty(t testing.TB, base, slug string) *party {
	t.Helper()
	dir := filepath.Join(base, slug)
	cfg := node.Config{Party: slug, Name: "Ministry of " + slug, Langs: []string{"en"}, Listen: "127.0.0.1:0"}
	if err := node.Init(dir, cfg); err != nil {
		t.Fatal(err)
	}
	c, k, err := node.LoadIdentity(dir)
	if err != nil {
		t.Fatal(err)
	}
	cd, _, err := node.MakeCard(c, k)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := k.TLSCertificate()
	if err != nil {
		t.Fatal(err)
	}
	return &party{slug: slug, dir: dir, keys: k, card: cd, cert: cert}
}

// charterOf drafts a line between ps and has every party sign it.
func charterOf(t testing.TB, title string, ps ...*party) *charter.Signed {
	t.Helper()
	var cards []*card.Card
	for _, p := range ps {
		cards = append(cards, p.card)
	}
	ch := charter.New(title, time.Now(), cards)
	var raw []byte
	for _, p := range ps {
		s, err := charter.Sign(ch, raw, p.keys)
		if err != nil {
			t.Fatal(err)
		}
		raw = s.Raw
	}
	s, err := charter.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Complete() {
		t.Fatal("charter incomplete")
	}
	return s
}

// syncBuffer collects the relay's log, safe for its goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// env is a relay carrying one line between seoul and beijing.
type env struct {
	t       *testing.T
	dir     string
	log     *syncBuffer
	limits  relay.Limits
	srv     *relay.Server
	line    string
	seoul   *party
	beijing *party
}

func newEnv(t *testing.T, lim relay.Limits) *env {
	t.Helper()
	base := t.TempDir()
	e := &env{t: t, dir: filepath.Join(base, "relay"), log: &syncBuffer{}, limits: lim}
	e.seoul = newParty(t, base, "seoul")
	e.beijing = newParty(t, base, "beijing")
	s := charterOf(t, "Seoul–Beijing", e.seoul, e.beijing)
	e.line = s.ID()
	if err := relay.Init(e.dir, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if _, err := relay.AddLine(e.dir, s.Raw); err != nil {
		t.Fatal(err)
	}
	e.start()
	return e
}

func (e *env) start() {
	e.t.Helper()
	log := slog.New(slog.NewJSONHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := relay.StartWith(e.dir, log, e.limits)
	if err != nil {
		e.t.Fatal(err)
	}
	e.srv = s
	e.t.Cleanup(func() { s.Close(context.Background()) })
}

func (e *env) stop() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.srv.Close(ctx); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) client(p *party) *relay.Client {
	c := relay.NewClient(p.cert, e.srv.Addr().String(), e.srv.Key())
	e.t.Cleanup(c.CloseIdle)
	return c
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustPut(t *testing.T, c *relay.Client, line, to string, blob []byte) uint64 {
	t.Helper()
	seq, err := c.Put(ctxT(t), line, to, blob)
	if err != nil {
		t.Fatalf("put: %v", err)
	}
	return seq
}

func mustFetch(t *testing.T, c *relay.Client, line, me string, after uint64) []relay.Message {
	t.Helper()
	msgs, err := c.Fetch(ctxT(t), line, me, after, 0)
	if err != nil {
		t.Fatalf("fetch: %v", err)
	}
	return msgs
}

func seqs(msgs []relay.Message) []uint64 {
	var s []uint64
	for _, m := range msgs {
		s = append(s, m.Seq)
	}
	return s
}

func TestRoundTrip(t *testing.T) {
	e := newEnv(t, relay.Limits{})
	seoul, beijing := e.client(e.seoul), e.client(e.beijing)
	start := time.Now().Add(-time.Second)

	var blobs [][]byte
	for i := range 3 {
		b := []byte(fmt.Sprintf("sealed-bundle-%d-SECRETMARKER", i))
		blobs = append(blobs, b)
		if seq := mustPut(t, seoul, e.line, "beijing", b); seq != uint64(i+1) {
			t.Fatalf("put %d: seq %d, want %d", i, seq, i+1)
		}
	}
	// The other direction is its own mailbox with its own numbering.
	if seq := mustPut(t, beijing, e.line, "seoul", []byte("reply")); seq != 1 {
		t.Fatalf("seoul's mailbox: seq %d, want 1", seq)
	}

	msgs := mustFetch(t, beijing, e.line, "beijing", 0)
	if len(msgs) != 3 {
		t.Fatalf("fetched %d messages, want 3", len(msgs))
	}
	for i, m := range msgs {
		if m.Seq != uint64(i+1) || m.Sender != "seoul" || !bytes.Equal(m.Blob, blobs[i]) {
			t.Fatalf("message %d = seq %d from %q %q", i, m.Seq, m.Sender, m.Blob)
		}
		if m.Time.Before(start) || m.Time.After(time.Now().Add(time.Second)) {
			t.Fatalf("message %d time %v", i, m.Time)
		}
	}
	if got := seqs(mustFetch(t, beijing, e.line, "beijing", 2)); len(got) != 1 || got[0] != 3 {
		t.Fatalf("after 2: %v, want [3]", got)
	}

	if err := beijing.Ack(ctxT(t), e.line, "beijing", 2); err != nil {
		t.Fatal(err)
	}
	if got := seqs(mustFetch(t, beijing, e.line, "beijing", 0)); len(got) != 1 || got[0] != 3 {
		t.Fatalf("after ack 2: %v, want [3]", got)
	}
	if err := beijing.Ack(ctxT(t), e.line, "beijing", 3); err != nil {
		t.Fatal(err)
	}
	if got := mustFetch(t, beijing, e.line, "beijing", 0); len(got) != 0 {
		t.Fatalf("after ack 3: %v, want none", seqs(got))
	}
	// Numbers keep increasing once the mailbox is empty.
	if seq := mustPut(t, seoul, e.line, "beijing", []byte("later")); seq != 4 {
		t.Fatalf("seq after emptying: %d, want 4", seq)
	}
	// Acknowledging again, or past the end, is harmless.
	if err := beijing.Ack(ctxT(t), e.line, "beijing", 3); err != nil {
		t.Fatal(err)
	}
	if got := seqs(mustFetch(t, beijing, e.line, "beijing", 0)); len(got) != 1 || got[0] != 4 {
		t.Fatalf("%v, want [4]", got)
	}

	got := mustFetch(t, e.client(e.seoul), e.line, "seoul", 0)
	if len(got) != 1 || got[0].Sender != "beijing" || string(got[0].Blob) != "reply" {
		t.Fatalf("seoul's mailbox: %+v", got)
	}

	// The relay never logs what it carries.
	logs := e.log.String()
	if strings.Contains(logs, "SECRETMARKER") || strings.Contains(logs, base64.StdEncoding.EncodeToString(blobs[0])) {
		t.Fatal("the log holds a blob")
	}
	if !strings.Contains(logs, `"msg":"relay: put"`) {
		t.Fatalf("puts are not logged: %s", logs)
	}
}

func TestLongPollWakesOnPut(t *testing.T) {
	e := newEnv(t, relay.Limits{})
	waiting := make(chan struct{}, 1)
	relay.SetWaitHook(e.srv, func(line, recipient string) {
		if recipient == "beijing" {
			select {
			case waiting <- struct{}{}:
			default:
			}
		}
	})
	seoul, beijing := e.client(e.seoul), e.client(e.beijing)
	// The fetch may wait up to 30 s, but the test gives it 10: only a
	// wake-up by the put can make it return in time.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	type result struct {
		msgs []relay.Message
		err  error
	}
	done := make(chan result, 1)
	go func() {
		msgs, err := beijing.Fetch(ctx, e.line, "beijing", 0, relay.MaxWait)
		done <- result{msgs, err}
	}()
	select {
	case <-waiting:
	case <-ctx.Done():
		t.Fatal("the fetch never started waiting")
	}
	// A put to another mailbox does not satisfy the fetch.
	mustPut(t, beijing, e.line, "seoul", []byte("not for beijing"))
	mustPut(t, seoul, e.line, "beijing", []byte("wake up"))
	r := <-done
	if r.err != nil {
		t.Fatalf("fetch: %v", r.err)
	}
	if len(r.msgs) != 1 || string(r.msgs[0].Blob) != "wake up" || r.msgs[0].Seq != 1 {
		t.Fatalf("woke with %+v", r.msgs)
	}
}

func TestLongPollTimesOut(t *testing.T) {
	e := newEnv(t, relay.Limits{})
	msgs, err := e.client(e.beijing).Fetch(ctxT(t), e.line, "beijing", 0, 50*time.Millisecond)
	if err != nil || len(msgs) != 0 {
		t.Fatalf("fetch = %v, %v; want an empty list", msgs, err)
	}
}

func TestCloseEndsLongPoll(t *testing.T) {
	e := newEnv(t, relay.Limits{})
	waiting := make(chan struct{}, 1)
	relay.SetWaitHook(e.srv, func(string, string) {
		select {
		case waiting <- struct{}{}:
		default:
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := e.client(e.beijing).Fetch(ctx, e.line, "beijing", 0, relay.MaxWait)
		done <- err
	}()
	select {
	case <-waiting:
	case <-ctx.Done():
		t.Fatal("the fetch never started waiting")
	}
	if err := e.srv.Close(ctx); err != nil {
		t.Fatalf("close with a fetch waiting: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("waiting fetch: %v", err)
	}
}

func TestAccessControl(t *testing.T) {
	e := newEnv(t, relay.Limits{})
	// tokyo shares a second line with beijing, but not seoul's line.
	tokyo := newParty(t, t.TempDir(), "tokyo")
	other := charterOf(t, "Beijing–Tokyo", e.beijing, tokyo)
	if _, err := relay.AddLine(e.dir, other.Raw); err != nil {
		t.Fatal(err)
	}
	seoul, beijing, tk := e.client(e.seoul), e.client(e.beijing), e.client(tokyo)
	ctx := ctxT(t)
	mustPut(t, seoul, e.line, "beijing", []byte("for beijing"))

	check := func(what string, err, want error) {
		t.Helper()
		if !errors.Is(err, want) {
			t.Fatalf("%s: %v, want %v", what, err, want)
		}
		var se *relay.StatusError
		if !errors.As(err, &se) || se.Msg == "" {
			t.Fatalf("%s: %v carries no message from the relay", what, err)
		}
	}
	_, err := seoul.Fetch(ctx, e.line, "beijing", 0, 0)
	check("seoul reads beijing's mailbox", err, relay.ErrForbidden)
	check("seoul acks beijing's mailbox", seoul.Ack(ctx, e.line, "beijing", 10), relay.ErrForbidden)
	_, err = seoul.Put(ctx, e.line, "seoul", []byte("x"))
	check("seoul writes to itself", err, relay.ErrForbidden)
	_, err = seoul.Put(ctx, e.line, "tokyo", []byte("x"))
	check("seoul writes to a party of another line", err, relay.ErrForbidden)
	_, err = tk.Fetch(ctx, e.line, "tokyo", 0, 0)
	check("tokyo reads on a line it is not a party of", err, relay.ErrForbidden)
	_, err = tk.Put(ctx, e.line, "beijing", []byte("x"))
	check("tokyo writes on a line it is not a party of", err, relay.ErrForbidden)
	_, err = seoul.Put(ctx, strings.Repeat("0", 32), "beijing", []byte("x"))
	check("unknown line", err, relay.ErrUnknownLine)
	_, err = beijing.Fetch(ctx, "no-such-line", "beijing", 0, 0)
	check("unknown line", err, relay.ErrUnknownLine)

	// beijing is one key on two lines, and the right party on each.
	if seq := mustPut(t, tk, other.ID(), "beijing", []byte("from tokyo")); seq != 1 {
		t.Fatalf("seq %d", seq)
	}
	got := mustFetch(t, beijing, other.ID(), "beijing", 0)
	if len(got) != 1 || got[0].Sender != "tokyo" {
		t.Fatalf("beijing on the second line: %+v", got)
	}
	if got := mustFetch(t, beijing, e.line, "beijing", 0); len(got) != 1 || got[0].Sender != "seoul" {
		t.Fatalf("beijing on the first line: %+v", got)
	}
}

func TestUnknownKeyRefused(t *testing.T) {
	e := newEnv(t, relay.Limits{})
	stranger := newParty(t, t.TempDir(), "seoul") // same name, another key
	c := e.client(stranger)
	_, err := c.Put(ctxT(t), e.line, "beijing", []byte("x"))
	var se *relay.StatusError
	if err == nil || errors.As(err, &se) {
		t.Fatalf("put with an unknown key: %v, want a refused handshake", err)
	}

	// At the TLS level: the handshake ends in an alert, never a request.
	conn, err := tls.Dial("tcp", e.srv.Addr().String(), &tls.Config{
		MinVersion:         tls.VersionTLS13,
		Certificates:       []tls.Certificate{stranger.cert},
		InsecureSkipVerify: true,
	})
	if err == nil {
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		_, err = conn.Read(make([]byte, 1))
		conn.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("handshake with an unknown key: %v, want a certificate alert", err)
	}

	// Without a client certificate at all.
	conn, err = tls.Dial("tcp", e.srv.Addr().String(), &tls.Config{MinVersion: tls.VersionTLS13, InsecureSkipVerify: true})
	if err == nil {
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		_, err = conn.Read(make([]byte, 1))
		conn.Close()
	}
	if err == nil {
		t.Fatal("handshake without a certificate succeeded")
	}

	// TLS 1.2 is refused.
	conn, err = tls.Dial("tcp", e.srv.Addr().String(), &tls.Config{
		MaxVersion: tls.VersionTLS12, Certificates: []tls.Certificate{e.seoul.cert}, InsecureSkipVerify: true,
	})
	if err == nil {
		conn.Close()
		t.Fatal("TLS 1.2 handshake succeeded")
	}
}

func TestClientPinsRelayKey(t *testing.T) {
	e := newEnv(t, relay.Limits{})
	c := relay.NewClient(e.seoul.cert, e.srv.Addr().String(), e.beijing.keys.TLSPublicKey())
	defer c.CloseIdle()
	_, err := c.Put(ctxT(t), e.line, "beijing", []byte("x"))
	if err == nil || !strings.Contains(err.Error(), "not pinned") {
		t.Fatalf("put to a relay with another key: %v", err)
	}
	// Nothing was stored.
	if got := mustFetch(t, e.client(e.beijing), e.line, "beijing", 0); len(got) != 0 {
		t.Fatalf("stored %d messages", len(got))
	}
}

func TestTooLarge(t *testing.T) {
	e := newEnv(t, relay.Limits{MaxBlob: 1024})
	seoul := e.client(e.seoul)
	ctx := ctxT(t)
	_, err := seoul.Put(ctx, e.line, "beijing", make([]byte, 1025))
	if !errors.Is(err, relay.ErrTooLarge) || !strings.Contains(err.Error(), "1024 bytes") {
		t.Fatalf("put 1025 bytes: %v", err)
	}
	mustPut(t, seoul, e.line, "beijing", bytes.Repeat([]byte{1}, 1024))

	// A body of unannounced length is cut off at the limit too.
	u := "https://" + e.srv.Addr().String() + relay.MailboxPath(e.line, "beijing")
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, u, io.MultiReader(bytes.NewReader(make([]byte, 1000)), bytes.NewReader(make([]byte, 1000))))
	req.ContentLength = -1
	resp, err := relay.HTTPClient(seoul).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("streamed oversize body: %s", resp.Status)
	}
	_, err = seoul.Put(ctx, e.line, "beijing", nil)
	var se *relay.StatusError
	if !errors.As(err, &se) || se.Status != http.StatusBadRequest {
		t.Fatalf("empty blob: %v", err)
	}
	if got := seqs(mustFetch(t, e.client(e.beijing), e.line, "beijing", 0)); len(got) != 1 {
		t.Fatalf("stored %v, want only the 1024-byte blob", got)
	}
}

func TestQuota(t *testing.T) {
	t.Run("count", func(t *testing.T) {
		e := newEnv(t, relay.Limits{MaxCount: 3})
		seoul, beijing := e.client(e.seoul), e.client(e.beijing)
		for range 3 {
			mustPut(t, seoul, e.line, "beijing", []byte("x"))
		}
		_, err := seoul.Put(ctxT(t), e.line, "beijing", []byte("x"))
		if !errors.Is(err, relay.ErrQuota) || !strings.Contains(err.Error(), "message-count quota is 3") {
			t.Fatalf("fourth put: %v", err)
		}
		// Another mailbox has its own quota.
		mustPut(t, beijing, e.line, "seoul", []byte("x"))
		// Acknowledging makes room.
		if err := beijing.Ack(ctxT(t), e.line, "beijing", 1); err != nil {
			t.Fatal(err)
		}
		if seq := mustPut(t, seoul, e.line, "beijing", []byte("x")); seq != 4 {
			t.Fatalf("seq %d, want 4", seq)
		}
	})
	t.Run("bytes", func(t *testing.T) {
		e := newEnv(t, relay.Limits{MaxBytes: 100})
		seoul, beijing := e.client(e.seoul), e.client(e.beijing)
		mustPut(t, seoul, e.line, "beijing", make([]byte, 60))
		_, err := seoul.Put(ctxT(t), e.line, "beijing", make([]byte, 41))
		if !errors.Is(err, relay.ErrQuota) || !strings.Contains(err.Error(), "byte quota is 100") {
			t.Fatalf("put over the byte quota: %v", err)
		}
		mustPut(t, seoul, e.line, "beijing", make([]byte, 40)) // exactly full
		if err := beijing.Ack(ctxT(t), e.line, "beijing", 1); err != nil {
			t.Fatal(err)
		}
		mustPut(t, seoul, e.line, "beijing", make([]byte, 60))
		_, err = seoul.Put(ctxT(t), e.line, "beijing", []byte("x"))
		if !errors.Is(err, relay.ErrQuota) {
			t.Fatalf("put into a full mailbox: %v", err)
		}
	})
}

func TestReplySize(t *testing.T) {
	e := newEnv(t, relay.Limits{MaxReply: 1000})
	seoul, beijing := e.client(e.seoul), e.client(e.beijing)
	for i := range 5 {
		mustPut(t, seoul, e.line, "beijing", bytes.Repeat([]byte{byte(i + 1)}, 400))
	}
	var all []uint64
	var after uint64
	for {
		msgs := mustFetch(t, beijing, e.line, "beijing", after)
		if len(msgs) == 0 {
			break
		}
		if len(msgs) > 2 {
			t.Fatalf("reply of %d 400-byte blobs exceeds 1000 bytes", len(msgs))
		}
		all = append(all, seqs(msgs)...)
		after = msgs[len(msgs)-1].Seq
	}
	if fmt.Sprint(all) != "[1 2 3 4 5]" {
		t.Fatalf("paged through %v", all)
	}
}

func TestDurableAcrossRestart(t *testing.T) {
	e := newEnv(t, relay.Limits{})
	seoul := e.client(e.seoul)
	for i := range 5 {
		mustPut(t, seoul, e.line, "beijing", []byte(fmt.Sprintf("blob %d", i)))
	}
	if err := e.client(e.beijing).Ack(ctxT(t), e.line, "beijing", 2); err != nil {
		t.Fatal(err)
	}
	e.stop()
	e.start()
	beijing := e.client(e.beijing)
	msgs := mustFetch(t, beijing, e.line, "beijing", 0)
	if fmt.Sprint(seqs(msgs)) != "[3 4 5]" {
		t.Fatalf("after restart: %v, want [3 4 5]", seqs(msgs))
	}
	for _, m := range msgs {
		if string(m.Blob) != fmt.Sprintf("blob %d", m.Seq-1) || m.Sender != "seoul" {
			t.Fatalf("message %d: %q from %s", m.Seq, m.Blob, m.Sender)
		}
	}
	if seq := mustPut(t, e.client(e.seoul), e.line, "beijing", []byte("after")); seq != 6 {
		t.Fatalf("seq after restart %d, want 6", seq)
	}
}

// TestRestartMidStream cuts the relay off while puts are in flight, without
// a graceful shutdown, and checks that every put it answered survives.
func TestRestartMidStream(t *testing.T) {
	e := newEnv(t, relay.Limits{})
	type stored struct {
		seq  uint64
		blob []byte
	}
	var (
		mu    sync.Mutex
		acked []stored
	)
	progress := make(chan struct{}, 1000)
	var wg sync.WaitGroup
	for w := range 4 {
		c := e.client(e.seoul)
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			for i := 0; ; i++ {
				blob := []byte(fmt.Sprintf("writer %d blob %d %s", w, i, strings.Repeat("z", 1000*(i%7))))
				seq, err := c.Put(ctx, e.line, "beijing", blob)
				if err != nil {
					return // the relay is gone
				}
				mu.Lock()
				acked = append(acked, stored{seq, blob})
				mu.Unlock()
				select {
				case progress <- struct{}{}:
				default:
				}
			}
		}()
	}
	deadline := time.After(20 * time.Second)
	for range 40 {
		select {
		case <-progress:
		case <-deadline:
			t.Fatal("puts do not progress")
		}
	}
	cut, cancel := context.WithCancel(context.Background())
	cancel() // no grace: connections are cut mid-request
	e.srv.Close(cut)
	wg.Wait()

	e.start()
	beijing := e.client(e.beijing)
	got := map[uint64][]byte{}
	var after uint64
	for {
		msgs := mustFetch(t, beijing, e.line, "beijing", after)
		if len(msgs) == 0 {
			break
		}
		for _, m := range msgs {
			got[m.Seq] = m.Blob
		}
		after = msgs[len(msgs)-1].Seq
	}
	mu.Lock()
	defer mu.Unlock()
	if len(acked) < 40 {
		t.Fatalf("only %d puts acknowledged", len(acked))
	}
	for _, s := range acked {
		if b, ok := got[s.seq]; !ok || !bytes.Equal(b, s.blob) {
			t.Fatalf("acknowledged put %d lost after restart", s.seq)
		}
	}
	t.Logf("%d puts acknowledged before the cut, %d stored", len(acked), len(got))
}

func TestAddLineToRunningRelay(t *testing.T) {
	e := newEnv(t, relay.Limits{})
	base := t.TempDir()
	a, b := newParty(t, base, "oslo"), newParty(t, base, "helsinki")
	c := e.client(a)
	s := charterOf(t, "Oslo–Helsinki", a, b)
	if _, err := c.Put(ctxT(t), s.ID(), "helsinki", []byte("x")); err == nil {
		t.Fatal("a put before the line was added succeeded")
	}
	if _, err := relay.AddLine(e.dir, s.Raw); err != nil {
		t.Fatal(err)
	}
	if seq := mustPut(t, e.client(a), s.ID(), "helsinki", []byte("x")); seq != 1 {
		t.Fatalf("seq %d", seq)
	}
	if got := mustFetch(t, e.client(b), s.ID(), "helsinki", 0); len(got) != 1 || got[0].Sender != "oslo" {
		t.Fatalf("%+v", got)
	}
}

func TestAddLineRefusesIncomplete(t *testing.T) {
	base := t.TempDir()
	a, b := newParty(t, base, "oslo"), newParty(t, base, "helsinki")
	ch := charter.New("Oslo–Helsinki", time.Now(), []*card.Card{a.card, b.card})
	half, err := charter.Sign(ch, nil, a.keys)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(base, "relay")
	if err := relay.Init(dir, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if _, err := relay.AddLine(dir, half.Raw); !errors.Is(err, relay.ErrIncomplete) || !strings.Contains(err.Error(), "helsinki") {
		t.Fatalf("half-signed charter: %v", err)
	}
	if _, err := relay.AddLine(dir, []byte("not a charter")); !errors.Is(err, charter.ErrNotACharter) {
		t.Fatalf("garbage: %v", err)
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, relay.LinesDir)); len(ents) != 0 {
		t.Fatalf("stored %d files", len(ents))
	}
}

func TestInitAndKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "relay")
	if err := relay.Init(dir, "not an address"); err == nil {
		t.Fatal("init accepted a bad listen address")
	}
	if err := relay.Init(dir, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if err := relay.Init(dir, "127.0.0.1:0"); !errors.Is(err, relay.ErrExists) {
		t.Fatalf("second init: %v", err)
	}
	st, err := os.Stat(filepath.Join(dir, relay.KeyFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", st, err)
	}
	k, err := relay.LoadKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	text := relay.KeyText(k.TLSPublicKey())
	back, err := relay.ParseKeyText(text + "\n")
	if err != nil || !back.Equal(k.TLSPublicKey()) {
		t.Fatalf("key text round trip: %v", err)
	}
	if fp := relay.Fingerprint(back); fp != card.Fingerprint(text) || len(fp) != 35 {
		t.Fatalf("fingerprint %q", fp)
	}
	if _, err := relay.ParseKeyText("AAAA"); err == nil {
		t.Fatal("short key accepted")
	}
	s, err := relay.Start(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	if !s.Key().Equal(k.TLSPublicKey()) {
		t.Fatal("the server shows another key")
	}
}

func TestHealthz(t *testing.T) {
	e := newEnv(t, relay.Limits{})
	req, _ := http.NewRequestWithContext(ctxT(t), http.MethodGet, "https://"+e.srv.Addr().String()+"/healthz", nil)
	resp, err := relay.HTTPClient(e.client(e.seoul)).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || strings.TrimSpace(string(b)) != "ok" {
		t.Fatalf("healthz: %s %q", resp.Status, b)
	}
}

func TestBadParameters(t *testing.T) {
	e := newEnv(t, relay.Limits{})
	hc := relay.HTTPClient(e.client(e.beijing))
	base := "https://" + e.srv.Addr().String() + relay.MailboxPath(e.line, "beijing")
	for _, q := range []string{"?after=-1", "?after=x", "?wait=forever", "?wait=-1s"} {
		req, _ := http.NewRequestWithContext(ctxT(t), http.MethodGet, base+q, nil)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("GET %s: %s", q, resp.Status)
		}
	}
	req, _ := http.NewRequestWithContext(ctxT(t), http.MethodDelete, base, nil)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("DELETE without through: %s", resp.Status)
	}
}
