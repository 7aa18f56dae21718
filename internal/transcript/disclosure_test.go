package transcript_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/nodetest"
	"github.com/hotline-line/hotline/internal/transcript"
)

// answered has Seoul send a message that Beijing displays, acknowledges
// and answers, and waits until Seoul holds receipts for all three.
func answered(t *testing.T) (seoul, beijing *node.Node, line, id, reply string) {
	t.Helper()
	nodes, line := pair(t)
	seoul, beijing = nodes[0], nodes[1]
	ctx := context.Background()
	id, err := seoul.Send(ctx, node.SendRequest{Line: line, Precedence: entry.Flash, Text: "Missile launch detected at 03:12 UTC."})
	if err != nil {
		t.Fatal(err)
	}
	nodetest.Wait(t, 30*time.Second, "beijing to hold the message", func() bool {
		_, err := beijing.Message(line, id)
		return err == nil
	})
	if err := beijing.MarkDisplayed(ctx, line, id); err != nil {
		t.Fatal(err)
	}
	if _, err := beijing.Ack(ctx, line, id, "Wang Lei"); err != nil {
		t.Fatal(err)
	}
	if reply, err = beijing.Send(ctx, node.SendRequest{Line: line, Text: "已收到，正在核实。", ReplyTo: id}); err != nil {
		t.Fatal(err)
	}
	nodetest.Wait(t, 30*time.Second, "receipts of the display, the ack and the reply", func() bool {
		d, err := transcript.Disclose(seoul.Store, seoul.Keys, line, id, false)
		return err == nil && len(d.Marks) == 3
	})
	return seoul, beijing, line, id, reply
}

// holdsNone fails the test for each of secrets (by what it is) that the
// disclosure data holds.
func holdsNone(t *testing.T, data []byte, secrets map[string][]byte) {
	t.Helper()
	for what, b := range secrets {
		if bytes.Contains(data, b) {
			t.Errorf("the disclosure holds %s", what)
		}
	}
}

// TestDisclosureHoldsOneText: a disclosure of a message that was answered
// holds the message's text and nothing of the reply's (neither its text
// nor its salt, which with the leaf would let anyone confirm a guess of
// the text); it still proves the display, the acknowledgement and that
// Beijing wrote a message after holding it. With the reply asked for, the
// reply's text is in the file and proven to answer the message.
func TestDisclosureHoldsOneText(t *testing.T) {
	seoul, beijing, line, id, reply := answered(t)
	_, index, _ := entry.ParseID(reply)
	re, err := beijing.Store.Entry(line, "beijing", index)
	if err != nil {
		t.Fatal(err)
	}
	replyText := "已收到，正在核实。"
	escaped, _ := json.Marshal(replyText)
	secrets := map[string][]byte{"the reply's text": []byte(replyText), "the reply's text, escaped": escaped[1 : len(escaped)-1],
		"the reply's salt": re.Salt, "the reply's salt, in base64": []byte(base64.StdEncoding.EncodeToString(re.Salt)),
		"the reply's body, in base64": []byte(base64.StdEncoding.EncodeToString(re.Body))}

	d, err := transcript.Disclose(seoul.Store, seoul.Keys, line, id, false)
	if err != nil {
		t.Fatal(err)
	}
	data := transcript.Marshal(d)
	holdsNone(t, data, secrets)
	// Bodies travel in base64: the message's own is there, so the search
	// would find the reply's.
	_, mi, _ := entry.ParseID(id)
	me, err := seoul.Store.Entry(line, "seoul", mi)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(base64.StdEncoding.EncodeToString(me.Body))) {
		t.Fatal("the disclosure does not hold the message's own body")
	}
	rep, err := transcript.Verify(data)
	if err != nil {
		t.Fatal(err)
	}
	m := rep.Messages[0]
	if len(rep.Messages) != 1 || !slices.Equal(rep.Texts, []string{id}) || m.Acked["beijing"].Officer != "Wang Lei" ||
		m.Displayed["beijing"].IsZero() || len(m.Replies) != 0 {
		t.Fatalf("report: %+v", rep)
	}
	if len(rep.Withheld) != 1 || rep.Withheld[0].ID != reply || rep.Withheld[0].After != id || rep.Withheld[0].Kind != entry.KindMessage {
		t.Fatalf("withheld: %+v", rep.Withheld)
	}
	var text strings.Builder
	rep.WriteText(&text)
	if !strings.Contains(text.String(), "This file holds the text of "+id+" and of no other message.") ||
		!strings.Contains(text.String(), reply+" is proven by its entry alone") {
		t.Fatalf("the report does not say which texts the file holds:\n%s", text.String())
	}

	// With the reply.
	d, err = transcript.Disclose(seoul.Store, seoul.Keys, line, id, true)
	if err != nil {
		t.Fatal(err)
	}
	rep, err = transcript.Verify(transcript.Marshal(d))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Messages) != 2 || !slices.Equal(rep.Texts, []string{id, reply}) || rep.Messages[1].Text != replyText ||
		rep.Messages[1].ReplyTo != id || rep.Messages[0].Replies["beijing"] != reply || len(rep.Withheld) != 0 {
		t.Fatalf("report with the reply: %+v", rep)
	}
	if !strings.Contains(rep.TextsSummary(), "holds the texts of "+id+" and "+reply+" and of no other message") {
		t.Fatalf("summary with the reply: %s", rep.TextsSummary())
	}
}

// TestDisclosureMarksKeepTheirBodies: a display or acknowledgement proven
// without its body names no message, so a disclosure that strips one is
// refused; so is a body without its salt.
func TestDisclosureMarksKeepTheirBodies(t *testing.T) {
	seoul, _, line, id, _ := answered(t)
	for i, want := range []error{transcript.ErrBody, transcript.ErrBody} {
		d, err := transcript.Disclose(seoul.Store, seoul.Keys, line, id, false)
		if err != nil {
			t.Fatal(err)
		}
		var mk *transcript.Proven
		for j := range d.Marks {
			if l, _ := entry.Parse([]byte(d.Marks[j].Leaf)); l.Kind == entry.KindAck {
				mk = &d.Marks[j]
			}
		}
		if i == 0 {
			mk.Salt, mk.Body = nil, nil
		} else {
			mk.Salt = nil
		}
		if _, err := transcript.Verify(transcript.Marshal(d)); !errors.Is(err, want) {
			t.Errorf("case %d: got %v, want %v", i, err, want)
		}
	}
}
