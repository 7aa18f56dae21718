package escalatetest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Hook is one POST a webhook receiver took.
type Hook struct {
	Path        string
	Event       string // the X-Hotline-Event header
	Body        []byte
	SignatureOK bool           // X-Hotline-Signature is the HMAC-SHA256 of the body under the key
	Notice      map[string]any // the body, decoded
}

// Hooks is a webhook receiver on a loopback port.
type Hooks struct {
	URL string // base URL; any path is accepted

	key  []byte
	mu   sync.Mutex
	got  []Hook
	fail int
	cond chan struct{}
}

// StartHooks starts a receiver that checks signatures under key.
func StartHooks(t testing.TB, key []byte) *Hooks {
	h := &Hooks{key: key, cond: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(srv.Close)
	h.URL = srv.URL
	return h
}

func (h *Hooks) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	m := hmac.New(sha256.New, h.key)
	m.Write(body)
	want := "sha256=" + hex.EncodeToString(m.Sum(nil))
	hk := Hook{Path: r.URL.Path, Event: r.Header.Get("X-Hotline-Event"), Body: body,
		SignatureOK: r.Method == http.MethodPost && hmac.Equal([]byte(want), []byte(r.Header.Get("X-Hotline-Signature")))}
	json.Unmarshal(body, &hk.Notice)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fail > 0 {
		h.fail--
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	h.got = append(h.got, hk)
	close(h.cond)
	h.cond = make(chan struct{})
	w.WriteHeader(http.StatusNoContent)
}

// FailNext makes the next n POSTs fail with 503.
func (h *Hooks) FailNext(n int) {
	h.mu.Lock()
	h.fail = n
	h.mu.Unlock()
}

// Received returns the POSTs taken so far.
func (h *Hooks) Received() []Hook {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Hook(nil), h.got...)
}

// Changed returns a channel closed when the next POST is taken.
func (h *Hooks) Changed() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cond
}
