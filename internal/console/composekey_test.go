package console

import (
	"testing"

	"github.com/hotline-line/hotline/internal/officer"
)

// A compose retried with its key (the page keeps it until the message is
// sent) writes one message; a new key writes a new one.
func TestComposeKeyWritesOnce(t *testing.T) {
	f := newFixture(t, nil)
	l := f.session(t, "Liu Yang", officer.Drafter)
	send := func(key string) string {
		t.Helper()
		body := map[string]string{"precedence": "IMMEDIATE", "text": "请确认", "key": key}
		code, v := f.do(t, f.request(t, "POST", "/api/lines/"+f.line+"/messages", &l, l.csrf, body))
		id, _ := v["id"].(string)
		if code != 201 || id == "" {
			t.Fatalf("compose: %d %v", code, v)
		}
		return id
	}
	a, b := send("3f1c9a"), send("3f1c9a")
	if a != b {
		t.Fatalf("the retry sent again: %s then %s", a, b)
	}
	if c := send("77d0e2"); c == a {
		t.Fatalf("a new key gave the old message %s", c)
	}
	msgs, err := f.beijing.Messages(f.line, true, 10)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("outbox: %d messages, %v; want 2", len(msgs), err)
	}
}
