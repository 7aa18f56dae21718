package console

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/escalate"
	"github.com/hotline-line/hotline/internal/officer"
)

// TestAlertsAPI runs a real escalation engine behind the console, on an
// alert whose text another party chose and a webhook whose URL carries a
// token: the API shows the text inert and the webhook without its token,
// refuses to silence what we owe, and silences the rest in the officer's
// name.
func TestAlertsAPI(t *testing.T) {
	f := newFixture(t, nil)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer hook.Close()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "secret"), []byte("a webhook secret of some length\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := escalate.Parse([]byte(`{"steps": [{"name": "duty", "console": true, "webhook": ["`+hook.URL+`/hook?token=s3cret"]}],
		"webhook": {"secret_file": "secret"}}`), dir)
	if err != nil {
		t.Fatal(err)
	}
	hostile := "Wang\u202eieL <img src=x onerror=alert(1)>"
	source := func(_ context.Context, now time.Time) ([]escalate.Alert, error) {
		return []escalate.Alert{
			{ID: "peer_ack_overdue:" + f.line + ":beijing-1:seoul", Kind: escalate.PeerAckOverdue, Line: f.line, Party: "seoul",
				Summary: "seoul has not acknowledged beijing-1", Detail: "displayed by " + hostile, Opened: now},
			{ID: "owed_ack:" + f.line + ":seoul-1", Kind: escalate.OwedAck, Owed: true, Line: f.line, Party: "beijing",
				Summary: "we owe an acknowledgement", Opened: now},
		}, nil
	}
	e, err := escalate.New(cfg, source, escalate.Options{StateDir: dir, Party: "beijing"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if err := e.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.console.alerts = e

	l := f.session(t, "Wang Lei", officer.Watch)
	resp, err := f.srv.Client().Do(f.request(t, "GET", "/api/alerts", &l, "", nil))
	if err != nil {
		t.Fatal(err)
	}
	var got alertsView
	json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if len(got.Alerts) != 2 {
		t.Fatalf("alerts: %+v", got)
	}
	raw, _ := json.Marshal(got)
	if strings.Contains(string(raw), "s3cret") || strings.Contains(string(raw), "\u202e") {
		t.Errorf("the API shows a webhook token or an invisible override: %s", raw)
	}
	var peer escalate.AlertState
	for _, a := range got.Alerts {
		if a.Alert.Kind == escalate.PeerAckOverdue {
			peer = a
		}
	}
	if !strings.Contains(peer.Alert.Detail, "<U+202E>") || len(peer.Sent) == 0 || peer.Sent[0].To != hook.URL+"/hook" {
		t.Errorf("peer alert as shown: %+v", peer)
	}

	silence := func(id string) int {
		code, _ := f.do(t, f.request(t, "POST", "/api/alerts/"+id+"/silence", &l, l.csrf, nil))
		return code
	}
	if code := silence("owed_ack:" + f.line + ":seoul-1"); code != http.StatusConflict {
		t.Errorf("silencing what we owe: %d, want 409", code)
	}
	if code := silence("no-such-alert"); code != http.StatusNotFound {
		t.Errorf("silencing an unknown alert: %d, want 404", code)
	}
	if code := silence(peer.Alert.ID); code != http.StatusOK {
		t.Fatalf("silencing the peer's alert: %d", code)
	}
	for _, a := range e.Active() {
		if a.Alert.Kind == escalate.PeerAckOverdue && (a.SilencedBy != "Wang Lei" || a.Console) {
			t.Errorf("after silencing: %+v", a)
		}
	}
}
