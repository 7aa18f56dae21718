package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hotline-line/hotline/internal/control"
	"github.com/hotline-line/hotline/internal/node"
)

// TestSendSurvivesLostReply: the running node writes the message and dies
// before answering. `hotline send` cannot know whether the message was
// written; it sends again with the same idempotency key (here to the node
// opened directly), and the message is written once, under the ID the
// dead node gave it.
func TestSendSurvivesLostReply(t *testing.T) {
	seoul, _ := pairCLI(t)

	n, err := node.Open(seoul, node.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", filepath.Join(seoul, node.SocketFile))
	if err != nil {
		t.Fatal(err)
	}
	var written string
	var once sync.Once
	inner := control.Handler(control.Local{N: n})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		inner.ServeHTTP(rec, r)
		var res struct{ Value json.RawMessage }
		json.Unmarshal(rec.Body.Bytes(), &res)
		var v string
		if json.Unmarshal(res.Value, &v); !strings.HasPrefix(v, "seoul-") {
			w.Header().Set("Content-Type", "application/json")
			w.Write(rec.Body.Bytes()) // not the send: answered
			return
		}
		written = v
		// The node dies with the answer unsent: no more socket, no lock.
		once.Do(func() {
			n.Close()
			l.Close()
		})
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })

	code, stdout, stderr := hotlineOut(t, "send", "--dir", seoul, "--precedence", "FLASH", "훈련 취소")
	if code != 0 {
		t.Fatalf("send: %d %s", code, stderr)
	}
	id := strings.TrimSpace(stdout)
	if !strings.HasPrefix(written, "seoul-") || id != written || !strings.Contains(stderr, "sending again with key cli-") {
		t.Fatalf("send printed %q (the dead node wrote %q); stderr %s", id, written, stderr)
	}
	code, stdout, _ = hotlineOut(t, "inbox", "--dir", seoul, "--outbox", "--json")
	var out []node.Message
	if err := json.Unmarshal([]byte(stdout), &out); code != 0 || err != nil {
		t.Fatalf("outbox: %d %v", code, err)
	}
	if len(out) != 1 || out[0].ID != id {
		t.Fatalf("outbox holds %d messages, want %s once: %+v", len(out), id, out)
	}

	// The same key given twice, by a script retrying: one message.
	var ids []string
	for range 2 {
		code, stdout, stderr := hotlineOut(t, "send", "--dir", seoul, "--key", "report-17", "정기 보고")
		if code != 0 {
			t.Fatalf("send --key: %d %s", code, stderr)
		}
		ids = append(ids, strings.TrimSpace(stdout))
	}
	if ids[0] != ids[1] || ids[0] == id {
		t.Fatalf("send --key twice: %q", ids)
	}
}

// TestSendSaysTheRealSize: a text on standard input beyond the limit is
// refused with its real size, not the limit plus one.
func TestSendSaysTheRealSize(t *testing.T) {
	seoul, _ := pairCLI(t)
	f, err := os.CreateTemp(t.TempDir(), "text")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(strings.Repeat("x", 1<<20)); err != nil {
		t.Fatal(err)
	}
	f.Seek(0, io.SeekStart)
	old := os.Stdin
	os.Stdin = f
	defer func() { os.Stdin = old; f.Close() }()
	code, _, stderr := hotlineOut(t, "send", "--dir", seoul, "-")
	if code == 0 || !strings.Contains(stderr, "message text is 1048576 bytes, limit 65536") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}
