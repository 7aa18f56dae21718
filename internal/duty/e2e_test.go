package duty_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/duty"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/escalate"
	"github.com/hotline-line/hotline/internal/escalate/escalatetest"
	"github.com/hotline-line/hotline/internal/node"
)

// side is one party's escalation: its engine on its node, with its own
// mail server and webhook receiver.
type side struct {
	eng   *escalate.Engine
	mail  *escalatetest.SMTPServer
	hooks *escalatetest.Hooks
	seen  int // mails checked so far
}

var hookKey = []byte("an escalation webhook key of 32B")

// escalation writes an escalation.json into n's data directory, as an
// operator would, and starts an engine on it with the duty source.
func escalation(t *testing.T, p *pair, n *node.Node, domain string) *side {
	t.Helper()
	s := &side{
		mail:  escalatetest.StartSMTP(t, escalatetest.SMTPOptions{User: "hotline", Password: "mail password"}),
		hooks: escalatetest.StartHooks(t, hookKey),
	}
	for name, content := range map[string]string{"smtp-password": "mail password\n", "webhook-secret": string(hookKey) + "\n"} {
		if err := os.WriteFile(filepath.Join(n.Dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	chain := fmt.Sprintf(`{
		"steps": [
			{"name": "duty", "console": true, "email": ["duty@%[1]s"], "webhook": ["%[2]s/duty"], "wait": "5m"},
			{"name": "deputy", "email": ["deputy@%[1]s"]}
		],
		"smtp": {"addr": %[3]q, "from": "hotline@%[1]s", "username": "hotline", "password_file": "smtp-password",
			"require_tls": true, "ca_file": %[4]q},
		"webhook": {"secret_file": "webhook-secret"}
	}`, domain, s.hooks.URL, s.mail.Addr, s.mail.CAFile)
	if err := os.WriteFile(filepath.Join(n.Dir, escalate.File), []byte(chain), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := escalate.Load(n.Dir)
	if err != nil {
		t.Fatal(err)
	}
	s.eng, err = escalate.New(cfg, duty.New(n).Alerts, escalate.Options{Now: p.clock.Now, StateDir: n.Dir, Party: n.Me()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.eng.Close() })
	return s
}

func (s *side) tick(t *testing.T) {
	t.Helper()
	if err := s.eng.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// mails waits for n more mails and returns them as "to: subject" with
// their decoded bodies.
func (s *side) mails(t *testing.T, n int) (heads []string, bodies []string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for len(s.mail.Mails()) < s.seen+n {
		select {
		case <-s.mail.Changed():
		case <-deadline:
			t.Fatalf("waited for %d mails, have %d", s.seen+n, len(s.mail.Mails()))
		}
	}
	for _, m := range s.mail.Mails()[s.seen:] {
		msg, err := m.Header()
		if err != nil {
			t.Fatal(err)
		}
		subj, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
		if strings.Contains(string(m.Data)+string(body), "secret text") {
			t.Fatal("a mail carries message text")
		}
		heads = append(heads, strings.Join(m.To, ",")+": "+subj)
		bodies = append(bodies, string(body))
	}
	s.seen = len(s.mail.Mails())
	return heads, bodies
}

// TestEscalationEndToEnd: Seoul sends a FLASH that Beijing never
// acknowledges. Beijing's people are alarmed at arrival; when the deadline
// passes, Seoul's people are told what is proven — delivered, displayed,
// not acknowledged — in the configured order; the acknowledgement resolves
// both.
func TestEscalationEndToEnd(t *testing.T) {
	p := newPair(t)
	seoul := escalation(t, p, p.a, "seoul.example")
	beijing := escalation(t, p, p.b, "beijing.example")
	ctx := context.Background()

	id := p.send(p.a, entry.Flash, "")
	p.delivered(p.a, id)
	in, _ := p.b.Message(p.line, id)

	// Beijing owes it from arrival.
	beijing.tick(t)
	heads, _ := beijing.mails(t, 1)
	if want := "duty@beijing.example: [Hotline FLASH] We owe seoul an acknowledgement of " + id + " — due " + hm(p.clock.Now(), in.Received.Add(10*time.Minute)) + " UTC"; heads[0] != want {
		t.Fatalf("beijing's first mail %q, want %q", heads[0], want)
	}
	if act := beijing.eng.Active(); len(act) != 1 || act[0].Alert.Kind != escalate.OwedAck || !act[0].Console {
		t.Fatalf("beijing's alarm: %+v", act)
	}
	// Seoul has nothing to say yet.
	seoul.tick(t)
	if act := seoul.eng.Active(); len(act) != 0 {
		t.Fatalf("seoul before the deadline: %+v", act)
	}

	// Beijing's screen shows it; nobody acknowledges.
	if err := p.b.MarkDisplayed(ctx, p.line, id); err != nil {
		t.Fatal(err)
	}
	p.rung(p.a, id, "displayed")
	m, _ := p.a.Message(p.line, id)
	r := m.Ladder[0]
	p.clock.Advance(r.AckBy.Sub(p.clock.Now()) + time.Second)

	seoul.tick(t)
	now := p.clock.Now()
	heads, bodies := seoul.mails(t, 1)
	if want := "duty@seoul.example: [Hotline FLASH] beijing has not acknowledged " + id + " — deadline " + hm(now, r.AckBy) + " UTC passed"; heads[0] != want {
		t.Fatalf("seoul's first mail %q, want %q", heads[0], want)
	}
	proof := "delivered " + hm(now, r.Delivered) + " UTC (cosigned receipt), displayed " + hm(now, r.Displayed) + ", not acknowledged; ack deadline " + hm(now, r.AckBy) + " passed"
	if !strings.Contains(bodies[0], proof) {
		t.Fatalf("seoul's mail lacks %q:\n%s", proof, bodies[0])
	}
	deadline := time.After(10 * time.Second)
	for len(seoul.hooks.Received()) == 0 {
		select {
		case <-seoul.hooks.Changed():
		case <-deadline:
			t.Fatal("no webhook on seoul's side")
		}
	}
	h := seoul.hooks.Received()[0]
	var n escalate.Notice
	json.Unmarshal(h.Body, &n)
	if !h.SignatureOK || h.Path != "/duty" || n.Node != "seoul" || n.StepName != "duty" || n.Alert.Kind != escalate.PeerAckOverdue ||
		n.Alert.Party != "beijing" || n.Alert.Detail != proof || !n.Alert.Facts.Delivered.Equal(r.Delivered) {
		t.Fatalf("seoul's webhook: %+v %+v", h, n)
	}

	// Beijing's chain has moved on to its deputy meanwhile.
	beijing.tick(t)
	if heads, _ := beijing.mails(t, 1); !strings.HasPrefix(heads[0], "deputy@beijing.example: [Hotline FLASH] We owe seoul an acknowledgement of "+id+" — deadline ") {
		t.Fatalf("beijing's second mail %q", heads[0])
	}
	// And Seoul's, five minutes later.
	p.clock.Advance(5 * time.Minute)
	seoul.tick(t)
	if heads, _ := seoul.mails(t, 1); !strings.HasPrefix(heads[0], "deputy@seoul.example: [Hotline FLASH] beijing has not acknowledged "+id) {
		t.Fatalf("seoul's second mail %q", heads[0])
	}

	// The acknowledgement closes both sides' alerts, and everyone who was
	// told hears it.
	if _, err := p.b.Ack(ctx, p.line, id, "Wang Lei"); err != nil {
		t.Fatal(err)
	}
	p.rung(p.a, id, "acknowledged")
	for name, s := range map[string]*side{"seoul": seoul, "beijing": beijing} {
		s.tick(t)
		heads, _ := s.mails(t, 2)
		for _, h := range heads {
			if !strings.Contains(h, "[Hotline resolved]") {
				t.Errorf("%s: %q", name, h)
			}
		}
		if act := s.eng.Active(); len(act) != 0 {
			t.Errorf("%s still has %+v", name, act)
		}
	}
}
