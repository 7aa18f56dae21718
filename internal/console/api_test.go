package console

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/inert"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/officer"
)

const hostile = "<img src=x onerror=\"window.__pwned=1\"><script>window.__pwned=2</script>\u202Eevil"

type sse struct {
	name string
	data string
}

// events opens the event stream and delivers its events on a channel.
func (f *fixture) events(t *testing.T, ctx context.Context, l *login) <-chan sse {
	t.Helper()
	req := f.request(t, "GET", "/api/events", l, "", nil).WithContext(ctx)
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	ch := make(chan sse, 64)
	go func() {
		defer resp.Body.Close()
		defer close(ch)
		sc := bufio.NewScanner(resp.Body)
		var ev sse
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = strings.TrimPrefix(line, "data: ")
			case line == "" && ev.name != "":
				ch <- ev
				ev = sse{}
			}
		}
	}()
	return ch
}

func TestMessageFlow(t *testing.T) {
	f := newFixture(t, nil)
	watch := f.session(t, "Wang Lei", officer.Watch)
	drafter := f.session(t, "Li Na", officer.Drafter)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stream := f.events(t, ctx, &watch)
	if ev := <-stream; ev.name != "hello" {
		t.Fatalf("first event %+v, want hello", ev)
	}

	// A FLASH from Seoul, with hostile text: the stream names it.
	sent := time.Now()
	id, err := f.seoul.Send(ctx, node.SendRequest{Line: f.line, Precedence: entry.Flash, Text: hostile})
	if err != nil {
		t.Fatal(err)
	}
	for found := false; !found; {
		select {
		case ev, ok := <-stream:
			if !ok {
				t.Fatal("event stream ended")
			}
			var ce changeEvent
			if err := json.Unmarshal([]byte(ev.data), &ce); err != nil || ev.name != "change" {
				t.Fatalf("event %+v: %v", ev, err)
			}
			for _, m := range ce.Inbox {
				if m.ID == id && m.Precedence == entry.Flash && m.Author == "seoul" && m.Line == f.line {
					found = true
				}
			}
		case <-ctx.Done():
			t.Fatal("no change event named the FLASH")
		}
	}
	t.Logf("FLASH in the event stream %v after it was sent", time.Since(sent))

	// The inbox has the original text and its visible form.
	req := f.request(t, "GET", "/api/lines/"+f.line+"/inbox?limit=10", &watch, "", nil)
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var inbox []messageView
	json.NewDecoder(resp.Body).Decode(&inbox)
	resp.Body.Close()
	if len(inbox) != 1 || inbox[0].Text != hostile || inbox[0].TextVisible != inert.Text(hostile) ||
		!strings.HasSuffix(inbox[0].TextVisible, "<U+202E>evil") || !inbox[0].Inbound {
		t.Fatalf("inbox: %+v", inbox)
	}

	// Reading it writes nothing, and needs no CSRF token.
	size := f.logSize(t)
	msgPath := "/api/lines/" + f.line + "/messages/" + id
	code, v := f.do(t, f.request(t, "GET", msgPath, &watch, "", nil))
	if code != http.StatusOK || v["text_visible"] != inert.Text(hostile) {
		t.Fatalf("message: %d %v", code, v)
	}
	if rung := v["ladder"].([]any)[0].(map[string]any); rung["party"] != "beijing" || rung["displayed"] != nil || f.logSize(t) != size {
		t.Fatalf("reading the message wrote: %v, log %d entries, was %d", rung, f.logSize(t), size)
	}
	// The page says when it is on screen: "displayed", written once.
	for range 2 {
		code, v = f.do(t, f.request(t, "POST", msgPath+"/displayed", &watch, watch.csrf, nil))
		if rung := v["ladder"].([]any)[0].(map[string]any); code != http.StatusOK || rung["displayed"] == nil || f.logSize(t) != size+1 {
			t.Fatalf("displayed: %d %v, log %d entries, was %d", code, v, f.logSize(t), size)
		}
	}

	// A drafter may not acknowledge; a watch officer does, once, by name.
	ackPath := "/api/lines/" + f.line + "/messages/" + id + "/ack"
	if code, _ := f.do(t, f.request(t, "POST", ackPath, &drafter, drafter.csrf, nil)); code != http.StatusForbidden {
		t.Fatalf("drafter ack: %d", code)
	}
	code, v = f.do(t, f.request(t, "POST", ackPath, &watch, watch.csrf, nil))
	if code != http.StatusOK || v["acknowledged"] != true || v["officer"] != "Wang Lei" {
		t.Fatalf("ack: %d %v", code, v)
	}
	if code, v = f.do(t, f.request(t, "POST", ackPath, &watch, watch.csrf, nil)); v["acknowledged"] != false {
		t.Fatalf("second ack: %d %v", code, v)
	}
	waitFor(t, f.seoul, 20*time.Second, "Seoul to see the acknowledgement", func() bool {
		m, err := f.seoul.Message(f.line, id)
		return err == nil && m.Ladder[0].AckedBy == "Wang Lei" && m.Ladder[0].State == "acknowledged"
	})

	// The drafter replies; the reply is recorded with the officer's name.
	code, v = f.do(t, f.request(t, "POST", "/api/lines/"+f.line+"/messages", &drafter, drafter.csrf,
		map[string]string{"precedence": "flash", "text": "已收到。", "reply_to": id}))
	if code != http.StatusCreated || v["officer"] != "Li Na" || !strings.HasPrefix(v["id"].(string), "beijing-") {
		t.Fatalf("compose: %d %v", code, v)
	}
	reply := v["id"].(string)
	req = f.request(t, "GET", "/api/lines/"+f.line+"/outbox", &watch, "", nil)
	resp, _ = f.srv.Client().Do(req)
	var outbox []messageView
	json.NewDecoder(resp.Body).Decode(&outbox)
	resp.Body.Close()
	if len(outbox) != 1 || outbox[0].ID != reply || outbox[0].SentBy != "Li Na" || outbox[0].Lang != "zh" || outbox[0].ReplyTo != id {
		t.Fatalf("outbox: %+v", outbox)
	}
	acts, _ := f.off.Acts(ctx, 10)
	if len(acts) != 2 || acts[0].Act != "send" || acts[0].Officer != "Li Na" || acts[1].Act != "ack" || acts[1].Officer != "Wang Lei" {
		t.Fatalf("acts: %+v", acts)
	}
}

