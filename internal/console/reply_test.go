package console

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/officer"
)

// TestWatchOfficerReplies: a watch officer, who may not compose, answers
// a received FLASH from its message; the reply is a FLASH unless the
// officer chooses otherwise, names what it answers, and is refused for
// our own message.
func TestWatchOfficerReplies(t *testing.T) {
	f := newFixture(t, nil)
	watch := f.session(t, "Wang Lei", officer.Watch)
	id := f.deliver(t, node.SendRequest{Precedence: entry.Flash, Text: "Confirm receipt."})
	path := "/api/lines/" + f.line + "/messages/" + id + "/reply"
	code, v := f.do(t, f.request(t, "POST", path, &watch, watch.csrf, map[string]string{"text": "已收到。", "key": "k1"}))
	if code != http.StatusCreated || v["officer"] != "Wang Lei" {
		t.Fatalf("reply: %d %v", code, v)
	}
	m, err := f.beijing.Message(f.line, v["id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if m.ReplyTo != id || m.Precedence != entry.Flash || m.Officer != "Wang Lei" {
		t.Fatalf("the reply: reply_to %q, precedence %s, officer %q", m.ReplyTo, m.Precedence, m.Officer)
	}
	// The same key again writes nothing.
	if code, again := f.do(t, f.request(t, "POST", path, &watch, watch.csrf, map[string]string{"text": "已收到。", "key": "k1"})); code != http.StatusCreated || again["id"] != v["id"] {
		t.Fatalf("retry: %d %v, want %v", code, again, v["id"])
	}
	code, v = f.do(t, f.request(t, "POST", path, &watch, watch.csrf, map[string]string{"text": "later", "precedence": "routine"}))
	if code != http.StatusCreated {
		t.Fatalf("routine reply: %d %v", code, v)
	}
	if m, _ := f.beijing.Message(f.line, v["id"].(string)); m == nil || m.Precedence != entry.Routine {
		t.Fatalf("a reply with a chosen precedence: %+v", m)
	}
	own := v["id"].(string)
	for p, want := range map[string]int{own: 409, "seoul-99": 404, "nobody": 400} {
		if code, v := f.do(t, f.request(t, "POST", "/api/lines/"+f.line+"/messages/"+p+"/reply", &watch, watch.csrf, map[string]string{"text": "x"})); code != want {
			t.Errorf("reply to %s: %d %v, want %d", p, code, v, want)
		}
	}
	reader := f.session(t, "Zhao Min", officer.Releaser)
	if code, _ := f.do(t, f.request(t, "POST", path, &reader, reader.csrf, map[string]string{"text": "x"})); code != http.StatusForbidden {
		t.Errorf("a releaser replied: %d", code)
	}
}

// TestMessageBodyLimit: a text of 64 KiB is taken however it is escaped
// in JSON; a body too large to hold one is refused as too large, not as
// broken JSON.
func TestMessageBodyLimit(t *testing.T) {
	f := newFixture(t, nil)
	d := f.session(t, "Li Na", officer.Drafter)
	path := "/api/lines/" + f.line + "/messages"
	// Every byte a control character: JSON writes each as \u00XX.
	worst := strings.Repeat("\x01", entry.MaxTextSize)
	b, _ := json.Marshal(map[string]string{"precedence": "ROUTINE", "text": worst})
	if len(b) < 6*entry.MaxTextSize {
		t.Fatalf("the body is %d bytes: not the worst case", len(b))
	}
	if code, v := f.post(t, path, &d, b); code != http.StatusCreated {
		t.Fatalf("64 KiB of control characters: %d %v", code, v)
	}
	big, _ := json.Marshal(map[string]string{"precedence": "ROUTINE", "text": strings.Repeat("x", 1<<20)})
	if code, v := f.post(t, path, &d, big); code != http.StatusRequestEntityTooLarge || v["code"] != "too_large" ||
		!strings.Contains(v["error"].(string), "too large") {
		t.Fatalf("1 MiB: %d %v", code, v)
	}
}

// post sends raw JSON as the page would.
func (f *fixture) post(t *testing.T, path string, l *login, body []byte) (int, map[string]any) {
	t.Helper()
	req := f.request(t, "POST", path, l, l.csrf, nil)
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Type", "application/json")
	return f.do(t, req)
}

// TestReplyUnderTwoPersonRelease: where the charter puts FLASH under
// two-person release, a watch officer's reply to a FLASH is a draft for a
// second officer, like any FLASH composed.
func TestReplyUnderTwoPersonRelease(t *testing.T) {
	f := newFixture(t, twoPersonFlash)
	watch := f.session(t, "Wang Lei", officer.Watch)
	id := f.deliver(t, node.SendRequest{Precedence: entry.Flash,
		Officer: "Kim Min-jun", ReleasedBy: "Park Ji-woo", Text: "Confirm receipt."})
	code, v := f.do(t, f.request(t, "POST", "/api/lines/"+f.line+"/messages/"+id+"/reply", &watch, watch.csrf, map[string]string{"text": "收到。"}))
	if code != http.StatusAccepted || v["draft"] == nil {
		t.Fatalf("reply under two-person release: %d %v", code, v)
	}
}
