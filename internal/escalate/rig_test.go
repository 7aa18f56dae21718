package escalate

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/escalate/escalatetest"
	"github.com/hotline-line/hotline/internal/testclock"
)

// rig is an engine wired to a real SMTP server and a real webhook
// receiver, on a clock the test moves, with alerts the test sets.
type rig struct {
	t     *testing.T
	clock *testclock.Clock
	mail  *escalatetest.SMTPServer
	hooks *escalatetest.Hooks
	dir   string
	cfg   *Config
	eng   *Engine

	mu     sync.Mutex
	alerts []Alert
	fail   error
	calls  int
	called chan struct{} // closed and replaced at each evaluation
}

// chain is the three-step chain of the tests: duty, deputy, chief.
const chain = `{
	"steps": [
		{"name": "duty", "console": true, "email": ["duty@mnd.example"], "webhook": ["{{HOOK}}/duty"], "wait": "5m"},
		{"name": "deputy", "email": ["deputy@mnd.example"], "wait": "10m"},
		{"name": "chief", "console": true, "email": ["chief@mnd.example"], "webhook": ["{{HOOK}}/chief"], "wait": "15m"}
	],
	"repeat": true,
	"smtp": {"addr": "{{SMTP}}", "from": "hotline@seoul.example", "username": "hotline",
		"password_file": "smtp-password", "require_tls": true, "ca_file": "{{CA}}"},
	"webhook": {"secret_file": "webhook-secret", "timeout": "5s"}
}`

var t0 = time.Date(2026, 5, 1, 3, 22, 0, 0, time.UTC)

func newRig(t *testing.T, chainJSON string) *rig {
	r := &rig{t: t, clock: testclock.New(t0), dir: secretDir(t), called: make(chan struct{})}
	r.mail = escalatetest.StartSMTP(t, escalatetest.SMTPOptions{User: "hotline", Password: "correct horse battery"})
	r.hooks = escalatetest.StartHooks(t, []byte("0123456789abcdef0123456789abcdef"))
	js := strings.NewReplacer("{{HOOK}}", r.hooks.URL, "{{SMTP}}", r.mail.Addr, "{{CA}}", r.mail.CAFile).Replace(chainJSON)
	if err := os.WriteFile(filepath.Join(r.dir, File), []byte(js), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(r.dir)
	if err != nil {
		t.Fatal(err)
	}
	r.cfg = cfg
	r.start()
	return r
}

// start opens an engine on the rig's state directory.
func (r *rig) start() {
	r.t.Helper()
	e, err := New(r.cfg, r.source, Options{Now: r.clock.Now, StateDir: r.dir, Party: "seoul",
		Logger: slog.New(slog.NewTextHandler(testWriter{r.t}, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		r.t.Fatal(err)
	}
	r.eng = e
	r.t.Cleanup(func() { e.Close() })
}

func (r *rig) source(_ context.Context, now time.Time) ([]Alert, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	close(r.called)
	r.called = make(chan struct{})
	return append([]Alert(nil), r.alerts...), r.fail
}

// evaluated returns a channel closed at the source's next evaluation.
func (r *rig) evaluated() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.called
}

func (r *rig) set(alerts ...Alert) {
	r.mu.Lock()
	r.alerts = alerts
	r.mu.Unlock()
}

// tick evaluates once and waits for the notices it started.
func (r *rig) tick() {
	r.t.Helper()
	if err := r.eng.Tick(context.Background()); err != nil {
		r.t.Fatal(err)
	}
	r.eng.sends.Wait()
}

// sent lists what the receivers took, in order, as "event channel:to"
// lines, and forgets it.
type seen struct{ mails, hooks int }

func (r *rig) since(s *seen) []string {
	var out []string
	mails, hooks := r.mail.Mails(), r.hooks.Received()
	for _, m := range mails[s.mails:] {
		h, err := m.Header()
		if err != nil {
			r.t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s email:%s", h.Header.Get("X-Hotline-Event"), strings.Join(m.To, ",")))
	}
	for _, h := range hooks[s.hooks:] {
		out = append(out, fmt.Sprintf("%s webhook:%s", h.Event, h.Path))
	}
	s.mails, s.hooks = len(mails), len(hooks)
	return out
}

func peerAlert(id string) Alert {
	return Alert{ID: "peer_ack_overdue:L1:" + id + ":beijing", Kind: PeerAckOverdue, Line: "L1", LineTitle: "Seoul–Beijing",
		Party: "beijing", Message: id, Precedence: "FLASH",
		Summary:  "beijing has not acknowledged " + id + " — deadline 03:22 UTC passed",
		Detail:   "delivered 03:12 UTC (cosigned receipt), displayed 03:13, not acknowledged; ack deadline 03:22 passed",
		Facts:    Facts{Queued: t0.Add(-11 * time.Minute), Sent: t0.Add(-10 * time.Minute), Delivered: t0.Add(-10 * time.Minute), DeliveryProof: "cosigned receipt", Displayed: t0.Add(-9 * time.Minute)},
		Deadline: t0, Opened: t0}
}

func owedAlert(id string) Alert {
	return Alert{ID: "owed_ack:L1:" + id, Kind: OwedAck, Owed: true, Line: "L1", LineTitle: "Seoul–Beijing",
		Party: "seoul", Message: id, Precedence: "IMMEDIATE",
		Summary: "We owe beijing an acknowledgement of " + id + " — due 03:40 UTC",
		Detail:  "arrived 03:10 UTC, not displayed, not acknowledged; ack deadline 03:40",
		Facts:   Facts{Delivered: t0.Add(-12 * time.Minute), DeliveryProof: "received by this node"}, Deadline: t0.Add(18 * time.Minute), Opened: t0.Add(-12 * time.Minute)}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
