package serve_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/demo"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/escalate"
	"github.com/hotline-line/hotline/internal/escalate/escalatetest"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/serve"
	"github.com/hotline-line/hotline/internal/serve/servetest"
)

// TestServeEscalation: two nodes served over the real direct route; a
// FLASH from Seoul alarms Beijing's duty officer by mail within moments,
// woken by the node rather than waiting for a tick.
func TestServeEscalation(t *testing.T) {
	ctx := context.Background()
	dirs, signed, err := demo.Pair(t.TempDir(), "Seoul–Beijing", demo.Parties)
	if err != nil {
		t.Fatal(err)
	}
	mail := escalatetest.StartSMTP(t, escalatetest.SMTPOptions{})
	chain := fmt.Sprintf(`{"steps": [{"name": "duty", "console": true, "email": ["duty@beijing.example"]}],
		"smtp": {"addr": %q, "from": "hotline@beijing.example", "require_tls": true, "ca_file": %q}}`, mail.Addr, mail.CAFile)
	if err := os.WriteFile(filepath.Join(dirs[1], escalate.File), []byte(chain), 0o600); err != nil {
		t.Fatal(err)
	}
	seoul, beijing := servetest.Start(t, dirs[0]), servetest.Start(t, dirs[1])
	if seoul.Alerts == nil || beijing.Alerts == nil || seoul.Alerts.Config().Path != "" || beijing.Alerts.Config().Path == "" {
		t.Fatal("the engines do not follow the chains in the data directories")
	}
	for _, s := range []*serve.Server{seoul, beijing} {
		if err := s.Node.Install(ctx, signed); err != nil {
			t.Fatal(err)
		}
	}

	arrived := mail.Changed()
	sent := time.Now()
	id, err := seoul.Node.Send(ctx, node.SendRequest{Line: signed.ID(), Precedence: entry.Flash, Text: "secret text"})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-arrived:
	case <-time.After(20 * time.Second):
		t.Fatal("no mail to Beijing's duty officer")
	}
	t.Logf("from Seoul's send to the mail at Beijing: %v", time.Since(sent))
	m := mail.Mails()[0]
	if !m.TLS || m.To[0] != "duty@beijing.example" || !strings.Contains(string(m.Data), "We owe seoul an acknowledgement of "+id) ||
		strings.Contains(string(m.Data), "secret text") {
		t.Fatalf("mail: %+v\n%s", m, m.Data)
	}
	act := beijing.Alerts.Active()
	if len(act) != 1 || act[0].Alert.Kind != escalate.OwedAck || !act[0].Console {
		t.Fatalf("beijing's alarm: %+v", act)
	}
	// The acknowledgement clears the alarm.
	changed := beijing.Alerts.Changed()
	if _, err := beijing.Node.Ack(ctx, signed.ID(), id, "Wang Lei"); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(20 * time.Second)
	for len(beijing.Alerts.Active()) != 0 {
		select {
		case <-changed:
			changed = beijing.Alerts.Changed()
		case <-deadline:
			t.Fatalf("still alarmed: %+v", beijing.Alerts.Active())
		}
	}
}

// TestServeBadChain: a bad escalation.json stops the start with the field
// at fault, and leaves the node free to start once it is fixed.
func TestServeBadChain(t *testing.T) {
	dirs, _, err := demo.Pair(t.TempDir(), "Seoul–Beijing", demo.Parties)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dirs[0], escalate.File)
	os.WriteFile(file, []byte(`{"steps": [{"name": "duty", "console": true, "wait": "soon"}]}`), 0o600)
	if _, err := serve.Start(dirs[0], slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "steps[0].wait") {
		t.Fatalf("started with a bad chain: %v", err)
	}
	os.WriteFile(file, []byte(`{"steps": [{"name": "duty", "console": true}]}`), 0o600)
	servetest.Start(t, dirs[0])
}