func TestComposeRefusesBadInput(t *testing.T) {
	f := newFixture(t, nil)
	d := f.session(t, "Li Na", officer.Drafter)
	path := "/api/lines/" + f.line + "/messages"
	for name, tc := range map[string]struct {
		path string
		body any
		code int
	}{
		"bad precedence":   {path, map[string]string{"precedence": "URGENT", "text": "x"}, 400},
		"empty text":       {path, map[string]string{"precedence": "ROUTINE", "text": ""}, 400},
		"too long":         {path, map[string]string{"precedence": "ROUTINE", "text": strings.Repeat("x", entry.MaxTextSize+1)}, 400},
		"bad reply_to":     {path, map[string]string{"precedence": "ROUTINE", "text": "x", "reply_to": "nobody"}, 400},
		"unknown reply_to": {path, map[string]string{"precedence": "ROUTINE", "text": "x", "reply_to": "seoul-99"}, 400},
		"unknown field":    {path, map[string]string{"precedence": "ROUTINE", "text": "x", "officer": "Kim"}, 400},
		"unknown line":     {"/api/lines/nope/messages", map[string]string{"precedence": "ROUTINE", "text": "x"}, 404},
	} {
		if code, v := f.do(t, f.request(t, "POST", tc.path, &d, d.csrf, tc.body)); code != tc.code {
			t.Errorf("%s: %d %v, want %d", name, code, v, tc.code)
		}
	}
	for q, want := range map[string]int{"limit=0": 400, "limit=501": 400, "limit=x": 400, "limit=500": 200, "": 200} {
		if code, _ := f.do(t, f.request(t, "GET", "/api/lines/"+f.line+"/inbox?"+q, &d, "", nil)); code != want {
			t.Errorf("inbox?%s: %d, want %d", q, code, want)
		}
	}
	if code, _ := f.do(t, f.request(t, "GET", "/api/lines/"+f.line+"/messages/seoul-99", &d, d.csrf, nil)); code != 404 {
		t.Errorf("unknown message: %d", code)
	}
	if code, _ := f.do(t, f.request(t, "GET", "/api/lines/"+f.line+"/messages/nobody", &d, d.csrf, nil)); code != 400 {
		t.Errorf("malformed message ID: %d", code)
	}
	w := f.session(t, "Wang Lei", officer.Watch)
	own, err := f.beijing.Send(context.Background(), node.SendRequest{Line: f.line, Text: "ours"})
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]int{"seoul-99": 404, "nobody": 400, own: 409} {
		if code, v := f.do(t, f.request(t, "POST", "/api/lines/"+f.line+"/messages/"+id+"/ack", &w, w.csrf, nil)); code != want {
			t.Errorf("ack %s: %d %v, want %d", id, code, v, want)
		}
	}
}
